//! The Graph API client: one shared HTTP client for every tenant.
//!
//! [`GraphClient`] holds one `reqwest` client (rustls, a keep-alive connection pool, HTTP/2 where
//! the server offers it through ALPN, connect and request timeouts) and is cheap to clone. Each
//! call takes the tenant's [`Sender`] (token and phone number id) or a token: nothing is built
//! per tenant or per request beyond the request itself.
//!
//! Every call carries `appsecret_proof` when an app secret is configured. Failures come back as
//! `wa-domain`'s [`GraphError`], classified by Meta's code ([`errors`]); tokens are never put into
//! an error message, and URLs are stripped from transport errors because some calls (code
//! exchange, `debug_token`) must carry secrets in the query string.

mod account;
mod errors;
mod media;
mod messages;
mod proof;
mod templates;

use std::{sync::Arc, time::Duration};

use reqwest::{Method, RequestBuilder, header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use wa_domain::{error_class::ErrorClass, graph::GraphError};

pub use account::{AccessToken, MessageTemplate, PhoneNumberSummary, TemplatePage, TokenInfo};
pub use templates::TemplateCreated;

use crate::client::proof::ProofKey;

/// The Graph API's address.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// The pinned Graph API version: supported by Meta until 2028-07-29.
pub const DEFAULT_API_VERSION: &str = "v25.0";
/// Largest media file accepted from a download: Meta's documents go up to 100 MB.
pub const DEFAULT_MAX_MEDIA_BYTES: usize = 100 * 1024 * 1024 + 1024 * 1024;

/// How long calls may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS).
    pub connect: Duration,
    /// A whole JSON call, from sending to the last byte of the answer.
    pub request: Duration,
    /// A media upload or download, which may move up to 100 MB.
    pub media: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
            media: Duration::from_secs(300),
        }
    }
}

/// How to reach the Graph API.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// `https://graph.facebook.com`, or a simulator or test server.
    pub base_url: String,
    /// `v25.0`.
    pub api_version: String,
    /// The Meta app's id, needed for the code exchange and the app access token.
    pub app_id: Option<String>,
    /// The Meta app's secret: signs every call (`appsecret_proof`) and authorises the code
    /// exchange. `None` sends calls without a proof (fine unless the app requires it).
    pub app_secret: Option<SecretString>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Largest media download accepted, in bytes.
    pub max_media_bytes: usize,
    /// Host names (and their subdomains) a media download URL may point to when it is not on
    /// the base URL's origin. The bearer token is sent only to these hosts, over HTTPS.
    pub media_hosts: Vec<String>,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            app_id: None,
            app_secret: None,
            timeouts: Timeouts::default(),
            max_media_bytes: DEFAULT_MAX_MEDIA_BYTES,
            media_hosts: vec![
                "fbsbx.com".to_owned(),
                "facebook.com".to_owned(),
                "fbcdn.net".to_owned(),
                "whatsapp.net".to_owned(),
            ],
        }
    }
}

impl GraphConfig {
    /// The defaults, pointed at another server (a simulator, a test server).
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }
}

/// The configuration cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("the Graph base URL is not an absolute http(s) URL")]
    BaseUrl,
    /// The API version is not like `v25.0`.
    #[error("the Graph API version must look like v25.0")]
    ApiVersion,
    /// The HTTP client could not be built (TLS set-up).
    #[error("the HTTP client could not be built")]
    Http(#[source] reqwest::Error),
}

/// The Graph API client. Clone it freely: clones share the connection pool.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `{base_url}/{api_version}`, parsed once: each call's URL is a copy with its path
    /// segments pushed, which spares reqwest a full parse (host, IDNA) on every send.
    versioned_base: url::Url,
    /// The base URL's origin, to recognise media URLs served by a simulator.
    origin: url::Origin,
    proof: Option<ProofKey>,
    app_id: Option<String>,
    app_secret: Option<SecretString>,
    timeouts: Timeouts,
    max_media_bytes: usize,
    media_hosts: Vec<String>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("versioned_base", &self.inner.versioned_base.as_str())
            .field("app_id", &self.inner.app_id)
            .field("appsecret_proof", &self.inner.proof.is_some())
            .finish()
    }
}

