//! Tenant isolation: knowing another tenant's ids, wamids or customers gets a tenant nothing.

use wa_domain::{
    conversation::CustomerActivity,
    credential::CredentialKind,
    customer::CustomerIdentity,
    error_class::ErrorClass,
    ids::{MessageId, Recipient},
    message::{MessageFailure, MessageFilter, Page, StatusOutcome},
    ports::{ConversationRepository, InboundInsert, MessageRepository, StoreError},
    status::MessageStatus,
};
use wa_store::CredentialRow;

use crate::{
    on_both_databases,
    support::{TestDb, at, inbound, outbound, phone, status, t0, wamid},
};

on_both_databases!(another_tenant_can_neither_read_nor_change_a_tenants_rows);

async fn another_tenant_can_neither_read_nor_change_a_tenants_rows(db: TestDb) {
    let (a, b) = (db.tenant().await, db.tenant().await);
    let messages = db.messages();
    let conversations = db.conversations();

    let sent = outbound(a, Recipient::Phone(phone(1)), Some("k"));
    messages.insert_outbound(&sent).await.unwrap();
    messages
        .mark_accepted(a, sent.id, &wamid("a-out"), at(1))
        .await
        .unwrap();
    let customer = CustomerIdentity::from_phone(phone(1));
    let received_id = MessageId::generate();
    messages
        .insert_inbound(a, received_id, &inbound("a-in", customer.clone(), at(2)))
        .await
        .unwrap();
    conversations
        .record_activity(
            a,
            &CustomerActivity {
                customer: customer.clone(),
                profile_name: None,
                at: at(2),
                opens_window: true,
                count_message: true,
            },
        )
        .await
        .unwrap();
    let before = messages.get(a, sent.id).await.unwrap().unwrap();

    // Reads.
    assert_eq!(messages.get(b, sent.id).await.unwrap(), None);
    assert_eq!(messages.get(b, received_id).await.unwrap(), None);
    assert_eq!(
        messages.find_by_wamid(b, &wamid("a-out")).await.unwrap(),
        None
    );
    assert_eq!(
        messages.find_by_idempotency_key(b, "k").await.unwrap(),
        None
    );
    let listed = messages
        .list(
            b,
            &MessageFilter::default(),
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(listed.is_empty());
    assert_eq!(conversations.find(b, &customer).await.unwrap(), None);
    let open = conversations
        .list_open(
            b,
            t0(),
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(open.is_empty());

    // Writes by wamid, by callback id and by id.
    let by_wamid = status(&wamid("a-out"), MessageStatus::Read, at(3));
    assert_eq!(
        messages.apply_status(b, &by_wamid).await.unwrap(),
        StatusOutcome::UnknownMessage
    );
    let mut by_callback = status(&wamid("b-guess"), MessageStatus::Failed, at(3));
    by_callback.callback_message_id = Some(sent.id);
    assert_eq!(
        messages.apply_statuses(b, &[by_callback]).await.unwrap(),
        [StatusOutcome::UnknownMessage]
    );
    assert!(matches!(
        messages
            .mark_accepted(b, sent.id, &wamid("b-steal"), at(3))
            .await,
        Err(StoreError::NotFound)
    ));
    let failure = MessageFailure {
        class: ErrorClass::Permanent,
        code: None,
        title: "no".to_owned(),
        details: None,
        fbtrace_id: None,
    };
    assert!(matches!(
        messages.mark_failed(b, sent.id, &failure, at(3)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        messages.record_attempt(b, sent.id, Some(failure)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(messages.get(a, sent.id).await.unwrap().unwrap(), before);

    // The same wamid and idempotency key are free for another tenant.
    assert!(matches!(
        messages
            .insert_inbound(
                b,
                MessageId::generate(),
                &inbound("a-in", customer.clone(), at(2))
            )
            .await
            .unwrap(),
        InboundInsert::Inserted(_)
    ));

    // Credentials.
    let credentials = db.credentials();
    let row = CredentialRow {
        tenant: a,
        kind: CredentialKind::AccessToken,
        ciphertext: vec![1, 2, 3],
        key_id: "k1".to_owned(),
        created_at: t0(),
        rotated_at: None,
        expires_at: None,
        last_verified_at: None,
        revoked: false,
        updated_at: t0(),
    };
    credentials.put(&row).await.unwrap();
    assert_eq!(
        credentials
            .get(b, CredentialKind::AccessToken)
            .await
            .unwrap(),
        None
    );
    assert!(
        !credentials
            .reseal(
                b,
                CredentialKind::AccessToken,
                &[1, 2, 3],
                vec![9],
                "k2".to_owned(),
                at(1)
            )
            .await
            .unwrap()
    );
    assert!(
        !credentials
            .revoke(b, CredentialKind::AccessToken, at(1))
            .await
            .unwrap()
    );
    assert_eq!(
        credentials
            .get(a, CredentialKind::AccessToken)
            .await
            .unwrap(),
        Some(row)
    );
}
