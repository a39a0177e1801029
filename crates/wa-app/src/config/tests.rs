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
