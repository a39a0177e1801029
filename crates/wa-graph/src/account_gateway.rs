//! [`GraphClient`] as `wa-domain`'s [`AccountGateway`] port (onboarding, template sync and
//! template management), and the reading of Meta's template components into the domain's
//! [`TemplateSpec`].

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use time::OffsetDateTime;
use wa_domain::{
    graph::{GraphError, Sender},
    ids::WabaId,
    onboarding::{BusinessNumber, ExchangedToken, TokenGrant},
    ports::AccountGateway,
    template_catalog::{
        ButtonSpec, HeaderFormat, HeaderSpec, SyncedTemplate, TemplateSpec, TextVariables,
    },
    template_draft::{TemplateDraft, TemplateEdit},
};

use crate::client::{GraphClient, MessageTemplate};

#[async_trait]
impl AccountGateway for GraphClient {
    async fn exchange_code(&self, code: &SecretString) -> Result<ExchangedToken, GraphError> {
        let token = GraphClient::exchange_code(self, code, None).await?;
        let expires_at = token
            .expires_in
            .filter(|seconds| *seconds > 0)
            .map(|seconds| OffsetDateTime::now_utc() + time::Duration::seconds(seconds));
        Ok(ExchangedToken {
            token: token.token,
            expires_at,
        })
    }

    async fn debug_token(&self, token: &SecretString) -> Result<TokenGrant, GraphError> {
        let app_token = self.app_access_token()?;
        let info = GraphClient::debug_token(self, token, &app_token).await?;
        Ok(TokenGrant {
            is_valid: info.is_valid,
            expires_at: info.expires_at,
            waba_ids: info.waba_ids,
        })
    }

    async fn phone_numbers(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
    ) -> Result<Vec<BusinessNumber>, GraphError> {
        Ok(GraphClient::phone_numbers(self, token, waba_id)
            .await?
            .into_iter()
            .map(|number| BusinessNumber {
                id: number.id,
                info: number.info,
            })
            .collect())
    }

    async fn subscribe_app(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
    ) -> Result<(), GraphError> {
        GraphClient::subscribe_app(self, token, waba_id).await
    }

    async fn register_number(&self, sender: &Sender, pin: &SecretString) -> Result<(), GraphError> {
        GraphClient::register_number(self, sender, pin).await
    }

    async fn message_templates(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
    ) -> Result<Vec<SyncedTemplate>, GraphError> {
        let now = OffsetDateTime::now_utc();
        Ok(self
            .all_message_templates(token, waba_id)
            .await?
            .into_iter()
            .filter_map(|template| synced_template(waba_id, template, now))
            .collect())
    }

    async fn create_template(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
        draft: &TemplateDraft,
    ) -> Result<SyncedTemplate, GraphError> {
        let (created, components_json) =
            GraphClient::create_template(self, token, waba_id, draft).await?;
        Ok(SyncedTemplate {
            waba_id: waba_id.clone(),
            meta_id: Some(created.id),
            name: draft.name.clone(),
            language: draft.language.clone(),
            category: Some(
                created
                    .category
                    .unwrap_or_else(|| draft.category.meta_name().to_owned()),
            ),
            status: created.status,
            spec: template_spec(&components_json),
            components_json: Some(components_json),
            synced_at: OffsetDateTime::now_utc(),
        })
    }

    async fn edit_template(
        &self,
        token: &SecretString,
        current: &SyncedTemplate,
        edit: &TemplateEdit,
    ) -> Result<SyncedTemplate, GraphError> {
        let Some(id) = current.meta_id.as_deref() else {
            return Err(GraphError::transport(
                wa_domain::error_class::ErrorClass::Permanent,
                "the template has no Meta id to edit",
                None,
            ));
        };
        let components_json = GraphClient::edit_template(self, token, id, edit).await?;
        let mut edited = current.clone();
        // An edited template goes back to Meta's review.
        edited.status = "PENDING".to_owned();
        if let Some(category) = edit.category {
            edited.category = Some(category.meta_name().to_owned());
        }
        if let Some(json) = components_json {
            edited.spec = template_spec(&json);
            edited.components_json = Some(json);
        }
        edited.synced_at = OffsetDateTime::now_utc();
        Ok(edited)
    }

