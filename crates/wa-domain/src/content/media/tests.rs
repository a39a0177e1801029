//! Tests for media sources and media messages: https-only links, id xor link, captions, names.

use super::*;

const URL_FORMAT: Violation = Violation::Format {
    expected: "an absolute https:// URL without spaces",
};

#[test]
fn links_must_be_absolute_https_urls() {
    let long_path = format!("https://example.com/{}", "a".repeat(2000 - 20));
    assert_eq!(long_path.chars().count(), 2000);
    for good in [
        "https://example.com/cat.jpg",
        "HTTPS://EXAMPLE.COM/CAT.JPG",
        "https://example.com",
        "https://example.com:8443/a?b=c#d",
        "https://דוגמה.ישראל/חתול.jpg",
        long_path.as_str(),
    ] {
        let source = MediaSource::link(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(source.url().map(HttpsUrl::as_str), Some(good));
        assert_eq!(source.media_id(), None);
    }
    for (bad, violation) in [
        ("http://example.com/cat.jpg", URL_FORMAT),
        ("ftp://example.com/cat.jpg", URL_FORMAT),
        ("example.com/cat.jpg", URL_FORMAT),
        ("https://", URL_FORMAT),
        ("https:///cat.jpg", URL_FORMAT),
        ("https://example.com/a cat.jpg", URL_FORMAT),
        ("https://example.com/\ncat.jpg", URL_FORMAT),
        ("", Violation::Empty),
        (
            &format!("{long_path}a"),
            Violation::TooLong {
                max: 2000,
                actual: 2001,
            },
        ),
    ] {
        let err = MediaSource::link(bad).unwrap_err();
        assert_eq!(err.field(), "link", "{bad}");
        assert_eq!(err.violation(), &violation, "{bad}");
        let err = HttpsUrl::parse(bad).unwrap_err();
        assert_eq!(err.field(), "url", "{bad}");
    }
}

#[test]
fn media_ids_are_printable_ascii() {
    assert_eq!(
        MediaSource::id("1013859600285441")
            .unwrap()
            .media_id()
            .map(MediaId::as_str),
        Some("1013859600285441")
    );
    assert!(MediaId::parse("i".repeat(256)).is_ok());
    for (bad, violation) in [
        ("", Violation::Empty),
        (
            "12 34",
            Violation::Format {
                expected: "a media id: printable ASCII without spaces",
            },
        ),
        (
            "מזהה",
            Violation::Format {
                expected: "a media id: printable ASCII without spaces",
            },
        ),
    ] {
        let err = MediaId::parse(bad).unwrap_err();
        assert_eq!((err.field(), err.violation()), ("id", &violation), "{bad}");
    }
    let err = MediaId::parse("i".repeat(257)).unwrap_err();
    assert_eq!(
        err.violation(),
        &Violation::TooLong {
            max: 256,
            actual: 257
        }
    );
}

#[test]
fn exactly_one_of_id_and_link() {
    let conflict = |err: ValidationError| {
        assert_eq!(err.field(), "");
        assert!(matches!(err.violation(), Violation::Conflict(_)), "{err}");
    };
    conflict(MediaSource::from_parts(None, None).unwrap_err());
    conflict(
        MediaSource::from_parts(Some("123".into()), Some("https://example.com/a.png".into()))
            .unwrap_err(),
    );
    assert!(MediaSource::from_parts(Some("123".into()), None).is_ok());
    assert!(MediaSource::from_parts(None, Some("https://example.com/a.png".into())).is_ok());
}

fn source() -> MediaSource {
    MediaSource::id("1013859600285441").unwrap()
}

#[test]
fn captions_are_limited_to_1024_characters() {
    let at_limit = Some("ש".repeat(1024));
    let over = Some("c".repeat(1025));
    let too_long = Violation::TooLong {
        max: 1024,
        actual: 1025,
    };
    assert_eq!(
        Image::new(source(), at_limit.clone()).unwrap().caption(),
        at_limit.as_deref()
    );
    assert!(Video::new(source(), at_limit.clone()).is_ok());
    assert!(Document::new(source(), at_limit, None).is_ok());
    for err in [
        Image::new(source(), over.clone()).unwrap_err(),
        Video::new(source(), over.clone()).unwrap_err(),
        Document::new(source(), over, None).unwrap_err(),
    ] {
        assert_eq!(err.violation(), &too_long);
    }
    assert_eq!(
        Image::new(source(), Some("c".repeat(1025)))
            .unwrap_err()
            .field(),
        "image.caption"
    );
    assert_eq!(
        Video::new(source(), Some(String::new()))
            .unwrap_err()
            .field(),
        "video.caption"
    );
    assert_eq!(
        Document::new(source(), Some(" ".into()), None)
            .unwrap_err()
            .field(),
        "document.caption"
    );
}

#[test]
fn document_file_names_are_checked() {
    let document = Document::new(source(), None, Some("חשבונית 42.pdf".into())).unwrap();
    assert_eq!(document.filename(), Some("חשבונית 42.pdf"));
    assert!(Document::new(source(), None, Some("n".repeat(255))).is_ok());
    for (name, violation) in [
        (
            "n".repeat(256),
            Violation::TooLong {
                max: 255,
                actual: 256,
            },
        ),
        (String::new(), Violation::Empty),
        (
            "../etc/passwd".into(),
            Violation::Format {
                expected: "a file name without path separators or control characters",
            },
        ),
        (
            "a\\b.pdf".into(),
            Violation::Format {
                expected: "a file name without path separators or control characters",
            },
        ),
    ] {
        let err = Document::new(source(), None, Some(name.clone())).unwrap_err();
        assert_eq!(err.field(), "document.filename", "{name}");
        assert_eq!(err.violation(), &violation, "{name}");
    }
}

#[test]
fn media_serialises_as_meta_media_objects() {
    let image = Image::new(
        MediaSource::link("https://example.com/a.png").unwrap(),
        Some("A cat".into()),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&image).unwrap(),
        serde_json::json!({"link": "https://example.com/a.png", "caption": "A cat"})
    );
    let audio = Audio::new(source());
    assert_eq!(
        serde_json::to_value(&audio).unwrap(),
        serde_json::json!({"id": "1013859600285441"})
    );
    let document = Document::new(source(), None, Some("a.pdf".into())).unwrap();
    let back: Document = serde_json::from_value(serde_json::to_value(&document).unwrap()).unwrap();
    assert_eq!(back, document);
}

