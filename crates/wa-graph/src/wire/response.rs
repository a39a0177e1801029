//! Bodies Meta answers successful Graph calls with, borrowed from the response bytes.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::wire::json::{Flag, Int, Str};

/// The answer to a send (cloud-api.md §1.5).
#[derive(Debug, Deserialize)]
pub(crate) struct SendResponse<'a> {
    /// Whom Meta resolved the recipient to.
    #[serde(borrow, default)]
    pub(crate) contacts: Vec<SendContact<'a>>,
    /// The message Meta accepted.
    #[serde(borrow, default)]
    pub(crate) messages: Vec<SendMessageId<'a>>,
}

/// `contacts[]` of a send response.
#[derive(Debug, Deserialize)]
pub(crate) struct SendContact<'a> {
    /// The user's WhatsApp id.
    #[serde(borrow, default)]
    pub(crate) wa_id: Option<Str<'a>>,
    /// The user's BSUID, when we sent to one.
    #[serde(borrow, default)]
    pub(crate) user_id: Option<Str<'a>>,
}

/// `messages[]` of a send response.
#[derive(Debug, Deserialize)]
pub(crate) struct SendMessageId<'a> {
    /// The wamid.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// `accepted`, `held_for_quality_assessment`, ... (templates under pacing).
    #[serde(borrow, default)]
    pub(crate) message_status: Option<Str<'a>>,
}

/// `{"success": true}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Success {
    /// Whether Meta did it.
    #[serde(default)]
    pub(crate) success: Option<Flag>,
}

/// `{"id": ...}` (media upload).
#[derive(Debug, Deserialize)]
pub(crate) struct Created<'a> {
    /// The new object's id.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
}

/// `GET /{media_id}`.
#[derive(Debug, Deserialize)]
pub(crate) struct MediaInfoResponse<'a> {
    /// The media id.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// The download URL.
    #[serde(borrow, default)]
    pub(crate) url: Option<Str<'a>>,
    /// MIME type.
    #[serde(borrow, default)]
    pub(crate) mime_type: Option<Str<'a>>,
    /// SHA-256.
    #[serde(borrow, default)]
    pub(crate) sha256: Option<Str<'a>>,
    /// Size in bytes.
    #[serde(default)]
    pub(crate) file_size: Option<Int>,
}

/// `GET /{phone_number_id}?fields=...` and the items of `GET /{waba_id}/phone_numbers`.
#[derive(Debug, Deserialize)]
pub(crate) struct PhoneNumberResponse<'a> {
    /// The phone number id.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// The number as people read it.
    #[serde(borrow, default)]
    pub(crate) display_phone_number: Option<Str<'a>>,
    /// The verified business name.
    #[serde(borrow, default)]
    pub(crate) verified_name: Option<Str<'a>>,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`/`NA`.
    #[serde(borrow, default)]
    pub(crate) quality_rating: Option<Str<'a>>,
    /// `VERIFIED`, `NOT_VERIFIED`, `EXPIRED`.
    #[serde(borrow, default)]
    pub(crate) code_verification_status: Option<Str<'a>>,
    /// Display name review status.
    #[serde(borrow, default)]
    pub(crate) name_status: Option<Str<'a>>,
    /// `{"level": "STANDARD"|"HIGH"|"NOT_APPLICABLE"}`.
    #[serde(borrow, default)]
    pub(crate) throughput: Option<Throughput<'a>>,
    /// `CLOUD_API`, `ON_PREMISE`, `NOT_APPLICABLE`.
    #[serde(borrow, default)]
    pub(crate) platform_type: Option<Str<'a>>,
    /// The portfolio's messaging limit; its exact shape is not documented in what we have, so
    /// it is read leniently (see `crate::convert::messaging_limit`).
    #[serde(borrow, default)]
    pub(crate) whatsapp_business_manager_messaging_limit: Option<&'a RawValue>,
    /// The deprecated tier (`TIER_1K`, ...), still sent by older versions.
    #[serde(borrow, default)]
    pub(crate) messaging_limit_tier: Option<Str<'a>>,
}