    async fn delete_template(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
        name: &str,
        meta_id: Option<String>,
    ) -> Result<(), GraphError> {
        GraphClient::delete_template(self, token, waba_id, name, meta_id.as_deref()).await
    }
}

/// A template as the domain keeps it; `None` without a language (Meta always sends one).
fn synced_template(
    waba_id: &WabaId,
    template: MessageTemplate,
    now: OffsetDateTime,
) -> Option<SyncedTemplate> {
    let spec = template
        .components_json
        .as_deref()
        .map(template_spec)
        .unwrap_or_default();
    Some(SyncedTemplate {
        waba_id: waba_id.clone(),
        meta_id: template.id,
        name: template.name,
        language: template.language?,
        category: template.category,
        status: template.status.unwrap_or_else(|| "UNKNOWN".to_owned()),
        spec,
        components_json: template.components_json,
        synced_at: now,
    })
}

#[derive(Deserialize)]
struct Component {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    buttons: Vec<Button>,
}

#[derive(Deserialize)]
struct Button {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    url: Option<String>,
}

/// Meta's components (`[{"type":"BODY","text":"Hi {{1}}"}, …]`) as the variables a message must
/// give; unreadable JSON gives an empty spec (no variables).
pub(crate) fn template_spec(components_json: &str) -> TemplateSpec {
    let components: Vec<Component> = serde_json::from_str(components_json).unwrap_or_default();
    let mut spec = TemplateSpec::default();
    for component in components {
        let text = component.text.as_deref().unwrap_or_default();
        match component.kind.to_ascii_uppercase().as_str() {
            "HEADER" => {
                let format = component
                    .format
                    .as_deref()
                    .and_then(HeaderFormat::parse)
                    .unwrap_or(HeaderFormat::Text);
                let variables = if format == HeaderFormat::Text {
                    TextVariables::of_text(text)
                } else {
                    TextVariables::default()
                };
                if format != HeaderFormat::Text || variables.count > 0 {
                    spec.header = Some(HeaderSpec { format, variables });
                }
            }
            "BODY" => spec.body = TextVariables::of_text(text),
            "BUTTONS" => {
                for (index, button) in component.buttons.into_iter().enumerate() {
                    let kind = button.kind.to_ascii_lowercase();
                    let requires_parameter = match kind.as_str() {
                        "url" => {
                            TextVariables::of_text(button.url.as_deref().unwrap_or_default()).count
                                > 0
                        }
                        "copy_code" => true,
                        _ => false,
                    };
                    spec.buttons.push(ButtonSpec {
                        index: u8::try_from(index).unwrap_or(u8::MAX),
                        kind,
                        requires_parameter,
                    });
                }
            }
            _ => {}
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_become_a_spec() {
        let spec = template_spec(
            r#"[{"type":"HEADER","format":"IMAGE"},
                {"type":"BODY","text":"Hi {{1}}, your order {{2}} ships"},
                {"type":"FOOTER","text":"bye"},
                {"type":"BUTTONS","buttons":[{"type":"URL","url":"https://x.test/{{1}}"},
                                             {"type":"QUICK_REPLY","text":"Stop"},
                                             {"type":"COPY_CODE"}]}]"#,
        );
        assert_eq!(spec.header.unwrap().format, HeaderFormat::Image);
        assert_eq!(spec.body.count, 2);
        let required: Vec<bool> = spec.buttons.iter().map(|b| b.requires_parameter).collect();
        assert_eq!(required, [true, false, true]);
        assert_eq!(template_spec("not json"), TemplateSpec::default());
        assert!(
            template_spec(r#"[{"type":"HEADER","format":"TEXT","text":"Hello"}]"#)
                .header
                .is_none()
        );
    }
}
