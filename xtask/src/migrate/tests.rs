//! `cargo xtask migrate` against a fresh SQLite file and a fresh PostgreSQL database.
//!
//! PostgreSQL's server comes from `WA_TEST_POSTGRES_URL` (set by `cargo xtask test` and CI);
//! without it the PostgreSQL test fails rather than being skipped.

use std::time::{SystemTime, UNIX_EPOCH};

use migration::sea_orm::{ConnectionTrait, Database};

use super::{Command, execute};

/// Every migration, so the assertions do not go stale when one is added.
fn migration_count() -> usize {
    use migration::{Migrator, MigratorTrait};
    Migrator::migrations().len()
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}_{nanos}", std::process::id())
}

/// up, status, down all, status, fresh, up again: the whole command surface on one database.
async fn exercise(url: &str) {
    let count = migration_count();

    let applied = execute(url, Command::Up).await.expect("up");
    assert_eq!(applied.len(), count, "{applied:?}");
    assert!(
        applied.iter().all(|line| line.starts_with("applied m")),
        "{applied:?}"
    );

    let status = execute(url, Command::Status).await.expect("status");
    assert_eq!(status.len(), count);
    assert!(
        status.iter().all(|line| line.starts_with("Applied")),
        "{status:?}"
    );

    let again = execute(url, Command::Up).await.expect("second up");
    assert_eq!(again, ["nothing to apply: the schema is up to date"]);

    let down = execute(url, Command::Down(1)).await.expect("down 1");
    assert_eq!(down.len(), 1);
    let newest = {
        use migration::{Migrator, MigratorTrait};
        Migrator::migrations()
            .last()
            .map(|m| m.name().to_owned())
            .expect("at least one migration")
    };
    assert!(
        down[0].contains(&newest),
        "{down:?} should roll back {newest}"
    );

    let down_all = execute(url, Command::Down(u32::try_from(count).unwrap()))
        .await
        .expect("down all");
    assert_eq!(down_all.len(), count - 1, "{down_all:?}");
    let status = execute(url, Command::Status).await.expect("status");
    assert!(
        status.iter().all(|line| line.starts_with("Pending")),
        "{status:?}"
    );

    let fresh = execute(url, Command::Fresh).await.expect("fresh");
    assert_eq!(fresh.len(), count + 1, "{fresh:?}");
    let db = Database::connect(url).await.expect("connect");
    db.execute_unprepared(
        "SELECT id, tenant_id, wa_message_id, status_rank FROM whatsapp_messages",
    )
    .await
    .expect("the messages table exists after fresh");
    db.close().await.expect("close");
}

#[tokio::test]
async fn migrate_creates_and_rolls_back_a_fresh_sqlite_file() {
    let dir = std::env::temp_dir().join(format!("wa-xtask-migrate-{}", unique_suffix()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("wa.db");
    assert!(!file.exists());
    exercise(&format!("sqlite://{}?mode=rwc", file.display())).await;
    assert!(file.exists());
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn migrate_creates_and_rolls_back_a_fresh_postgres_database() {
    let base = std::env::var("WA_TEST_POSTGRES_URL").expect(
        "WA_TEST_POSTGRES_URL must point at a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/test); \
         `cargo xtask test` sets it",
    );
    let name = format!("wa_xtask_{}", unique_suffix());
    let admin = Database::connect(&base)
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    exercise(&with_database(&base, &name)).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("drop database");
}

/// The same server URL with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let server = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    format!("{server}/{database}{query}")
}

#[test]
fn parses_the_command_line() {
    let args = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    assert_eq!(Command::parse(&args(&[])).unwrap(), Command::Up);
    assert_eq!(Command::parse(&args(&["up"])).unwrap(), Command::Up);
    assert_eq!(Command::parse(&args(&["down"])).unwrap(), Command::Down(1));
    assert_eq!(
        Command::parse(&args(&["down", "3"])).unwrap(),
        Command::Down(3)
    );
    assert_eq!(Command::parse(&args(&["status"])).unwrap(), Command::Status);
    assert_eq!(Command::parse(&args(&["fresh"])).unwrap(), Command::Fresh);
    assert!(Command::parse(&args(&["sideways"])).is_err());
    assert!(Command::parse(&args(&["down", "x"])).is_err());
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
}
