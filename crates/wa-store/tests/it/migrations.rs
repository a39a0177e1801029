//! The migrations themselves: `up`, `down`, `up` again, on an empty database.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use wa_domain::{
    ids::{MessageId, Recipient},
    ports::{MessageRepository, TenantRepository},
};

use crate::{
    on_both_databases,
    support::{TestDb, migrator_up, outbound, phone},
};

on_both_databases!(up_down_up_round_trip);

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
    for table in [
        "tenants",
        "tenant_credentials",
        "whatsapp_connections",
        "whatsapp_conversations",
        "whatsapp_messages",
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
