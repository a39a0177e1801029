//! Tests for configuration parsing.

use std::collections::BTreeMap;

use secrecy::ExposeSecret;

use super::*;

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_run_the_embedded_database_against_meta() {
    let config = Config::from_values(&BTreeMap::new()).unwrap();
    assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(config.graph_base_url, META_GRAPH_URL);
    assert_eq!(config.graph_api_version, "v25.0");
    assert!(config.uses_embedded_database());
    assert!(config.webhook_listen.is_none());
}

#[test]
fn bad_values_name_the_variable() {
    let cases = [
        ("WA_DATABASE_URL", "mysql://x"),
        ("WA_LISTEN", "localhost"),
        ("WA_WEBHOOK_LISTEN", "nope"),
        ("WA_GRAPH_BASE_URL", "ftp://x"),
        ("WA_GRAPH_API_VERSION", "25"),
        ("WA_META_APP_ID", "abc"),
        ("WA_META_APP_SECRET", " , "),
        ("WA_OUTBOX_CONCURRENCY", "0"),
        ("WA_OUTBOX_LEASE_SECONDS", "-5"),
        ("WA_OUTBOX_MAX_ATTEMPTS", "many"),
        ("WA_OUTBOX_MAX_AGE_HOURS", "100000"),
        ("WA_INBOX_WORKERS", "0"),
        ("WA_INBOX_LEASE_SECONDS", "0"),
        ("WA_OUTBOX_IN_DOUBT_SECONDS", "soon"),
    ];
    for (name, value) in cases {
        let err = Config::from_values(&values(&[(name, value)])).unwrap_err();
        assert_eq!(err.name, name, "{value}");
        assert!(err.to_string().contains(name));
    }
}

#[test]
fn the_body_read_timeout_is_read_and_bounded() {
    let default = Config::from_values(&BTreeMap::new()).unwrap();
    assert_eq!(default.http.body_timeout, std::time::Duration::from_secs(5));
    let set = Config::from_values(&values(&[("WA_HTTP_BODY_TIMEOUT_SECONDS", "2")])).unwrap();
    assert_eq!(set.http.body_timeout, std::time::Duration::from_secs(2));
    for bad in ["0", "601", "soon"] {
        let err =
            Config::from_values(&values(&[("WA_HTTP_BODY_TIMEOUT_SECONDS", bad)])).unwrap_err();
        assert_eq!(err.name, "WA_HTTP_BODY_TIMEOUT_SECONDS", "{bad}");
    }
}

#[test]
fn outbox_settings_are_read() {
    let config = Config::from_values(&values(&[
        ("WA_OUTBOX_CONCURRENCY", "32"),
        ("WA_OUTBOX_LEASE_SECONDS", "5"),
        ("WA_OUTBOX_MAX_ATTEMPTS", "3"),
        ("WA_OUTBOX_MAX_AGE_HOURS", "2"),
    ]))
    .unwrap();
    assert_eq!(config.delivery.concurrency, 32);
    assert_eq!(config.delivery.lease, std::time::Duration::from_secs(5));
    assert_eq!(config.delivery.retry.max_attempts, 3);
    assert_eq!(config.delivery.retry.max_age, time::Duration::hours(2));
}

#[test]
fn several_app_secrets_for_rotation() {
    let config =
        Config::from_values(&values(&[("WA_META_APP_SECRET", "new-secret, old-secret")])).unwrap();
    let secrets: Vec<&str> = config
        .meta_app_secrets
        .iter()
        .map(|s| s.expose_secret())
        .collect();
    assert_eq!(secrets, ["new-secret", "old-secret"]);
}

