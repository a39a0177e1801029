//! A location message: a pin with an optional name and address. Also a template header parameter.
//! And the location request: an interactive message asking the customer to share their location.

use serde::{Deserialize, Serialize};

use crate::validation::{ValidationError, Violation, optional_bounded_text};

/// Longest location name or address we accept. Meta documents no limit; a pin's label longer
/// than this is a bug on the caller's side, refused here rather than by Meta or a phone.
const MAX_LOCATION_TEXT: usize = 1000;

/// A point on the map, in degrees (WGS 84), with an optional name and address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LocationFields")]
pub struct Location {
    latitude: f64,
    longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

#[derive(Deserialize)]
struct LocationFields {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

impl TryFrom<LocationFields> for Location {
    type Error = ValidationError;
    fn try_from(fields: LocationFields) -> Result<Self, Self::Error> {
        Self::new(
            fields.latitude,
            fields.longitude,
            fields.name,
            fields.address,
        )
    }
}

impl Location {
    /// Checks the coordinates and the labels.
    ///
    /// # Errors
    /// `location.latitude` outside `-90..=90`, `location.longitude` outside `-180..=180` (NaN
    /// included), `location.name` / `location.address` empty or longer than 1000 characters.
    pub fn new(
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    ) -> Result<Self, ValidationError> {
        let within = |e: ValidationError| e.within("location");
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(within(ValidationError::new(
                "latitude",
                Violation::OutOfRange { range: "-90..=90" },
            )));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(within(ValidationError::new(
                "longitude",
                Violation::OutOfRange {
                    range: "-180..=180",
                },
            )));
        }
        let name = optional_bounded_text("name", name, MAX_LOCATION_TEXT).map_err(within)?;
        let address =
            optional_bounded_text("address", address, MAX_LOCATION_TEXT).map_err(within)?;
        Ok(Self {
            latitude,
            longitude,
            name,
            address,
        })
    }

    /// Degrees north.
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// Degrees east.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }

    /// The place's name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The place's address.
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }
}

/// Meta's limit on the body of a location request.
pub const MAX_LOCATION_REQUEST_BODY: usize = 1024;

/// An interactive message with a "Send location" button (Meta's `location_request_message`,
/// action `send_location`). It has a body only: Meta takes no header or footer on it. The
/// customer's answer is an ordinary `location` message in the context of this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LocationRequestFields")]
pub struct LocationRequest {
    body: String,
}

/// The parts of a location request, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationRequestFields {
    /// The message, up to 1024 characters.
    pub body: String,
}

impl TryFrom<LocationRequestFields> for LocationRequest {
    type Error = ValidationError;
    fn try_from(fields: LocationRequestFields) -> Result<Self, Self::Error> {
        Self::new(fields.body)
    }
}

impl LocationRequest {
    /// Checks the body.
    ///
    /// # Errors
    /// `interactive.body.text` empty or over 1024 characters.
    pub fn new(body: impl Into<String>) -> Result<Self, ValidationError> {
        let body = crate::validation::bounded_text("text", body, MAX_LOCATION_REQUEST_BODY)
            .map_err(|e| e.within("body").within("interactive"))?;
        Ok(Self { body })
    }

    /// The message text.
    pub fn body(&self) -> &str {
        &self.body
    }
}
