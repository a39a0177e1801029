//! Tenant isolation: knowing another tenant's ids, wamids, keys or customers gets a tenant
//! nothing. Tenant A's rows are populated once; tenant B then calls every repository method with
//! A's identifiers, and A's whole state (read back through A's own calls) must be unchanged.

use wa_domain::ports::{ApiKeyRepository, SealedCredential, SealedCredentialStore};
use wa_domain::{
    connection::{Connection, ConnectionHealth, PhoneNumberInfo},
    conversation::{Conversation, CustomerActivity, IdentityChange},
    credential::CredentialKind,
    customer::CustomerIdentity,
    error_class::ErrorClass,
    ids::{MessageId, PhoneNumberId, Recipient, TenantId, WabaId},
    message::{MessageFailure, MessageFilter, Page, StatusOutcome, StoredMessage},
    ports::{
        ConnectionRepository, ConversationRepository, InboundInsert, MessageRepository,
        OutboundInsert, StoreError,
    },
    status::MessageStatus,
};

use crate::{
    on_both_databases,
    support::{TestDb, at, bsuid, inbound, number, outbound, phone, status, t0, wamid},
};

on_both_databases!(
    reads_with_another_tenants_identifiers_find_nothing,
    message_writes_with_another_tenants_identifiers_change_nothing,
    conversation_writes_for_the_same_customer_stay_apart,
    connections_credentials_and_keys_stay_apart,
);

/// The identifiers tenant A's rows are known by.
struct Known {
    outbound: MessageId,
    inbound: MessageId,
}

const KEY_HASH: [u8; 32] = [7; 32];

fn a_customer() -> CustomerIdentity {
    CustomerIdentity::from_phone(phone(1))
}

fn page<T>() -> Page<T> {
    Page {
        after: None,
        limit: 100,
    }
}

fn connection(tenant: TenantId, number: &str) -> Connection {
    Connection {
        tenant_id: tenant,
        is_default: true,
        waba_id: WabaId::parse("102290129340398").unwrap(),
        phone_number_id: PhoneNumberId::parse(number).unwrap(),
        display_phone_number: "+1 555 0100".to_owned(),
        business_name: "Acme".to_owned(),
        health: ConnectionHealth::Active,
        health_reason: None,
        health_changed_at: t0(),
        verified_at: Some(t0()),
        throughput_mps: 80,
        quality_rating: Some("GREEN".to_owned()),
        messaging_limit: None,
    }
}

fn credential(tenant: TenantId, ciphertext: &[u8]) -> SealedCredential {
    SealedCredential {
        tenant,
        kind: CredentialKind::AccessToken,
        ciphertext: ciphertext.to_vec(),
        key_id: "k1".to_owned(),
        created_at: t0(),
        rotated_at: None,
        expires_at: None,
        last_verified_at: None,
        revoked: false,
        updated_at: t0(),
    }
}

fn failure() -> MessageFailure {
    MessageFailure {
        class: ErrorClass::Permanent,
        code: Some(131_026),
        title: "no".to_owned(),
        details: None,
        fbtrace_id: None,
    }
}

/// Gives tenant `a` one of everything: a connection, an accepted outbound message with an
/// idempotency key, an inbound message, a conversation with an open window, a second customer
/// known only by BSUID, a sealed credential and an API key.
async fn populate(db: &TestDb, a: TenantId) -> Known {
    let messages = db.messages();
    db.connections()
        .upsert(&connection(a, "1111"))
        .await
        .unwrap();
    let sent = outbound(a, Recipient::Phone(phone(1)), Some("k"));
    messages.insert_outbound(&sent).await.unwrap();
    messages
        .mark_accepted(a, sent.id, &wamid("a-out"), at(1))
        .await
        .unwrap();
    let received = MessageId::generate();
    messages
        .insert_inbound(
            a,
            &number(),
            received,
            &inbound("a-in", a_customer(), at(2)),
        )
        .await
        .unwrap();
    for customer in [a_customer(), CustomerIdentity::from_bsuid(bsuid(1))] {
        db.conversations()
            .record_activity(
                a,
                &number(),
                &CustomerActivity {
                    customer,
                    profile_name: Some("Erika".to_owned()),
                    at: at(2),
                    opens_window: true,
                    count_message: true,
                },
            )
            .await
            .unwrap();
    }
    db.credentials()
        .put(&credential(a, b"sealed"))
        .await
        .unwrap();
    db.api_keys()
        .insert(a, KEY_HASH, "wa_live_a", t0())
        .await
        .unwrap();
    Known {
        outbound: sent.id,
        inbound: received,
    }
}

