//! The durable outbox: claiming due `pending` messages, putting them back, measuring the backlog.
//!
//! The outbox is the `whatsapp_messages` table itself: an outbound message is in the outbox while
//! its status is `pending`, due at `next_attempt_at`, and claimed by a worker until
//! `claimed_until`. Leaving `pending` (accepted, failed) clears both columns.
//!
//! Claiming is one `UPDATE … RETURNING` statement, fair across tenants and their business
//! numbers (each message names the number it goes from, `phone_number_id`):
//! - PostgreSQL: for each active number of an enabled tenant, a `LATERAL` subquery takes that
//!   number's oldest due messages (at most `per_tenant`) `FOR UPDATE SKIP LOCKED`, so two
//!   processes claiming at once never take the same row and never wait on each other. Tenants
//!   are visited in random order, so when more tenants have work than a round can hold, none is
//!   always last.
//! - SQLite: the same selection with `ROW_NUMBER() OVER (PARTITION BY tenant_id, phone_number_id
//!   …)`. SQLite has no
//!   row locks and needs none: it runs one writer at a time, and the statement is atomic.
//!
//! Pacing leases (PostgreSQL): a number's throughput is one budget at Meta, so one process paces
//! it at a time. The claim's first CTE takes the lease (`pacer_owner`, `pacer_until` on the
//! connection) of each number it picks, only where nobody holds it, it lapsed, or it is already
//! ours (`FOR UPDATE … SKIP LOCKED`, re-checked by the `UPDATE`), numbers we hold first; messages
//! are claimed only for the numbers it returned. Before each claim the owner renews its live
//! leases that are past half their length on numbers that still have pending messages, so a lane
//! busy longer than one round keeps its number; a crashed process's leases lapse with the same
//! duration as its claims, and a clean shutdown gives them back at once. SQLite runs one process
//! and ignores leases.
//!
//! A claim also notes, in `claim_lapsed`, whether it took the message over from a claim that
//! lapsed unfinished (every finished claim clears `claimed_until`): the holder may have died
//! mid-send, so the worker treats the message as in doubt.
//!
//! A partial index on `(tenant_id, phone_number_id, next_attempt_at, id) WHERE status_rank = 0`
//! keeps each number's probe an index range scan however large the message history grows.

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement, Value};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    ids::{MessageId, PhoneNumberId, TenantId},
    ports::{ClaimRequest, ClaimedMessage, Outbox, PacerId, StoreError, TenantBacklog},
};

use crate::{
    convert::timestamp,
    error::{classify, corrupt},
    repo::Params,
};

/// The outbox over `whatsapp_messages`.
#[derive(Debug, Clone)]
pub struct SqlOutbox {
    db: DatabaseConnection,
}

