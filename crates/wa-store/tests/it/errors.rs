//! The port's error classes: unique violations are `Duplicate`, missing rows (and rows naming a
//! tenant that does not exist) are `NotFound`, an unreachable or closed database is
//! `Unavailable`, a stored row the domain refuses is `Other`; never a panic, never a `DbErr`.

use sea_orm::ConnectionTrait;
use wa_domain::{
    conversation::CustomerActivity,
    customer::CustomerIdentity,
    ids::{MessageId, Recipient, TenantId},
    message::{MessageFilter, Page},
    ports::{ConversationRepository, MessageRepository, StoreError},
};
use wa_store::Store;

use crate::{
    on_both_databases,
    support::{Backend, TestDb, at, inbound, number, outbound, phone, postgres_url},
};

on_both_databases!(
    rows_for_an_unknown_tenant_are_not_found,
    an_unreachable_database_is_unavailable,
    a_closed_pool_is_unavailable,
    a_row_the_domain_refuses_is_other,
);

async fn rows_for_an_unknown_tenant_are_not_found(db: TestDb) {
    let ghost = TenantId::generate();
    let messages = db.messages();
    assert!(matches!(
        messages
            .insert_outbound(&outbound(ghost, Recipient::Phone(phone(1)), None))
            .await,
        Err(StoreError::NotFound)
    ));
    let customer = CustomerIdentity::from_phone(phone(1));
    assert!(matches!(
        messages
            .insert_inbound(
                ghost,
                &number(),
                MessageId::generate(),
                &inbound("g", customer.clone(), at(1))
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let activity = CustomerActivity {
        customer,
        profile_name: None,
        at: at(1),
        opens_window: true,
        count_message: true,
    };
    assert!(matches!(
        db.conversations()
            .record_activity(ghost, &number(), &activity)
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn an_unreachable_database_is_unavailable(db: TestDb) {
    let url = match db.backend {
        Backend::Sqlite => {
            // The database's folder would have to be created inside a regular file.
            let blocker = std::env::temp_dir().join(format!(
                "wa-store-it-blocker-{}",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::write(&blocker, b"not a folder").unwrap();
            let url = format!("sqlite://{}/sub/wa.db", blocker.display());
            let result = Store::connect(&url).await;
            std::fs::remove_file(&blocker).unwrap();
            assert!(matches!(result, Err(StoreError::Unavailable(_))));
            return;
        }
        Backend::Postgres => {
            // The configured server's credentials, on a port nothing listens on.
            let server = postgres_url();
            server.replacen("5432", "1", 1)
        }
    };
    assert_ne!(url, postgres_url(), "the test URL names port 5432");
    assert!(matches!(
        Store::connect(&url).await,
        Err(StoreError::Unavailable(_))
    ));
}

async fn a_closed_pool_is_unavailable(db: TestDb) {
    let tenant = db.tenant().await;
    db.store.clone().close().await.unwrap();
    let result = db
        .messages()
        .list(
            tenant,
            &MessageFilter::default(),
            Page {
                after: None,
                limit: 1,
            },
        )
        .await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(matches!(db.ping().await, Err(StoreError::Unavailable(_))));
}

async fn a_row_the_domain_refuses_is_other(db: TestDb) {
    let tenant = db.tenant().await;
    let messages = db.messages();
    let message = outbound(tenant, Recipient::Phone(phone(1)), None);
    messages.insert_outbound(&message).await.unwrap();
    db.connection()
        .execute_unprepared("UPDATE whatsapp_messages SET content = 'not json'")
        .await
        .unwrap();
    let result = messages.get(tenant, message.id).await;
    let Err(StoreError::Other(source)) = result else {
        panic!("expected Other, got {result:?}");
    };
    assert!(source.to_string().contains("whatsapp_messages"), "{source}");
}
