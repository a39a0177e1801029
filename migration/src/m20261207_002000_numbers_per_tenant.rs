//! Several WhatsApp numbers per tenant, and the customer-service window per business number.
//!
//! Meta opens a window per (business phone number, customer): a customer who wrote to a
//! tenant's support number has not opened one with its sales number. So:
//! - `whatsapp_connections` becomes one row per number: the one-per-tenant unique constraint on
//!   `tenant_id` goes (the unique `phone_number_id` stays, since webhooks are routed by it), and
//!   `is_default` marks the number a send uses when it names none, at most one per tenant (a
//!   partial unique index). Every existing connection becomes its tenant's default.
//! - `whatsapp_conversations` and `whatsapp_messages` gain `phone_number_id`, the business number
//!   of the conversation or message, filled from the tenant's connection (the only number a
//!   tenant could have until now). Conversations are unique per (tenant, number, customer).
//! - The outbox's partial index adds the number, since the claim now works number by number.
//!
//! The number columns are `NOT NULL` on PostgreSQL; SQLite cannot add that constraint to an
//! existing table without rebuilding it (the messages table may be large), so there they are
//! nullable and `wa-store` always writes them. `up` refuses, before changing anything, a database
//! holding conversations or messages of a tenant with no connection (today's code cannot write
//! one; their number would be unknown).
//!
//! `down` works while every tenant has at most one number and no customer has conversations with
//! two numbers of one tenant; otherwise it refuses before changing anything, naming what to
//! remove, since folding two numbers' windows and histories into one would change their meaning.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, DbBackend, Statement},
};

/// See the module documentation.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

/// The connections table as rebuilt on SQLite (its columns as of this migration).
#[derive(DeriveIden, Clone, Copy)]
enum WhatsappConnections {
    Id,
    TenantId,
    WabaId,
    PhoneNumberId,
    DisplayPhoneNumber,
    BusinessName,
    Status,
    VerifiedAt,
    CreatedAt,
    UpdatedAt,
    HealthReason,
    HealthChangedAt,
    ThroughputMps,
    ThroughputLevel,
    QualityRating,
    MessagingLimit,
    VerifiedName,
    NameStatus,
    CodeVerificationStatus,
    PlatformType,
    PacerOwner,
    PacerUntil,
    /// The number a send uses when it names none; at most one per tenant.
    IsDefault,
}

/// Every column of the connections table before this migration, in order.
const CONNECTION_COLUMNS: &str = "id, tenant_id, waba_id, phone_number_id, \
     display_phone_number, business_name, status, verified_at, created_at, updated_at, \
     health_reason, health_changed_at, throughput_mps, throughput_level, quality_rating, \
     messaging_limit, verified_name, name_status, code_verification_status, platform_type, \
     pacer_owner, pacer_until";

