//! Table tests for Meta code classification (cloud-api.md §2.2).

use super::*;

fn check(code: i64, expected: ErrorClass) {
    assert_eq!(classify_meta_code(code, false), expected, "code {code}");
}

#[test]
fn table_of_documented_codes() {
    use ErrorClass::*;
    let rate = |scope| RateLimited { scope };
    let rows = [
        (0, AuthInvalid),
        (1, Retryable),
        (2, Retryable),
        (3, Permanent),
        (4, rate(RateLimitScope::App)),
        (10, AuthInvalid),
        (80007, rate(RateLimitScope::Waba)),
        (100, Permanent),
        (190, AuthInvalid),
        (200, AuthInvalid),
        (299, AuthInvalid),
        (368, Permanent),
        (130429, rate(RateLimitScope::PhoneNumber)),
        (130472, Permanent),
        (130497, Permanent),
        (131000, Retryable),
        (131005, AuthInvalid),
        (131008, Permanent),
        (131009, Permanent),
        (131016, Retryable),
        (131021, Permanent),
        (131026, Permanent),
        (131031, Permanent),
        (131042, Permanent),
        (131045, Permanent),
        (131047, WindowClosed),
        (131048, rate(RateLimitScope::PhoneNumber)),
        (131049, Permanent),
        (131050, Permanent),
        (131051, Permanent),
        (131052, Permanent),
        (131053, Permanent),
        (131056, rate(RateLimitScope::RecipientPair)),
        (131057, Retryable),
        (131062, Permanent),
        (131064, rate(RateLimitScope::Waba)),
        (132000, Permanent),
        (132001, Permanent),
        (132005, Permanent),
        (132007, Permanent),
        (132012, Permanent),
        (132015, Permanent),
        (132016, Permanent),
        (133010, Permanent),
        (133016, rate(RateLimitScope::PhoneNumber)),
        (135000, Permanent),
    ];
    for (code, expected) in rows {
        check(code, expected);
    }
}

#[test]
fn unknown_codes_follow_is_transient() {
    assert_eq!(classify_meta_code(999_999, false), ErrorClass::Permanent);
    assert_eq!(classify_meta_code(999_999, true), ErrorClass::Retryable);
    // A known code is never overridden by the flag.
    assert_eq!(classify_meta_code(131047, true), ErrorClass::WindowClosed);
}

#[test]
fn retryable_classes() {
    assert!(ErrorClass::Retryable.is_retryable());
    assert!(
        ErrorClass::RateLimited {
            scope: RateLimitScope::App
        }
        .is_retryable()
    );
    assert!(!ErrorClass::AuthInvalid.is_retryable());
    assert!(!ErrorClass::WindowClosed.is_retryable());
    assert!(!ErrorClass::Permanent.is_retryable());
}