/// Everything tenant `a` can read about itself.
#[derive(Debug, PartialEq)]
struct Snapshot {
    messages: Vec<StoredMessage>,
    by_phone: Option<Conversation>,
    by_bsuid: Option<Conversation>,
    open: Vec<Conversation>,
    connection: Option<Connection>,
    credentials: Vec<Option<SealedCredential>>,
    key_owner: Option<TenantId>,
}

async fn snapshot(db: &TestDb, a: TenantId) -> Snapshot {
    let conversations = db.conversations();
    let mut credentials = Vec::new();
    for kind in CredentialKind::ALL {
        credentials.push(db.credentials().get(a, kind).await.unwrap());
    }
    Snapshot {
        messages: db
            .messages()
            .list(a, &MessageFilter::default(), page())
            .await
            .unwrap(),
        by_phone: conversations
            .find(a, &number(), &a_customer())
            .await
            .unwrap(),
        by_bsuid: conversations
            .find(a, &number(), &CustomerIdentity::from_bsuid(bsuid(1)))
            .await
            .unwrap(),
        open: conversations.list_open(a, t0(), page()).await.unwrap(),
        connection: db.connections().get(a).await.unwrap(),
        credentials,
        key_owner: db.api_keys().find_tenant(&KEY_HASH).await.unwrap(),
    }
}

async fn reads_with_another_tenants_identifiers_find_nothing(db: TestDb) {
    let (a, b) = (db.tenant().await, db.tenant().await);
    let known = populate(&db, a).await;
    let messages = db.messages();
    let conversations = db.conversations();

    for id in [known.outbound, known.inbound] {
        assert_eq!(messages.get(b, id).await.unwrap(), None);
    }
    for name in ["a-out", "a-in"] {
        assert_eq!(messages.find_by_wamid(b, &wamid(name)).await.unwrap(), None);
    }
    assert_eq!(
        messages.find_by_idempotency_key(b, "k").await.unwrap(),
        None
    );
    for filter in [
        MessageFilter::default(),
        MessageFilter {
            customer: Some(Recipient::Phone(phone(1))),
            ..MessageFilter::default()
        },
    ] {
        assert!(messages.list(b, &filter, page()).await.unwrap().is_empty());
    }
    // A cursor naming A's message pages through B's rows only.
    let after_a = Page {
        after: Some(known.inbound),
        limit: 10,
    };
    assert!(
        messages
            .list(b, &MessageFilter::default(), after_a)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        conversations
            .find(b, &number(), &a_customer())
            .await
            .unwrap(),
        None
    );
    let a_conversation = conversations
        .find(a, &number(), &a_customer())
        .await
        .unwrap()
        .unwrap();
    assert!(
        conversations
            .list_open(b, t0(), page())
            .await
            .unwrap()
            .is_empty()
    );
    let after_a = Page {
        after: Some(a_conversation.id),
        limit: 10,
    };
    assert!(
        conversations
            .list_open(b, t0(), after_a)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.connections().get(b).await.unwrap(), None);
    for kind in CredentialKind::ALL {
        assert_eq!(db.credentials().get(b, kind).await.unwrap(), None);
    }
    // Sanity: A does see its own rows through the same calls.
    let own = snapshot(&db, a).await;
    assert_eq!(own.messages.len(), 2);
    assert!(own.by_phone.is_some() && own.connection.is_some());
    assert_eq!(own.key_owner, Some(a));
}

