//! Identifiers and addresses, each a validated newtype with private fields.
//!
//! Meta's ids (`WabaId`, `PhoneNumberId`) are numeric strings; we keep them as strings because
//! they are opaque to us and exceed `u64` guarantees in Meta's documentation. Phone numbers are
//! normalised from what people type into Meta's digits-only `wa_id` form. Customers who hide
//! their number are addressed by their business-scoped user id ([`Bsuid`]).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{ValidationError, Violation};

/// Defines the trait impls shared by every string newtype: `Display`, `FromStr`, `AsRef<str>`,
/// serde through the validating constructor, and conversion back into `String`.
macro_rules! string_newtype_impls {
    ($name:ident) => {
        impl $name {
            /// The value as Meta and our database spell it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

/// Defines a UUID newtype with `Display`, `FromStr` and serde as the hyphenated string.
macro_rules! uuid_newtype_impls {
    ($name:ident) => {
        impl $name {
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }
    };
}

/// One business using wa. UUID v7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(Uuid);

impl TenantId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps a stored UUID (any version: tenants may be imported from elsewhere).
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// Parses the hyphenated text form.
    ///
    /// # Errors
    /// [`Violation::Format`] when the text is not a UUID.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Uuid::parse_str(value).map(Self).map_err(|_| {
            ValidationError::new("tenant_id", Violation::Format { expected: "a UUID" })
        })
    }
}
uuid_newtype_impls!(TenantId);

/// Our own id of a message, in or out. UUID v7: time-ordered, and it is what we send to Meta in
/// `biz_opaque_callback_data` so a status can be matched before the wamid is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "Uuid", into = "Uuid")]
pub struct MessageId(Uuid);

impl MessageId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// Checks that a UUID is a version 7 UUID.
    ///
    /// # Errors
    /// [`Violation::Format`] for any other version.
    pub fn from_uuid(uuid: Uuid) -> Result<Self, ValidationError> {
        if uuid.get_version_num() == 7 {
            Ok(Self(uuid))
        } else {
            Err(ValidationError::new(
                "message_id",
                Violation::Format {
                    expected: "a UUID v7",
                },
            ))
        }
    }

    /// Parses the hyphenated text form of a UUID v7.
    ///
    /// # Errors
    /// [`Violation::Format`] when the text is not a UUID v7.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let uuid = Uuid::parse_str(value).map_err(|_| {
            ValidationError::new(
                "message_id",
                Violation::Format {
                    expected: "a UUID v7",
                },
            )
        })?;
        Self::from_uuid(uuid)
    }
}
uuid_newtype_impls!(MessageId);

impl TryFrom<Uuid> for MessageId {
    type Error = ValidationError;
    fn try_from(value: Uuid) -> Result<Self, Self::Error> {
        Self::from_uuid(value)
    }
}

impl From<MessageId> for Uuid {
    fn from(value: MessageId) -> Self {
        value.0
    }
}

/// Meta's numeric ids are strings of digits; longer than any id Meta has issued is refused.
const MAX_META_ID_DIGITS: usize = 32;

fn meta_numeric_id(field: &'static str, value: String) -> Result<String, ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Violation::Empty));
    }
    if value.len() > MAX_META_ID_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(
            field,
            Violation::Format {
                expected: "a numeric Meta id of at most 32 digits",
            },
        ));
    }
    Ok(value)
}

/// A WhatsApp Business Account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WabaId(String);

impl WabaId {
    /// Checks a numeric WABA id.
    ///
    /// # Errors
    /// [`Violation::Empty`] or [`Violation::Format`].
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        meta_numeric_id("waba_id", value.into()).map(Self)
    }
}
string_newtype_impls!(WabaId);

/// The id Meta gives a business phone number; the path segment of every send.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumberId(String);

impl PhoneNumberId {
    /// Checks a numeric phone number id.
    ///
    /// # Errors
    /// [`Violation::Empty`] or [`Violation::Format`].
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        meta_numeric_id("phone_number_id", value.into()).map(Self)
    }
}
string_newtype_impls!(PhoneNumberId);

/// Longest wamid we accept; Meta's are about 60 characters.
const MAX_WAMID_LEN: usize = 512;

/// Meta's id of a message (`wamid.…`), the key of every status webhook.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WaMessageId(String);

