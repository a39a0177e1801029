//! A location message: a pin with an optional name and address. Also a template header parameter.

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
