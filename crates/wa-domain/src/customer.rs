//! Customers: the people a tenant talks to, and how we recognise them.
//!
//! Since 2026 Meta identifies every user by a business-scoped user id (BSUID) and may withhold the
//! phone number of users who chose a username (cloud-api.md §3.5). So a customer is keyed by BSUID
//! where Meta gives one, with the phone number as an optional attribute; older payloads carry only
//! the phone number. A [`CustomerIdentity`] always holds at least one of the two.

use serde::{Deserialize, Serialize};

use crate::{
    ids::{Bsuid, PhoneNumber, Recipient},
    validation::{ValidationError, Violation},
};

/// How we know a customer: a BSUID, a phone number, or both; never neither.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "IdentityFields")]
pub struct CustomerIdentity {
    bsuid: Option<Bsuid>,
    phone: Option<PhoneNumber>,
}

#[derive(Deserialize)]
struct IdentityFields {
    bsuid: Option<Bsuid>,
    phone: Option<PhoneNumber>,
}

impl TryFrom<IdentityFields> for CustomerIdentity {
    type Error = ValidationError;
    fn try_from(fields: IdentityFields) -> Result<Self, Self::Error> {
        Self::new(fields.bsuid, fields.phone)
    }
}

impl CustomerIdentity {
    /// Builds an identity from what Meta gave.
    ///
    /// # Errors
    /// [`Violation::Conflict`] when both are missing.
    pub fn new(bsuid: Option<Bsuid>, phone: Option<PhoneNumber>) -> Result<Self, ValidationError> {
        if bsuid.is_none() && phone.is_none() {
            return Err(ValidationError::new(
                "customer",
                Violation::Conflict("a customer needs a user id (BSUID) or a phone number"),
            ));
        }
        Ok(Self { bsuid, phone })
    }

    /// A customer known only by phone number (payloads before BSUIDs).
    pub fn from_phone(phone: PhoneNumber) -> Self {
        Self {
            bsuid: None,
            phone: Some(phone),
        }
    }

    /// A customer known only by BSUID (a username user who hides the number).
    pub fn from_bsuid(bsuid: Bsuid) -> Self {
        Self {
            bsuid: Some(bsuid),
            phone: None,
        }
    }

    /// The business-scoped user id, when known.
    pub fn bsuid(&self) -> Option<&Bsuid> {
        self.bsuid.as_ref()
    }

    /// The phone number, when known.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.phone.as_ref()
    }

    /// The address to send to: the phone number when known (Meta: `to` wins), else the BSUID.
    pub fn recipient(&self) -> Recipient {
        match (&self.phone, &self.bsuid) {
            (Some(phone), _) => Recipient::Phone(phone.clone()),
            (None, Some(bsuid)) => Recipient::User(bsuid.clone()),
            (None, None) => unreachable!("CustomerIdentity always holds a phone or a BSUID"),
        }
    }

    /// The identity that results from learning `other` about the same customer: known values
    /// are kept unless `other` brings a newer one.
    #[must_use]
    pub fn merged_with(&self, other: &Self) -> Self {
        Self {
            bsuid: other.bsuid.clone().or_else(|| self.bsuid.clone()),
            phone: other.phone.clone().or_else(|| self.phone.clone()),
        }
    }
}

impl From<Recipient> for CustomerIdentity {
    fn from(recipient: Recipient) -> Self {
        match recipient {
            Recipient::Phone(phone) => Self::from_phone(phone),
            Recipient::User(bsuid) => Self::from_bsuid(bsuid),
        }
    }
}