/// The connections table's definition on SQLite, `unique_tenant` as before this migration.
fn sqlite_connections_table(name: &str, unique_tenant: bool) -> TableCreateStatement {
    use WhatsappConnections as C;
    let mut tenant = ColumnDef::new(C::TenantId);
    tenant.uuid().not_null();
    if unique_tenant {
        tenant.unique_key();
    }
    let mut table = Table::create();
    table
        .table(Alias::new(name))
        .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
        .col(tenant)
        .col(ColumnDef::new(C::WabaId).string_len(50).not_null())
        .col(
            ColumnDef::new(C::PhoneNumberId)
                .string_len(50)
                .not_null()
                .unique_key(),
        )
        .col(
            ColumnDef::new(C::DisplayPhoneNumber)
                .string_len(32)
                .not_null(),
        )
        .col(ColumnDef::new(C::BusinessName).string_len(255).not_null())
        .col(
            ColumnDef::new(C::Status)
                .string_len(16)
                .not_null()
                .default("pending")
                .check(Expr::col(C::Status).is_in([
                    "pending",
                    "active",
                    "disconnected",
                    "invalid",
                ])),
        )
        .col(
            ColumnDef::new(C::VerifiedAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(
            ColumnDef::new(C::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(C::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(C::HealthReason).text().null())
        .col(
            ColumnDef::new(C::HealthChangedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(C::ThroughputMps)
                .integer()
                .not_null()
                .default(80),
        )
        .col(ColumnDef::new(C::ThroughputLevel).string_len(32).null())
        .col(ColumnDef::new(C::QualityRating).string_len(32).null())
        .col(ColumnDef::new(C::MessagingLimit).string_len(64).null())
        .col(ColumnDef::new(C::VerifiedName).string_len(255).null())
        .col(ColumnDef::new(C::NameStatus).string_len(64).null())
        .col(
            ColumnDef::new(C::CodeVerificationStatus)
                .string_len(64)
                .null(),
        )
        .col(ColumnDef::new(C::PlatformType).string_len(32).null())
        .col(ColumnDef::new(C::PacerOwner).uuid().null())
        .col(
            ColumnDef::new(C::PacerUntil)
                .timestamp_with_time_zone()
                .null(),
        );
    if !unique_tenant {
        table.col(
            ColumnDef::new(C::IsDefault)
                .boolean()
                .not_null()
                .default(false),
        );
    }
    table.foreign_key(
        ForeignKey::create()
            .name("fk_whatsapp_connections_tenant")
            .from(Alias::new(name), C::TenantId)
            .to(Tenants::Table, Tenants::Id)
            .on_delete(ForeignKeyAction::Cascade),
    );
    table.to_owned()
}

/// Rebuilds the connections table on SQLite (which cannot drop a column's `UNIQUE`): a new
/// table, every row copied, the old one dropped, the new one renamed, its index made again.
/// Nothing references `whatsapp_connections`, so the swap breaks no foreign key. One batch of
/// statements, so they run on one connection of the pool, in order.
async fn sqlite_rebuild_connections(
    manager: &SchemaManager<'_>,
    unique_tenant: bool,
) -> Result<(), DbErr> {
    let create = sqlite_connections_table("whatsapp_connections_next", unique_tenant)
        .to_string(SqliteQueryBuilder);
    let (columns, values) = if unique_tenant {
        (CONNECTION_COLUMNS.to_owned(), CONNECTION_COLUMNS.to_owned())
    } else {
        (
            format!("{CONNECTION_COLUMNS}, is_default"),
            format!("{CONNECTION_COLUMNS}, 1"),
        )
    };
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "{create}; \
             INSERT INTO whatsapp_connections_next ({columns}) \
             SELECT {values} FROM whatsapp_connections; \
             DROP TABLE whatsapp_connections; \
             ALTER TABLE whatsapp_connections_next RENAME TO whatsapp_connections; \
             CREATE INDEX idx_whatsapp_connections_pacer_owner \
             ON whatsapp_connections (pacer_owner)"
        ))
        .await
        .map(|_| ())
}

/// The first count a query returns (`SELECT COUNT(*) AS n …`).
async fn count(manager: &SchemaManager<'_>, sql: &str) -> Result<i64, DbErr> {
    let conn = manager.get_connection();
    // Every row read (`query_all`), so no statement stays open on a pooled connection.
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| DbErr::Custom(format!("no row from `{sql}`")))?;
    row.try_get::<i64>("", "n")
}

/// Refuses with `message` when the count is not zero.
async fn refuse_unless_none(
    manager: &SchemaManager<'_>,
    sql: &str,
    message: &str,
) -> Result<(), DbErr> {
    let found = count(manager, sql).await?;
    if found == 0 {
        Ok(())
    } else {
        Err(DbErr::Migration(format!("{message} ({found} found)")))
    }
}

/// Adds `phone_number_id` to a table of tenant rows, filled from the tenant's connection.
async fn add_number_column(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(
                    ColumnDef::new(WhatsappConnections::PhoneNumberId)
                        .string_len(50)
                        .null(),
                )
                .to_owned(),
        )
        .await?;
    conn.execute_unprepared(&format!(
        "UPDATE {table} SET phone_number_id = (SELECT c.phone_number_id \
         FROM whatsapp_connections c WHERE c.tenant_id = {table}.tenant_id)"
    ))
    .await?;
    if manager.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!(
            "ALTER TABLE {table} ALTER COLUMN phone_number_id SET NOT NULL"
        ))
        .await?;
    }
    Ok(())
}

/// `(name, columns)` of the conversations' unique indexes before and after this migration.
const CONVERSATION_INDEXES_BEFORE: [(&str, &str); 2] = [
    (
        "uq_whatsapp_conversations_tenant_phone",
        "tenant_id, customer_phone",
    ),
    (
        "uq_whatsapp_conversations_tenant_bsuid",
        "tenant_id, customer_bsuid",
    ),
];
const CONVERSATION_INDEXES_AFTER: [(&str, &str); 2] = [
    (
        "uq_whatsapp_conversations_number_phone",
        "tenant_id, phone_number_id, customer_phone",
    ),
    (
        "uq_whatsapp_conversations_number_bsuid",
        "tenant_id, phone_number_id, customer_bsuid",
    ),
];

