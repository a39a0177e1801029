//! Times as both databases store them, so SQL compares them the same way.
//!
//! PostgreSQL keeps `timestamptz` with microsecond precision. SQLite has no time type: sqlx
//! would write RFC 3339 text with a variable number of fraction digits (`…:05Z` vs
//! `…:05.5Z`), whose text order is not time order (`Z` sorts after `.`). So on SQLite every
//! time we write is fixed-width UTC text, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, which sorts like time;
//! `MIN`/`MAX`-style `CASE` expressions, range filters and indexes then agree on both databases.
//! Both sides are truncated to microseconds, so a value reads back equal on both.

use sea_orm::{DbBackend, Value};
use time::{
    OffsetDateTime, UtcOffset, format_description::BorrowedFormatItem, macros::format_description,
};

/// The fixed-width text form used on SQLite; still valid RFC 3339, so sqlx reads it back.
const SQLITE_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// The time as stored: UTC, truncated to microseconds.
pub(crate) fn normalize(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let micros_only = utc.nanosecond() - utc.nanosecond() % 1_000;
    utc.replace_nanosecond(micros_only).unwrap_or(utc)
}

/// The value to bind for a time column.
pub(crate) fn value(backend: DbBackend, at: OffsetDateTime) -> Value {
    let at = normalize(at);
    match backend {
        DbBackend::Sqlite => Value::String(Some(
            // Formatting only fails for years beyond 9999; RFC 3339 still reads back then.
            at.format(SQLITE_FORMAT)
                .or_else(|_| at.format(&time::format_description::well_known::Rfc3339))
                .unwrap_or_default(),
        )),
        _ => Value::TimeDateTimeWithTimeZone(Some(at)),
    }
}

/// The value to bind for a nullable time column.
pub(crate) fn optional(backend: DbBackend, at: Option<OffsetDateTime>) -> Value {
    match (at, backend) {
        (Some(at), _) => value(backend, at),
        (None, DbBackend::Sqlite) => Value::String(None),
        (None, _) => Value::TimeDateTimeWithTimeZone(None),
    }
}