/// `throughput`.
#[derive(Debug, Deserialize)]
pub(crate) struct Throughput<'a> {
    /// The level.
    #[serde(borrow, default)]
    pub(crate) level: Option<Str<'a>>,
}

/// A page of a Graph edge: `{"data": [...], "paging": {"cursors": {"after"}, "next"}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Paged<'a, T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub(crate) data: Vec<T>,
    /// Where the next page starts.
    #[serde(borrow, default)]
    pub(crate) paging: Option<Paging<'a>>,
}

/// `paging`.
#[derive(Debug, Deserialize)]
pub(crate) struct Paging<'a> {
    /// Cursors.
    #[serde(borrow, default)]
    pub(crate) cursors: Option<Cursors<'a>>,
    /// The next page's URL; absent on the last page.
    #[serde(borrow, default)]
    pub(crate) next: Option<Str<'a>>,
}

/// `paging.cursors`.
#[derive(Debug, Deserialize)]
pub(crate) struct Cursors<'a> {
    /// The cursor after this page.
    #[serde(borrow, default)]
    pub(crate) after: Option<Str<'a>>,
}

/// A message template of a WABA.
#[derive(Debug, Deserialize)]
pub(crate) struct TemplateResponse<'a> {
    /// Meta's id.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// Name.
    #[serde(borrow, default)]
    pub(crate) name: Option<Str<'a>>,
    /// Language code.
    #[serde(borrow, default)]
    pub(crate) language: Option<Str<'a>>,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    #[serde(borrow, default)]
    pub(crate) status: Option<Str<'a>>,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    #[serde(borrow, default)]
    pub(crate) category: Option<Str<'a>>,
    /// `POSITIONAL` or `NAMED`.
    #[serde(borrow, default)]
    pub(crate) parameter_format: Option<Str<'a>>,
    /// The components, kept raw.
    #[serde(borrow, default)]
    pub(crate) components: Option<&'a RawValue>,
}

/// `GET /oauth/access_token`.
#[derive(Deserialize)]
pub(crate) struct AccessTokenResponse {
    /// The token.
    #[serde(default)]
    pub(crate) access_token: Option<String>,
    /// `bearer`.
    #[serde(default)]
    pub(crate) token_type: Option<String>,
    /// Seconds until it expires, when it does.
    #[serde(default)]
    pub(crate) expires_in: Option<Int>,
}

/// `GET /debug_token`.
#[derive(Debug, Deserialize)]
pub(crate) struct DebugTokenResponse<'a> {
    /// The token's details.
    #[serde(borrow, default)]
    pub(crate) data: Option<DebugTokenData<'a>>,
}

/// `debug_token`'s `data`.
#[derive(Debug, Deserialize)]
pub(crate) struct DebugTokenData<'a> {
    /// The app the token belongs to.
    #[serde(borrow, default)]
    pub(crate) app_id: Option<Str<'a>>,
    /// `USER`, `SYSTEM_USER`, `PAGE`, `APP`.
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
    /// Whether the token works.
    #[serde(default)]
    pub(crate) is_valid: Option<Flag>,
    /// Unix seconds; 0 means never.
    #[serde(default)]
    pub(crate) expires_at: Option<Int>,
    /// The user (or system user) it belongs to.
    #[serde(borrow, default)]
    pub(crate) user_id: Option<Str<'a>>,
    /// The permissions.
    #[serde(borrow, default)]
    pub(crate) scopes: Option<Vec<Str<'a>>>,
    /// The permissions with the objects they cover.
    #[serde(borrow, default)]
    pub(crate) granular_scopes: Option<Vec<GranularScope<'a>>>,
}

/// One `granular_scopes[]` item.
#[derive(Debug, Deserialize)]
pub(crate) struct GranularScope<'a> {
    /// The permission.
    #[serde(borrow, default)]
    pub(crate) scope: Option<Str<'a>>,
    /// The objects (WABA ids for the WhatsApp permissions).
    #[serde(borrow, default)]
    pub(crate) target_ids: Option<Vec<Str<'a>>>,
}
