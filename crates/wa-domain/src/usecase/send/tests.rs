//! Tests for enqueue and deliver: every branch, against mocks of the ports.

use std::sync::{Arc, Mutex};

use crate::{
    connection::{Connection, ConnectionHealth},
    credential::{CredentialKind, ExposeSecret, SecretString},
    error_class::{ErrorClass, RateLimitScope},
    graph::{GraphError, GraphErrorInfo, SendReceipt},
    ids::{MessageId, PhoneNumberId, TenantId, WaMessageId},
    message::{MessageBody, NewOutbound, OutboundMessage, StoredMessage},
    ports::{OutboundInsert, VaultError},
    status::{Lifecycle, MessageStatus, Transition},
    usecase::test_support::{
        Mocks, NOW, business_number, closed_window, connection, customer, open_window, text_message,
    },
};

use super::*;

fn stored(new: &NewOutbound) -> StoredMessage {
    StoredMessage {
        id: new.id,
        tenant_id: new.tenant_id,
        phone_number_id: new.from.clone(),
        wamid: None,
        customer: new.message.recipient.clone().into(),
        body: MessageBody::Outbound(new.message.content.clone()),
        reply_to: new.message.reply_to.clone(),
        lifecycle: Lifecycle::pending(),
        failure: None,
        pricing: None,
        idempotency_key: new.idempotency_key.clone(),
        attempts: 0,
        created_at: new.created_at,
    }
}

fn pending_message(tenant_id: TenantId, id: MessageId) -> StoredMessage {
    stored(&NewOutbound {
        id,
        tenant_id,
        from: business_number(),
        message: text_message("hello"),
        idempotency_key: None,
        created_at: NOW,
    })
}

fn meta_error(code: i64) -> GraphError {
    GraphError {
        class: crate::error_class::classify_meta_code(code, false),
        code: Some(code),
        http_status: Some(400),
        in_doubt: false,
        info: Box::new(GraphErrorInfo {
            message: format!("(#{code}) something"),
            fbtrace_id: Some("AbCdEf".to_owned()),
            ..GraphErrorInfo::default()
        }),
    }
}

// ---- enqueue ------------------------------------------------------------------------------

#[tokio::test]
async fn enqueue_stores_a_pending_message_when_the_window_is_open() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default()
        .with_tenant(tenant, true)
        .with_connection(tenant, ConnectionHealth::Active)
        .with_window(tenant, Some(open_window()));
    mocks
        .messages
        .expect_find_by_idempotency_key()
        .withf(move |t, key| *t == tenant && key == "key-1")
        .times(1)
        .returning(|_, _| Ok(None));
    let seen = Arc::new(Mutex::new(None));
    let seen_in_mock = seen.clone();
    mocks
        .messages
        .expect_insert_outbound()
        .times(1)
        .returning(move |new| {
            *seen_in_mock.lock().unwrap() = Some(new.clone());
            Ok(OutboundInsert::Inserted(stored(new)))
        });
    let ports = mocks.into_ports();

    let enqueued = enqueue(
        &ports,
        tenant,
        text_message("hi"),
        None,
        Some("key-1".into()),
    )
    .await
    .unwrap();

    assert!(!enqueued.replayed);
    assert_eq!(enqueued.message.lifecycle.status, MessageStatus::Pending);
    let new = seen.lock().unwrap().clone().unwrap();
    assert_eq!(new.tenant_id, tenant);
    assert_eq!(new.created_at, NOW);
    assert_eq!(new.idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(new.message, text_message("hi"));
}

#[tokio::test]
async fn enqueue_refuses_free_form_after_the_window_closed() {
    let tenant = TenantId::generate();
    let ports = Mocks::default()
        .with_tenant(tenant, true)
        .with_connection(tenant, ConnectionHealth::Active)
        .with_window(tenant, Some(closed_window()))
        .into_ports();
    let err = enqueue(&ports, tenant, text_message("hi"), None, None)
        .await
        .unwrap_err();
    let SendError::WindowClosed(closed) = err else {
        panic!("expected WindowClosed, got {err:?}")
    };
    assert_eq!(closed.closed_at, Some(closed_window().expires_at));
}

