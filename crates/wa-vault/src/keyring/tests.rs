//! Tests of the keyring configuration: the format, its errors, and that no error or `Debug`
//! shows key material.

use std::path::Path;

use secrecy::ExposeSecret;

use crate::keyring::{
    InvalidKeyId, KEYS_ENV, KEYS_FILE_ENV, KeyId, Keyring, KeyringError, generate_key_entry,
};

/// 32 bytes 0..=31 in standard base64.
const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// 32 bytes of 0xff.
const KEY_B: &str = "//////////////////////////////////////////8=";

fn id(value: &str) -> KeyId {
    KeyId::parse(value).expect("valid id")
}

fn parse_error(spec: &str) -> KeyringError {
    Keyring::parse(spec).expect_err("the spec must be refused")
}

/// Checks that neither the error's `Display` nor its `Debug` contains any of the fragments.
fn assert_no_leak(error: &KeyringError, fragments: &[&str]) {
    let shown = format!("{error} / {error:?}");
    for fragment in fragments {
        assert!(!shown.contains(fragment), "{shown} leaks {fragment}");
    }
}

#[test]
fn newest_first_and_ids_in_order() {
    let keyring = Keyring::parse(&format!("k2:{KEY_B},k1:{KEY_A}")).unwrap();
    assert_eq!(keyring.newest_id(), &id("k2"));
    let ids: Vec<_> = keyring.ids().map(KeyId::as_str).collect();
    assert_eq!(ids, ["k2", "k1"]);
    assert!(keyring.contains("k1"));
    assert!(!keyring.contains("k3"));
}

#[test]
fn newlines_comments_spaces_and_missing_padding_are_accepted() {
    let unpadded = KEY_A.trim_end_matches('=');
    let spec = format!("# rotated 2026-01\n  k2 : {KEY_B} \n\n k1:{unpadded},\n");
    let keyring = Keyring::parse(&spec).unwrap();
    let ids: Vec<_> = keyring.ids().map(KeyId::as_str).collect();
    assert_eq!(ids, ["k2", "k1"]);
}

#[test]
fn empty_configuration_is_refused() {
    for spec in ["", "  ", ",", "\n# only a comment\n"] {
        assert!(matches!(parse_error(spec), KeyringError::Empty), "{spec:?}");
    }
}

#[test]
fn entry_without_id_is_refused_without_echoing_it() {
    let error = parse_error(&format!("k2:{KEY_B},{KEY_A}"));
    assert!(matches!(error, KeyringError::MissingSeparator { entry: 2 }));
    assert_no_leak(&error, &[KEY_A, &KEY_A[..12]]);
}

#[test]
fn invalid_id_is_refused_without_echoing_it() {
    let error = parse_error(&format!("my key!:{KEY_A}"));
    assert!(matches!(
        error,
        KeyringError::InvalidId {
            entry: 1,
            source: InvalidKeyId
        }
    ));
    assert_no_leak(&error, &["my key!", &KEY_A[..12]]);
    let long = "k".repeat(65);
    assert!(matches!(
        parse_error(&format!("{long}:{KEY_A}")),
        KeyringError::InvalidId { entry: 1, .. }
    ));
    assert!(matches!(
        parse_error(&format!(":{KEY_A}")),
        KeyringError::InvalidId { entry: 1, .. }
    ));
}

#[test]
fn bad_base64_is_refused_naming_the_id_only() {
    let bad = "AAECAwQFBgcICQoLDA0ODx$REhMUFRYXGBkaGxwdHh8=";
    let error = parse_error(&format!("k1:{bad}"));
    assert!(matches!(&error, KeyringError::BadBase64 { id: found } if found == &id("k1")));
    assert!(error.to_string().contains("k1"));
    assert_no_leak(&error, &[bad, "AAECAwQF", "$"]);
}

#[test]
fn wrong_length_is_refused_with_the_length() {
    // 16 bytes: an AES-128 key.
    let short = "AAECAwQFBgcICQoLDA0ODw==";
    let error = parse_error(&format!("k1:{short}"));
    assert!(matches!(
        &error,
        KeyringError::WrongLength { id: found, actual: 16 } if found == &id("k1")
    ));
    assert!(error.to_string().contains("16 bytes"));
    assert_no_leak(&error, &[short]);
    let long = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g";
    assert!(matches!(
        parse_error(&format!("k1:{long}")),
        KeyringError::WrongLength { actual: 33, .. }
    ));
}

#[test]
fn duplicate_id_is_refused() {
    let error = parse_error(&format!("k1:{KEY_A},k1:{KEY_B}"));
    assert!(matches!(&error, KeyringError::DuplicateId { id: found } if found == &id("k1")));
    assert_no_leak(&error, &[KEY_A, KEY_B]);
}

