//! Conversations: windows that only move forward, identities that merge, open-window listing.

use std::sync::Arc;

use wa_domain::{
    conversation::{CustomerActivity, IdentityChange},
    customer::CustomerIdentity,
    ids::MessageId,
    message::{MessageFilter, Page},
    ports::{ConversationRepository, EventLog, MessageRepository},
    window::{WINDOW_LENGTH, Window},
};

use crate::{
    on_both_databases,
    support::{TestDb, at, bsuid, inbound, number, phone},
};

on_both_databases!(
    activity_opens_and_only_extends_the_window,
    concurrent_refreshes_keep_the_latest_window,
    a_phone_row_and_a_bsuid_row_merge_into_one,
    a_number_change_moves_the_conversation,
    outbound_counts_without_opening_a_window,
    open_windows_list_soonest_first_with_a_cursor,
);

fn activity(customer: CustomerIdentity, seconds: i64) -> CustomerActivity {
    CustomerActivity {
        customer,
        profile_name: None,
        at: at(seconds),
        opens_window: true,
        count_message: true,
    }
}

async fn activity_opens_and_only_extends_the_window(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.conversations();
    let customer = CustomerIdentity::from_phone(phone(1));
    let mut first = activity(customer.clone(), 100);
    first.profile_name = Some("Erika".to_owned());
    let conversation = repo
        .record_activity(tenant, &number(), &first)
        .await
        .unwrap();
    assert_eq!(conversation.window, Some(Window::opened_by(at(100))));
    assert_eq!(conversation.message_count, 1);
    assert_eq!(conversation.profile_name.as_deref(), Some("Erika"));

    // A late webhook for an older message: counted, but the window stays.
    let late = repo
        .record_activity(tenant, &number(), &activity(customer.clone(), 50))
        .await
        .unwrap();
    assert_eq!(late.window, Some(Window::opened_by(at(100))));
    assert_eq!(late.message_count, 2);
    assert_eq!(late.last_message_at, Some(at(100)));
    assert_eq!(
        late.profile_name.as_deref(),
        Some("Erika"),
        "kept when not sent"
    );

    // A reaction does not open the window; a replay is not counted.
    let mut reaction = activity(customer.clone(), 500);
    reaction.opens_window = false;
    reaction.count_message = false;
    let after = repo
        .record_activity(tenant, &number(), &reaction)
        .await
        .unwrap();
    assert_eq!(after.window, Some(Window::opened_by(at(100))));
    assert_eq!(after.message_count, 2);
    assert_eq!(after.last_message_at, Some(at(500)));

    let later = repo
        .record_activity(tenant, &number(), &activity(customer.clone(), 200))
        .await
        .unwrap();
    assert_eq!(later.window.unwrap().expires_at, at(200) + WINDOW_LENGTH);
    assert_eq!(
        repo.find(tenant, &number(), &customer).await.unwrap(),
        Some(later)
    );
}

