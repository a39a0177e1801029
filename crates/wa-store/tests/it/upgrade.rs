//! Upgrading a database written before tenants could have several numbers
//! (`m20261207_002000_numbers_per_tenant`): every table is filled with the migrations as they
//! were, the new migration runs, and every row is checked, raw and through the ports; `down`
//! restores the old rows exactly, and refuses (changing nothing) once a tenant has two numbers.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use wa_domain::{
    connection::{Connection, ConnectionHealth},
    content::{OutboundContent, Text},
    conversation::CustomerActivity,
    customer::CustomerIdentity,
    event::{EventPayload, MessageStatusChanged},
    ids::{MessageId, PhoneNumberId, TenantId},
    inbound::InboundContent,
    ports::{
        ClaimRequest, ConnectionRepository, ConversationRepository, EventLog, MessageRepository,
        Outbox, PacerId,
    },
    status::MessageStatus,
};

use crate::{
    on_both_databases,
    support::{Backend, TestDb, bsuid, phone},
};

on_both_databases!(upgrade_keeps_every_row, down_refuses_several_numbers);

const MIGRATION: &str = "m20261207_002000_numbers_per_tenant";

/// Every table of the schema before the migration.
const TABLES: [&str; 13] = [
    "tenants",
    "tenant_credentials",
    "whatsapp_connections",
    "whatsapp_conversations",
    "whatsapp_messages",
    "api_keys",
    "webhook_inbox",
    "events",
    "signup_attempts",
    "whatsapp_templates",
    "template_syncs",
    "event_endpoints",
    "event_dead_letters",
];

/// A fresh database with every migration before [`MIGRATION`] applied.
async fn database_as_before(backend: Backend) -> TestDb {
    let db = TestDb::unmigrated(backend).await;
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == MIGRATION)
        .expect("the migration is registered");
    Migrator::up(db.connection(), Some(u32::try_from(before).unwrap()))
        .await
        .expect("the old migrations apply");
    db
}

/// Runs `sql` written with `?` placeholders (numbered for PostgreSQL).
async fn exec(db: &TestDb, sql: &str, values: Vec<Value>) {
    let backend = db.connection().get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        let mut numbered = String::new();
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                numbered.push_str(&format!("${n}"));
            } else {
                numbered.push(ch);
            }
        }
        numbered
    } else {
        sql.to_owned()
    };
    db.connection()
        .execute_raw(Statement::from_sql_and_values(backend, sql.clone(), values))
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// A stored time as `wa-store` writes it (fixed-width UTC), offset from a fixed instant.
fn ts(hours: i64) -> String {
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::hours(hours);
    at.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap()
}

fn uuid(id: Uuid) -> Value {
    Value::from(id)
}

/// What the old schema held, with the ids the checks need.
struct OldData {
    a: TenantId,
    b: TenantId,
    c: TenantId,
    number_a: PhoneNumberId,
    number_b: PhoneNumberId,
    /// Outbound messages of tenant A by status, and the due pending one.
    outbound_a: Vec<(MessageId, MessageStatus)>,
    pending_a: MessageId,
    pending_b: MessageId,
    inbound_a: Vec<MessageId>,
    /// A's customer with an open window (by phone), and the one known by BSUID only.
    window_customer: CustomerIdentity,
    bsuid_customer: CustomerIdentity,
    window_expires: String,
}

fn outbound_json() -> String {
    serde_json::to_string(&OutboundContent::Text(
        Text::new("hello", false).expect("valid text"),
    ))
    .unwrap()
}

fn inbound_json(body: &str) -> String {
    serde_json::to_string(&InboundContent::Text {
        body: body.to_owned(),
    })
    .unwrap()
}