impl WaMessageId {
    /// Checks a wamid: printable ASCII without spaces, at most 512 characters.
    ///
    /// The `wamid.` prefix is not required: Meta does not promise it, and statuses for messages
    /// sent by other apps on the same account must still parse.
    ///
    /// # Errors
    /// [`Violation::Empty`], [`Violation::TooLong`] or [`Violation::Format`].
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::new("wamid", Violation::Empty));
        }
        if value.len() > MAX_WAMID_LEN {
            return Err(ValidationError::new(
                "wamid",
                Violation::TooLong {
                    max: MAX_WAMID_LEN,
                    actual: value.chars().count(),
                },
            ));
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "wamid",
                Violation::Format {
                    expected: "printable ASCII without spaces",
                },
            ));
        }
        Ok(Self(value))
    }
}
string_newtype_impls!(WaMessageId);

/// E.164 allows at most 15 digits including the country code.
const MAX_PHONE_DIGITS: usize = 15;
/// The shortest international numbers in use have 7 digits including the country code.
const MIN_PHONE_DIGITS: usize = 7;

/// A customer's phone number in Meta's `wa_id` form: country code and number, digits only.
///
/// Built from what people type: spaces, dashes, dots, parentheses and one leading `+` are
/// accepted and dropped. The country code is required: Meta would otherwise prepend the
/// *business* number's country code, which silently reaches the wrong person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Normalises a typed or stored phone number.
    ///
    /// # Errors
    /// [`Violation::Empty`], or [`Violation::Format`] for letters, a misplaced `+`, a leading 0
    /// (no country code) or a length outside 7..=15 digits.
    pub fn parse(value: impl AsRef<str>) -> Result<Self, ValidationError> {
        const EXPECTED: &str = "an international phone number with country code, 7 to 15 digits (spaces, dashes, parentheses and a leading + allowed)";
        let raw = value.as_ref().trim();
        if raw.is_empty() {
            return Err(ValidationError::new("phone_number", Violation::Empty));
        }
        let without_plus = raw.strip_prefix('+').unwrap_or(raw);
        // Numbers from Meta and from storage are digits already: copied as they are.
        let digits = if without_plus.bytes().all(|b| b.is_ascii_digit()) {
            without_plus.to_owned()
        } else {
            let mut digits = String::with_capacity(without_plus.len());
            for c in without_plus.chars() {
                match c {
                    '0'..='9' => digits.push(c),
                    ' ' | '-' | '(' | ')' | '.' => {}
                    _ => {
                        return Err(ValidationError::new(
                            "phone_number",
                            Violation::Format { expected: EXPECTED },
                        ));
                    }
                }
            }
            digits
        };
        let valid_length = (MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len());
        if !valid_length || digits.starts_with('0') {
            return Err(ValidationError::new(
                "phone_number",
                Violation::Format { expected: EXPECTED },
            ));
        }
        Ok(Self(digits))
    }

    /// The number with a leading `+`, as Meta recommends sending it.
    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    /// The number with all but the last four digits hidden, for logs.
    pub fn masked(&self) -> String {
        let visible = self.0.len().saturating_sub(4);
        format!("+{}{}", "*".repeat(visible), &self.0[visible..])
    }
}

string_newtype_impls!(PhoneNumber);

/// Longest user part of a BSUID that Meta documents.
const MAX_BSUID_BODY: usize = 128;

/// A business-scoped user id: `CC.<up to 128 alphanumerics>`, or a parent id `CC.ENT.<…>`.
///
/// Meta gives one to every user since 2026; users with a username may hide their phone number,
/// and are then known only by this id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bsuid(String);

