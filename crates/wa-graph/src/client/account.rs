//! Business number details, message templates and the onboarding calls (cloud-api.md §6).

use std::fmt;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use wa_domain::{
    connection::PhoneNumberInfo,
    error_class::ErrorClass,
    graph::{GraphError, Sender},
    ids::{PhoneNumberId, WabaId},
};

use crate::{
    client::{GraphClient, errors},
    wire::{
        json::Str,
        response::{
            AccessTokenResponse, DebugTokenResponse, Paged, PhoneNumberResponse, TemplateResponse,
        },
        send::RegisterBody,
    },
};

/// The fields read from a business number.
const PHONE_NUMBER_FIELDS: &str = "display_phone_number,verified_name,quality_rating,code_verification_status,name_status,throughput,platform_type,whatsapp_business_manager_messaging_limit";

/// Most pages read by the calls that follow `paging.cursors.after`: a guard against a server
/// that never stops paging.
const MAX_PAGES: usize = 50;

/// A business number of a WABA (`GET /{waba_id}/phone_numbers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumberSummary {
    /// The number's id.
    pub id: PhoneNumberId,
    /// What Meta says about it.
    pub info: PhoneNumberInfo,
}

/// A message template of a WABA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    /// Meta's id.
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its language code.
    pub language: Option<String>,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub status: Option<String>,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: Option<String>,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: Option<String>,
    /// The components (header, body, footer, buttons) as Meta's JSON.
    pub components_json: Option<String>,
}

/// One page of templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatePage {
    /// The templates.
    pub templates: Vec<MessageTemplate>,
    /// The cursor of the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// A token from the code exchange.
pub struct AccessToken {
    /// The business integration system user token.
    pub token: SecretString,
    /// `bearer`.
    pub token_type: Option<String>,
    /// Seconds until it expires; Meta's business tokens usually never do (`None`).
    pub expires_in: Option<i64>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[REDACTED]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// What `debug_token` says about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The app it belongs to.
    pub app_id: Option<String>,
    /// `SYSTEM_USER`, `USER`, ...
    pub token_type: Option<String>,
    /// Whether it works.
    pub is_valid: bool,
    /// When it expires; `None` for tokens that never do.
    pub expires_at: Option<OffsetDateTime>,
    /// The (system) user it belongs to.
    pub user_id: Option<String>,
    /// Its permissions.
    pub scopes: Vec<String>,
    /// The WABAs shared through `whatsapp_business_management` or `whatsapp_business_messaging`.
    pub waba_ids: Vec<WabaId>,
}

