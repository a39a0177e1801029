//! Tests for identifiers and addresses.

use super::*;

#[test]
fn phone_numbers_are_normalised_from_what_people_type() {
    for typed in [
        "+972 54-123-4567",
        "972541234567",
        "+972 (54) 123 4567",
        " +1.555.010.0001 ",
    ] {
        let phone = PhoneNumber::parse(typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
        assert!(
            phone.as_str().bytes().all(|b| b.is_ascii_digit()),
            "{phone}"
        );
    }
    assert_eq!(
        PhoneNumber::parse("+972 54-123-4567").unwrap().as_str(),
        "972541234567"
    );
    assert_eq!(
        PhoneNumber::parse("972541234567").unwrap().e164(),
        "+972541234567"
    );
}

#[test]
fn bad_phone_numbers_are_refused_with_the_field() {
    for bad in [
        "",
        "abc",
        "054-123-4567",
        "+12345",
        "1234567890123456",
        "++972541234567",
        "97254x1234567",
    ] {
        let err = PhoneNumber::parse(bad).unwrap_err();
        assert_eq!(err.field(), "phone_number", "{bad}");
    }
}

#[test]
fn masked_phone_shows_only_the_last_four_digits() {
    assert_eq!(
        PhoneNumber::parse("972541234567").unwrap().masked(),
        "+********4567"
    );
}

#[test]
fn bsuids_follow_meta_format() {
    let user = Bsuid::parse("US.13491208655302741918").unwrap();
    assert!(!user.is_parent());
    assert_eq!(user.country(), "US");
    let parent = Bsuid::parse("IL.ENT.abc123").unwrap();
    assert!(parent.is_parent());
    for bad in [
        "",
        "us.123",
        "US123",
        "US.",
        "US.ab-c",
        "US.ENT.",
        &format!("US.{}", "a".repeat(129)),
    ] {
        assert!(Bsuid::parse(bad.to_owned()).is_err(), "{bad}");
    }
    assert!(Bsuid::parse(format!("US.{}", "a".repeat(128))).is_ok());
}

#[test]
fn recipient_tells_bsuids_from_numbers() {
    assert!(matches!(
        Recipient::parse("US.1349120865").unwrap(),
        Recipient::User(_)
    ));
    assert!(matches!(
        Recipient::parse("+1 555 010 0001").unwrap(),
        Recipient::Phone(_)
    ));
    assert!(Recipient::parse("hello").is_err());
}

#[test]
fn meta_ids_are_digits() {
    assert!(WabaId::parse("102290129340398").is_ok());
    assert!(PhoneNumberId::parse("106540352242922").is_ok());
    assert_eq!(WabaId::parse("12ab").unwrap_err().field(), "waba_id");
    assert_eq!(
        PhoneNumberId::parse("").unwrap_err().violation(),
        &Violation::Empty
    );
    assert!(PhoneNumberId::parse("1".repeat(33)).is_err());
}

#[test]
fn wamids_are_printable_ascii() {
    assert!(
        WaMessageId::parse("wamid.HBgLMTU1NTAxMjM0NTYVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA").is_ok()
    );
    assert!(WaMessageId::parse("wamid with space").is_err());
    assert!(WaMessageId::parse("").is_err());
    assert!(WaMessageId::parse("w".repeat(513)).is_err());
}

#[test]
fn message_ids_are_uuid_v7() {
    let id = MessageId::generate();
    assert_eq!(MessageId::parse(&id.to_string()).unwrap(), id);
    assert!(
        MessageId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").is_err(),
        "v4 refused"
    );
    assert!(MessageId::parse("nope").is_err());
}

#[test]
fn template_names_and_languages() {
    assert!(TemplateName::parse("order_update_2").is_ok());
    assert!(TemplateName::parse("Order Update").is_err());
    for good in ["en", "en_US", "pt_BR", "zh_HK", "fil", "es_419"] {
        assert!(LanguageCode::parse(good).is_ok(), "{good}");
    }
    for bad in ["", "EN", "en-US", "english", "en_us"] {
        assert!(LanguageCode::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn serde_goes_through_validation() {
    let phone: PhoneNumber = serde_json::from_str("\"972541234567\"").unwrap();
    assert_eq!(phone.as_str(), "972541234567");
    assert!(serde_json::from_str::<PhoneNumber>("\"12\"").is_err());
    assert!(serde_json::from_str::<Bsuid>("\"nope\"").is_err());
}
