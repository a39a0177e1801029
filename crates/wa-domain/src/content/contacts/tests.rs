//! Tests for contact cards and the contacts message.

use super::*;

fn full_card() -> ContactCard {
    ContactCard {
        name: ContactName {
            formatted_name: "ד\"ר נועה כהן".into(),
            first_name: Some("נועה".into()),
            last_name: Some("כהן".into()),
            middle_name: None,
            prefix: Some("ד\"ר".into()),
            suffix: None,
        },
        phones: vec![ContactPhone {
            phone: "+972 54-123-4567".into(),
            kind: Some("CELL".into()),
            wa_id: Some("972541234567".into()),
        }],
        emails: vec![ContactEmail {
            email: "noa@example.com".into(),
            kind: Some("WORK".into()),
        }],
        urls: vec![ContactUrl {
            url: "https://example.com".into(),
            kind: None,
        }],
        addresses: vec![ContactAddress {
            street: Some("Rothschild 1".into()),
            city: Some("Tel Aviv".into()),
            country_code: Some("IL".into()),
            kind: Some("WORK".into()),
            ..ContactAddress::default()
        }],
        org: Some(ContactOrg {
            company: Some("Example".into()),
            department: None,
            title: Some("CTO".into()),
        }),
        birthday: Some("1990-02-28".into()),
    }
}

#[test]
fn between_one_and_five_cards() {
    let cards = |n| vec![ContactCard::named("Noa"); n];
    assert_eq!(Contacts::new(cards(1)).unwrap().cards().len(), 1);
    assert_eq!(Contacts::new(cards(5)).unwrap().cards().len(), 5);
    let err = Contacts::new(cards(0)).unwrap_err();
    assert_eq!(
        (err.field(), err.violation()),
        ("contacts", &Violation::TooFew { min: 1, actual: 0 })
    );
    let err = Contacts::new(cards(6)).unwrap_err();
    assert_eq!(
        (err.field(), err.violation()),
        ("contacts", &Violation::TooMany { max: 5, actual: 6 })
    );
}

#[test]
fn a_full_card_passes() {
    assert!(Contacts::new(vec![full_card()]).is_ok());
}

/// A change to a valid card, and the field and violation it must be refused with.
type Case = (&'static str, fn(&mut ContactCard), &'static str, Violation);

#[test]
fn each_card_field_is_checked_and_named() {
    let date = Violation::Format {
        expected: "a date as YYYY-MM-DD",
    };
    let cases: Vec<Case> = vec![
        (
            "blank formatted name",
            |c| c.name.formatted_name = " ".into(),
            "contacts[1].name.formatted_name",
            Violation::Empty,
        ),
        (
            "empty last name",
            |c| c.name.last_name = Some(String::new()),
            "contacts[1].name.last_name",
            Violation::Empty,
        ),
        (
            "empty phone",
            |c| c.phones.push(ContactPhone::default()),
            "contacts[1].phones[1].phone",
            Violation::Empty,
        ),
        (
            "email without @",
            |c| c.emails[0].email = "noa.example.com".into(),
            "contacts[1].emails[0].email",
            Violation::Format {
                expected: "an email address",
            },
        ),
        (
            "empty url",
            |c| c.urls[0].url = String::new(),
            "contacts[1].urls[0].url",
            Violation::Empty,
        ),
        (
            "empty city",
            |c| c.addresses[0].city = Some(String::new()),
            "contacts[1].addresses[0].city",
            Violation::Empty,
        ),
        (
            "over-long company",
            |c| c.org.as_mut().unwrap().company = Some("c".repeat(1001)),
            "contacts[1].org.company",
            Violation::TooLong {
                max: 1000,
                actual: 1001,
            },
        ),
        (
            "birthday in another format",
            |c| c.birthday = Some("28/02/1990".into()),
            "contacts[1].birthday",
            date.clone(),
        ),
        (
            "birthday that does not exist",
            |c| c.birthday = Some("1990-02-30".into()),
            "contacts[1].birthday",
            date.clone(),
        ),
        (
            "birthday with a signed year",
            |c| c.birthday = Some("+1990-02-28".into()),
            "contacts[1].birthday",
            date,
        ),
    ];
    for (case, change, field, violation) in cases {
        let mut card = full_card();
        change(&mut card);
        let err = Contacts::new(vec![full_card(), card]).unwrap_err();
        assert_eq!(err.field(), field, "{case}");
        assert_eq!(err.violation(), &violation, "{case}");
    }
}

#[test]
fn leap_day_birthdays_are_real_dates() {
    let mut card = ContactCard::named("Leap");
    card.birthday = Some("2000-02-29".into());
    assert!(card.check().is_ok());
    card.birthday = Some("1900-02-29".into());
    assert_eq!(card.check().unwrap_err().field(), "birthday");
}

#[test]
fn serde_uses_meta_field_names_and_checks_on_the_way_in() {
    let contacts = Contacts::new(vec![full_card()]).unwrap();
    let json = serde_json::to_value(&contacts).unwrap();
    assert_eq!(json["contacts"][0]["phones"][0]["type"], "CELL");
    assert_eq!(
        json["contacts"][0]["name"]["formatted_name"],
        "ד\"ר נועה כהן"
    );
    assert!(json["contacts"][0].get("birthday").is_some());
    let back: Contacts = serde_json::from_value(json).unwrap();
    assert_eq!(back, contacts);

    let err = serde_json::from_str::<Contacts>(r#"{"contacts": []}"#).unwrap_err();
    assert!(
        err.to_string().contains("contacts: must have at least 1"),
        "{err}"
    );
    let err =
        serde_json::from_str::<Contacts>(r#"{"contacts": [{"name": {"first_name": "Noa"}}]}"#)
            .unwrap_err();
    assert!(
        err.to_string().contains("contacts[0].name.formatted_name"),
        "{err}"
    );
}