impl GraphClient {
    /// Reads the business number's details; also proves the token works.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn phone_number_info(&self, sender: &Sender) -> Result<PhoneNumberInfo, GraphError> {
        let url = self.url_with(
            &[sender.phone_number_id.as_str()],
            &[("fields", PHONE_NUMBER_FIELDS)],
            Some(&sender.token),
        )?;
        let (status, body) = self
            .execute(self.request(Method::GET, url, &sender.token))
            .await?;
        serde_json::from_slice::<PhoneNumberResponse<'_>>(&body)
            .map(number_info)
            .map_err(|_| errors::unexpected_body(status, "phone number details"))
    }

    /// The business numbers of a WABA, every page.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn phone_numbers(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
    ) -> Result<Vec<PhoneNumberSummary>, GraphError> {
        let fields = format!("id,{PHONE_NUMBER_FIELDS}");
        let mut numbers = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("fields", fields.as_str())];
            if let Some(cursor) = &after {
                query.push(("after", cursor.as_str()));
            }
            let url = self.url_with(&[waba_id.as_str(), "phone_numbers"], &query, Some(token))?;
            let (status, body) = self.execute(self.request(Method::GET, url, token)).await?;
            let page = serde_json::from_slice::<Paged<'_, PhoneNumberResponse<'_>>>(&body)
                .map_err(|_| errors::unexpected_body(status, "a page of phone numbers"))?;
            for item in page.data {
                let id = item
                    .id
                    .as_ref()
                    .and_then(|id| PhoneNumberId::parse(id.as_str()).ok());
                if let Some(id) = id {
                    numbers.push(PhoneNumberSummary {
                        id,
                        info: number_info(item),
                    });
                }
            }
            after = next_cursor(page.paging);
            if after.is_none() {
                break;
            }
        }
        Ok(numbers)
    }

    /// One page of a WABA's message templates.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn message_templates(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<TemplatePage, GraphError> {
        let limit = limit.clamp(1, 1000).to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(cursor) = after {
            query.push(("after", cursor));
        }
        let url = self.url_with(
            &[waba_id.as_str(), "message_templates"],
            &query,
            Some(token),
        )?;
        let (status, body) = self.execute(self.request(Method::GET, url, token)).await?;
        let page = serde_json::from_slice::<Paged<'_, TemplateResponse<'_>>>(&body)
            .map_err(|_| errors::unexpected_body(status, "a page of message templates"))?;
        let templates = page
            .data
            .into_iter()
            .filter_map(|template| {
                Some(MessageTemplate {
                    name: template.name?.into_string(),
                    id: template.id.map(Str::into_string),
                    language: template.language.map(Str::into_string),
                    status: template.status.map(Str::into_string),
                    category: template.category.map(Str::into_string),
                    parameter_format: template.parameter_format.map(Str::into_string),
                    components_json: template.components.map(|raw| raw.get().to_owned()),
                })
            })
            .collect();
        Ok(TemplatePage {
            templates,
            next_cursor: next_cursor(page.paging),
        })
    }

    /// Every message template of a WABA, following the pages.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn all_message_templates(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
    ) -> Result<Vec<MessageTemplate>, GraphError> {
        let mut templates = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .message_templates(token, waba_id, after.as_deref(), 250)
                .await?;
            templates.extend(page.templates);
            after = page.next_cursor;
            if after.is_none() {
                break;
            }
        }
        Ok(templates)
    }

    /// Exchanges an Embedded Signup code for the business's token
    /// (`GET /oauth/access_token?client_id&client_secret&code`). Needs the app id and secret.
    ///
    /// The call carries no `appsecret_proof`: there is no token yet to prove.
    ///
    /// # Errors
    /// A classified [`GraphError`]; `Permanent` when the app id or secret is not configured.
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        redirect_uri: Option<&str>,
    ) -> Result<AccessToken, GraphError> {
        let (app_id, app_secret) = self.app_credentials()?;
        let mut query = vec![
            ("client_id", app_id),
            ("client_secret", app_secret.expose_secret()),
            ("code", code.expose_secret()),
        ];
        if let Some(redirect_uri) = redirect_uri {
            query.push(("redirect_uri", redirect_uri));
        }
        let url = self.url_with(&["oauth", "access_token"], &query, None)?;
        let (status, body) = self.execute(self.inner.http.get(url)).await?;
        let response = serde_json::from_slice::<AccessTokenResponse>(&body)
            .map_err(|_| errors::unexpected_body(status, "an access token"))?;
        let token = response
            .access_token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| errors::unexpected_body(status, "an access token"))?;
        Ok(AccessToken {
            token: SecretString::from(token),
            token_type: response.token_type,
            expires_in: response.expires_in.map(|seconds| seconds.0),
        })
    }

    /// The app access token (`{app_id}|{app_secret}`), which authorises `debug_token`.
    ///
    /// # Errors
    /// `Permanent` when the app id or secret is not configured.
    pub fn app_access_token(&self) -> Result<SecretString, GraphError> {
        let (app_id, app_secret) = self.app_credentials()?;
        Ok(SecretString::from(format!(
            "{app_id}|{}",
            app_secret.expose_secret()
        )))
    }

    /// Inspects a token (`GET /debug_token?input_token=...`), authorised by `access_token`
    /// (the app access token or a system user's token): validity, expiry, permissions and the
    /// WABAs shared with the app.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn debug_token(
        &self,
        input_token: &SecretString,
        access_token: &SecretString,
    ) -> Result<TokenInfo, GraphError> {
        let url = self.url_with(
            &["debug_token"],
            &[("input_token", input_token.expose_secret())],
            Some(access_token),
        )?;
        let (status, body) = self
            .execute(self.request(Method::GET, url, access_token))
            .await?;
        let data = serde_json::from_slice::<DebugTokenResponse<'_>>(&body)
            .ok()
            .and_then(|response| response.data)
            .ok_or_else(|| errors::unexpected_body(status, "debug_token data"))?;
        let mut waba_ids = Vec::new();
        for scope in data.granular_scopes.unwrap_or_default() {
            let whatsapp = scope.scope.as_ref().is_some_and(|name| {
                matches!(
                    name.as_str(),
                    "whatsapp_business_management" | "whatsapp_business_messaging"
                )
            });
            if !whatsapp {
                continue;
            }
            for target in scope.target_ids.unwrap_or_default() {
                if let Ok(waba_id) = WabaId::parse(target.as_str())
                    && !waba_ids.contains(&waba_id)
                {
                    waba_ids.push(waba_id);
                }
            }
        }
        Ok(TokenInfo {
            app_id: data.app_id.map(Str::into_string),
            token_type: data.kind.map(Str::into_string),
            is_valid: data.is_valid.is_some_and(|flag| flag.0),
            expires_at: data
                .expires_at
                .filter(|seconds| seconds.0 > 0)
                .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds.0).ok()),
            user_id: data.user_id.map(Str::into_string),
            scopes: data
                .scopes
                .unwrap_or_default()
                .into_iter()
                .map(Str::into_string)
                .collect(),
            waba_ids,
        })
    }

    /// Subscribes the app to a WABA's webhooks (`POST /{waba_id}/subscribed_apps`).
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn subscribe_app(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
    ) -> Result<(), GraphError> {
        let url = self.url_with(&[waba_id.as_str(), "subscribed_apps"], &[], Some(token))?;
        self.execute_success(self.request(Method::POST, url, token))
            .await
    }

    /// Registers the business number on the Cloud API with its two-step PIN
    /// (`POST /{phone_number_id}/register`).
    ///
    /// # Errors
    /// A classified [`GraphError`] (`133016` when attempts are rate limited).
    pub async fn register_number(
        &self,
        sender: &Sender,
        pin: &SecretString,
    ) -> Result<(), GraphError> {
        let body = RegisterBody {
            messaging_product: "whatsapp",
            pin: pin.expose_secret(),
        };
        let url = self.url_with(
            &[sender.phone_number_id.as_str(), "register"],
            &[],
            Some(&sender.token),
        )?;
        let request = self.json_request(url, &sender.token, &body)?;
        self.execute_success(request).await
    }

    fn app_credentials(&self) -> Result<(&str, &SecretString), GraphError> {
        match (&self.inner.app_id, &self.inner.app_secret) {
            (Some(app_id), Some(app_secret)) => Ok((app_id, app_secret)),
            _ => Err(GraphError::transport(
                ErrorClass::Permanent,
                "the Meta app id and app secret are not configured",
                None,
            )),
        }
    }
}