async fn message_writes_with_another_tenants_identifiers_change_nothing(db: TestDb) {
    let (a, b) = (db.tenant().await, db.tenant().await);
    let known = populate(&db, a).await;
    let before = snapshot(&db, a).await;
    let messages = db.messages();

    // Status webhooks by wamid, alone and batched, and by callback id.
    for name in ["a-out", "a-in"] {
        let update = status(&wamid(name), MessageStatus::Read, at(3));
        assert_eq!(
            messages.apply_status(b, &update).await.unwrap(),
            StatusOutcome::UnknownMessage
        );
    }
    let mut by_callback = status(&wamid("b-guess"), MessageStatus::Failed, at(3));
    by_callback.callback_message_id = Some(known.outbound);
    by_callback.failure = Some(failure());
    let batch = [
        status(&wamid("a-out"), MessageStatus::Failed, at(3)),
        by_callback.clone(),
    ];
    assert_eq!(
        messages.apply_statuses(b, &batch).await.unwrap(),
        [StatusOutcome::UnknownMessage, StatusOutcome::UnknownMessage]
    );
    assert_eq!(
        messages.apply_status(b, &by_callback).await.unwrap(),
        StatusOutcome::UnknownMessage
    );
    let pending = status(&wamid("a-out"), MessageStatus::Pending, at(3));
    assert_eq!(
        messages.apply_status(b, &pending).await.unwrap(),
        StatusOutcome::UnknownMessage
    );

    // Send outcomes by id.
    for id in [known.outbound, known.inbound] {
        assert!(matches!(
            messages
                .mark_accepted(b, id, &wamid("b-steal"), at(3))
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            messages.mark_failed(b, id, &failure(), at(3)).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            messages.record_attempt(b, id, Some(failure())).await,
            Err(StoreError::NotFound)
        ));
    }

    // Inserts reusing A's message id fail without touching A's row; A's wamid and idempotency
    // key are free for B and make B's own rows.
    let mut same_id = outbound(b, Recipient::Phone(phone(1)), Some("k"));
    same_id.id = known.outbound;
    assert!(matches!(
        messages.insert_outbound(&same_id).await,
        Err(StoreError::Duplicate)
    ));
    let same_key = outbound(b, Recipient::Phone(phone(1)), Some("k"));
    assert!(matches!(
        messages.insert_outbound(&same_key).await.unwrap(),
        OutboundInsert::Inserted(stored) if stored.tenant_id == b
    ));
    assert!(matches!(
        messages
            .insert_inbound(
                b,
                &number(),
                known.inbound,
                &inbound("b-in", a_customer(), at(4))
            )
            .await,
        Err(StoreError::Duplicate)
    ));
    let replayed = MessageId::generate();
    assert_eq!(
        messages
            .insert_inbound(
                b,
                &number(),
                replayed,
                &inbound("a-in", a_customer(), at(2))
            )
            .await
            .unwrap(),
        InboundInsert::Inserted(replayed)
    );
    let batch_id = MessageId::generate();
    let batch = [(batch_id, inbound("a-out", a_customer(), at(2)))];
    assert_eq!(
        messages
            .insert_inbound_batch(b, &number(), &batch)
            .await
            .unwrap(),
        [InboundInsert::Inserted(batch_id)]
    );
    // B's copies of A's wamids are B's: B's status updates now reach them, not A's.
    let read = status(&wamid("a-in"), MessageStatus::Read, at(5));
    assert!(matches!(
        messages.apply_status(b, &read).await.unwrap(),
        StatusOutcome::Applied { message_id, .. } if message_id == replayed
    ));

    assert_eq!(snapshot(&db, a).await, before);
}

