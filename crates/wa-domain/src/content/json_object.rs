//! A JSON object a tenant hands us to be forwarded to Meta as it is: a Flow's first-screen data,
//! or a raw `interactive`/`template` object of the passthrough ([`super::RawContent`]).
//!
//! wa does not read inside it. What is checked is what must hold for Meta to take it at all: it
//! is an object, not empty, and not larger than the limit of the field that carries it (counted
//! in bytes of its compact JSON, the form `wa-graph` sends).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::validation::{ValidationError, Violation};

/// A JSON object, kept as parsed (its members in key order; JSON gives key order no meaning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonObject(Map<String, Value>);

impl JsonObject {
    /// Checks an object for a field that allows at most `max_bytes` of compact JSON.
    ///
    /// # Errors
    /// On `field`: [`Violation::Format`] when `value` is not an object, [`Violation::Empty`] when
    /// it has no member, [`Violation::TooLong`] (in bytes) past `max_bytes`.
    pub fn new(
        field: &'static str,
        value: Value,
        max_bytes: usize,
    ) -> Result<Self, ValidationError> {
        let Value::Object(members) = value else {
            return Err(ValidationError::new(
                field,
                Violation::Format {
                    expected: "a JSON object",
                },
            ));
        };
        let object = Self(members);
        object.check(field, max_bytes)?;
        Ok(object)
    }

    /// Checks an object already parsed (by serde, as part of a larger value) against the rules
    /// of [`JsonObject::new`].
    ///
    /// # Errors
    /// As [`JsonObject::new`].
    pub fn check(&self, field: &'static str, max_bytes: usize) -> Result<(), ValidationError> {
        if self.0.is_empty() {
            return Err(ValidationError::new(field, Violation::Empty));
        }
        let actual = self.compact_len();
        if actual > max_bytes {
            return Err(ValidationError::new(
                field,
                Violation::TooLong {
                    max: max_bytes,
                    actual,
                },
            ));
        }
        Ok(())
    }

    /// The members.
    pub fn members(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The value of member `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Bytes of the compact JSON text of the object.
    pub fn compact_len(&self) -> usize {
        struct Counter(usize);
        impl std::io::Write for Counter {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0 += bytes.len();
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut counter = Counter(0);
        // Writing a map of JSON values cannot fail: every key is a string.
        match serde_json::to_writer(&mut counter, &self.0) {
            Ok(()) => counter.0,
            Err(_) => usize::MAX,
        }
    }
}
