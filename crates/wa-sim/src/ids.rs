//! Identifiers in Meta's shapes: message ids (`wamid.…`), numeric media ids, `fbtrace_id`s,
//! and BSUIDs derived from phone numbers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::rng::thread_u64;

/// A new message id: `wamid.` followed by base64, like Meta's (which encode the chat and a
/// random message key). The recipient's digits are folded in so ids read naturally in logs.
pub(crate) fn wamid(recipient_digits: &str) -> String {
    let mut raw = Vec::with_capacity(48);
    raw.extend_from_slice(b"\x15\x02\x00\x11\x18\x12");
    raw.extend_from_slice(recipient_digits.as_bytes());
    raw.extend_from_slice(format!("{:016X}{:08X}", thread_u64(), thread_u64() as u32).as_bytes());
    format!("wamid.{}", STANDARD.encode(raw))
}

/// A numeric media id of 16 digits.
pub(crate) fn media_id() -> String {
    format!(
        "{}",
        1_000_000_000_000_000 + thread_u64() % 8_999_999_999_999_999
    )
}

/// A trace id like Meta's `fbtrace_id` (23 URL-safe characters).
pub(crate) fn fbtrace_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = thread_u64();
    let mut more = thread_u64();
    (0..23)
        .map(|i| {
            if i == 10 {
                bits = more;
                more = 0;
            }
            let c = ALPHABET[(bits & 63) as usize];
            bits >>= 6;
            char::from(c)
        })
        .collect()
}

/// A random opaque token (authorisation codes, access tokens handed out by onboarding).
pub(crate) fn opaque_token(prefix: &str) -> String {
    format!("{prefix}{:016x}{:016x}", thread_u64(), thread_u64())
}

/// Only the digits of a phone number (`+1 (555) 010-0001` → `15550100001`).
pub(crate) fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// A stable BSUID (`CC.<digits>`) for a phone number that the scenario did not name one for.
///
/// Real BSUIDs are opaque; deriving ours from the number keeps them stable across runs and
/// across processes, without storing every recipient a load test invents.
pub(crate) fn derived_user_id(phone_digits: &str) -> String {
    // FNV-1a: stable across runs, unlike the standard library's randomised hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in phone_digits.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{}.{hash}", country_of(phone_digits))
}

/// The ISO country of a phone number's calling code, for the few codes tests and demos use.
fn country_of(phone_digits: &str) -> &'static str {
    const CODES: &[(&str, &str)] = &[
        ("972", "IL"),
        ("44", "GB"),
        ("49", "DE"),
        ("33", "FR"),
        ("34", "ES"),
        ("39", "IT"),
        ("91", "IN"),
        ("55", "BR"),
        ("52", "MX"),
        ("62", "ID"),
        ("1", "US"),
    ];
    CODES
        .iter()
        .find(|(code, _)| phone_digits.starts_with(code))
        .map_or("US", |(_, country)| country)
}

/// Whether `s` looks like a BSUID: `CC.<alnum>` or a parent BSUID `CC.ENT.<alnum>`.
pub(crate) fn is_bsuid(s: &str) -> bool {
    let Some((country, rest)) = s.split_once('.') else {
        return false;
    };
    let rest = rest.strip_prefix("ENT.").unwrap_or(rest);
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && !rest.is_empty()
        && rest.len() <= 128
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_user_ids_are_stable_bsuids() {
        let a = derived_user_id("972501234567");
        assert_eq!(a, derived_user_id("972501234567"));
        assert!(a.starts_with("IL."));
        assert!(is_bsuid(&a));
        assert!(is_bsuid("US.ENT.abc123"));
        assert!(!is_bsuid("15551234567"));
        assert!(!is_bsuid("us.123"));
    }

    #[test]
    fn ids_have_meta_shapes() {
        assert!(wamid("1555").starts_with("wamid."));
        assert_eq!(media_id().len(), 16);
        assert_eq!(fbtrace_id().len(), 23);
        assert_ne!(wamid("1"), wamid("1"));
    }
}