/// Fills every table the way today's `main` writes them.
async fn fill(db: &TestDb) -> OldData {
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for (id, name, seq) in [
        (a, "Cafe Aviv", 3_i64),
        (b, "Bakery", 0),
        (c, "Unconnected", 0),
    ] {
        exec(
            db,
            &format!(
                "INSERT INTO tenants (id, name, enabled, event_seq, created_at, updated_at) \
                 VALUES (?, ?, true, {seq}, '{}', '{}')",
                ts(-100),
                ts(-99)
            ),
            vec![uuid(id), name.into()],
        )
        .await;
    }
    exec(
        db,
        &format!(
            "INSERT INTO tenant_credentials (tenant_id, kind, ciphertext, key_id, created_at, \
             rotated_at, expires_at, last_verified_at, revoked, updated_at) \
             VALUES (?, 'access_token', ?, 'k1', '{}', NULL, '{}', '{}', false, '{}')",
            ts(-90),
            ts(900),
            ts(-1),
            ts(-90)
        ),
        vec![uuid(a), Value::from(vec![1_u8, 2, 3, 250, 0, 7])],
    )
    .await;
    // A: active, its pacing lease held by a process that is gone; B: disconnected.
    let (number_a, number_b) = ("100000000000001", "100000000000002");
    exec(
        db,
        &format!(
            "INSERT INTO whatsapp_connections (id, tenant_id, waba_id, phone_number_id, \
             display_phone_number, business_name, status, verified_at, created_at, updated_at, \
             health_reason, health_changed_at, throughput_mps, throughput_level, quality_rating, \
             messaging_limit, verified_name, name_status, code_verification_status, \
             platform_type, pacer_owner, pacer_until) VALUES \
             (?, ?, '200000000000001', '{number_a}', '+1 555-010-0001', 'Cafe Aviv', 'active', \
              '{v}', '{c}', '{c}', NULL, '{c}', 1000, 'HIGH', 'GREEN', 'TIER_1K', 'Cafe Aviv', \
              'APPROVED', 'VERIFIED', 'CLOUD_API', ?, '{lapsed}'), \
             (?, ?, '200000000000002', '{number_b}', '+1 555-010-0002', 'Bakery', \
              'disconnected', NULL, '{c}', '{c}', 'Meta reported DISABLED_UPDATE', '{c}', 80, \
              NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            v = ts(-2),
            c = ts(-80),
            lapsed = ts(-1),
        ),
        vec![
            uuid(Uuid::now_v7()),
            uuid(a),
            uuid(Uuid::new_v4()),
            uuid(Uuid::now_v7()),
            uuid(b),
        ],
    )
    .await;
    // Conversations: A has a customer with an open window (already announced as closing) and
    // one known by BSUID only; B has one.
    let (conv_window, conv_bsuid, conv_b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let window_expires = ts(20);
    exec(
        db,
        &format!(
            "INSERT INTO whatsapp_conversations (id, tenant_id, customer_phone, customer_name, \
             window_opened_at, window_expires_at, last_message_at, message_count, created_at, \
             updated_at, customer_bsuid, customer_username, closing_notified_for, \
             closed_notified_for) VALUES \
             (?, ?, '{p1}', 'Dana', '{o}', '{window_expires}', '{o}', 9, '{c}', '{c}', NULL, NULL, \
              '{window_expires}', NULL), \
             (?, ?, NULL, NULL, NULL, NULL, '{c}', 1, '{c}', '{c}', '{u2}', 'dana2', NULL, NULL), \
             (?, ?, '{p3}', NULL, '{old}', '{old_end}', '{old}', 2, '{c}', '{c}', NULL, NULL, \
              '{old_end}', '{old_end}')",
            p1 = phone(1).as_str(),
            u2 = bsuid(2).as_str(),
            p3 = phone(3).as_str(),
            o = ts(-4),
            c = ts(-70),
            old = ts(-60),
            old_end = ts(-36),
        ),
        vec![
            uuid(conv_window),
            uuid(a),
            uuid(conv_bsuid),
            uuid(a),
            uuid(conv_b),
            uuid(b),
        ],
    )
    .await;
    // Messages: A's outbound in every state, two inbound; B's one pending.
    let statuses = [
        MessageStatus::Pending,
        MessageStatus::Accepted,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Read,
        MessageStatus::Played,
        MessageStatus::Failed,
    ];
    let mut outbound_a = Vec::new();
    for (n, status) in statuses.into_iter().enumerate() {
        let id = MessageId::generate();
        let pending = status == MessageStatus::Pending;
        let failed = status == MessageStatus::Failed;
        let wamid = (!pending).then(|| format!("wamid.out{n}"));
        exec(
            db,
            &format!(
                "INSERT INTO whatsapp_messages (id, tenant_id, conversation_id, wa_message_id, \
                 direction, type, content, recipient_phone, status, status_rank, error_code, \
                 error_class, error_title, accepted_at, sent_at, created_at, updated_at, \
                 idempotency_key, attempts, next_attempt_at, claimed_until, claim_lapsed, \
                 pricing_category, billable) VALUES \
                 (?, ?, ?, ?, 'outbound', 'text', ?, '{p1}', '{s}', {rank}, {code}, {class}, \
                  {title}, {accepted}, {sent}, '{c}', '{c}', 'key-{n}', {attempts}, {next}, \
                  {claimed}, false, {pricing}, {billable})",
                p1 = phone(1).as_str(),
                s = status.as_str(),
                rank = status.rank(),
                code = if failed { "'131026'" } else { "NULL" },
                class = if failed { "'permanent'" } else { "NULL" },
                title = if failed {
                    "'Message undeliverable'"
                } else {
                    "NULL"
                },
                accepted = if pending {
                    "NULL".to_owned()
                } else {
                    format!("'{}'", ts(-3))
                },
                sent = if status.rank() >= 2 && !failed {
                    format!("'{}'", ts(-3))
                } else {
                    "NULL".to_owned()
                },
                c = ts(-3),
                attempts = if pending { 2 } else { 1 },
                next = if pending {
                    format!("'{}'", ts(-1))
                } else {
                    "NULL".to_owned()
                },
                // A claim that lapsed: the upgrade must not lose that it was in doubt.
                claimed = if pending {
                    format!("'{}'", ts(-1))
                } else {
                    "NULL".to_owned()
                },
                pricing = if status.rank() >= 2 && !failed {
                    "'service'"
                } else {
                    "NULL"
                },
                billable = if status.rank() >= 2 && !failed {
                    "false"
                } else {
                    "NULL"
                },
            ),
            vec![
                uuid(id.as_uuid()),
                uuid(a),
                uuid(conv_window),
                wamid.into(),
                outbound_json().into(),
            ],
        )
        .await;
        outbound_a.push((id, status));
    }
    let mut inbound_a = Vec::new();
    for (n, (conversation, column, value)) in [
        (conv_window, "sender_phone", phone(1).as_str().to_owned()),
        (conv_bsuid, "customer_bsuid", bsuid(2).as_str().to_owned()),
    ]
    .into_iter()
    .enumerate()
    {
        let id = MessageId::generate();
        exec(
            db,
            &format!(
                "INSERT INTO whatsapp_messages (id, tenant_id, conversation_id, wa_message_id, \
                 direction, type, content, {column}, status, status_rank, sent_at, \
                 delivered_at, created_at, updated_at, attempts) VALUES \
                 (?, ?, ?, 'wamid.in{n}', 'inbound', 'text', ?, '{value}', 'delivered', 3, \
                  '{t}', '{t}', '{t}', '{t}', 0)",
                t = ts(-4),
            ),
            vec![
                uuid(id.as_uuid()),
                uuid(a),
                uuid(conversation),
                inbound_json(&format!("hi {n}")).into(),
            ],
        )
        .await;
        inbound_a.push(id);
    }
    let pending_b = MessageId::generate();
    exec(
        db,
        &format!(
            "INSERT INTO whatsapp_messages (id, tenant_id, conversation_id, direction, type, \
             content, recipient_phone, status, status_rank, created_at, updated_at, attempts, \
             next_attempt_at) VALUES \
             (?, ?, ?, 'outbound', 'text', ?, '{p3}', 'pending', 0, '{t}', '{t}', 0, '{t}')",
            p3 = phone(3).as_str(),
            t = ts(-2),
        ),
        vec![
            uuid(pending_b.as_uuid()),
            uuid(b),
            uuid(conv_b),
            outbound_json().into(),
        ],
    )
    .await;
    // The events as the store wrote them: the JSON of the payload's `data`.
    for (seq, (id, status)) in (1_i64..).zip(outbound_a.iter().skip(1).take(3)) {
        let payload = serde_json::to_value(EventPayload::MessageStatus(MessageStatusChanged {
            message_id: *id,
            wamid: None,
            customer: CustomerIdentity::new(None, Some(phone(1))).unwrap(),
            status: *status,
            previous: Some(MessageStatus::Pending),
            failure: None,
            pricing: None,
        }))
        .unwrap()["data"]
            .to_string();
        exec(
            db,
            &format!(
                "INSERT INTO events (tenant_id, seq, id, type, payload, schema, occurred_at, \
                 recorded_at) VALUES (?, {seq}, ?, 'message.status', ?, 1, '{t}', '{t}')",
                t = ts(-3),
            ),
            vec![uuid(a), uuid(Uuid::now_v7()), payload.into()],
        )
        .await;
    }
    exec(
        db,
        &format!(
            "INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at, revoked_at) \
             VALUES (?, ?, ?, 'wa_live_ab', '{t}', NULL)",
            t = ts(-50),
        ),
        vec![uuid(Uuid::now_v7()), uuid(a), Value::from(vec![9_u8; 32])],
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO webhook_inbox (received_at, body, attempts, next_attempt_at, \
             claimed_until, processed_at, last_error) VALUES \
             ('{t}', ?, 1, '{t}', NULL, '{t}', NULL), ('{t}', ?, 3, '{t}', '{t}', NULL, 'boom')",
            t = ts(-5),
        ),
        vec![
            Value::from(b"{\"object\":\"whatsapp_business_account\"}".to_vec()),
            Value::from(b"{\"entry\":[]}".to_vec()),
        ],
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO signup_attempts (tenant_id, code_fingerprint, reached, waba_id, \
             phone_number_id, business_id, failure, started_at, updated_at) VALUES \
             (?, 'f1ng3r', 'activate', '200000000000001', '{number_a}', '300', NULL, '{t}', \
              '{t}')",
            t = ts(-85),
        ),
        vec![uuid(a)],
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO whatsapp_templates (id, tenant_id, waba_id, meta_id, name, language, \
             category, status, spec, components, synced_at) VALUES \
             (?, ?, '200000000000001', '555', 'order_update', 'en_US', 'UTILITY', 'APPROVED', \
              '{{}}', '[]', '{t}')",
            t = ts(-6),
        ),
        vec![uuid(Uuid::now_v7()), uuid(a)],
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO template_syncs (tenant_id, synced_at, templates) VALUES (?, '{t}', 1)",
            t = ts(-6),
        ),
        vec![uuid(a)],
    )
    .await;
    let endpoint = Uuid::now_v7();
    exec(
        db,
        &format!(
            "INSERT INTO event_endpoints (id, tenant_id, url, event_types, enabled, secret, \
             previous_secret, previous_secret_until, cursor_seq, claimed_by, claimed_until, \
             created_at, updated_at) VALUES \
             (?, ?, 'https://app.example.com/wa', '[\"message.status\"]', true, ?, NULL, NULL, \
              2, NULL, NULL, '{t}', '{t}')",
            t = ts(-40),
        ),
        vec![uuid(endpoint), uuid(a), Value::from(vec![4_u8; 40])],
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO event_dead_letters (id, tenant_id, endpoint_id, event_id, event_seq, \
             event_type, body, attempts, last_status, last_error, first_attempt_at, \
             last_attempt_at, dead_at, redeliver_requested_at, delivered_at) VALUES \
             (?, ?, ?, ?, 1, 'message.status', '{{}}', 12, 500, NULL, '{t}', '{t}', '{t}', NULL, \
              NULL)",
            t = ts(-30),
        ),
        vec![
            uuid(Uuid::now_v7()),
            uuid(a),
            uuid(endpoint),
            uuid(Uuid::now_v7()),
        ],
    )
    .await;
    let pending_a = outbound_a[0].0;
    OldData {
        a: TenantId::from_uuid(a),
        b: TenantId::from_uuid(b),
        c: TenantId::from_uuid(c),
        number_a: PhoneNumberId::parse(number_a).unwrap(),
        number_b: PhoneNumberId::parse(number_b).unwrap(),
        outbound_a,
        pending_a,
        pending_b,
        inbound_a,
        window_customer: CustomerIdentity::new(None, Some(phone(1))).unwrap(),
        bsuid_customer: CustomerIdentity::new(Some(bsuid(2)), None).unwrap(),
        window_expires,
    }
}