/// The cursor of the next page, when Meta says there is one.
fn next_cursor(paging: Option<crate::wire::response::Paging<'_>>) -> Option<String> {
    let paging = paging?;
    paging.next.as_ref()?;
    paging
        .cursors
        .and_then(|cursors| cursors.after)
        .map(Str::into_string)
}

fn number_info(number: PhoneNumberResponse<'_>) -> PhoneNumberInfo {
    let messaging_limit = number
        .whatsapp_business_manager_messaging_limit
        .and_then(messaging_limit)
        .or_else(|| number.messaging_limit_tier.map(Str::into_string));
    PhoneNumberInfo {
        display_phone_number: number.display_phone_number.map(Str::into_string),
        verified_name: number.verified_name.map(Str::into_string),
        quality_rating: number.quality_rating.map(Str::into_string),
        throughput_level: number
            .throughput
            .and_then(|throughput| throughput.level)
            .map(Str::into_string),
        messaging_limit,
        name_status: number.name_status.map(Str::into_string),
        code_verification_status: number.code_verification_status.map(Str::into_string),
        platform_type: number.platform_type.map(Str::into_string),
    }
}

/// `whatsapp_business_manager_messaging_limit`: a string (`TIER_2K`), or an object holding one
/// under a key we try in order; anything else is kept as its JSON so it is not lost.
fn messaging_limit(raw: &RawValue) -> Option<String> {
    if let Ok(text) = serde_json::from_str::<Str<'_>>(raw.get()) {
        return Some(text.into_string());
    }
    #[derive(serde::Deserialize)]
    struct Limit<'a> {
        #[serde(borrow, default)]
        current_limit: Option<Str<'a>>,
        #[serde(borrow, default)]
        messaging_limit_tier: Option<Str<'a>>,
        #[serde(borrow, default)]
        tier: Option<Str<'a>>,
        #[serde(borrow, default)]
        limit: Option<Str<'a>>,
    }
    match serde_json::from_str::<Limit<'_>>(raw.get()) {
        Ok(limit) => limit
            .current_limit
            .or(limit.messaging_limit_tier)
            .or(limit.tier)
            .or(limit.limit)
            .map(Str::into_string)
            .or_else(|| Some(raw.get().to_owned())),
        Err(_) => (raw.get() != "null").then(|| raw.get().to_owned()),
    }
}