impl SqlOutbox {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The conditions that make a message of tenant `m.tenant_id` claimable at `now`.
const DUE: &str = "m.status_rank = 0 AND m.direction = 'outbound' \
     AND m.next_attempt_at <= {now} \
     AND (m.claimed_until IS NULL OR m.claimed_until < {now})";

fn claim_statement(backend: DbBackend, request: &ClaimRequest) -> Statement {
    let mut params = Params::new(backend);
    let lease = params.bind(timestamp::value(backend, request.lease_until));
    let now = params.bind(timestamp::value(backend, request.now));
    let due = DUE.replace("{now}", &now);
    let skip = if request.skip_tenants.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = request
            .skip_tenants
            .iter()
            .map(|t| params.bind(Value::Uuid(Some(t.as_uuid()))))
            .collect();
        format!("AND c.tenant_id NOT IN ({})", list.join(", "))
    };
    // Numbers from our own code, not input: written inline (SQLite wants integer literals here).
    let per_tenant = request.per_tenant;
    let limit = request.limit;
    let returning = "RETURNING whatsapp_messages.id, whatsapp_messages.tenant_id, \
         whatsapp_messages.attempts, whatsapp_messages.created_at, \
         whatsapp_messages.recipient_phone, whatsapp_messages.customer_bsuid, \
         whatsapp_messages.claim_lapsed, whatsapp_messages.phone_number_id";
    // `SET` reads the old row: a claim still set (and past, or the row would not be due) was
    // never finished by its holder.
    let claim = format!("claimed_until = {lease}, claim_lapsed = (claimed_until IS NOT NULL)");
    let sql = match backend {
        DbBackend::Postgres => {
            let me = params.bind(Value::Uuid(Some(request.owner.0)));
            let free = lease_free("", &me, &now);
            format!(
                "WITH owners AS ( \
                   UPDATE whatsapp_connections SET pacer_owner = {me}, pacer_until = {lease} \
                   WHERE {free} AND id IN ( \
                     SELECT c.id FROM whatsapp_connections c \
                     JOIN tenants t ON t.id = c.tenant_id AND t.enabled \
                     WHERE c.status = 'active' {skip} AND {free_c} \
                       AND EXISTS (SELECT 1 FROM whatsapp_messages m \
                                   WHERE m.tenant_id = c.tenant_id \
                                     AND m.phone_number_id = c.phone_number_id AND {due}) \
                     ORDER BY (c.pacer_owner IS NOT DISTINCT FROM {me}) DESC, random() \
                     LIMIT {limit} \
                     FOR UPDATE OF c SKIP LOCKED \
                   ) \
                   RETURNING tenant_id, phone_number_id \
                 ) \
                 UPDATE whatsapp_messages SET {claim} \
                 WHERE id IN ( \
                   SELECT picked.id FROM owners \
                   CROSS JOIN LATERAL ( \
                     SELECT m.id FROM whatsapp_messages m \
                     WHERE m.tenant_id = owners.tenant_id \
                       AND m.phone_number_id = owners.phone_number_id AND {due} \
                     ORDER BY m.next_attempt_at, m.id \
                     LIMIT {per_tenant} \
                     FOR UPDATE OF m SKIP LOCKED \
                   ) picked \
                   LIMIT {limit} \
                 ) {returning}",
                free_c = lease_free("c.", &me, &now),
            )
        }
        _ => format!(
            "UPDATE whatsapp_messages SET {claim} \
             WHERE id IN ( \
               SELECT id FROM ( \
                 SELECT m.id, m.next_attempt_at, \
                   ROW_NUMBER() OVER (PARTITION BY m.tenant_id, m.phone_number_id \
                                      ORDER BY m.next_attempt_at, m.id) AS turn \
                 FROM whatsapp_messages m \
                 JOIN whatsapp_connections c ON c.tenant_id = m.tenant_id \
                   AND c.phone_number_id = m.phone_number_id \
                 JOIN tenants t ON t.id = m.tenant_id AND t.enabled \
                 WHERE c.status = 'active' AND {due} {skip} \
               ) ranked \
               WHERE turn <= {per_tenant} \
               ORDER BY turn, next_attempt_at \
               LIMIT {limit} \
             ) {returning}"
        ),
    };
    params.statement(&sql)
}

/// A number this owner may pace: nobody holds it, its lease lapsed, or it is ours. `table` is
/// the connection table's alias with its dot (`c.`), or empty.
fn lease_free(table: &str, me: &str, now: &str) -> String {
    format!(
        "({table}pacer_owner IS NULL OR {table}pacer_owner = {me} \
         OR {table}pacer_until IS NULL OR {table}pacer_until < {now})"
    )
}