async fn conversation_writes_for_the_same_customer_stay_apart(db: TestDb) {
    let (a, b) = (db.tenant().await, db.tenant().await);
    populate(&db, a).await;
    let before = snapshot(&db, a).await;
    let conversations = db.conversations();
    let a_ids = [
        before.by_phone.as_ref().unwrap().id,
        before.by_bsuid.as_ref().unwrap().id,
    ];

    // B's activity for A's customers creates B's own rows and leaves A's window alone.
    let later = CustomerActivity {
        customer: a_customer(),
        profile_name: Some("Mallory".to_owned()),
        at: at(5_000),
        opens_window: true,
        count_message: true,
    };
    let b_row = conversations
        .record_activity(b, &number(), &later)
        .await
        .unwrap();
    assert_eq!(b_row.tenant_id, b);
    assert!(!a_ids.contains(&b_row.id));
    conversations
        .record_outbound(
            b,
            &number(),
            &CustomerIdentity::from_bsuid(bsuid(1)),
            at(5_000),
        )
        .await
        .unwrap();
    // Identities A has (phone and BSUID on two rows) would merge A's rows if they leaked.
    let both = CustomerIdentity::new(Some(bsuid(1)), Some(phone(1))).unwrap();
    let merged = conversations
        .record_activity(
            b,
            &number(),
            &CustomerActivity {
                customer: both.clone(),
                ..later.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(merged.tenant_id, b);
    assert!(!a_ids.contains(&merged.id));
    // A number change in B moves B's row only.
    conversations
        .change_identity(
            b,
            &IdentityChange {
                previous: both,
                current: CustomerIdentity::new(Some(bsuid(1)), Some(phone(2))).unwrap(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        conversations
            .find(b, &number(), &CustomerIdentity::from_phone(phone(2)))
            .await
            .unwrap()
            .map(|c| c.id),
        Some(merged.id)
    );

    assert_eq!(snapshot(&db, a).await, before);
}

async fn connections_credentials_and_keys_stay_apart(db: TestDb) {
    let (a, b) = (db.tenant().await, db.tenant().await);
    populate(&db, a).await;
    let before = snapshot(&db, a).await;
    let connections = db.connections();
    let credentials = db.credentials();

    // B has no connection: health and number updates of A's number find nothing for B.
    let a_number = PhoneNumberId::parse("1111").unwrap();
    assert!(matches!(
        connections
            .set_health(b, &a_number, ConnectionHealth::Invalid, None, at(9), None)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        connections
            .update_number_info(
                b,
                &a_number,
                &PhoneNumberInfo {
                    quality_rating: Some("RED".to_owned()),
                    ..PhoneNumberInfo::default()
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    // A's business number cannot be taken over.
    assert!(matches!(
        connections.upsert(&connection(b, "1111")).await,
        Err(StoreError::Duplicate)
    ));
    let number = PhoneNumberId::parse("1111").unwrap();
    assert_eq!(connections.resolve_tenant(&number).await.unwrap(), Some(a));

    // Credentials: B's compare-and-swap with A's ciphertext, verify and revoke miss A's row;
    // B's own put makes B's row.
    let kind = CredentialKind::AccessToken;
    assert!(
        !credentials
            .reseal(b, kind, b"sealed", b"evil".to_vec(), "k2".to_owned(), at(9))
            .await
            .unwrap()
    );
    assert!(!credentials.mark_verified(b, kind, at(9)).await.unwrap());
    assert!(!credentials.revoke(b, kind, at(9)).await.unwrap());
    credentials.put(&credential(b, b"bees")).await.unwrap();
    assert_eq!(
        credentials.get(b, kind).await.unwrap().unwrap().ciphertext,
        b"bees"
    );

    // An API key hash names one tenant: B cannot register A's.
    assert!(matches!(
        db.api_keys().insert(b, KEY_HASH, "wa_live_b", at(9)).await,
        Err(StoreError::Duplicate)
    ));

    assert_eq!(snapshot(&db, a).await, before);
}
