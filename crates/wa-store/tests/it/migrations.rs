//! The migrations themselves: `up`, `down`, `up` again, on an empty database.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};
use wa_domain::{
    ids::{MessageId, Recipient},
    ports::{MessageRepository, TenantRepository},
};

use crate::{
    on_both_databases,
    support::{Backend, TestDb, migrator_up, outbound, phone},
};

on_both_databases!(
    up_down_up_round_trip,
    each_migration_steps_down_and_up_alone
);

/// The names of the tables and indexes in the test database (or schema), sorted.
async fn schema_objects(db: &TestDb) -> Vec<String> {
    let sql = match db.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT relname::text AS name FROM pg_class \
             WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'i', 'S') \
             AND relname NOT LIKE 'seaql_migrations_pkey' ORDER BY relname"
        }
    };
    let rows = db
        .connection()
        .query_all_raw(Statement::from_string(
            db.connection().get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

/// Unused parameter: the round trip needs an empty database, not the migrated one.
async fn up_down_up_round_trip(migrated: TestDb) {
    let db = TestDb::unmigrated(migrated.backend).await;
    drop(migrated);
    let conn = db.connection();
    let count = Migrator::migrations().len();

    migrator_up(&db).await;
    assert_eq!(
        Migrator::get_applied_migrations(conn).await.unwrap().len(),
        count
    );
    let first_objects = schema_objects(&db).await;
    assert!(
        first_objects.len() > 20,
        "tables and indexes: {first_objects:?}"
    );
    let tenant = db.tenant().await;
    db.messages()
        .insert_outbound(&outbound(tenant, Recipient::Phone(phone(1)), None))
        .await
        .unwrap();

    Migrator::down(conn, None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(conn)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        schema_objects(&db).await,
        ["seaql_migrations"],
        "down leaves no table or index behind"
    );
    for table in [
        "tenants",
        "tenant_credentials",
        "whatsapp_connections",
        "whatsapp_conversations",
        "whatsapp_messages",
        "api_keys",
        "webhook_inbox",
    ] {
        assert!(
            conn.execute_unprepared(&format!("SELECT 1 FROM {table}"))
                .await
                .is_err(),
            "{table} is dropped"
        );
    }

    migrator_up(&db).await;
    assert_eq!(
        Migrator::get_applied_migrations(conn).await.unwrap().len(),
        count
    );
    assert_eq!(
        schema_objects(&db).await,
        first_objects,
        "up again rebuilds the same schema"
    );
    assert_eq!(
        db.tenants().get(tenant).await.unwrap(),
        None,
        "the data went with down"
    );
    let tenant = db.tenant().await;
    let message = outbound(tenant, Recipient::Phone(phone(1)), None);
    db.messages().insert_outbound(&message).await.unwrap();
    let id: MessageId = message.id;
    assert!(db.messages().get(tenant, id).await.unwrap().is_some());
}

/// Steps down one migration at a time, and back up one at a time, checking the schema after
/// every step matches the schema the same number of migrations built on the way up: each `down`
/// undoes exactly its own `up`.
async fn each_migration_steps_down_and_up_alone(migrated: TestDb) {
    let db = TestDb::unmigrated(migrated.backend).await;
    drop(migrated);
    let conn = db.connection();
    let count = Migrator::migrations().len();
    Migrator::install(conn).await.unwrap();
    let mut after_step = vec![schema_objects(&db).await];
    for _ in 0..count {
        Migrator::up(conn, Some(1)).await.unwrap();
        after_step.push(schema_objects(&db).await);
    }
    for applied in (0..count).rev() {
        Migrator::down(conn, Some(1)).await.unwrap();
        assert_eq!(
            Migrator::get_applied_migrations(conn).await.unwrap().len(),
            applied
        );
        assert_eq!(
            schema_objects(&db).await,
            after_step[applied],
            "after stepping down to {applied} migrations"
        );
    }
    for expected in &after_step[1..] {
        Migrator::up(conn, Some(1)).await.unwrap();
        assert_eq!(&schema_objects(&db).await, expected);
    }
}