#[test]
fn serving_requires_the_secrets_and_says_which() {
    let config = Config::from_values(&BTreeMap::new()).unwrap();
    assert_eq!(
        config.require_for_serving().unwrap_err().name,
        "WA_ADMIN_TOKEN"
    );
    let config = Config::from_values(&values(&[("WA_ADMIN_TOKEN", "a")])).unwrap();
    assert_eq!(
        config.require_for_serving().unwrap_err().name,
        "WA_META_APP_SECRET"
    );
    let config = Config::from_values(&values(&[
        ("WA_ADMIN_TOKEN", "a"),
        ("WA_META_APP_SECRET", "s"),
        ("WA_WEBHOOK_VERIFY_TOKEN", "v"),
    ]))
    .unwrap();
    assert!(config.require_for_serving().is_ok());
}

#[test]
fn debug_output_holds_no_secret() {
    let config = Config::from_values(&values(&[
        ("WA_ADMIN_TOKEN", "admin-token-value"),
        ("WA_META_APP_SECRET", "app-secret-value"),
        ("WA_WEBHOOK_VERIFY_TOKEN", "verify-token-value"),
        ("WA_VAULT_KEYS", "k1:c2VjcmV0LWtleS12YWx1ZQ=="),
        ("WA_DATABASE_URL", "postgres://wa:db-password@127.0.0.1/wa"),
    ]))
    .unwrap();
    let shown = format!("{config:?}");
    for secret in [
        "admin-token-value",
        "app-secret-value",
        "verify-token-value",
        "c2VjcmV0",
        "db-password",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}

#[test]
fn file_lines_are_parsed_and_typos_refused() {
    let parsed =
        parse_file("# comment\nWA_LISTEN=0.0.0.0:9000\n\nWA_META_APP_ID=\"123\"\n").unwrap();
    assert_eq!(parsed.get("WA_LISTEN").unwrap(), "0.0.0.0:9000");
    assert_eq!(parsed.get("WA_META_APP_ID").unwrap(), "123");
    let err = parse_file("WA_LISTN=1\n").unwrap_err();
    assert!(err.problem.contains("WA_LISTN"));
    assert!(parse_file("just words\n").is_err());
}

#[test]
fn the_in_doubt_grace_must_outlast_the_inbox_lease() {
    let config = Config::from_values(&values(&[
        ("WA_OUTBOX_IN_DOUBT_SECONDS", "90"),
        ("WA_INBOX_LEASE_SECONDS", "20"),
    ]))
    .unwrap();
    assert_eq!(
        config.delivery.retry.in_doubt_grace,
        time::Duration::seconds(90)
    );
    assert_eq!(config.inbox_lease, time::Duration::seconds(20));
    // A crashed process's lapsed sends would go before its stored webhooks were applied.
    for (grace, lease) in [("20", "20"), ("10", "30")] {
        let err = Config::from_values(&values(&[
            ("WA_OUTBOX_IN_DOUBT_SECONDS", grace),
            ("WA_INBOX_LEASE_SECONDS", lease),
        ]))
        .unwrap_err();
        assert_eq!(err.name, "WA_OUTBOX_IN_DOUBT_SECONDS");
        assert!(err.to_string().contains("WA_INBOX_LEASE_SECONDS"), "{err}");
    }
    // The defaults hold it.
    let defaults = Config::from_values(&BTreeMap::new()).unwrap();
    assert!(defaults.delivery.retry.in_doubt_grace > defaults.inbox_lease);
}

#[test]
fn every_refusal_names_the_variable_and_says_what_is_wrong() {
    // The same words as the hand-written parser had, for every checked variable.
    let cases = [
        (
            "WA_DATABASE_URL",
            "mysql://x",
            "must start with sqlite:, postgres:// or postgresql://",
        ),
        (
            "WA_LISTEN",
            "localhost",
            "must be an address like 127.0.0.1:8080",
        ),
        (
            "WA_WEBHOOK_LISTEN",
            "nope",
            "must be an address like 127.0.0.1:8080",
        ),
        (
            "WA_GRAPH_BASE_URL",
            "ftp://x",
            "must be an http:// or https:// URL",
        ),
        ("WA_GRAPH_API_VERSION", "v25.1", "must look like v25.0"),
        ("WA_META_APP_ID", "abc", "must be the numeric app id"),
        ("WA_META_APP_SECRET", " , ", "holds no secret"),
        (
            "WA_OUTBOX_CONCURRENCY",
            "0",
            "must be a whole number from 1 to 100000",
        ),
        (
            "WA_OUTBOX_LEASE_SECONDS",
            "-5",
            "must be a whole number from 1 to 86400",
        ),
        (
            "WA_OUTBOX_MAX_ATTEMPTS",
            "many",
            "must be a whole number from 1 to 1000",
        ),
        (
            "WA_OUTBOX_MAX_AGE_HOURS",
            "721",
            "must be a whole number from 1 to 720",
        ),
        (
            "WA_OUTBOX_IN_DOUBT_SECONDS",
            "soon",
            "must be a whole number from 1 to 86400",
        ),
        (
            "WA_INBOX_WORKERS",
            "65",
            "must be a whole number from 1 to 64",
        ),
        (
            "WA_INBOX_LEASE_SECONDS",
            "0",
            "must be a whole number from 1 to 3600",
        ),
        (
            "WA_INBOX_MAX_ATTEMPTS",
            "101",
            "must be a whole number from 1 to 100",
        ),
        (
            "WA_HTTP_HEADER_TIMEOUT_SECONDS",
            "601",
            "must be a whole number from 1 to 600",
        ),
        (
            "WA_HTTP_REQUEST_TIMEOUT_SECONDS",
            "0",
            "must be a whole number from 1 to 3600",
        ),
        (
            "WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS",
            "x",
            "must be a whole number from 1 to 600",
        ),
        (
            "WA_WEBHOOK_CONCURRENCY",
            "1025",
            "must be a whole number from 1 to 1024",
        ),
        (
            "WA_HEALTH_CHECK_INTERVAL_SECONDS",
            "0",
            "must be a whole number from 1 to 86400",
        ),
        (
            "WA_SIGNUP_SDK_URL",
            "connect.facebook.net",
            "must be an http:// or https:// URL",
        ),
        (
            "WA_SIGNUP_CONFIG_ID",
            "a b",
            "must be the configuration id (letters, digits, - and _)",
        ),
        (
            "WA_SIGNUP_PRODUCT_NAME",
            "a\u{7}",
            "must be at most 60 characters, without control characters",
        ),
        (
            "WA_SIGNUP_LOGO_URL",
            "ftp://x/logo.png",
            "must be an https:// (or http:// for development) URL of an image",
        ),
        (
            "WA_SIGNUP_ACCENT_COLOR",
            "green",
            "must be a colour as #rrggbb, e.g. #0b6e5f",
        ),
        (
            "WA_EVENT_DELIVERY_MAX_AGE_HOURS",
            "0",
            "must be a whole number from 1 to 720",
        ),
        ("WA_EVENT_ALLOW_HTTP", "maybe", "must be true or false"),
        (
            "WA_EVENT_DELIVERY_CONCURRENCY",
            "10001",
            "must be a whole number from 1 to 10000",
        ),
        (
            "WA_EVENTS_RETENTION_HOURS",
            "0",
            "must be a whole number from 1 to 87600",
        ),
        (
            "WA_WINDOW_CLOSING_LEAD_MINUTES",
            "1440",
            "must be a whole number from 1 to 1439",
        ),
    ];
    for (name, value, problem) in cases {
        let err = Config::from_values(&values(&[(name, value)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("configuration: {name} {problem}"),
            "{value}"
        );
    }
    let err = Config::from_values(&values(&[("WA_EVENT_ALLOWED_NETS", "not-a-net")])).unwrap_err();
    assert_eq!(err.name, "WA_EVENT_ALLOWED_NETS");
    assert!(!err.problem.is_empty());
}

#[test]
fn a_refused_value_is_never_echoed() {
    for (name, value) in [
        ("WA_META_APP_SECRET", " , "),
        ("WA_DATABASE_URL", "mysql://wa:db-password@host/wa"),
        ("WA_LISTEN", "secret-looking-value"),
    ] {
        let err = Config::from_values(&values(&[(name, value)])).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(value.trim()) || value.trim() == ",",
            "{shown}"
        );
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = Config::from_values(&BTreeMap::new()).unwrap();
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(config.delivery.concurrency, 256);
    assert_eq!(config.delivery.lease, std::time::Duration::from_secs(60));
    assert_eq!(config.delivery.retry.max_attempts, 12);
    assert_eq!(config.delivery.retry.max_age, time::Duration::hours(24));
    assert_eq!(
        config.delivery.retry.in_doubt_grace,
        time::Duration::seconds(60)
    );
    assert_eq!(config.inbox_workers, 4);
    assert_eq!(config.inbox_lease, time::Duration::seconds(30));
    assert_eq!(config.inbox_max_attempts, 10);
    assert_eq!(
        config.http.header_timeout,
        std::time::Duration::from_secs(10)
    );
    assert_eq!(
        config.http.request_timeout,
        std::time::Duration::from_secs(30)
    );
    assert_eq!(
        config.http.webhook_request_timeout,
        std::time::Duration::from_secs(10)
    );
    assert_eq!(config.http.webhook_concurrency, 16);
    assert_eq!(
        config.health_check_interval,
        std::time::Duration::from_secs(300)
    );
    assert_eq!(config.signup_sdk_url, META_SDK_URL);
    assert_eq!(config.signup_config_id, None);
    assert_eq!(config.events_retention, time::Duration::days(7));
    assert_eq!(config.window_closing_lead, time::Duration::hours(1));
    assert!(config.meta_app_secrets.is_empty());
    assert!(config.admin_token.is_none() && config.vault_keys.is_none());
}

#[test]
fn values_are_trimmed_an_empty_one_is_unset_but_an_empty_keyring_is_kept() {
    let config = Config::from_values(&values(&[
        ("WA_DATABASE_URL", " sqlite://other.db?mode=rwc "),
        ("WA_LISTEN", ""),
        ("WA_GRAPH_BASE_URL", "http://127.0.0.1:9000/"),
        ("WA_VAULT_KEYS", ""),
        ("WA_EVENT_ALLOW_HTTP", "YES"),
        ("NOT_OURS", "ignored"),
    ]))
    .unwrap();
    assert_eq!(config.database_url, "sqlite://other.db?mode=rwc");
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(config.graph_base_url, "http://127.0.0.1:9000");
    assert_eq!(
        config.vault_keys.as_ref().map(|k| k.expose_secret().len()),
        Some(0)
    );
    assert!(config.event_delivery.policy.allow_http);
}

#[test]
fn the_variables_are_the_documented_thirty_six() {
    let names = variables();
    assert_eq!(names.len(), 36, "{names:?}");
    assert_eq!(names.first().map(String::as_str), Some("WA_DATABASE_URL"));
    for name in [
        "WA_ADMIN_TOKEN",
        "WA_HTTP_BODY_TIMEOUT_SECONDS",
        "WA_VAULT_KEYS_FILE",
        "WA_WINDOW_CLOSING_LEAD_MINUTES",
    ] {
        assert!(names.iter().any(|known| known == name), "{name}");
    }
    assert!(names.iter().all(|name| name.starts_with("WA_")));
}

#[test]
fn the_signup_branding_is_read_from_the_file_like_every_documented_variable() {
    // The hand-kept name list left these three out: the file refused them as unknown and the
    // environment was never read for them, though README documents them.
    let parsed = parse_file(
        "WA_SIGNUP_PRODUCT_NAME=Acme\nWA_SIGNUP_LOGO_URL=https://acme.example/logo.png\n\
         WA_SIGNUP_ACCENT_COLOR=#112233\n",
    )
    .unwrap();
    let config = Config::from_values(&parsed).unwrap();
    assert_eq!(config.signup_branding.product_name, "Acme");
    assert_eq!(
        config.signup_branding.logo_url.as_deref(),
        Some("https://acme.example/logo.png")
    );
    assert_eq!(config.signup_branding.accent_color, "#112233");
}
