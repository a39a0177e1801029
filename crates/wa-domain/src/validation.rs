//! The one error every constructor of a validated value returns: which field, and which rule it broke.
//!
//! Field names are dotted paths in the shape a caller sent (`text.body`, `interactive.buttons[1].title`),
//! so the HTTP edge can answer 400 naming the field without knowing any of the rules.

use std::{borrow::Cow, fmt};

/// A value was rejected by one of Meta's limits or one of our own rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {violation}")]
pub struct ValidationError {
    field: Cow<'static, str>,
    violation: Violation,
}

impl ValidationError {
    /// A rule broken by `field`.
    pub fn new(field: impl Into<Cow<'static, str>>, violation: Violation) -> Self {
        Self {
            field: field.into(),
            violation,
        }
    }

    /// The dotted path of the offending field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule it broke.
    pub fn violation(&self) -> &Violation {
        &self.violation
    }

    /// The same error, reported under `prefix` (`buttons[2]` + `title` → `buttons[2].title`).
    #[must_use]
    pub fn within(self, prefix: &str) -> Self {
        let field = if self.field.is_empty() {
            Cow::Owned(prefix.to_owned())
        } else if self.field.starts_with('[') {
            Cow::Owned(format!("{prefix}{}", self.field))
        } else {
            Cow::Owned(format!("{prefix}.{}", self.field))
        };
        Self {
            field,
            violation: self.violation,
        }
    }
}

/// Which rule a value broke, with the limit that applies so the message can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Empty where a value is required.
    Empty,
    /// Longer than Meta allows; lengths are counted in characters (Unicode scalar values).
    TooLong {
        /// The limit.
        max: usize,
        /// What was given.
        actual: usize,
    },
    /// More items than Meta allows.
    TooMany {
        /// The limit.
        max: usize,
        /// What was given.
        actual: usize,
    },
    /// Fewer items than required.
    TooFew {
        /// The minimum.
        min: usize,
        /// What was given.
        actual: usize,
    },
    /// A value that must be unique appears twice.
    Duplicate(String),
    /// A value outside its allowed range.
    OutOfRange {
        /// A readable statement of the range, e.g. `-90..=90`.
        range: &'static str,
    },
    /// A malformed value, with what was expected.
    Format {
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// Two fields that exclude each other, or a missing alternative.
    Conflict(&'static str),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max, actual } => {
                write!(f, "must be at most {max} characters (got {actual})")
            }
            Self::TooMany { max, actual } => {
                write!(f, "must have at most {max} items (got {actual})")
            }
            Self::TooFew { min, actual } => {
                write!(f, "must have at least {min} items (got {actual})")
            }
            Self::Duplicate(value) => {
                write!(f, "must be unique (`{value}` appears more than once)")
            }
            Self::OutOfRange { range } => write!(f, "must be within {range}"),
            Self::Format { expected } => write!(f, "must be {expected}"),
            Self::Conflict(rule) => f.write_str(rule),
        }
    }
}

/// Checks a required text against a character limit and returns it owned.
///
/// # Errors
/// [`Violation::Empty`] for an empty or all-whitespace text, [`Violation::TooLong`] past `max` characters.
pub fn bounded_text(
    field: &'static str,
    value: impl Into<String>,
    max: usize,
) -> Result<String, ValidationError> {
    let value = value.into();
    if value.trim().is_empty() {
        return Err(ValidationError::new(field, Violation::Empty));
    }
    let actual = value.chars().count();
    if actual > max {
        return Err(ValidationError::new(
            field,
            Violation::TooLong { max, actual },
        ));
    }
    Ok(value)
}

/// Like [`bounded_text`] for an optional field: `None` passes, `Some` must obey the limit.
///
/// # Errors
/// As [`bounded_text`].
pub fn optional_bounded_text(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    value.map(|text| bounded_text(field, text, max)).transpose()
}

#[cfg(test)]
mod tests;