/// Renews the owner's live leases on numbers that still have messages in the outbox (claimed
/// ones included: a lane may hold them longer than one round), so a number stays with the
/// process pacing it while it has work, and lapses once it has none.
///
/// Only leases past half their length are renewed: rounds come far more often than that, so a
/// lease is renewed in time, and a round does not rewrite every connection row it owns (which
/// cost more than the claim itself under load).
fn renew_statement(backend: DbBackend, request: &ClaimRequest) -> Statement {
    let mut params = Params::new(backend);
    let lease = params.bind(timestamp::value(backend, request.lease_until));
    let now = params.bind(timestamp::value(backend, request.now));
    let half = request.now + (request.lease_until - request.now) / 2;
    let half = params.bind(timestamp::value(backend, half));
    let me = params.bind(Value::Uuid(Some(request.owner.0)));
    params.statement(&format!(
        "UPDATE whatsapp_connections SET pacer_until = {lease} \
         WHERE pacer_owner = {me} AND pacer_until >= {now} AND pacer_until < {half} \
           AND EXISTS (SELECT 1 FROM whatsapp_messages m \
                       WHERE m.tenant_id = whatsapp_connections.tenant_id \
                         AND m.phone_number_id = whatsapp_connections.phone_number_id \
                         AND m.status_rank = 0 AND m.direction = 'outbound')"
    ))
}

/// The number facts a claimed message needs, read once per claim round.
fn connection_statement(backend: DbBackend, numbers: &[&str]) -> Statement {
    let mut params = Params::new(backend);
    let list: Vec<String> = numbers
        .iter()
        .map(|n| params.bind(Value::from(*n)))
        .collect();
    params.statement(&format!(
        "SELECT tenant_id, phone_number_id, throughput_mps FROM whatsapp_connections \
         WHERE phone_number_id IN ({})",
        list.join(", ")
    ))
}

/// A claimed row before its connection's facts are joined in.
struct ClaimedRow {
    tenant_id: TenantId,
    id: MessageId,
    attempts: u32,
    created_at: OffsetDateTime,
    customer_key: String,
    lapsed: bool,
    number: String,
}

fn claimed_row(row: &QueryResult) -> Result<ClaimedRow, StoreError> {
    let bad = |e: sea_orm::DbErr| corrupt("whatsapp_messages", e);
    let bsuid: Option<String> = row.try_get("", "customer_bsuid").map_err(bad)?;
    let phone: Option<String> = row.try_get("", "recipient_phone").map_err(bad)?;
    Ok(ClaimedRow {
        tenant_id: TenantId::from_uuid(row.try_get::<Uuid>("", "tenant_id").map_err(bad)?),
        id: MessageId::from_uuid(row.try_get::<Uuid>("", "id").map_err(bad)?)
            .map_err(|e| corrupt("whatsapp_messages", e))?,
        attempts: u32::try_from(row.try_get::<i32>("", "attempts").map_err(bad)?).unwrap_or(0),
        created_at: row.try_get("", "created_at").map_err(bad)?,
        lapsed: row.try_get("", "claim_lapsed").map_err(bad)?,
        number: row
            .try_get::<Option<String>>("", "phone_number_id")
            .map_err(bad)?
            .ok_or_else(|| corrupt("whatsapp_messages", "a message without its number"))?,
        customer_key: bsuid.or(phone).ok_or_else(|| {
            corrupt(
                "whatsapp_messages",
                "an outbound message without a customer",
            )
        })?,
    })
}