impl GraphClient {
    /// Builds the client and its connection pool.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad base URL or version, or when TLS cannot be set up.
    pub fn new(config: GraphConfig) -> Result<Self, ConfigError> {
        let base = url::Url::parse(config.base_url.trim_end_matches('/'))
            .map_err(|_| ConfigError::BaseUrl)?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ConfigError::BaseUrl);
        }
        let version_ok = config
            .api_version
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(major, minor)| {
                !major.is_empty()
                    && !minor.is_empty()
                    && major.bytes().all(|b| b.is_ascii_digit())
                    && minor.bytes().all(|b| b.is_ascii_digit())
            });
        if !version_ok {
            return Err(ConfigError::ApiVersion);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .timeout(config.timeouts.request)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .http2_keep_alive_interval(Duration::from_secs(30))
            .http2_keep_alive_while_idle(true)
            .http2_adaptive_window(true)
            // Graph calls are never redirected; a redirect would carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wa-graph/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::Http)?;
        let versioned_base = url::Url::parse(&format!(
            "{}/{}",
            config.base_url.trim_end_matches('/'),
            config.api_version
        ))
        .map_err(|_| ConfigError::BaseUrl)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                versioned_base,
                origin: base.origin(),
                proof: config.app_secret.as_ref().map(ProofKey::new),
                app_id: config.app_id,
                app_secret: config.app_secret,
                timeouts: config.timeouts,
                max_media_bytes: config.max_media_bytes,
                media_hosts: config.media_hosts,
            }),
        })
    }

    /// `{base}/{version}/{segments...}` with `appsecret_proof` for `token` when configured.
    ///
    /// The segments are escaped like any path segment (Meta's ids never need it).
    fn url(&self, segments: &[&str], token: &SecretString) -> url::Url {
        let mut url = self.inner.versioned_base.clone();
        // `new` refused bases that cannot have a path, so this always pushes.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if let Some(proof) = &self.inner.proof {
            let mut hex = String::with_capacity(64);
            proof.write_hex(token, &mut hex);
            url.query_pairs_mut().append_pair("appsecret_proof", &hex);
        }
        url
    }

    /// Like [`Self::url`] for paths with arbitrary segments (media ids come from outside) and
    /// query parameters, all escaped.
    fn url_with(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        token: Option<&SecretString>,
    ) -> Result<url::Url, GraphError> {
        let mut url = self.inner.versioned_base.clone();
        {
            let mut path = url.path_segments_mut().map_err(|()| {
                GraphError::transport(ErrorClass::Permanent, "the Graph base URL is invalid", None)
            })?;
            path.pop_if_empty();
            for segment in segments {
                path.push(segment);
            }
        }
        {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
            if let (Some(proof), Some(token)) = (&self.inner.proof, token) {
                let mut hex = String::with_capacity(64);
                proof.write_hex(token, &mut hex);
                pairs.append_pair("appsecret_proof", &hex);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }

    /// A request with the bearer token.
    fn request(
        &self,
        method: Method,
        url: impl reqwest::IntoUrl,
        token: &SecretString,
    ) -> RequestBuilder {
        self.inner
            .http
            .request(method, url)
            .bearer_auth(token.expose_secret())
    }

    /// A request with a JSON body.
    fn json_request<T: Serialize>(
        &self,
        url: impl reqwest::IntoUrl,
        token: &SecretString,
        body: &T,
    ) -> Result<RequestBuilder, GraphError> {
        self.json_request_with(url, token, |bytes| serde_json::to_writer(bytes, body))
    }

    /// A request with a JSON body written by `write`.
    fn json_request_with(
        &self,
        url: impl reqwest::IntoUrl,
        token: &SecretString,
        write: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
    ) -> Result<RequestBuilder, GraphError> {
        // Send bodies are a few hundred bytes: one allocation instead of growing from 128.
        let mut bytes = Vec::with_capacity(512);
        write(&mut bytes).map_err(|_| {
            GraphError::transport(
                ErrorClass::Permanent,
                "the request body could not be serialised",
                None,
            )
        })?;
        Ok(self
            .request(Method::POST, url, token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(bytes))
    }

    /// Sends a request; a 2xx answer's status and body, or the classified error.
    ///
    /// The request is handed to reqwest before the returned future is first polled, so the
    /// future keeps only reqwest's small pending handle instead of the whole request builder:
    /// every send's future is boxed by the port (`async_trait`), and below a kilobyte the
    /// allocator serves it from its per-thread cache.
    fn execute(
        &self,
        request: RequestBuilder,
    ) -> impl Future<Output = Result<(u16, bytes::Bytes), GraphError>> + use<> {
        let pending = request.send();
        async move {
            let response = pending.await.map_err(errors::transport)?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(errors::transport)?;
            if (200..300).contains(&status) {
                Ok((status, body))
            } else {
                Err(errors::from_response(status, &body))
            }
        }
    }

    /// Sends a request expecting `{"success": true}`.
    async fn execute_success(&self, request: RequestBuilder) -> Result<(), GraphError> {
        let (status, body) = self.execute(request).await?;
        match serde_json::from_slice::<crate::wire::response::Success>(&body) {
            Ok(crate::wire::response::Success {
                success: Some(flag),
            }) if flag.0 => Ok(()),
            Ok(crate::wire::response::Success { success: Some(_) }) => Err(GraphError::transport(
                ErrorClass::Permanent,
                "Meta answered {\"success\": false}",
                Some(status),
            )),
            _ => Err(errors::unexpected_body(status, "{\"success\": true}")),
        }
    }
}
