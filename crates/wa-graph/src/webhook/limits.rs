//! Limits checked before a webhook body is parsed: its size, and how deeply it nests.
//!
//! Meta's payloads are at most 3 MB and nest about eight levels deep. The depth is checked by a
//! byte scan before any JSON is parsed, so a hostile body (a million `[`) is refused with an
//! error in linear time instead of reaching a recursive parser; the scan skips string contents
//! eight bytes at a time, which keeps it a small fraction of the parse.

/// Meta's documented maximum webhook payload.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The deepest nesting accepted. Meta's deepest documented shape (an inbound contact card's
/// phone inside `entry[].changes[].value.messages[].contacts[].phones[]`) is 9 levels; the
/// margin leaves room for future fields without letting hostile input through.
pub const MAX_DEPTH: usize = 32;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `word` equal to `byte`, and possibly of bytes after the first
/// such byte (the classic SWAR zero-byte test on `word ^ byte`): exact up to the first match,
/// which is all the caller uses. Zero when no byte matches.
#[inline(always)]
fn match_mask(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Where the string that starts just after `start` ends: the index of its closing quote, or
/// `body.len()` when it is not closed (the parser reports that).
#[inline]
fn skip_string(body: &[u8], mut i: usize) -> usize {
    loop {
        // Jump over 8-byte words that hold neither a quote nor a backslash, then straight to
        // the first one in the word that does.
        while i + 8 <= body.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&body[i..i + 8]);
            let word = u64::from_le_bytes(word);
            let hits = match_mask(word, b'"') | match_mask(word, b'\\');
            if hits != 0 {
                i += (hits.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match body.get(i) {
            None => return body.len(),
            Some(b'"') => return i,
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
        }
    }
}

/// The nesting depth of `body` exceeds `limit`: returns the byte offset where it did.
///
/// A body cannot nest deeper than it has opening brackets, and counting two byte values
/// vectorises, so bodies with few brackets (most single-event deliveries) skip the exact scan.
pub(crate) fn check_depth(body: &[u8], limit: usize) -> Result<(), usize> {
    // `[` (0x5B) and `{` (0x7B) differ only in bit 0x20, so one compare finds both; counting
    // into a byte per 128-byte chunk keeps the loop in vector registers.
    let mut openers = 0usize;
    for chunk in body.chunks(128) {
        let mut in_chunk = 0u8;
        for &byte in chunk {
            in_chunk += u8::from(byte | 0x20 == b'{');
        }
        openers += usize::from(in_chunk);
    }
    if openers <= limit {
        return Ok(());
    }
    exact_depth(body, limit)
}

/// The exact scan: brackets outside strings.
fn exact_depth(body: &[u8], limit: usize) -> Result<(), usize> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < body.len() {
        match body[i] {
            b'"' => i = skip_string(body, i + 1),
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Err(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings_only() {
        assert_eq!(check_depth(br#"{"a":[{"b":"[[[[[[[[[["}]}"#, 3), Ok(()));
        assert_eq!(check_depth(br#"{"a":[{"b":[1]}]}"#, 3), Err(11));
        assert_eq!(check_depth(br#"{"a":"\"[[[[[[[\\"}"#, 1), Ok(()));
    }

    #[test]
    fn exact_scan_agrees_with_a_plain_one() {
        let bodies: [&[u8]; 4] = [
            br#"{"a":"xxxxxxxxxxxxxxxxxxxx\"[[[[","b":[[{"c":"]]]]]]]]]]]]]]]"}]]}"#,
            br#"[[[["abcdefgh\\","[[[[[[[[[[[[[[["]]]]"#,
            br#"{"k":"\u005b\u005b","l":[1,[2,[3,[4]]]]}"#,
            b"\"unterminated [[[[[[",
        ];
        for body in bodies {
            for limit in 0..8 {
                assert_eq!(exact_depth(body, limit).is_ok(), plain_depth(body) <= limit);
            }
        }
    }

    fn plain_depth(body: &[u8]) -> usize {
        let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0, false, false);
        for &byte in body {
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    depth += 1;
                    max = max.max(depth);
                }
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        max
    }

    #[test]
    fn deep_and_unterminated_input_is_handled() {
        let deep = "[".repeat(100_000);
        assert_eq!(check_depth(deep.as_bytes(), MAX_DEPTH), Err(MAX_DEPTH));
        assert_eq!(check_depth(b"\"abc\\", 1), Ok(()));
        assert_eq!(check_depth(b"\"abcdefghijklmnopqrstuvwxyz", 1), Ok(()));
    }
}
