//! Tests for Embedded Signup: every step in order, resuming after a failure without exchanging
//! the code again, discovery when the session info was lost, and failures naming their step.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::{
    connection::{ConnectionHealth, PhoneNumberInfo},
    credential::{CredentialKind, ExposeSecret, SecretString},
    error_class::ErrorClass,
    graph::{GraphError, GraphErrorInfo},
    ids::{PhoneNumberId, TenantId, WabaId},
    onboarding::{BusinessNumber, ExchangedToken, SignupCode, SignupState, SignupStep, TokenGrant},
    usecase::test_support::{Mocks, connection},
};

use super::*;

const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";

/// What the fakes behind the mocks hold between calls.
#[derive(Default)]
struct World {
    signup: Option<SignupState>,
    vault: HashMap<CredentialKind, String>,
    connection_health: Option<ConnectionHealth>,
    calls: Vec<&'static str>,
}

type Shared = Arc<Mutex<World>>;

fn meta_error(class: ErrorClass, code: i64) -> GraphError {
    GraphError {
        class,
        code: Some(code),
        http_status: Some(400),
        in_doubt: false,
        info: Box::new(GraphErrorInfo {
            message: format!("meta error {code}"),
            ..GraphErrorInfo::default()
        }),
    }
}

fn request(code: Option<&str>, session: bool) -> SignupRequest {
    SignupRequest {
        code: code.map(|code| SignupCode {
            code: SecretString::from(code.to_owned()),
            fingerprint: format!("fp-{code}"),
        }),
        waba_id: session.then(|| WabaId::parse(WABA).unwrap()),
        phone_number_id: session.then(|| PhoneNumberId::parse(NUMBER).unwrap()),
        business_id: None,
        pin: None,
        generated_pin: SecretString::from("482913"),
    }
}

/// Mocks over a shared world; `fail_subscribe` makes the subscription fail with Meta's 2.
fn mocks(tenant: TenantId, world: &Shared, fail_subscribe: bool) -> Mocks {
    let mut mocks = Mocks::default().with_tenant(tenant, true);
    let w = world.clone();
    mocks
        .signups
        .expect_get()
        .returning(move |_| Ok(w.lock().unwrap().signup.clone()));
    let w = world.clone();
    mocks.signups.expect_save().returning(move |state| {
        w.lock().unwrap().signup = Some(state.clone());
        Ok(())
    });
    let w = world.clone();
    mocks
        .vault
        .expect_store()
        .returning(move |t, kind, secret, _| {
            assert_eq!(t, tenant);
            w.lock()
                .unwrap()
                .vault
                .insert(kind, secret.expose_secret().to_owned());
            Ok(())
        });
    let w = world.clone();
    mocks.vault.expect_get().returning(move |_, kind| {
        w.lock()
            .unwrap()
            .vault
            .get(&kind)
            .map(|s| SecretString::from(s.clone()))
            .ok_or(VaultError::NotFound(kind))
    });
    mocks
        .vault
        .expect_mark_verified()
        .returning(|_, _, _| Ok(()));
    let w = world.clone();
    mocks.account.expect_exchange_code().returning(move |code| {
        w.lock().unwrap().calls.push("exchange");
        assert_eq!(
            code.expose_secret(),
            "code-1",
            "only the first code is exchanged"
        );
        Ok(ExchangedToken {
            token: SecretString::from("EAAG-business"),
            expires_at: None,
        })
    });
    let w = world.clone();
    mocks.account.expect_debug_token().returning(move |_| {
        w.lock().unwrap().calls.push("debug_token");
        Ok(TokenGrant {
            is_valid: true,
            expires_at: None,
            waba_ids: vec![WabaId::parse(WABA).unwrap()],
        })
    });
    let w = world.clone();
    mocks.account.expect_phone_numbers().returning(move |_, _| {
        w.lock().unwrap().calls.push("phone_numbers");
        Ok(vec![BusinessNumber {
            id: PhoneNumberId::parse(NUMBER).unwrap(),
            info: PhoneNumberInfo::default(),
        }])
    });
    let w = world.clone();
    mocks
        .account
        .expect_subscribe_app()
        .returning(move |token, _| {
            assert_eq!(token.expose_secret(), "EAAG-business");
            w.lock().unwrap().calls.push("subscribe");
            if fail_subscribe {
                Err(meta_error(ErrorClass::Retryable, 2))
            } else {
                Ok(())
            }
        });
    let w = world.clone();
    mocks
        .account
        .expect_register_number()
        .returning(move |_, pin| {
            assert_eq!(pin.expose_secret(), "482913");
            w.lock().unwrap().calls.push("register");
            Ok(())
        });
    mocks
        .account
        .expect_message_templates()
        .returning(|_, _| Ok(Vec::new()));
    mocks
        .templates
        .expect_replace_all()
        .returning(|_, t| Ok(t.len()));
    mocks.graph.expect_phone_number_info().returning(|_| {
        Ok(PhoneNumberInfo {
            display_phone_number: Some("+1 555-078-3881".to_owned()),
            verified_name: Some("Acme".to_owned()),
            throughput_level: Some("HIGH".to_owned()),
            platform_type: Some("CLOUD_API".to_owned()),
            ..PhoneNumberInfo::default()
        })
    });
    let w = world.clone();
    mocks.connections.expect_upsert().returning(move |c| {
        w.lock().unwrap().connection_health = Some(c.health);
        Ok(())
    });
    mocks
        .connections
        .expect_update_number_info()
        .returning(|_, _, _| Ok(()));
    let w = world.clone();
    mocks
        .connections
        .expect_set_health()
        .returning(move |_, _, health, _, _, _| {
            w.lock().unwrap().connection_health = Some(health);
            Ok(())
        });
    let w = world.clone();
    let d = world.clone();
    mocks.connections.expect_get().returning(move |t| {
        Ok(d.lock()
            .unwrap()
            .connection_health
            .map(|health| connection(t, health)))
    });
    mocks
        .connections
        .expect_get_number()
        .returning(move |t, _| {
            Ok(w.lock()
                .unwrap()
                .connection_health
                .map(|health| connection(t, health)))
        });
    mocks
}

