//! Meta's JSON encoding: compact, with every non-ASCII character escaped as `\uXXXX`.
//!
//! Meta signs webhook bodies in this encoding (characters outside the Basic Multilingual Plane
//! become UTF-16 surrogate pairs, e.g. 😀 is `\ud83d\ude00`), which is why a receiver must check
//! the signature over the exact bytes and never over a re-serialisation. The simulator encodes its
//! webhooks and Graph answers the same way, so receivers meet the real byte shape.
//!
//! serde_json does the structure; the string escaping for non-ASCII is ours, through its
//! `Formatter` hook. Control characters, quotes and backslashes keep serde_json's escapes
//! (`\n`, `\"`, `\u001f`), which are the same as Meta's.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// A compact `serde_json` formatter that escapes non-ASCII characters as `\uXXXX`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AsciiFormatter;

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let bytes = fragment.as_bytes();
        let mut plain_from = 0;
        for (at, ch) in fragment.char_indices() {
            if ch.is_ascii() {
                continue;
            }
            writer.write_all(&bytes[plain_from..at])?;
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write_unicode_escape(writer, *unit)?;
            }
            plain_from = at + ch.len_utf8();
        }
        writer.write_all(&bytes[plain_from..])
    }
}

fn write_unicode_escape<W: ?Sized + io::Write>(writer: &mut W, unit: u16) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let escape = [
        b'\\',
        b'u',
        HEX[usize::from(unit >> 12)],
        HEX[usize::from((unit >> 8) & 0xf)],
        HEX[usize::from((unit >> 4) & 0xf)],
        HEX[usize::from(unit & 0xf)],
    ];
    writer.write_all(&escape)
}

/// Serialises `value` as compact JSON with all non-ASCII characters escaped as `\uXXXX`.
///
/// The output is pure ASCII and parses back to the same value.
pub fn to_ascii_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut serializer = Serializer::with_formatter(&mut out, AsciiFormatter);
    // Serialising our own types and `serde_json::Value` into a Vec cannot fail: every map key is a
    // string and writing to memory does not error. An empty object keeps the contract anyway.
    if value.serialize(&mut serializer).is_err() {
        return b"{}".to_vec();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn hebrew_and_emoji_are_escaped_with_surrogate_pairs() {
        let value = json!({"body": "שלום 😀", "n": 1});
        let out = String::from_utf8(to_ascii_json(&value)).unwrap();
        assert_eq!(
            out,
            r#"{"body":"\u05e9\u05dc\u05d5\u05dd \ud83d\ude00","n":1}"#
        );
    }

    #[test]
    fn control_characters_and_quotes_keep_json_escapes() {
        let out = String::from_utf8(to_ascii_json(&json!("a\"b\\c\nd\u{1f}"))).unwrap();
        assert_eq!(out, r#""a\"b\\c\nd\u001f""#);
    }

    proptest! {
        #[test]
        fn any_string_round_trips_and_is_ascii(text in any::<String>(), key in any::<String>()) {
            let value = json!({ key.clone(): text.clone(), "list": [text.clone()] });
            let out = to_ascii_json(&value);
            prop_assert!(out.is_ascii());
            let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(back, value);
        }
    }
}