#[test]
fn debug_shows_ids_only() {
    let keyring = Keyring::parse(&format!("k2:{KEY_B},k1:{KEY_A}")).unwrap();
    let shown = format!("{keyring:?}");
    assert_eq!(shown, r#"Keyring { ids: ["k2", "k1"] }"#);
}

#[test]
fn generated_entries_parse_and_differ() {
    let first = generate_key_entry(&id("k9")).unwrap();
    let second = generate_key_entry(&id("k9")).unwrap();
    assert_ne!(first.expose_secret(), second.expose_secret());
    assert!(first.expose_secret().starts_with("k9:"));
    let keyring = Keyring::parse(first.expose_secret()).unwrap();
    assert_eq!(keyring.newest_id(), &id("k9"));
    assert!(!format!("{first:?}").contains(first.expose_secret()));
}

#[test]
fn dev_keyring_has_the_dev_id() {
    let keyring = Keyring::generate_dev().unwrap();
    assert_eq!(keyring.newest_id().as_str(), crate::keyring::DEV_KEY_ID);
}

#[test]
fn key_file_is_read_and_dev_file_is_created_private_then_reused() {
    let dir = std::env::temp_dir().join(format!("wa-vault-keyring-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let file = dir.join("keys");
    std::fs::write(
        &file,
        format!("# production keys\nk2:{KEY_B}\nk1:{KEY_A}\n"),
    )
    .unwrap();
    let keyring = Keyring::from_file(&file).unwrap();
    assert_eq!(keyring.newest_id(), &id("k2"));

    let missing = dir.join("absent");
    let error = Keyring::from_file(&missing).unwrap_err();
    assert!(matches!(error, KeyringError::Io { .. }));

    let dev = dir.join("dev-key");
    let _ = std::fs::remove_file(&dev);
    let created = Keyring::load_or_create_dev_file(&dev).unwrap();
    assert_eq!(created.newest_id().as_str(), crate::keyring::DEV_KEY_ID);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dev).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let first_contents = std::fs::read_to_string(&dev).unwrap();
    Keyring::load_or_create_dev_file(&dev).unwrap();
    assert_eq!(std::fs::read_to_string(&dev).unwrap(), first_contents);

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sources_choose_inline_or_file_and_refuse_both_or_empty() {
    let spec = format!("k1:{KEY_A}");
    let inline = Keyring::from_sources(Some(&spec), None).unwrap().unwrap();
    assert_eq!(inline.newest_id(), &id("k1"));
    assert!(Keyring::from_sources(None, None).unwrap().is_none());
    // Set but empty is an error, never "unset": a secret that did not reach the process.
    for empty in ["", "   ", "\n# no key yet\n", ","] {
        let error = Keyring::from_sources(Some(empty), None).unwrap_err();
        assert_eq!(error.variable, KEYS_ENV);
        assert!(matches!(error.error, KeyringError::Empty), "{empty:?}");
        assert!(error.to_string().starts_with("WA_VAULT_KEYS: "), "{error}");
    }
    let error = Keyring::from_sources(None, Some(Path::new(""))).unwrap_err();
    assert_eq!(error.variable, KEYS_FILE_ENV);
    assert!(matches!(error.error, KeyringError::Empty));
    let error = Keyring::from_sources(Some(&spec), Some(Path::new("/etc/wa/keys"))).unwrap_err();
    assert!(matches!(error.error, KeyringError::BothSources));
    assert!(error.to_string().contains(KEYS_FILE_ENV), "{error}");
}

#[test]
fn source_errors_name_the_variable_and_the_problem_but_never_the_key() {
    // 16 bytes: an AES-128 key pasted by mistake.
    let short = "AAECAwQFBgcICQoLDA0ODw==";
    let error = Keyring::from_sources(Some(&format!("k1:{short}")), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "WA_VAULT_KEYS: vault key k1 is 16 bytes long; AES-256 needs exactly 32"
    );
    assert!(matches!(
        error.error,
        KeyringError::WrongLength { actual: 16, .. }
    ));

    let bad = "AAECAwQFBgcICQoLDA0ODx$REhMUFRYXGBkaGxwdHh8=";
    let error = Keyring::from_sources(Some(&format!("k1:{bad}")), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "WA_VAULT_KEYS: vault key k1 is not valid standard base64"
    );
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(bad) && !shown.contains("AAECAwQF"),
        "{shown}"
    );

    // A key pasted without its id: the message must not echo it.
    let error = Keyring::from_sources(Some(KEY_A), None).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("WA_VAULT_KEYS: vault key entry 1 ")
    );
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(KEY_A) && !shown.contains(&KEY_A[..12]),
        "{shown}"
    );
}

#[test]
fn key_file_errors_name_the_file_variable_and_keep_the_io_cause() {
    let dir = std::env::temp_dir().join(format!("wa-vault-sources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let missing = dir.join("absent");
    let error = Keyring::from_sources(None, Some(&missing)).unwrap_err();
    assert_eq!(error.variable, KEYS_FILE_ENV);
    assert!(
        error
            .to_string()
            .starts_with("WA_VAULT_KEYS_FILE: vault key file ")
    );
    let cause = std::error::Error::source(&error).expect("the I/O error is the cause");
    assert!(cause.downcast_ref::<std::io::Error>().is_some());

    let short = dir.join("short");
    std::fs::write(&short, "k1:AAECAwQFBgcICQoLDA0ODw==\n").unwrap();
    let error = Keyring::from_sources(None, Some(&short)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "WA_VAULT_KEYS_FILE: vault key k1 is 16 bytes long; AES-256 needs exactly 32"
    );

    let blank = dir.join("blank");
    std::fs::write(&blank, "# keys go here\n\n").unwrap();
    let error = Keyring::from_sources(None, Some(&blank)).unwrap_err();
    assert!(matches!(error.error, KeyringError::Empty));

    let binary = dir.join("binary");
    std::fs::write(&binary, [b'k', b'1', b':', 0xff, 0xfe]).unwrap();
    let error = Keyring::from_sources(None, Some(&binary)).unwrap_err();
    assert!(matches!(error.error, KeyringError::NotUnicode));

    let good = dir.join("good");
    std::fs::write(&good, format!("k2:{KEY_B}\nk1:{KEY_A}\n")).unwrap();
    let keyring = Keyring::from_sources(None, Some(&good)).unwrap().unwrap();
    assert_eq!(keyring.ids().count(), 2);

    std::fs::remove_dir_all(&dir).unwrap();
}