/// A table's rows as text, column by column (the columns it had before the migration), sorted.
type Rows = Vec<Vec<(String, String)>>;

async fn columns(db: &TestDb, table: &str) -> Vec<String> {
    let backend = db.connection().get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}' \
             ORDER BY ordinal_position"
        ),
        _ => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
    };
    db.connection()
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

async fn rows(db: &TestDb, table: &str, columns: &[String]) -> Rows {
    let backend = db.connection().get_database_backend();
    let select: Vec<String> = columns
        .iter()
        .map(|c| match backend {
            DbBackend::Postgres => format!("COALESCE({c}::text, 'NULL') AS {c}"),
            _ => format!("quote({c}) AS {c}"),
        })
        .collect();
    let sql = format!("SELECT {} FROM {table}", select.join(", "));
    let mut rows: Rows = db
        .connection()
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| (c.clone(), row.try_get::<String>("", c).unwrap()))
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

/// Every table's rows, by the columns each had before the migration.
async fn snapshot(db: &TestDb, old_columns: &[(String, Vec<String>)]) -> Vec<(String, Rows)> {
    let mut all = Vec::new();
    for (table, columns) in old_columns {
        all.push((table.clone(), rows(db, table, columns).await));
    }
    all
}

async fn old_columns(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let mut all = Vec::new();
    for table in TABLES {
        all.push((table.to_owned(), columns(db, table).await));
    }
    all
}

