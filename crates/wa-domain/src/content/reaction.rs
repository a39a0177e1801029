//! A reaction to a message, or the removal of one.
//!
//! Meta removes a reaction when it receives an empty emoji; we model the removal explicitly
//! (`emoji: None`) so no caller sends one by accident with an empty string, and read Meta's
//! convention (`""`) back as a removal. A reaction cannot carry a reply context: see
//! [`check_reply_context`](super::check_reply_context).

use serde::{Deserialize, Serialize};

use crate::{
    ids::WaMessageId,
    validation::{ValidationError, Violation},
};

/// Most characters in one emoji we accept. The longest standard emoji (a kiss with two skin
/// tones, a flag of a region) are ten or so scalar values; a sentence is not a reaction.
const MAX_EMOJI_CHARS: usize = 16;

/// A reaction to one of the customer's (or our) messages, at most 30 days old.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReactionFields")]
pub struct Reaction {
    message_id: WaMessageId,
    #[serde(skip_serializing_if = "Option::is_none")]
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct ReactionFields {
    message_id: WaMessageId,
    #[serde(default)]
    emoji: Option<String>,
}

impl TryFrom<ReactionFields> for Reaction {
    type Error = ValidationError;
    fn try_from(fields: ReactionFields) -> Result<Self, Self::Error> {
        match fields.emoji {
            Some(emoji) if !emoji.is_empty() => Self::new(fields.message_id, emoji),
            _ => Ok(Self::removal(fields.message_id)),
        }
    }
}

impl Reaction {
    /// Reacts to `message_id` with one emoji.
    ///
    /// # Errors
    /// `reaction.emoji` empty (use [`Self::removal`]), longer than 16 characters, or not an
    /// emoji (letters, whitespace, control characters, or plain ASCII).
    pub fn new(message_id: WaMessageId, emoji: impl Into<String>) -> Result<Self, ValidationError> {
        let emoji = emoji.into();
        check_emoji(&emoji).map_err(|e| e.within("reaction"))?;
        Ok(Self {
            message_id,
            emoji: Some(emoji),
        })
    }

    /// Removes our reaction from `message_id`.
    pub fn removal(message_id: WaMessageId) -> Self {
        Self {
            message_id,
            emoji: None,
        }
    }

    /// The message reacted to.
    pub fn message_id(&self) -> &WaMessageId {
        &self.message_id
    }

    /// The emoji; `None` for a removal.
    pub fn emoji(&self) -> Option<&str> {
        self.emoji.as_deref()
    }

    /// Whether this removes a reaction.
    pub fn is_removal(&self) -> bool {
        self.emoji.is_none()
    }
}

fn check_emoji(emoji: &str) -> Result<(), ValidationError> {
    if emoji.is_empty() {
        return Err(ValidationError::new("emoji", Violation::Empty));
    }
    let actual = emoji.chars().count();
    if actual > MAX_EMOJI_CHARS {
        return Err(ValidationError::new(
            "emoji",
            Violation::TooLong {
                max: MAX_EMOJI_CHARS,
                actual,
            },
        ));
    }
    // Without an emoji table this is an approximation: every emoji has a code point outside
    // ASCII (keycaps like 1️⃣ too, through U+FE0F/U+20E3), and no emoji holds a letter,
    // whitespace or a control character, so words in any script are refused.
    let has_pictograph = !emoji.is_ascii();
    let clean = !emoji
        .chars()
        .any(|c| c.is_alphabetic() || c.is_whitespace() || c.is_control());
    if !(has_pictograph && clean) {
        return Err(ValidationError::new(
            "emoji",
            Violation::Format {
                expected: "a single emoji",
            },
        ));
    }
    Ok(())
}
