//! `cargo xtask migrate [up|down [N]|status|fresh]`: applies wa's schema with `migration::Migrator`.
//!
//! The database comes from `DATABASE_URL`; without it, a SQLite file `data/wa.db` under the
//! workspace root, created with its folder when missing. The same `Migrator` is what the app
//! runs at start-up, so this task is only a convenient front door, never a second schema path.

use std::path::Path;

use anyhow::{Context, Result, bail};
use migration::{Migrator, MigratorTrait, sea_orm::Database};

/// What to do to the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// Apply every pending migration.
    Up,
    /// Roll back the newest `n` applied migrations.
    Down(u32),
    /// List every migration with whether it is applied.
    Status,
    /// Drop every table, then apply every migration.
    Fresh,
}

impl Command {
    fn parse(args: &[String]) -> Result<Self> {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(match words.as_slice() {
            [] | ["up"] => Self::Up,
            ["down"] => Self::Down(1),
            ["down", n] => Self::Down(
                n.parse()
                    .with_context(|| format!("`down {n}`: expected a number of migrations"))?,
            ),
            ["status"] => Self::Status,
            ["fresh"] => Self::Fresh,
            other => {
                bail!("unknown migrate arguments {other:?}; expected up, down [N], status or fresh")
            }
        })
    }
}

/// The entry point of `cargo xtask migrate …`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let command = Command::parse(args)?;
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => default_sqlite_url(root)?,
    };
    println!("xtask migrate: database {}", redact_password(&url));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    for line in runtime.block_on(execute(&url, command))? {
        println!("xtask migrate: {line}");
    }
    Ok(())
}

/// `data/wa.db` under the workspace root, creating `data/`; `mode=rwc` creates the file.
fn default_sqlite_url(root: &Path) -> Result<String> {
    let dir = root.join("data");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(format!("sqlite://{}?mode=rwc", dir.join("wa.db").display()))
}

/// Runs the command against the database at `url`, returning what it did, one line per item.
pub(crate) async fn execute(url: &str, command: Command) -> Result<Vec<String>> {
    let db = Database::connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact_password(url)))?;
    Migrator::install(&db)
        .await
        .context("creating the migrations table")?;
    let mut lines = Vec::new();
    match command {
        Command::Up => {
            let pending = Migrator::get_pending_migrations(&db).await?;
            Migrator::up(&db, None)
                .await
                .context("applying migrations")?;
            lines.extend(pending.iter().map(|m| format!("applied {}", m.name())));
            if lines.is_empty() {
                lines.push("nothing to apply: the schema is up to date".to_owned());
            }
        }
        Command::Down(steps) => {
            let applied = Migrator::get_applied_migrations(&db).await?;
            Migrator::down(&db, Some(steps))
                .await
                .context("rolling back migrations")?;
            lines.extend(
                applied
                    .iter()
                    .rev()
                    .take(steps as usize)
                    .map(|m| format!("rolled back {}", m.name())),
            );
            if lines.is_empty() {
                lines.push("nothing to roll back: no migration is applied".to_owned());
            }
        }
        Command::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                lines.push(format!("{} {}", migration.status(), migration.name()));
            }
        }
        Command::Fresh => {
            Migrator::fresh(&db)
                .await
                .context("recreating the schema")?;
            lines.push("dropped every table".to_owned());
            lines.extend(
                Migrator::get_applied_migrations(&db)
                    .await?
                    .iter()
                    .map(|m| format!("applied {}", m.name())),
            );
        }
    }
    db.close().await.context("closing the database")?;
    Ok(lines)
}

/// Hides the password of a `scheme://user:password@host` URL before it is printed.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests;