#[tokio::test]
async fn enqueue_lets_a_template_through_a_closed_window_without_looking_at_it() {
    use crate::{
        content::{OutboundContent, Template},
        ids::{LanguageCode, TemplateName},
    };
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default()
        .with_tenant(tenant, true)
        .with_connection(tenant, ConnectionHealth::Active);
    // No window expectation: a template never needs one. Templates never synced: it passes.
    mocks
        .templates
        .expect_last_synced()
        .times(1)
        .returning(|_| Ok(None));
    mocks
        .messages
        .expect_insert_outbound()
        .times(1)
        .returning(|new| Ok(OutboundInsert::Inserted(stored(new))));
    let mut message = text_message("unused");
    message.content = OutboundContent::Template(Template::without_parameters(
        TemplateName::parse("hello_world").unwrap(),
        LanguageCode::parse("en_US").unwrap(),
    ));
    let enqueued = enqueue(&mocks.into_ports(), tenant, message, None, None)
        .await
        .unwrap();
    assert!(enqueued.message.body.kind() == crate::message::MessageKind::Template);
}

#[tokio::test]
async fn enqueue_refuses_free_form_to_a_customer_who_never_wrote() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default()
        .with_tenant(tenant, true)
        .with_connection(tenant, ConnectionHealth::Active);
    mocks
        .conversations
        .expect_find()
        .returning(|_, _, _| Ok(None));
    let err = enqueue(&mocks.into_ports(), tenant, text_message("hi"), None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::WindowClosed(WindowClosed { closed_at: None })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn enqueue_checks_tenant_and_connection() {
    let tenant = TenantId::generate();

    let mut mocks = Mocks::default();
    mocks.tenants.expect_get().returning(|_| Ok(None));
    let err = enqueue(&mocks.into_ports(), tenant, text_message("hi"), None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::TenantNotFound), "{err:?}");

    let ports = Mocks::default().with_tenant(tenant, false).into_ports();
    let err = enqueue(&ports, tenant, text_message("hi"), None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::TenantDisabled), "{err:?}");

    let mut mocks = Mocks::default().with_tenant(tenant, true);
    mocks.connections.expect_get().returning(|_| Ok(None));
    let err = enqueue(&mocks.into_ports(), tenant, text_message("hi"), None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::NotConnected), "{err:?}");

    for health in [
        ConnectionHealth::Pending,
        ConnectionHealth::Disconnected,
        ConnectionHealth::Invalid,
    ] {
        let ports = Mocks::default()
            .with_tenant(tenant, true)
            .with_connection(tenant, health)
            .into_ports();
        let err = enqueue(&ports, tenant, text_message("hi"), None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SendError::ConnectionNotActive(h) if h == health),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn enqueue_with_a_used_idempotency_key_returns_the_first_message() {
    let tenant = TenantId::generate();
    let first = pending_message(tenant, MessageId::generate());
    let mut mocks = Mocks::default();
    let existing = first.clone();
    mocks
        .messages
        .expect_find_by_idempotency_key()
        .withf(move |t, key| *t == tenant && key == "key-1")
        .returning(move |_, _| Ok(Some(existing.clone())));
    // No tenant, connection, window or insert expectations: nothing else may be touched.
    let enqueued = enqueue(
        &mocks.into_ports(),
        tenant,
        text_message("other text"),
        None,
        Some("key-1".into()),
    )
    .await
    .unwrap();
    assert!(enqueued.replayed);
    assert_eq!(enqueued.message, first);
}

#[tokio::test]
async fn enqueue_losing_an_idempotency_race_returns_the_winner() {
    let tenant = TenantId::generate();
    let winner = pending_message(tenant, MessageId::generate());
    let mut mocks = Mocks::default()
        .with_tenant(tenant, true)
        .with_connection(tenant, ConnectionHealth::Active)
        .with_window(tenant, Some(open_window()));
    mocks
        .messages
        .expect_find_by_idempotency_key()
        .returning(|_, _| Ok(None));
    let returned = winner.clone();
    mocks
        .messages
        .expect_insert_outbound()
        .returning(move |_| Ok(OutboundInsert::Existing(returned.clone())));
    let enqueued = enqueue(
        &mocks.into_ports(),
        tenant,
        text_message("hi"),
        None,
        Some("k".into()),
    )
    .await
    .unwrap();
    assert!(enqueued.replayed);
    assert_eq!(enqueued.message.id, winner.id);
}

#[tokio::test]
async fn enqueue_rejects_a_reaction_that_quotes_a_message() {
    use crate::content::{OutboundContent, Reaction};
    let target = WaMessageId::parse("wamid.target").unwrap();
    let mut message = text_message("unused");
    message.content = OutboundContent::Reaction(Reaction::new(target.clone(), "👍").unwrap());
    message.reply_to = Some(target);
    let err = enqueue(
        &Mocks::default().into_ports(),
        TenantId::generate(),
        message,
        None,
        None,
    )
    .await
    .unwrap_err();
    let SendError::Invalid(invalid) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(invalid.field(), "context.message_id");
}

#[tokio::test]
async fn enqueue_rejects_bad_idempotency_keys() {
    let tenant = TenantId::generate();
    for key in ["", "has space", &"k".repeat(256)] {
        let err = enqueue(
            &Mocks::default().into_ports(),
            tenant,
            text_message("hi"),
            None,
            Some(key.to_owned()),
        )
        .await
        .unwrap_err();
        let SendError::Invalid(invalid) = err else {
            panic!("expected Invalid, got {err:?}")
        };
        assert_eq!(invalid.field(), "idempotency_key");
    }
}

// ---- deliver ------------------------------------------------------------------------------

struct DeliverSetup {
    mocks: Mocks,
    tenant: TenantId,
    id: MessageId,
}

/// The default policy, with no jitter: waits are the shortest of their spread.
fn retrying() -> Retrying {
    Retrying {
        policy: RetryPolicy::default(),
        jitter: 0.0,
    }
}

fn deliver_setup(health: ConnectionHealth) -> DeliverSetup {
    deliver_setup_of(health, |_| {})
}

/// As [`deliver_setup`], the stored message changed by `edit` (attempts, age).
fn deliver_setup_of(
    health: ConnectionHealth,
    edit: impl FnOnce(&mut StoredMessage),
) -> DeliverSetup {
    let tenant = TenantId::generate();
    let id = MessageId::generate();
    let mut mocks = Mocks::default()
        .with_tenant(tenant, true)
        .with_connection(tenant, health);
    let mut message = pending_message(tenant, id);
    edit(&mut message);
    mocks
        .messages
        .expect_get()
        .withf(move |t, m| *t == tenant && *m == id)
        .returning(move |_, _| Ok(Some(message.clone())));
    DeliverSetup { mocks, tenant, id }
}

fn with_token(mut mocks: Mocks, tenant: TenantId) -> Mocks {
    mocks
        .vault
        .expect_get()
        .withf(move |t, kind| *t == tenant && *kind == CredentialKind::AccessToken)
        .returning(|_, _| Ok(SecretString::from("EAAG-token")));
    mocks
}

#[tokio::test]
async fn deliver_sends_with_our_id_as_callback_and_records_the_wamid() {
    let DeliverSetup { mocks, tenant, id } = deliver_setup(ConnectionHealth::Active);
    let mut mocks = with_token(mocks.with_window(tenant, Some(open_window())), tenant);
    mocks
        .graph
        .expect_send()
        .withf(move |sender, message: &OutboundMessage, callback| {
            sender.token.expose_secret() == "EAAG-token"
                && sender.phone_number_id
                    == connection(tenant, ConnectionHealth::Active).phone_number_id
                && *callback == id
                && *message == text_message("hello")
        })
        .times(1)
        .returning(|_, _, _| {
            Ok(SendReceipt {
                wamid: WaMessageId::parse("wamid.ABC").unwrap(),
                wa_id: Some("972541234567".into()),
                user_id: None,
                message_status: None,
            })
        });
    mocks
        .messages
        .expect_mark_accepted()
        .withf(move |t, m, wamid, at| {
            *t == tenant && *m == id && wamid.as_str() == "wamid.ABC" && *at == NOW
        })
        .times(1)
        .returning(|_, _, _, _| {
            Ok(Transition::Advanced {
                from: MessageStatus::Pending,
                to: MessageStatus::Accepted,
            })
        });
    mocks
        .conversations
        .expect_record_outbound()
        .withf(move |t, n, c, _| *t == tenant && *n == business_number() && *c == customer())
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    assert_eq!(
        delivery,
        Delivery::Accepted {
            wamid: WaMessageId::parse("wamid.ABC").unwrap()
        }
    );
}

#[tokio::test]
async fn deliver_schedules_a_retry_for_retryable_and_rate_limited_errors() {
    for code in [131000, 2, 130429, 131056] {
        let DeliverSetup { mocks, tenant, id } = deliver_setup(ConnectionHealth::Active);
        let mut mocks = with_token(mocks.with_window(tenant, Some(open_window())), tenant);
        mocks
            .graph
            .expect_send()
            .returning(move |_, _, _| Err(meta_error(code)));
        mocks
            .messages
            .expect_record_attempt()
            .withf(move |t, m, failure| {
                *t == tenant && *m == id && failure.as_ref().unwrap().code == Some(code)
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
            .await
            .unwrap();
        let Delivery::Retry {
            failure,
            in_doubt,
            attempts,
            at,
        } = delivery
        else {
            panic!("{code}: expected Retry, got {delivery:?}")
        };
        assert!(failure.class.is_retryable());
        assert_eq!(failure.fbtrace_id.as_deref(), Some("AbCdEf"));
        // Meta answered: it did not take the message.
        assert!(!in_doubt);
        assert_eq!(attempts, 1);
        let policy = RetryPolicy::default();
        assert_eq!(
            at,
            NOW + policy.wait(failure.class, 1, 0.0),
            "{code}: the policy's wait after a first failure"
        );
    }
}

#[tokio::test]
async fn deliver_gives_up_and_fails_the_message_after_the_last_attempt_or_once_too_old() {
    let policy = RetryPolicy::default();
    let last_attempt = |message: &mut StoredMessage| message.attempts = policy.max_attempts - 1;
    let too_old = |message: &mut StoredMessage| message.created_at = NOW - policy.max_age;
    let one_more = |message: &mut StoredMessage| message.attempts = policy.max_attempts - 2;
    for (case, edit, gives_up) in [
        (
            "the last attempt",
            &last_attempt as &dyn Fn(&mut StoredMessage),
            true,
        ),
        ("a day old", &too_old, true),
        ("one attempt left", &one_more, false),
    ] {
        let DeliverSetup { mocks, tenant, id } =
            deliver_setup_of(ConnectionHealth::Active, |message| edit(message));
        let mut mocks = with_token(mocks.with_window(tenant, Some(open_window())), tenant);
        mocks
            .graph
            .expect_send()
            .returning(|_, _, _| Err(meta_error(131000)));
        mocks
            .messages
            .expect_record_attempt()
            .times(1)
            .returning(|_, _, _| Ok(()));
        mocks
            .messages
            .expect_mark_failed()
            .withf(move |t, m, failure, at| {
                *t == tenant && *m == id && failure.code == Some(131000) && *at == NOW
            })
            .times(usize::from(gives_up))
            .returning(|_, _, _, _| {
                Ok(Transition::Advanced {
                    from: MessageStatus::Pending,
                    to: MessageStatus::Failed,
                })
            });
        let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
            .await
            .unwrap();
        match delivery {
            Delivery::GaveUp { failure, attempts } if gives_up => {
                assert_eq!(failure.class, ErrorClass::Retryable, "{case}");
                assert!(attempts >= 1, "{case}");
            }
            Delivery::Retry { attempts, .. } if !gives_up => {
                assert_eq!(attempts, policy.max_attempts - 1, "{case}");
            }
            other => panic!("{case}: got {other:?}"),
        }
    }
}

#[tokio::test]
async fn deliver_says_when_a_failed_send_may_have_reached_meta() {
    let DeliverSetup { mocks, tenant, id } = deliver_setup(ConnectionHealth::Active);
    let mut mocks = with_token(mocks.with_window(tenant, Some(open_window())), tenant);
    mocks.graph.expect_send().returning(|_, _, _| {
        Err(
            GraphError::transport(ErrorClass::Retryable, "the call timed out", None)
                .into_in_doubt(),
        )
    });
    mocks
        .messages
        .expect_record_attempt()
        .times(1)
        .returning(|_, _, _| Ok(()));
    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    let Delivery::Retry {
        failure,
        in_doubt,
        at,
        ..
    } = delivery
    else {
        panic!("expected Retry, got {delivery:?}")
    };
    assert_eq!(failure.class, ErrorClass::Retryable);
    assert!(in_doubt);
    assert_eq!(
        at,
        NOW + RetryPolicy::default().in_doubt_grace,
        "waits for the status webhook"
    );
}

#[tokio::test]
async fn deliver_fails_at_once_on_permanent_and_window_closed_errors() {
    for (code, class) in [
        (131026, ErrorClass::Permanent),
        (131047, ErrorClass::WindowClosed),
    ] {
        let DeliverSetup { mocks, tenant, id } = deliver_setup(ConnectionHealth::Active);
        let mut mocks = with_token(mocks.with_window(tenant, Some(open_window())), tenant);
        mocks
            .graph
            .expect_send()
            .returning(move |_, _, _| Err(meta_error(code)));
        mocks
            .messages
            .expect_mark_failed()
            .withf(move |t, m, failure, _| *t == tenant && *m == id && failure.class == class)
            .times(1)
            .returning(|_, _, _, _| {
                Ok(Transition::Advanced {
                    from: MessageStatus::Pending,
                    to: MessageStatus::Failed,
                })
            });
        let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
            .await
            .unwrap();
        assert!(
            matches!(delivery, Delivery::Failed { ref failure } if failure.code == Some(code)),
            "{delivery:?}"
        );
    }
}

#[tokio::test]
async fn deliver_holds_the_message_and_invalidates_the_connection_on_auth_errors() {
    let DeliverSetup { mocks, tenant, id } = deliver_setup(ConnectionHealth::Active);
    let mut mocks = with_token(mocks.with_window(tenant, Some(open_window())), tenant);
    mocks
        .graph
        .expect_send()
        .returning(|_, _, _| Err(meta_error(190)));
    mocks
        .messages
        .expect_record_attempt()
        .times(1)
        .returning(|_, _, _| Ok(()));
    mocks
        .connections
        .expect_set_health()
        .withf(move |t, n, health, reason, _, verified| {
            *t == tenant
                && *n == business_number()
                && *health == ConnectionHealth::Invalid
                && reason.as_ref().unwrap().contains("190")
                && verified.is_none()
        })
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    // No mark_failed expectation: the message must not fail.
    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    assert!(matches!(delivery, Delivery::Held { .. }), "{delivery:?}");
}

#[tokio::test]
async fn deliver_rechecks_the_window_and_fails_without_calling_meta() {
    let DeliverSetup { mocks, tenant, id } = deliver_setup(ConnectionHealth::Active);
    let mut mocks = mocks.with_window(tenant, Some(closed_window()));
    mocks
        .messages
        .expect_mark_failed()
        .withf(move |_, m, failure, _| {
            *m == id
                && failure.class == ErrorClass::WindowClosed
                && failure.title.contains("template")
        })
        .times(1)
        .returning(|_, _, _, _| {
            Ok(Transition::Advanced {
                from: MessageStatus::Pending,
                to: MessageStatus::Failed,
            })
        });
    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    assert!(matches!(delivery, Delivery::Failed { .. }), "{delivery:?}");
}

#[tokio::test]
async fn deliver_holds_when_the_connection_is_not_active() {
    for health in [
        ConnectionHealth::Invalid,
        ConnectionHealth::Disconnected,
        ConnectionHealth::Pending,
    ] {
        let DeliverSetup { mocks, tenant, id } = deliver_setup(health);
        let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
            .await
            .unwrap();
        assert!(
            matches!(delivery, Delivery::Held { .. }),
            "{health:?}: {delivery:?}"
        );
    }
}

#[tokio::test]
async fn deliver_holds_and_invalidates_when_the_token_is_missing() {
    let DeliverSetup {
        mut mocks,
        tenant,
        id,
    } = deliver_setup(ConnectionHealth::Active);
    mocks = mocks.with_window(tenant, Some(open_window()));
    mocks
        .vault
        .expect_get()
        .returning(|_, kind| Err(VaultError::NotFound(kind)));
    mocks
        .connections
        .expect_set_health()
        .withf(|_, _, health, _, _, _| *health == ConnectionHealth::Invalid)
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    assert!(matches!(delivery, Delivery::Held { .. }), "{delivery:?}");
}

#[tokio::test]
async fn deliver_skips_messages_that_already_left_pending() {
    let tenant = TenantId::generate();
    let id = MessageId::generate();
    let mut message = pending_message(tenant, id);
    message.lifecycle.status = MessageStatus::Accepted;
    let mut mocks = Mocks::default();
    mocks
        .messages
        .expect_get()
        .returning(move |_, _| Ok(Some(message.clone())));
    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    assert_eq!(
        delivery,
        Delivery::AlreadyProcessed {
            status: MessageStatus::Accepted
        }
    );
}

#[tokio::test]
async fn deliver_of_an_unknown_message_is_not_found() {
    let mut mocks = Mocks::default();
    mocks.messages.expect_get().returning(|_, _| Ok(None));
    let err = deliver(
        &mocks.into_ports(),
        TenantId::generate(),
        MessageId::generate(),
        retrying(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SendError::MessageNotFound), "{err:?}");
}

#[test]
fn rate_limit_scope_is_kept_in_the_class() {
    let error = meta_error(131056);
    assert_eq!(
        error.class,
        ErrorClass::RateLimited {
            scope: RateLimitScope::RecipientPair
        }
    );
}

#[tokio::test]
async fn enqueue_refuses_a_paused_template_naming_its_status() {
    use crate::{
        content::{OutboundContent, Template},
        ids::{LanguageCode, TemplateName, WabaId},
        template_catalog::{SyncedTemplate, TemplateMismatch, TemplateSpec},
    };
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default()
        .with_tenant(tenant, true)
        .with_connection(tenant, ConnectionHealth::Active);
    mocks
        .templates
        .expect_last_synced()
        .returning(|_| Ok(Some(NOW)));
    mocks
        .templates
        .expect_find_by_name()
        .withf(move |t, name| *t == tenant && name == "hello_world")
        .returning(|_, _| {
            Ok(vec![SyncedTemplate {
                waba_id: WabaId::parse("102290129340398").unwrap(),
                meta_id: Some("1".to_owned()),
                name: "hello_world".to_owned(),
                language: "en_US".to_owned(),
                category: None,
                status: "PAUSED".to_owned(),
                spec: TemplateSpec::default(),
                components_json: None,
                synced_at: NOW,
            }])
        });
    // No insert expectation: nothing is stored.
    let mut message = text_message("unused");
    message.content = OutboundContent::Template(Template::without_parameters(
        TemplateName::parse("hello_world").unwrap(),
        LanguageCode::parse("en_US").unwrap(),
    ));
    let err = enqueue(&mocks.into_ports(), tenant, message, None, None)
        .await
        .unwrap_err();
    let SendError::TemplateMismatch(TemplateMismatch::NotApproved { status, .. }) = err else {
        panic!("expected NotApproved, got {err:?}")
    };
    assert_eq!(status, "PAUSED");
}

// ---- several numbers ----------------------------------------------------------------------

/// The tenant's second number (not its default).
fn sales_number() -> PhoneNumberId {
    PhoneNumberId::parse("106540352242999").unwrap()
}

/// Mocks for a tenant with two numbers: the default (support) and `sales` with `sales_health`;
/// the customer's window is open with the default number and closed with the sales number.
fn two_numbers(tenant: TenantId, sales_health: ConnectionHealth) -> Mocks {
    let mut mocks = Mocks::default().with_tenant(tenant, true);
    let numbers = move || {
        let support = connection(tenant, ConnectionHealth::Active);
        let sales = Connection {
            is_default: false,
            phone_number_id: sales_number(),
            display_phone_number: "+1 555-078-9999".to_owned(),
            health: sales_health,
            ..connection(tenant, ConnectionHealth::Active)
        };
        vec![support, sales]
    };
    mocks.connections.expect_list().returning(move |t| {
        assert_eq!(t, tenant, "queried another tenant");
        Ok(numbers())
    });
    mocks.connections.expect_get().returning(move |t| {
        assert_eq!(t, tenant, "queried another tenant");
        Ok(numbers().into_iter().find(|c| c.is_default))
    });
    mocks
        .connections
        .expect_get_number()
        .returning(move |t, number| {
            assert_eq!(t, tenant, "queried another tenant");
            Ok(numbers().into_iter().find(|c| &c.phone_number_id == number))
        });
    mocks
        .conversations
        .expect_find()
        .returning(move |t, number, customer| {
            let window = if *number == business_number() {
                open_window()
            } else {
                closed_window()
            };
            Ok(Some(crate::conversation::Conversation {
                id: crate::conversation::ConversationId::generate(),
                tenant_id: t,
                phone_number_id: number.clone(),
                customer: customer.clone(),
                profile_name: None,
                window: Some(window),
                last_message_at: None,
                message_count: 1,
            }))
        });
    mocks
}

fn expect_stored_from(mocks: &mut Mocks, number: PhoneNumberId) {
    mocks
        .messages
        .expect_insert_outbound()
        .withf(move |new| new.from == number)
        .times(1)
        .returning(|new| Ok(OutboundInsert::Inserted(stored(new))));
}

#[tokio::test]
async fn a_send_goes_from_the_default_number_or_the_one_it_names() {
    let tenant = TenantId::generate();
    // No `from`: the default number, whose window is open.
    let mut mocks = two_numbers(tenant, ConnectionHealth::Active);
    expect_stored_from(&mut mocks, business_number());
    let enqueued = enqueue(&mocks.into_ports(), tenant, text_message("hi"), None, None)
        .await
        .unwrap();
    assert_eq!(enqueued.message.phone_number_id, business_number());

    // Named by its id, or by its display number in another notation; a template needs no
    // window.
    for from in ["106540352242999", "+1 (555) 078 9999", "15550789999"] {
        let mut mocks = two_numbers(tenant, ConnectionHealth::Active);
        expect_stored_from(&mut mocks, sales_number());
        let mut message = text_message("hi");
        message.content = crate::content::OutboundContent::Template(
            crate::content::Template::without_parameters(
                crate::ids::TemplateName::parse("hello_world").unwrap(),
                crate::ids::LanguageCode::parse("en_US").unwrap(),
            ),
        );
        mocks.templates.expect_last_synced().returning(|_| Ok(None));
        let enqueued = enqueue(&mocks.into_ports(), tenant, message, Some(from), None)
            .await
            .unwrap();
        assert_eq!(enqueued.message.phone_number_id, sales_number(), "{from}");
    }
}

#[tokio::test]
async fn the_window_is_the_sending_numbers() {
    let tenant = TenantId::generate();
    // Open with the default number, closed with the sales number: free-form text is refused
    // from the sales number only.
    let err = enqueue(
        &two_numbers(tenant, ConnectionHealth::Active).into_ports(),
        tenant,
        text_message("hi"),
        Some("106540352242999"),
        None,
    )
    .await
    .unwrap_err();
    let SendError::WindowClosed(closed) = err else {
        panic!("expected WindowClosed, got {err:?}")
    };
    assert_eq!(closed.closed_at, Some(closed_window().expires_at));

    let mut mocks = two_numbers(tenant, ConnectionHealth::Active);
    expect_stored_from(&mut mocks, business_number());
    enqueue(
        &mocks.into_ports(),
        tenant,
        text_message("hi"),
        Some("106540352242922"),
        None,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn another_tenants_or_an_inactive_number_is_refused() {
    let tenant = TenantId::generate();
    let err = enqueue(
        &two_numbers(tenant, ConnectionHealth::Active).into_ports(),
        tenant,
        text_message("hi"),
        Some("106540352240000"),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SendError::UnknownNumber(from) if from == "106540352240000"),
        "{err:?}"
    );
    let err = enqueue(
        &two_numbers(tenant, ConnectionHealth::Disconnected).into_ports(),
        tenant,
        text_message("hi"),
        Some("+1 555-078-9999"),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::ConnectionNotActive(ConnectionHealth::Disconnected)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn delivery_checks_and_uses_the_messages_own_number() {
    let tenant = TenantId::generate();
    let id = MessageId::generate();
    // Queued from the sales number, whose window has closed since: it fails, and nothing is
    // sent from the default number instead.
    let mut mocks = two_numbers(tenant, ConnectionHealth::Active);
    let mut message = pending_message(tenant, id);
    message.phone_number_id = sales_number();
    mocks
        .messages
        .expect_get()
        .returning(move |_, _| Ok(Some(message.clone())));
    mocks
        .messages
        .expect_mark_failed()
        .withf(|_, _, failure, _| failure.class == ErrorClass::WindowClosed)
        .times(1)
        .returning(|_, _, _, _| {
            Ok(Transition::Advanced {
                from: MessageStatus::Pending,
                to: MessageStatus::Failed,
            })
        });
    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    assert!(matches!(delivery, Delivery::Failed { .. }), "{delivery:?}");

    // Queued from the sales number, now disconnected: held, not sent from another number.
    let mut mocks = two_numbers(tenant, ConnectionHealth::Disconnected);
    let mut message = pending_message(tenant, id);
    message.phone_number_id = sales_number();
    mocks
        .messages
        .expect_get()
        .returning(move |_, _| Ok(Some(message.clone())));
    let delivery = deliver(&mocks.into_ports(), tenant, id, retrying())
        .await
        .unwrap();
    assert!(matches!(delivery, Delivery::Held { .. }), "{delivery:?}");
}
