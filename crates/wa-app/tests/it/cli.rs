//! The `wa` binary itself: migrate, tenants, vault keys and rotation, and configuration errors
//! that name the setting, run as a user would run them, on a fresh SQLite file.

use std::process::Output;

use uuid::Uuid;

const KEY_1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// `wa` with a clean environment apart from the given settings.
fn wa(settings: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = crate::support::wa_command();
    command.env("RUST_LOG", "warn").env("NO_COLOR", "1");
    for (name, value) in settings {
        command.env(name, value);
    }
    command.args(args).output().expect("the wa binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &Output) -> &Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout(output),
        stderr(output)
    );
    output
}

#[test]
fn tenants_and_vault_keys_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("wa-cli-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("wa.db").display());
    let base = [("WA_DATABASE_URL", url.as_str()), ("WA_VAULT_KEYS", KEY_1)];

    let migrated = stdout(succeeded(&wa(&base, &["migrate"])));
    assert!(migrated.contains("create_whatsapp_messages"), "{migrated}");
    let again = stdout(succeeded(&wa(&base, &["migrate", "status"])));
    assert!(!again.contains("Pending"), "{again}");

    let created = stdout(succeeded(&wa(&base, &["tenant", "create", "Cafe Aviv"])));
    let id = created
        .split_whitespace()
        .nth(1)
        .expect("tenant <id> <name>")
        .to_owned();
    Uuid::parse_str(&id).expect("a tenant id");
    assert!(created.contains("api key (shown once): wak_"), "{created}");

    let listed = stdout(succeeded(&wa(&base, &["tenant", "list"])));
    let row = listed
        .lines()
        .find(|line| line.starts_with(&id))
        .unwrap_or_else(|| panic!("{id} not listed: {listed}"));
    assert!(row.contains("true") && row.ends_with("Cafe Aviv"), "{row}");

    succeeded(&wa(&base, &["tenant", "disable", &id]));
    let listed = stdout(succeeded(&wa(&base, &["tenant", "list"])));
    assert!(
        listed
            .lines()
            .any(|line| line.starts_with(&id) && line.contains("false")),
        "{listed}"
    );

    let unknown = wa(&base, &["tenant", "disable", &Uuid::now_v7().to_string()]);
    assert!(!unknown.status.success());

    // A new key, put first: rotation re-seals under it, and is safe to run twice.
    let entry = stdout(succeeded(&wa(&base, &["vault", "keygen", "k2"])));
    let entry = entry.trim();
    assert!(entry.starts_with("k2:"), "{entry}");
    let keys = format!("{entry},{KEY_1}");
    let rotated = [
        ("WA_DATABASE_URL", url.as_str()),
        ("WA_VAULT_KEYS", keys.as_str()),
    ];
    succeeded(&wa(&rotated, &["vault", "rotate"]));
    succeeded(&wa(&rotated, &["vault", "rotate", "--batch", "1"]));
    // The new key never reaches the logs.
    let secret = entry.split_once(':').unwrap().1;
    let run = wa(&rotated, &["vault", "rotate"]);
    assert!(!stdout(&run).contains(secret) && !stderr(&run).contains(secret));

    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_settings_fail_at_start_naming_the_setting() {
    let dir = std::env::temp_dir().join(format!("wa-cli-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("wa.db").display());
    for (name, value) in [
        ("WA_VAULT_KEYS", "k1:not-base64!"),
        ("WA_VAULT_KEYS", "k1:AAEC"),
        ("WA_LISTEN", "not an address"),
        ("WA_GRAPH_BASE_URL", "ftp://graph.example"),
        ("WA_DATABASE_URL", "mysql://nobody@127.0.0.1/none"),
        // Empty: a secret that did not reach the process; never a silent fall back to a dev key.
        ("WA_VAULT_KEYS", ""),
        ("WA_VAULT_KEYS_FILE", "/nonexistent/wa-vault.keys"),
    ] {
        let mut settings = vec![("WA_DATABASE_URL", url.as_str()), ("WA_VAULT_KEYS", KEY_1)];
        // The file replaces the inline keys rather than joining them.
        settings.retain(|(n, _)| {
            *n != name && !(name == "WA_VAULT_KEYS_FILE" && *n == "WA_VAULT_KEYS")
        });
        settings.push((name, value));
        let output = wa(&settings, &["tenant", "list"]);
        assert!(!output.status.success(), "{name}={value} was accepted");
        let message = stderr(&output);
        assert!(message.contains(name), "{name}={value}: {message}");
        if let Some((_, key)) = value.split_once(':').filter(|_| name == "WA_VAULT_KEYS") {
            assert!(!message.contains(key), "{message}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