async fn concurrent_refreshes_keep_the_latest_window(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = Arc::new(db.conversations());
    let customer = CustomerIdentity::from_phone(phone(3));
    // 24 customer messages processed by concurrent tasks in scrambled order; none existed before.
    let tasks: Vec<_> = (0..24_i64)
        .map(|n| {
            let (repo, customer) = (Arc::clone(&repo), customer.clone());
            tokio::spawn(async move {
                let seconds = (n * 7) % 24 * 60;
                repo.record_activity(tenant, &number(), &activity(customer, seconds))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let conversation = repo
        .find(tenant, &number(), &customer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conversation.window, Some(Window::opened_by(at(23 * 60))));
    assert_eq!(conversation.message_count, 24);
    // All 24 fell in one window: it opened once, however the writers interleaved (each locks
    // the customer's row before it looks at the window).
    let events = db.events().read(tenant, 0, 1000).await.unwrap();
    let opened = events
        .iter()
        .filter(|e| e.payload.kind() == "window.opened")
        .count();
    assert_eq!(
        opened,
        1,
        "{:?}",
        events.iter().map(|e| e.payload.kind()).collect::<Vec<_>>()
    );
}

async fn a_phone_row_and_a_bsuid_row_merge_into_one(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.conversations();
    let messages = db.messages();
    let by_phone = CustomerIdentity::from_phone(phone(1));
    let by_bsuid = CustomerIdentity::from_bsuid(bsuid(1));
    for (n, customer) in [(1, &by_phone), (2, &by_bsuid)] {
        let message = inbound(&format!("m{n}"), customer.clone(), at(n * 10));
        messages
            .insert_inbound(tenant, &number(), MessageId::generate(), &message)
            .await
            .unwrap();
        repo.record_activity(tenant, &number(), &activity(customer.clone(), n * 10))
            .await
            .unwrap();
    }
    // Meta now sends both: they are the same customer.
    let both = CustomerIdentity::new(Some(bsuid(1)), Some(phone(1))).unwrap();
    let merged = repo
        .record_activity(tenant, &number(), &activity(both.clone(), 30))
        .await
        .unwrap();
    assert_eq!(merged.customer, both);
    assert_eq!(merged.message_count, 3);
    assert_eq!(merged.window, Some(Window::opened_by(at(30))));
    for identity in [&by_phone, &by_bsuid, &both] {
        assert_eq!(
            repo.find(tenant, &number(), identity)
                .await
                .unwrap()
                .unwrap()
                .id,
            merged.id
        );
    }
    let open = repo
        .list_open(
            tenant,
            at(0),
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "one row is left");
    // Both customers' messages still list, under the surviving conversation.
    let all = messages
        .list(
            tenant,
            &MessageFilter::default(),
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

async fn a_number_change_moves_the_conversation(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.conversations();
    let old = CustomerIdentity::new(Some(bsuid(5)), Some(phone(5))).unwrap();
    let conversation = repo
        .record_activity(tenant, &number(), &activity(old.clone(), 10))
        .await
        .unwrap();
    let new = CustomerIdentity::new(Some(bsuid(5)), Some(phone(6))).unwrap();
    repo.change_identity(
        tenant,
        &IdentityChange {
            previous: old.clone(),
            current: new.clone(),
        },
    )
    .await
    .unwrap();
    let moved = repo
        .find(tenant, &number(), &CustomerIdentity::from_phone(phone(6)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.id, conversation.id);
    assert_eq!(moved.customer, new);
    assert_eq!(
        repo.find(tenant, &number(), &CustomerIdentity::from_phone(phone(5)))
            .await
            .unwrap(),
        None
    );
    // No conversation for the previous identity: nothing changes.
    let stranger = IdentityChange {
        previous: CustomerIdentity::from_phone(phone(7)),
        current: CustomerIdentity::from_phone(phone(8)),
    };
    repo.change_identity(tenant, &stranger).await.unwrap();
    assert_eq!(
        repo.find(tenant, &number(), &CustomerIdentity::from_phone(phone(8)))
            .await
            .unwrap(),
        None
    );
}

async fn outbound_counts_without_opening_a_window(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.conversations();
    let customer = CustomerIdentity::from_bsuid(bsuid(2));
    repo.record_outbound(tenant, &number(), &customer, at(5))
        .await
        .unwrap();
    repo.record_outbound(tenant, &number(), &customer, at(3))
        .await
        .unwrap();
    let conversation = repo
        .find(tenant, &number(), &customer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conversation.window, None);
    assert_eq!(conversation.message_count, 2);
    assert_eq!(conversation.last_message_at, Some(at(5)));
}

async fn open_windows_list_soonest_first_with_a_cursor(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.conversations();
    let mut expected = Vec::new();
    for (n, seconds) in [(1, 300), (2, 100), (3, 200), (4, 100)] {
        let conversation = repo
            .record_activity(
                tenant,
                &number(),
                &activity(CustomerIdentity::from_phone(phone(n)), seconds),
            )
            .await
            .unwrap();
        expected.push((seconds, conversation.id));
    }
    repo.record_outbound(
        tenant,
        &number(),
        &CustomerIdentity::from_phone(phone(9)),
        at(1),
    )
    .await
    .unwrap();
    expected.sort();
    let ids: Vec<_> = expected.iter().map(|(_, id)| *id).collect();

    let first = repo
        .list_open(
            tenant,
            at(0),
            Page {
                after: None,
                limit: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), ids[..2]);
    let rest = repo
        .list_open(
            tenant,
            at(0),
            Page {
                after: Some(ids[1]),
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|c| c.id).collect::<Vec<_>>(), ids[2..]);
    // At 24 hours and 150 seconds, only the windows opened at 200 and 300 are still open.
    let later = repo
        .list_open(
            tenant,
            at(150) + WINDOW_LENGTH,
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(later.iter().map(|c| c.id).collect::<Vec<_>>(), ids[2..]);
}