impl Bsuid {
    /// Checks the `CC.` prefix (two capital letters) and the alphanumeric body.
    ///
    /// # Errors
    /// [`Violation::Empty`] or [`Violation::Format`].
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        const EXPECTED: &str =
            "a business-scoped user id: CC. or CC.ENT. followed by 1 to 128 letters or digits";
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::new("user_id", Violation::Empty));
        }
        let bytes = value.as_bytes();
        let prefix_ok = bytes.len() > 3
            && bytes[0].is_ascii_uppercase()
            && bytes[1].is_ascii_uppercase()
            && bytes[2] == b'.';
        if !prefix_ok {
            return Err(ValidationError::new(
                "user_id",
                Violation::Format { expected: EXPECTED },
            ));
        }
        let rest = &value[3..];
        let body = rest.strip_prefix("ENT.").unwrap_or(rest);
        let body_ok = !body.is_empty()
            && body.len() <= MAX_BSUID_BODY
            && body.bytes().all(|b| b.is_ascii_alphanumeric());
        if !body_ok {
            return Err(ValidationError::new(
                "user_id",
                Violation::Format { expected: EXPECTED },
            ));
        }
        Ok(Self(value))
    }

    /// True for a parent (enterprise-wide) id, `CC.ENT.…`.
    pub fn is_parent(&self) -> bool {
        self.0[3..].starts_with("ENT.")
    }

    /// The two-letter country prefix.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}
string_newtype_impls!(Bsuid);

/// Whom a message goes to: a phone number, or a business-scoped user id for username users.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Recipient {
    /// Sent as Meta's `to`.
    Phone(PhoneNumber),
    /// Sent as Meta's `recipient`.
    User(Bsuid),
}

impl Recipient {
    /// Reads what a user typed: a BSUID when it looks like one (`CC.` prefix), else a phone number.
    ///
    /// # Errors
    /// The error of [`Bsuid::parse`] or [`PhoneNumber::parse`], reported under `to`.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let trimmed = value.trim();
        let looks_like_bsuid = trimmed.len() > 3
            && trimmed.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
            && trimmed.as_bytes()[2] == b'.';
        if looks_like_bsuid {
            Bsuid::parse(trimmed).map(Self::User)
        } else {
            PhoneNumber::parse(trimmed).map(Self::Phone)
        }
    }

    /// The phone number, when addressed by one.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Phone(phone) => Some(phone),
            Self::User(_) => None,
        }
    }

    /// The user id, when addressed by one.
    pub fn bsuid(&self) -> Option<&Bsuid> {
        match self {
            Self::User(bsuid) => Some(bsuid),
            Self::Phone(_) => None,
        }
    }

    /// A form fit for logs: phone numbers masked, user ids as they are (they are not contact data).
    pub fn masked(&self) -> String {
        match self {
            Self::Phone(phone) => phone.masked(),
            Self::User(bsuid) => bsuid.to_string(),
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Phone(phone) => fmt::Display::fmt(phone, f),
            Self::User(bsuid) => fmt::Display::fmt(bsuid, f),
        }
    }
}

/// Meta's limit on template names.
const MAX_TEMPLATE_NAME: usize = 512;

/// A message template's name: lowercase letters, digits and underscores, as Meta requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TemplateName(String);

impl TemplateName {
    /// Checks a template name.
    ///
    /// # Errors
    /// [`Violation::Empty`], [`Violation::TooLong`] or [`Violation::Format`].
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::new("template.name", Violation::Empty));
        }
        if value.len() > MAX_TEMPLATE_NAME {
            return Err(ValidationError::new(
                "template.name",
                Violation::TooLong {
                    max: MAX_TEMPLATE_NAME,
                    actual: value.chars().count(),
                },
            ));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(ValidationError::new(
                "template.name",
                Violation::Format {
                    expected: "lowercase letters, digits and underscores",
                },
            ));
        }
        Ok(Self(value))
    }
}
string_newtype_impls!(TemplateName);

/// A template language: `en`, `en_US`, `pt_BR`, `zh_HK`, as Meta spells them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageCode(String);

impl LanguageCode {
    /// Checks a language code: 2 or 3 lowercase letters, optionally `_` and a 2-4 character region.
    ///
    /// # Errors
    /// [`Violation::Empty`] or [`Violation::Format`].
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::new("template.language", Violation::Empty));
        }
        let (language, region) = match value.split_once('_') {
            Some((language, region)) => (language, Some(region)),
            None => (value.as_str(), None),
        };
        let language_ok =
            (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
        let region_ok = region.is_none_or(|region| {
            (2..=4).contains(&region.len())
                && region
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        });
        if !(language_ok && region_ok) {
            return Err(ValidationError::new(
                "template.language",
                Violation::Format {
                    expected: "a language code like en, en_US or pt_BR",
                },
            ));
        }
        Ok(Self(value))
    }
}
string_newtype_impls!(LanguageCode);

#[cfg(test)]
mod tests;
