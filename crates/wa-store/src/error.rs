//! Classifying database errors into the port's [`StoreError`], so no `DbErr` crosses a port.
//!
//! The classes are what a caller can act on: `Duplicate` (a unique constraint refused the write),
//! `NotFound` (no such row, or a foreign key names a row that does not exist, such as a tenant
//! that was never created), `Unavailable` (the database is unreachable, the pool is exhausted, or a lock or
//! serialization conflict that a retry resolves), and `Other` for everything else.

use sea_orm::{DbErr, RuntimeErr, sqlx};
use wa_domain::ports::StoreError;

/// SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED` (primary codes; extended codes share the low byte).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
/// PostgreSQL's serialization failure, deadlock, and "too many connections".
const PG_RETRYABLE: [&str; 3] = ["40001", "40P01", "53300"];

/// Sorts a database error into the class a caller can act on.
pub(crate) fn classify(err: DbErr) -> StoreError {
    match &err {
        DbErr::RecordNotFound(_) => StoreError::NotFound,
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreError::Unavailable(Box::new(err)),
        DbErr::Exec(RuntimeErr::SqlxError(sqlx_err))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx_err)) => match classify_sqlx(sqlx_err) {
            Class::Duplicate => StoreError::Duplicate,
            Class::NotFound => StoreError::NotFound,
            Class::Unavailable => StoreError::Unavailable(Box::new(err)),
            Class::Other => StoreError::Other(Box::new(err)),
        },
        _ => StoreError::Other(Box::new(err)),
    }
}

enum Class {
    Duplicate,
    NotFound,
    Unavailable,
    Other,
}

fn classify_sqlx(err: &sqlx::Error) -> Class {
    match err {
        sqlx::Error::Database(db) => {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => return Class::Duplicate,
                sqlx::error::ErrorKind::ForeignKeyViolation => return Class::NotFound,
                _ => {}
            }
            let code = db.code().unwrap_or_default();
            let sqlite_busy = code
                .parse::<i64>()
                .is_ok_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED));
            if sqlite_busy || PG_RETRYABLE.contains(&code.as_ref()) {
                Class::Unavailable
            } else {
                Class::Other
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Class::Unavailable,
        _ => Class::Other,
    }
}

/// A row read back that the domain refuses (a corrupt or hand-edited row): a bug, not a retry.
#[derive(Debug, thiserror::Error)]
#[error("stored {table} row does not convert to a domain value: {reason}")]
pub(crate) struct CorruptRow {
    pub(crate) table: &'static str,
    pub(crate) reason: String,
}

/// Builds the `Other` error for a row that does not convert.
pub(crate) fn corrupt(table: &'static str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Other(Box::new(CorruptRow {
        table,
        reason: reason.to_string(),
    }))
}
