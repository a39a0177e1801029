//! The repository adapters, one module per port, and the statement helpers they share.
//!
//! Writes that belong together run in one transaction. On SQLite that transaction is started
//! `IMMEDIATE`: it takes the write lock at `BEGIN`, waiting up to the busy timeout, instead of
//! failing with `SQLITE_BUSY` when it first writes after reading (which the busy timeout cannot
//! help). On PostgreSQL transactions are READ COMMITTED, and atomicity comes from each
//! statement's own row locks: every read-then-write sequence starts with the write.

pub(crate) mod api_keys;
pub(crate) mod connection;
pub(crate) mod conversation;
pub(crate) mod credential;
pub(crate) mod event_endpoints;
pub(crate) mod event_log;
pub(crate) mod message;
pub(crate) mod onboarding;
pub(crate) mod outbox;
pub(crate) mod status_batch;
pub(crate) mod status_one;
pub(crate) mod tenant;
pub(crate) mod webhook_inbox;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait, Value,
    sea_query::{Expr, ExprTrait, Func, InsertStatement, IntoIden, Query},
};
use wa_domain::ports::StoreError;

use crate::error::classify;

/// Starts a transaction that will write.
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> Result<DatabaseTransaction, StoreError> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
    .map_err(classify)
}

/// Commits when the work succeeded, rolls back otherwise.
pub(crate) async fn finish<T>(
    txn: DatabaseTransaction,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match result {
        Ok(value) => {
            txn.commit().await.map_err(classify)?;
            Ok(value)
        }
        Err(err) => {
            // The error that made us roll back is the one worth reporting.
            let _ignored = txn.rollback().await;
            Err(err)
        }
    }
}

/// `col` moved back to `at` if `at` is earlier (or `col` is unset): a first-writer-wins time
/// that a late report can still correct downwards. A `CASE` rather than `MIN`/`LEAST`, because
/// SQLite's scalar `MIN` returns NULL when an argument is NULL and PostgreSQL's `LEAST` does
/// not; the `CASE` behaves the same on both.
pub(crate) fn earliest<C: IntoIden + Copy>(col: C, at: Value) -> Expr {
    Expr::case(
        Expr::col(col).is_null().or(Expr::col(col).gt(at.clone())),
        at,
    )
    .finally(Expr::col(col))
    .into()
}

/// `col` moved forward to `at` if `at` is later (or `col` is unset); never backwards. The
/// portable form of `GREATEST(col, at)` (PostgreSQL) and `MAX(col, at)` (SQLite).
pub(crate) fn latest<C: IntoIden + Copy>(col: C, at: Value) -> Expr {
    Expr::case(
        Expr::col(col).is_null().or(Expr::col(col).lt(at.clone())),
        at,
    )
    .finally(Expr::col(col))
    .into()
}

/// `COALESCE(value, col)`: `col` set to `value` when it is not NULL, kept otherwise.
pub(crate) fn keep_unless<C: IntoIden + Copy>(col: C, value: Value) -> Expr {
    Func::coalesce([Expr::val(value), Expr::col(col)]).into()
}

/// `INSERT INTO table (columns…) VALUES (values…)` from column/value pairs.
pub(crate) fn insert_row<T: IntoIden, C: IntoIden>(
    table: T,
    row: Vec<(C, Value)>,
) -> InsertStatement {
    let (columns, values): (Vec<C>, Vec<Value>) = row.into_iter().unzip();
    let mut stmt = Query::insert();
    stmt.into_table(table)
        .columns(columns)
        // Cannot panic: both lists come from the same pairs, so their lengths match.
        .values_panic(values.into_iter().map(Expr::val));
    stmt
}

/// Numbered placeholders (`$1`, `$2`, … on PostgreSQL, `?1`, `?2`, … on SQLite) in the order
/// values are bound; numbered so that one value can appear twice in a statement.
pub(crate) struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    pub(crate) fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    pub(crate) fn statement(self, sql: &str) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

/// Whether a database answers a trivial query.
pub(crate) async fn ping(db: &DatabaseConnection) -> Result<(), StoreError> {
    let stmt = Query::select().expr(Expr::val(1)).to_owned();
    db.query_one(&stmt).await.map_err(classify)?;
    Ok(())
}
