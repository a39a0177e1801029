//! NUL characters in webhook text, replaced before the body is read.
//!
//! JSON may carry U+0000 as the escape `\u0000`; PostgreSQL's `text` cannot store it, so a
//! customer's profile name or message holding one would fail every write of its body. The inbox
//! worker reads the stored body (kept byte for byte as Meta signed it) through
//! [`replace_nul_escapes`], which turns each such escape into `\ufffd` (U+FFFD, the replacement
//! character): the same length, so positions in errors stay true, and the message, the
//! customer's profile and the window are applied as on any other body. A raw NUL byte cannot
//! appear inside a JSON string (control characters must be escaped), so the escape is the only
//! form to look for; an escaped backslash followed by `u0000` is text, not an escape, and is
//! left alone.

use std::borrow::Cow;

/// The escape of U+0000.
const NUL_ESCAPE: &[u8] = b"\\u0000";
/// Its replacement, U+FFFD, as an escape of the same length.
const REPLACEMENT: &[u8] = b"\\ufffd";

/// `body` with every `\u0000` escape (any hex case) replaced by `\ufffd`; borrowed when there
/// is none.
pub fn replace_nul_escapes(body: &[u8]) -> Cow<'_, [u8]> {
    let mut positions = Vec::new();
    let mut index = 0;
    while index < body.len() {
        if body[index] != b'\\' {
            index += 1;
            continue;
        }
        // A backslash starts an escape of at least two bytes; `\\` is one escape, so the
        // byte after it never starts another.
        if is_nul_escape(&body[index..]) {
            positions.push(index);
            index += NUL_ESCAPE.len();
        } else {
            index += 2;
        }
    }
    if positions.is_empty() {
        return Cow::Borrowed(body);
    }
    let mut owned = body.to_vec();
    for at in positions {
        owned[at..at + REPLACEMENT.len()].copy_from_slice(REPLACEMENT);
    }
    Cow::Owned(owned)
}

fn is_nul_escape(bytes: &[u8]) -> bool {
    bytes.len() >= NUL_ESCAPE.len()
        && bytes[1] == b'u'
        && bytes[2..NUL_ESCAPE.len()].iter().all(|b| *b == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replaced(text: &str) -> String {
        String::from_utf8(replace_nul_escapes(text.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn nul_escapes_become_the_replacement_character() {
        assert_eq!(replaced(r#"{"n":"Da\u0000na"}"#), r#"{"n":"Da\ufffdna"}"#);
        assert_eq!(replaced(r#"["\u0000\u0000"]"#), r#"["\ufffd\ufffd"]"#);
        let parsed: serde_json::Value =
            serde_json::from_str(&replaced(r#"{"n":"a\u0000b"}"#)).unwrap();
        assert_eq!(parsed["n"], "a\u{FFFD}b");
    }

    #[test]
    fn other_escapes_and_escaped_backslashes_are_left_alone() {
        for text in [
            r#"{"n":"a\\u0000b"}"#,
            r#"{"n":"\u0001\u00000"}"#,
            r#"{"n":"\\\\u0000"}"#,
            r#"{"n":"plain"}"#,
            r#"{"n":"\u000"}"#,
        ] {
            let expected = text.replace(r"\u00000", r"\ufffd0");
            assert_eq!(replaced(text), expected, "{text}");
        }
        assert!(matches!(
            replace_nul_escapes(br#"{"n":"a\\u0000"}"#),
            Cow::Borrowed(_)
        ));
    }
}