/// The deserialisation error of `json` as `T`, if it is refused.
fn error_of<T: serde::de::DeserializeOwned>(json: &str) -> Option<String> {
    serde_json::from_str::<T>(json).err().map(|e| e.to_string())
}

type Parse = fn(&str) -> Option<String>;

#[test]
fn deserialising_media_runs_the_checks() {
    let refused: [(&str, Parse, &str); 8] = [
        (
            r#"{"caption": "x"}"#,
            error_of::<Image>,
            "image: exactly one",
        ),
        (
            r#"{"id": "1", "link": "https://example.com/a.mp4"}"#,
            error_of::<Video>,
            "video: exactly one",
        ),
        (
            r#"{"link": "http://example.com/a.png"}"#,
            error_of::<Image>,
            "image.link: must be an absolute https:// URL",
        ),
        (
            r#"{"id": "1", "caption": "x"}"#,
            error_of::<Audio>,
            "audio.caption: not allowed",
        ),
        (
            r#"{"id": "1", "caption": "x"}"#,
            error_of::<Sticker>,
            "sticker.caption: not allowed",
        ),
        (
            r#"{"id": "1", "filename": "a.png"}"#,
            error_of::<Image>,
            "image.filename: not allowed",
        ),
        (
            r#"{"id": "1", "filename": "a/b.pdf"}"#,
            error_of::<Document>,
            "document.filename: must be a file name",
        ),
        (
            r#"{"id": "1 2"}"#,
            error_of::<Sticker>,
            "sticker.id: must be a media id",
        ),
    ];
    for (json, parse, expected) in refused {
        let message = parse(json).unwrap_or_else(|| panic!("{json} was accepted"));
        assert!(
            message.contains(expected),
            "{json}: `{message}` lacks `{expected}`"
        );
    }
}