#[async_trait]
impl Outbox for SqlOutbox {
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<ClaimedMessage>, StoreError> {
        let backend = self.db.get_database_backend();
        if backend == DbBackend::Postgres {
            self.db
                .execute_raw(renew_statement(backend, request))
                .await
                .map_err(classify)?;
        }
        if request.limit == 0 || request.per_tenant == 0 {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query_all_raw(claim_statement(backend, request))
            .await
            .map_err(classify)?;
        let claimed = rows
            .iter()
            .map(claimed_row)
            .collect::<Result<Vec<_>, _>>()?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted: Vec<&str> = claimed.iter().map(|row| row.number.as_str()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let numbers = self
            .db
            .query_all_raw(connection_statement(backend, &wanted))
            .await
            .map_err(classify)?;
        let mut by_number = std::collections::HashMap::with_capacity(numbers.len());
        for row in &numbers {
            let bad = |e: sea_orm::DbErr| corrupt("whatsapp_connections", e);
            let tenant = TenantId::from_uuid(row.try_get::<Uuid>("", "tenant_id").map_err(bad)?);
            let number: String = row.try_get("", "phone_number_id").map_err(bad)?;
            let parsed =
                PhoneNumberId::parse(&number).map_err(|e| corrupt("whatsapp_connections", e))?;
            let throughput: i32 = row.try_get("", "throughput_mps").map_err(bad)?;
            by_number.insert(
                number,
                (tenant, parsed, u32::try_from(throughput).unwrap_or(0)),
            );
        }
        let mut out = Vec::with_capacity(claimed.len());
        for row in claimed {
            // A number removed (or moved to another tenant) between the two statements: its
            // claim simply lapses.
            let Some((tenant, number, throughput)) = by_number.get(&row.number) else {
                continue;
            };
            if *tenant != row.tenant_id {
                continue;
            }
            out.push(ClaimedMessage {
                tenant_id: row.tenant_id,
                id: row.id,
                attempts: row.attempts,
                created_at: row.created_at,
                phone_number_id: number.clone(),
                throughput_mps: *throughput,
                customer_key: row.customer_key,
                lapsed: row.lapsed,
            });
        }
        // Oldest due first within the round, whatever order the database returned.
        out.sort_by_key(|m| (m.created_at, m.id.as_uuid()));
        Ok(out)
    }

    async fn schedule(
        &self,
        tenant: TenantId,
        id: MessageId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let mut params = Params::new(backend);
        let at = params.bind(timestamp::value(backend, at));
        let none = params.bind(timestamp::optional(backend, None));
        let id = params.bind(Value::Uuid(Some(id.as_uuid())));
        let tenant = params.bind(Value::Uuid(Some(tenant.as_uuid())));
        let sql = format!(
            "UPDATE whatsapp_messages SET next_attempt_at = {at}, claimed_until = {none} \
             WHERE id = {id} AND tenant_id = {tenant} AND status_rank = 0"
        );
        self.db
            .execute_raw(params.statement(&sql))
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn release(&self, tenant: TenantId, id: MessageId) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let mut params = Params::new(backend);
        let none = params.bind(timestamp::optional(backend, None));
        let id = params.bind(Value::Uuid(Some(id.as_uuid())));
        let tenant = params.bind(Value::Uuid(Some(tenant.as_uuid())));
        let sql = format!(
            "UPDATE whatsapp_messages SET claimed_until = {none} \
             WHERE id = {id} AND tenant_id = {tenant} AND status_rank = 0"
        );
        self.db
            .execute_raw(params.statement(&sql))
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn release_leases(&self, owner: PacerId) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let mut params = Params::new(backend);
        let none = params.bind(timestamp::optional(backend, None));
        let me = params.bind(Value::Uuid(Some(owner.0)));
        let sql = format!(
            "UPDATE whatsapp_connections SET pacer_owner = NULL, pacer_until = {none} \
             WHERE pacer_owner = {me}"
        );
        self.db
            .execute_raw(params.statement(&sql))
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn backlog(&self) -> Result<Vec<TenantBacklog>, StoreError> {
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT tenant_id, COUNT(*) AS pending, MIN(created_at) AS oldest \
                 FROM whatsapp_messages m \
                 WHERE m.status_rank = 0 AND m.direction = 'outbound' \
                 GROUP BY tenant_id",
            ))
            .await
            .map_err(classify)?;
        rows.iter()
            .map(|row| {
                let bad = |e: sea_orm::DbErr| corrupt("whatsapp_messages", e);
                Ok(TenantBacklog {
                    tenant_id: TenantId::from_uuid(
                        row.try_get::<Uuid>("", "tenant_id").map_err(bad)?,
                    ),
                    pending: u64::try_from(row.try_get::<i64>("", "pending").map_err(bad)?)
                        .unwrap_or(0),
                    oldest: row.try_get("", "oldest").map_err(bad)?,
                })
            })
            .collect()
    }
}