#[tokio::test]
async fn a_signup_runs_every_step_and_stores_an_active_connection() {
    let tenant = TenantId::generate();
    let world = Shared::default();
    let outcome = signup(
        &mocks(tenant, &world, false).into_ports(),
        tenant,
        request(Some("code-1"), true),
    )
    .await
    .unwrap();
    assert!(outcome.state.is_complete());
    assert_eq!(outcome.templates_synced, Some(0));
    let world = world.lock().unwrap();
    assert_eq!(
        world.calls,
        ["exchange", "subscribe", "register"],
        "session info given: no discovery"
    );
    assert_eq!(world.connection_health, Some(ConnectionHealth::Active));
    assert_eq!(world.vault[&CredentialKind::AccessToken], "EAAG-business");
    assert_eq!(
        world.vault[&CredentialKind::RegistrationPin],
        "482913",
        "the generated PIN is kept"
    );
}

#[tokio::test]
async fn a_failure_at_subscribe_is_saved_and_a_retry_resumes_without_the_code() {
    let tenant = TenantId::generate();
    let world = Shared::default();
    let err = signup(
        &mocks(tenant, &world, true).into_ports(),
        tenant,
        request(Some("code-1"), true),
    )
    .await
    .unwrap_err();
    let SignupError::Step(failure) = err else {
        panic!("expected a step failure, got {err:?}")
    };
    assert_eq!(failure.step, SignupStep::Subscribe);
    assert_eq!(failure.meta_code, Some(2));
    assert!(failure.retryable);
    assert!(failure.action.contains("retry"), "{}", failure.action);
    {
        let world = world.lock().unwrap();
        let state = world.signup.as_ref().unwrap();
        assert_eq!(state.reached, Some(SignupStep::Discover));
        assert_eq!(
            world.connection_health,
            Some(ConnectionHealth::Pending),
            "pending with the failed step"
        );
    }
    // The retry: the same code again (the mock refuses any other exchange) and then none at all.
    let outcome = signup(
        &mocks(tenant, &world, false).into_ports(),
        tenant,
        request(Some("code-1"), false),
    )
    .await
    .unwrap();
    assert!(outcome.state.is_complete());
    let world = world.lock().unwrap();
    assert_eq!(
        world.calls,
        ["exchange", "subscribe", "subscribe", "register"],
        "the code is exchanged once; discovery is not redone"
    );
    assert_eq!(world.connection_health, Some(ConnectionHealth::Active));
}

#[tokio::test]
async fn lost_session_info_is_discovered_through_debug_token() {
    let tenant = TenantId::generate();
    let world = Shared::default();
    let outcome = signup(
        &mocks(tenant, &world, false).into_ports(),
        tenant,
        request(Some("code-1"), false),
    )
    .await
    .unwrap();
    assert_eq!(outcome.state.waba_id.unwrap().as_str(), WABA);
    assert_eq!(outcome.state.phone_number_id.unwrap().as_str(), NUMBER);
    assert_eq!(
        world.lock().unwrap().calls,
        [
            "exchange",
            "debug_token",
            "phone_numbers",
            "subscribe",
            "register"
        ]
    );
}

#[tokio::test]
async fn without_a_code_or_an_unfinished_signup_nothing_runs() {
    let tenant = TenantId::generate();
    let world = Shared::default();
    let err = signup(
        &mocks(tenant, &world, false).into_ports(),
        tenant,
        request(None, true),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SignupError::CodeRequired), "{err:?}");
    assert!(world.lock().unwrap().calls.is_empty());
}

#[tokio::test]
async fn a_refused_code_names_step_one_and_says_to_sign_up_again() {
    let tenant = TenantId::generate();
    let world = Shared::default();
    let mut mocks = mocks(tenant, &world, false);
    mocks.account.checkpoint();
    mocks
        .account
        .expect_exchange_code()
        .returning(|_| Err(meta_error(ErrorClass::Permanent, 100)));
    let err = signup(&mocks.into_ports(), tenant, request(Some("code-1"), true))
        .await
        .unwrap_err();
    let SignupError::Step(failure) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (failure.step, failure.meta_code),
        (SignupStep::ExchangeCode, Some(100))
    );
    assert!(
        failure.action.contains("Embedded Signup again"),
        "{}",
        failure.action
    );
    assert!(!failure.retryable);
}