async fn swap_conversation_indexes(
    manager: &SchemaManager<'_>,
    drop: [(&str, &str); 2],
    create: [(&str, &str); 2],
) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    for (name, _) in drop {
        conn.execute_unprepared(&format!("DROP INDEX {name}"))
            .await?;
    }
    // NULLs stay distinct in unique indexes on both databases, as before.
    for (name, columns) in create {
        conn.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX {name} ON whatsapp_conversations ({columns})"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for table in ["whatsapp_conversations", "whatsapp_messages"] {
            refuse_unless_none(
                manager,
                &format!(
                    "SELECT COUNT(*) AS n FROM {table} r WHERE NOT EXISTS \
                     (SELECT 1 FROM whatsapp_connections c WHERE c.tenant_id = r.tenant_id)"
                ),
                &format!(
                    "{table} holds rows of tenants without a connection, whose business \
                     number cannot be known; nothing was changed"
                ),
            )
            .await?;
        }

        // Connections: one row per number, a default per tenant.
        if manager.get_database_backend() == DbBackend::Postgres {
            conn.execute_unprepared(
                "ALTER TABLE whatsapp_connections \
                 DROP CONSTRAINT whatsapp_connections_tenant_id_key",
            )
            .await?;
            conn.execute_unprepared(
                "ALTER TABLE whatsapp_connections \
                 ADD COLUMN is_default boolean NOT NULL DEFAULT false",
            )
            .await?;
            // Each tenant had exactly one connection: it is the default.
            conn.execute_unprepared("UPDATE whatsapp_connections SET is_default = true")
                .await?;
        } else {
            sqlite_rebuild_connections(manager, false).await?;
        }
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX ux_whatsapp_connections_tenant_default \
             ON whatsapp_connections (tenant_id) WHERE is_default",
        )
        .await?;
        conn.execute_unprepared(
            "CREATE INDEX ix_whatsapp_connections_tenant \
             ON whatsapp_connections (tenant_id, phone_number_id)",
        )
        .await?;

        // Conversations: one per (tenant, number, customer).
        add_number_column(manager, "whatsapp_conversations").await?;
        swap_conversation_indexes(
            manager,
            CONVERSATION_INDEXES_BEFORE,
            CONVERSATION_INDEXES_AFTER,
        )
        .await?;

        // Messages: the number each was sent from or received at; the outbox by number.
        add_number_column(manager, "whatsapp_messages").await?;
        conn.execute_unprepared("DROP INDEX idx_whatsapp_messages_tenant_due")
            .await?;
        conn.execute_unprepared(
            "CREATE INDEX idx_whatsapp_messages_number_due \
             ON whatsapp_messages (tenant_id, phone_number_id, next_attempt_at, id) \
             WHERE status_rank = 0",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        refuse_unless_none(
            manager,
            "SELECT COUNT(*) AS n FROM (SELECT tenant_id FROM whatsapp_connections \
             GROUP BY tenant_id HAVING COUNT(*) > 1) several",
            "some tenants have several numbers: remove all but one of each before going back \
             (nothing was changed)",
        )
        .await?;
        refuse_unless_none(
            manager,
            "SELECT COUNT(*) AS n FROM ( \
               SELECT tenant_id FROM whatsapp_conversations WHERE customer_phone IS NOT NULL \
               GROUP BY tenant_id, customer_phone HAVING COUNT(*) > 1 \
               UNION ALL \
               SELECT tenant_id FROM whatsapp_conversations WHERE customer_bsuid IS NOT NULL \
               GROUP BY tenant_id, customer_bsuid HAVING COUNT(*) > 1) several",
            "some customers have conversations with several numbers of one tenant, which one \
             conversation per customer cannot hold (nothing was changed)",
        )
        .await?;

        conn.execute_unprepared("DROP INDEX idx_whatsapp_messages_number_due")
            .await?;
        conn.execute_unprepared(
            "CREATE INDEX idx_whatsapp_messages_tenant_due \
             ON whatsapp_messages (tenant_id, next_attempt_at, id) \
             WHERE status_rank = 0",
        )
        .await?;
        conn.execute_unprepared("ALTER TABLE whatsapp_messages DROP COLUMN phone_number_id")
            .await?;

        swap_conversation_indexes(
            manager,
            CONVERSATION_INDEXES_AFTER,
            CONVERSATION_INDEXES_BEFORE,
        )
        .await?;
        conn.execute_unprepared("ALTER TABLE whatsapp_conversations DROP COLUMN phone_number_id")
            .await?;

        conn.execute_unprepared("DROP INDEX ix_whatsapp_connections_tenant")
            .await?;
        conn.execute_unprepared("DROP INDEX ux_whatsapp_connections_tenant_default")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            conn.execute_unprepared("ALTER TABLE whatsapp_connections DROP COLUMN is_default")
                .await?;
            conn.execute_unprepared(
                "ALTER TABLE whatsapp_connections \
                 ADD CONSTRAINT whatsapp_connections_tenant_id_key UNIQUE (tenant_id)",
            )
            .await?;
        } else {
            sqlite_rebuild_connections(manager, true).await?;
        }
        Ok(())
    }
}