/// One text value of a query.
async fn values(db: &TestDb, sql: &str) -> Vec<String> {
    let backend = db.connection().get_database_backend();
    db.connection()
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "v").unwrap())
        .collect()
}

async fn upgrade_keeps_every_row(migrated: TestDb) {
    let backend = migrated.backend;
    drop(migrated);
    let db = database_as_before(backend).await;
    let old = fill(&db).await;
    let columns = old_columns(&db).await;
    let before = snapshot(&db, &columns).await;
    for (table, rows) in &before {
        assert!(!rows.is_empty(), "{table} is filled");
    }

    Migrator::up(db.connection(), None).await.expect("upgrade");

    // Raw: every old column of every row is as it was.
    assert_eq!(
        snapshot(&db, &columns).await,
        before,
        "no old value changed"
    );
    // The new columns: each tenant's one connection is its default; conversations and messages
    // name their tenant's number.
    assert_eq!(
        values(
            &db,
            "SELECT CASE WHEN is_default THEN 'yes' ELSE 'no' END AS v FROM whatsapp_connections"
        )
        .await,
        ["yes", "yes"]
    );
    for table in ["whatsapp_conversations", "whatsapp_messages"] {
        let wrong = values(
            &db,
            &format!(
                "SELECT r.phone_number_id AS v FROM {table} r \
                 JOIN whatsapp_connections c ON c.tenant_id = r.tenant_id \
                 WHERE r.phone_number_id IS NULL OR r.phone_number_id <> c.phone_number_id"
            ),
        )
        .await;
        assert!(wrong.is_empty(), "{table}: {wrong:?}");
    }

    // Through the ports: the meaning is unchanged.
    let connections = db.connections();
    let a = connections.get(old.a).await.unwrap().expect("A's default");
    assert!(a.is_default);
    assert_eq!(a.phone_number_id, old.number_a);
    assert_eq!(a.health, ConnectionHealth::Active);
    assert_eq!(a.throughput_mps, 1000);
    assert_eq!(a.quality_rating.as_deref(), Some("GREEN"));
    let b = connections.get(old.b).await.unwrap().expect("B's default");
    assert_eq!(b.health, ConnectionHealth::Disconnected);
    assert_eq!(
        b.health_reason.as_deref(),
        Some("Meta reported DISABLED_UPDATE")
    );
    assert_eq!(connections.get(old.c).await.unwrap(), None);
    assert_eq!(connections.list(old.a).await.unwrap(), vec![a.clone()]);
    assert_eq!(
        connections.resolve_tenant(&old.number_b).await.unwrap(),
        Some(old.b)
    );

    let messages = db.messages();
    for (id, status) in &old.outbound_a {
        let stored = messages.get(old.a, *id).await.unwrap().expect("kept");
        assert_eq!(stored.lifecycle.status, *status);
        assert_eq!(stored.phone_number_id, old.number_a);
        assert_eq!(stored.customer, old.window_customer);
    }
    for id in &old.inbound_a {
        let stored = messages.get(old.a, *id).await.unwrap().expect("kept");
        assert_eq!(stored.phone_number_id, old.number_a);
    }
    let stored_b = messages
        .get(old.b, old.pending_b)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(stored_b.phone_number_id, old.number_b);
    assert_eq!(
        messages
            .find_by_idempotency_key(old.a, "key-0")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(old.pending_a)
    );

    // The window is A's number's, as it was the tenant's.
    let conversations = db.conversations();
    let window = conversations
        .find(old.a, &old.number_a, &old.window_customer)
        .await
        .unwrap()
        .expect("the conversation")
        .window
        .expect("its window");
    assert!(window.is_open(OffsetDateTime::now_utc()));
    assert_eq!(
        values(
            &db,
            &format!(
                "SELECT {} AS v FROM whatsapp_conversations WHERE window_expires_at IS NOT NULL \
                 AND customer_phone = '{}'",
                if backend == Backend::Postgres {
                    "to_char(window_expires_at AT TIME ZONE 'UTC', \
                     'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                } else {
                    "window_expires_at"
                },
                phone(1).as_str()
            )
        )
        .await,
        std::slice::from_ref(&old.window_expires)
    );
    let by_bsuid = conversations
        .find(old.a, &old.number_a, &old.bsuid_customer)
        .await
        .unwrap()
        .expect("the BSUID customer");
    assert_eq!(by_bsuid.message_count, 1);
    assert_eq!(by_bsuid.phone_number_id, old.number_a);
    // A customer's next message refreshes the same conversation, not a new one.
    let activity = CustomerActivity {
        customer: old.window_customer.clone(),
        profile_name: Some("Dana".to_owned()),
        at: OffsetDateTime::now_utc(),
        opens_window: true,
        count_message: true,
    };
    let after = conversations
        .record_activity(old.a, &old.number_a, &activity)
        .await
        .unwrap();
    assert_eq!(after.message_count, 10);
    let open = conversations
        .list_open(
            old.a,
            OffsetDateTime::now_utc(),
            wa_domain::message::Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(open.len(), 1);

    // The event log continues where it was.
    assert_eq!(db.events().head(old.a).await.unwrap(), 3);
    assert_eq!(db.events().read(old.a, 0, 10).await.unwrap().len(), 3);

    // The outbox claims A's due pending message from A's number, taking over the lapsed pacing
    // lease, and notes the lapsed claim; B's number is disconnected, so its message waits.
    let now = OffsetDateTime::now_utc();
    let claimed = db
        .outbox()
        .claim_due(&ClaimRequest {
            now,
            lease_until: now + Duration::seconds(60),
            limit: 10,
            per_tenant: 10,
            skip_tenants: Vec::new(),
            owner: PacerId::generate(),
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    assert_eq!(claimed[0].id, old.pending_a);
    assert_eq!(claimed[0].phone_number_id, old.number_a);
    assert_eq!(claimed[0].throughput_mps, 1000);
    assert!(claimed[0].lapsed);
}

async fn down_refuses_several_numbers(migrated: TestDb) {
    let backend = migrated.backend;
    drop(migrated);
    let db = database_as_before(backend).await;
    let old = fill(&db).await;
    let columns = old_columns(&db).await;
    let before = snapshot(&db, &columns).await;
    Migrator::up(db.connection(), None).await.expect("upgrade");
    let applied = Migrator::get_applied_migrations(db.connection())
        .await
        .unwrap()
        .len();

    // One number per tenant: down gives back exactly the old rows.
    Migrator::down(db.connection(), Some(1))
        .await
        .expect("down");
    assert_eq!(
        snapshot(&db, &columns).await,
        before,
        "down restores every row"
    );
    assert_eq!(
        old_columns(&db).await,
        columns,
        "down restores the old columns"
    );
    Migrator::up(db.connection(), None).await.expect("up again");

    // A second number, with its own conversation with a customer A already talks to.
    let second = PhoneNumberId::parse("100000000000009").unwrap();
    let mut connection: Connection = db.connections().get(old.a).await.unwrap().unwrap();
    connection.phone_number_id = second.clone();
    connection.display_phone_number = "+1 555-010-0009".to_owned();
    connection.is_default = false;
    db.connections().upsert(&connection).await.unwrap();
    let activity = CustomerActivity {
        customer: old.window_customer.clone(),
        profile_name: None,
        at: OffsetDateTime::now_utc(),
        opens_window: true,
        count_message: true,
    };
    db.conversations()
        .record_activity(old.a, &second, &activity)
        .await
        .unwrap();
    let with_two = snapshot(&db, &columns).await;

    let refused = Migrator::down(db.connection(), Some(1))
        .await
        .expect_err("down must refuse");
    assert!(refused.to_string().contains("several numbers"), "{refused}");
    assert_eq!(
        Migrator::get_applied_migrations(db.connection())
            .await
            .unwrap()
            .len(),
        applied
    );
    assert_eq!(snapshot(&db, &columns).await, with_two, "nothing changed");

    // With the second number gone but its conversation kept, down still refuses: one row per
    // customer could not hold both windows.
    db.connections().remove(old.a, &second).await.unwrap();
    let refused = Migrator::down(db.connection(), Some(1))
        .await
        .expect_err("down must refuse");
    assert!(refused.to_string().contains("several numbers"), "{refused}");
}
