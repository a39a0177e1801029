//! Contact cards: sent as a `contacts` message, and received from customers the same way.
//!
//! A [`ContactCard`] is plain data with public fields, because the same shape arrives in
//! webhooks, where whatever Meta sends is kept as it is. Only the outbound [`Contacts`] message
//! checks the cards, when it is built.

use serde::{Deserialize, Serialize};

use super::{at_index, optional_text};
use crate::validation::{ValidationError, Violation, bounded_text};

/// Most cards in one message, per Meta's OpenAPI description (`ContactsMessage.contacts`).
pub const MAX_CONTACT_CARDS: usize = 5;
/// Longest text field of a card we accept. Meta documents none; vCard lines longer than this
/// are not names, numbers or addresses.
const MAX_CARD_TEXT: usize = 1000;

/// One contact card (a vCard in Meta's JSON shape).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactCard {
    /// The name; `formatted_name` is required when sending.
    pub name: ContactName,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone>,
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactEmail>,
    /// Web sites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<ContactUrl>,
    /// Postal addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<ContactAddress>,
    /// Employer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg>,
    /// Date of birth, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
}

/// A contact's name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactName {
    /// The full name as displayed.
    #[serde(default)]
    pub formatted_name: String,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// `Dr`, `Ms`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `Jr`, `PhD`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
}

/// A phone number on a card. Free text: a card may hold numbers as people write them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactPhone {
    /// The number.
    #[serde(default)]
    pub phone: String,
    /// `CELL`, `MAIN`, `IPHONE`, `HOME`, `WORK`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The number's WhatsApp id, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

/// An email address on a card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactEmail {
    /// The address.
    #[serde(default)]
    pub email: String,
    /// `HOME` or `WORK`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A web site on a card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactUrl {
    /// The URL.
    #[serde(default)]
    pub url: String,
    /// `HOME` or `WORK`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A postal address on a card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactAddress {
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// Country name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Two-letter ISO 3166 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// `HOME` or `WORK`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The organisation on a card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactOrg {
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl ContactCard {
    /// A card with only a display name; fill the other fields as needed.
    pub fn named(formatted_name: impl Into<String>) -> Self {
        Self {
            name: ContactName {
                formatted_name: formatted_name.into(),
                ..ContactName::default()
            },
            ..Self::default()
        }
    }

    /// Checks the card for sending; field paths are relative to the card (`name.formatted_name`).
    ///
    /// # Errors
    /// A required text empty, a text longer than 1000 characters, an email without `@`, or a
    /// birthday that is not a real `YYYY-MM-DD` date.
    pub fn check(&self) -> Result<(), ValidationError> {
        let name = &self.name;
        bounded_text(
            "formatted_name",
            name.formatted_name.as_str(),
            MAX_CARD_TEXT,
        )
        .map_err(|e| e.within("name"))?;
        for (field, value) in [
            ("first_name", &name.first_name),
            ("last_name", &name.last_name),
            ("middle_name", &name.middle_name),
            ("prefix", &name.prefix),
            ("suffix", &name.suffix),
        ] {
            optional_text(field, value.as_deref(), MAX_CARD_TEXT).map_err(|e| e.within("name"))?;
        }
        for (index, phone) in self.phones.iter().enumerate() {
            bounded_text("phone", phone.phone.as_str(), MAX_CARD_TEXT)
                .map_err(|e| at_index(e, "phones", index))?;
        }
        for (index, email) in self.emails.iter().enumerate() {
            bounded_text("email", email.email.as_str(), MAX_CARD_TEXT)
                .and_then(|address| {
                    if address.contains('@') {
                        Ok(())
                    } else {
                        Err(ValidationError::new(
                            "email",
                            Violation::Format {
                                expected: "an email address",
                            },
                        ))
                    }
                })
                .map_err(|e| at_index(e, "emails", index))?;
        }
        for (index, url) in self.urls.iter().enumerate() {
            bounded_text("url", url.url.as_str(), MAX_CARD_TEXT)
                .map_err(|e| at_index(e, "urls", index))?;
        }
        for (index, address) in self.addresses.iter().enumerate() {
            for (field, value) in [
                ("street", &address.street),
                ("city", &address.city),
                ("state", &address.state),
                ("zip", &address.zip),
                ("country", &address.country),
                ("country_code", &address.country_code),
            ] {
                optional_text(field, value.as_deref(), MAX_CARD_TEXT)
                    .map_err(|e| at_index(e, "addresses", index))?;
            }
        }
        if let Some(org) = &self.org {
            for (field, value) in [
                ("company", &org.company),
                ("department", &org.department),
                ("title", &org.title),
            ] {
                optional_text(field, value.as_deref(), MAX_CARD_TEXT)
                    .map_err(|e| e.within("org"))?;
            }
        }
        if let Some(birthday) = &self.birthday {
            check_birthday(birthday)?;
        }
        Ok(())
    }
}

fn check_birthday(value: &str) -> Result<(), ValidationError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    // The length check keeps out the signed and six-digit years `[year]` would also read.
    if value.len() == 10 && time::Date::parse(value, &format).is_ok() {
        Ok(())
    } else {
        Err(ValidationError::new(
            "birthday",
            Violation::Format {
                expected: "a date as YYYY-MM-DD",
            },
        ))
    }
}

/// A `contacts` message: 1 to 5 checked contact cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ContactsFields")]
pub struct Contacts {
    contacts: Vec<ContactCard>,
}

#[derive(Deserialize)]
struct ContactsFields {
    contacts: Vec<ContactCard>,
}

impl TryFrom<ContactsFields> for Contacts {
    type Error = ValidationError;
    fn try_from(fields: ContactsFields) -> Result<Self, Self::Error> {
        Self::new(fields.contacts)
    }
}

impl Contacts {
    /// Checks the number of cards and each card.
    ///
    /// # Errors
    /// `contacts` with no card or more than 5; `contacts[i].…` for a card that fails
    /// [`ContactCard::check`].
    pub fn new(cards: Vec<ContactCard>) -> Result<Self, ValidationError> {
        let actual = cards.len();
        if actual == 0 {
            return Err(ValidationError::new(
                "contacts",
                Violation::TooFew { min: 1, actual },
            ));
        }
        if actual > MAX_CONTACT_CARDS {
            return Err(ValidationError::new(
                "contacts",
                Violation::TooMany {
                    max: MAX_CONTACT_CARDS,
                    actual,
                },
            ));
        }
        for (index, card) in cards.iter().enumerate() {
            card.check().map_err(|e| at_index(e, "contacts", index))?;
        }
        Ok(Self { contacts: cards })
    }

    /// The cards, in order.
    pub fn cards(&self) -> &[ContactCard] {
        &self.contacts
    }
}

#[cfg(test)]
mod tests;
