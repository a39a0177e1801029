//! Embedded Signup, server side (cloud-api.md §6): code → token → vault → WABA and number →
//! webhooks → registration → connection.
//!
//! Each step's result is saved in the tenant's [`SignupState`] before the next step runs, so a
//! retry resumes where the last attempt stopped: the code (single-use, valid for seconds) is
//! exchanged once and the stored token is reused; a step already done is not repeated. A request
//! with a new code starts a new signup, whose connection replaces the tenant's previous one when
//! it completes. A failure is saved with the step, Meta's code and advice, and, once the WABA and
//! number are known, the connection is stored as `pending` with the failed step as its reason.

use time::OffsetDateTime;

use crate::{
    connection::{Connection, ConnectionHealth, PhoneNumberInfo},
    credential::{CredentialKind, SecretString},
    graph::{GraphError, Sender},
    ids::{PhoneNumberId, TenantId, WabaId},
    onboarding::{SignupCode, SignupFailure, SignupState, SignupStep, advice},
    ports::{StoreError, VaultError},
};

use super::{Ports, templates::sync_templates};

/// What the front end sends after Embedded Signup.
#[derive(Debug)]
pub struct SignupRequest {
    /// The code from `FB.login`; `None` to resume the tenant's unfinished signup.
    pub code: Option<SignupCode>,
    /// The WABA from the session info, when the front end got it.
    pub waba_id: Option<WabaId>,
    /// The number from the session info.
    pub phone_number_id: Option<PhoneNumberId>,
    /// The business portfolio from the session info.
    pub business_id: Option<String>,
    /// The number's two-step PIN, when the business has one.
    pub pin: Option<SecretString>,
    /// A fresh random 6-digit PIN, used (and kept in the vault) when no PIN is given or stored.
    pub generated_pin: SecretString,
}

/// A completed signup.
#[derive(Debug, Clone, PartialEq)]
pub struct SignupOutcome {
    /// The progress, complete.
    pub state: SignupState,
    /// The stored connection.
    pub connection: Connection,
    /// Templates synced after the connection (`None` when the sync failed: it is retried on
    /// schedule and does not fail the signup).
    pub templates_synced: Option<usize>,
}

/// Why a signup did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// No such tenant.
    #[error("tenant not found")]
    TenantNotFound,
    /// The tenant is disabled.
    #[error("tenant is disabled")]
    TenantDisabled,
    /// No code was sent and there is no unfinished signup to resume.
    #[error("a code is required: there is no unfinished signup to resume")]
    CodeRequired,
    /// A step failed; the progress was saved and a retry resumes at this step.
    #[error("signup failed at step {} ({}): {}", .0.step.number(), .0.step, .0.message)]
    Step(SignupFailure),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs (or resumes) the tenant's Embedded Signup.
///
/// # Errors
/// [`SignupError::Step`] when a step failed (saved, resumable), [`SignupError::CodeRequired`],
/// [`SignupError::TenantNotFound`], [`SignupError::TenantDisabled`], or store/vault failures.
pub async fn signup(
    ports: &Ports,
    tenant_id: TenantId,
    request: SignupRequest,
) -> Result<SignupOutcome, SignupError> {
    let tenant = ports
        .tenants
        .get(tenant_id)
        .await?
        .ok_or(SignupError::TenantNotFound)?;
    if !tenant.enabled {
        return Err(SignupError::TenantDisabled);
    }
    let now = ports.clock.now();
    let fingerprint = request.code.as_ref().map(|code| code.fingerprint.clone());
    let previous = ports.signups.get(tenant_id).await?;
    let resumable = previous.filter(|state| {
        !state.is_complete()
            && state.has_done(SignupStep::StoreToken)
            && (fingerprint.is_none() || fingerprint == state.code_fingerprint)
    });
    let mut state = match resumable {
        Some(state) => state,
        None if request.code.is_some() => SignupState::start(tenant_id, fingerprint, now),
        None => return Err(SignupError::CodeRequired),
    };
    // Session info fills what is not known yet; it never overrides a number chosen earlier in
    // this attempt (a retry may come without it).
    if state.waba_id.is_none() {
        state.waba_id = request.waba_id.clone();
    }
    if state.phone_number_id.is_none() && state.waba_id == request.waba_id {
        state.phone_number_id = request.phone_number_id.clone();
    }
    if state.business_id.is_none() {
        state.business_id = request.business_id.clone();
    }

    if !state.has_done(SignupStep::StoreToken) {
        let Some(code) = &request.code else {
            return Err(SignupError::CodeRequired);
        };
        // Step 1, and step 2 at once: the token is stored before anything else can fail.
        let exchanged = match ports.account.exchange_code(&code.code).await {
            Ok(token) => token,
            Err(error) => return fail(ports, state, SignupStep::ExchangeCode, &error).await,
        };
        ports
            .vault
            .store(
                tenant_id,
                CredentialKind::AccessToken,
                exchanged.token,
                exchanged.expires_at,
            )
            .await?;
        advance(ports, &mut state, SignupStep::StoreToken).await?;
    }
    let token = ports
        .vault
        .get(tenant_id, CredentialKind::AccessToken)
        .await?;

    if !state.has_done(SignupStep::Discover) {
        if let Err(failure) = discover(ports, &mut state, &token).await {
            return fail_with(ports, state, failure).await;
        }
        advance(ports, &mut state, SignupStep::Discover).await?;
    }
    let (Some(waba_id), Some(phone_number_id)) =
        (state.waba_id.clone(), state.phone_number_id.clone())
    else {
        // Discovery always sets both; a row edited by hand is started over.
        state.reached = Some(SignupStep::StoreToken);
        ports.signups.save(&state).await?;
        return Err(SignupError::CodeRequired);
    };

    if !state.has_done(SignupStep::Subscribe) {
        if let Err(error) = ports.account.subscribe_app(&token, &waba_id).await {
            return fail(ports, state, SignupStep::Subscribe, &error).await;
        }
        advance(ports, &mut state, SignupStep::Subscribe).await?;
    }
    let sender = Sender {
        phone_number_id: phone_number_id.clone(),
        token,
    };

    if !state.has_done(SignupStep::Register) {
        let pin = registration_pin(ports, tenant_id, request.pin, request.generated_pin).await?;
        if let Err(error) = ports.account.register_number(&sender, &pin).await {
            return fail(ports, state, SignupStep::Register, &error).await;
        }
        advance(ports, &mut state, SignupStep::Register).await?;
    }

    let info = match ports.graph.phone_number_info(&sender).await {
        Ok(info) => info,
        Err(error) => return fail(ports, state, SignupStep::Activate, &error).await,
    };
    let now = ports.clock.now();
    let connection = connection_from(tenant_id, waba_id, phone_number_id, &info, now);
    ports.connections.upsert(&connection).await?;
    let number = connection.phone_number_id.clone();
    ports
        .connections
        .update_number_info(tenant_id, &number, &info)
        .await?;
    ports
        .connections
        .set_health(
            tenant_id,
            &number,
            ConnectionHealth::Active,
            None,
            now,
            Some(now),
        )
        .await?;
    ports
        .vault
        .mark_verified(tenant_id, CredentialKind::AccessToken, now)
        .await?;
    advance(ports, &mut state, SignupStep::Activate).await?;
    let templates_synced = sync_templates(ports, tenant_id).await.ok();
    let connection = ports
        .connections
        .get_number(tenant_id, &number)
        .await?
        .unwrap_or(connection);
    Ok(SignupOutcome {
        state,
        connection,
        templates_synced,
    })
}

/// Step 3: the WABA from the session info or `debug_token`, the number from the session info
/// (checked against the WABA's numbers) or the WABA's first number.
async fn discover(
    ports: &Ports,
    state: &mut SignupState,
    token: &SecretString,
) -> Result<(), SignupFailure> {
    let step = SignupStep::Discover;
    if state.waba_id.is_some() && state.phone_number_id.is_some() {
        return Ok(());
    }
    let waba_id = match state.waba_id.clone() {
        Some(waba_id) => waba_id,
        None => {
            let grant = ports
                .account
                .debug_token(token)
                .await
                .map_err(|error| failure(step, &error))?;
            grant.waba_ids.into_iter().next().ok_or_else(|| {
                refused(
                    step,
                    "the token gives access to no WhatsApp Business Account",
                )
            })?
        }
    };
    let numbers = ports
        .account
        .phone_numbers(token, &waba_id)
        .await
        .map_err(|error| failure(step, &error))?;
    let number = numbers
        .into_iter()
        .next()
        .ok_or_else(|| refused(step, "the WhatsApp Business Account has no phone number"))?;
    state.waba_id = Some(waba_id);
    state.phone_number_id = Some(number.id);
    Ok(())
}

/// The PIN to register with: the request's (which replaces a stored one), else the stored one,
/// else the generated one; kept in the vault before it is used.
async fn registration_pin(
    ports: &Ports,
    tenant_id: TenantId,
    given: Option<SecretString>,
    generated: SecretString,
) -> Result<SecretString, SignupError> {
    let pin = match given {
        Some(pin) => pin,
        None => match ports
            .vault
            .get(tenant_id, CredentialKind::RegistrationPin)
            .await
        {
            Ok(stored) => return Ok(stored),
            Err(VaultError::NotFound(_) | VaultError::Undecryptable(_)) => generated,
            Err(other) => return Err(other.into()),
        },
    };
    ports
        .vault
        .store(
            tenant_id,
            CredentialKind::RegistrationPin,
            pin.clone(),
            None,
        )
        .await?;
    Ok(pin)
}

fn connection_from(
    tenant_id: TenantId,
    waba_id: WabaId,
    phone_number_id: PhoneNumberId,
    info: &PhoneNumberInfo,
    now: OffsetDateTime,
) -> Connection {
    Connection {
        tenant_id,
        // A signup adds the number; the tenant's first number becomes its default by itself.
        is_default: false,
        waba_id,
        display_phone_number: info
            .display_phone_number
            .clone()
            .unwrap_or_else(|| phone_number_id.as_str().to_owned()),
        phone_number_id,
        business_name: info
            .verified_name
            .clone()
            .unwrap_or_else(|| "(not verified)".to_owned()),
        health: ConnectionHealth::Pending,
        health_reason: Some("signup: activating".to_owned()),
        health_changed_at: now,
        verified_at: None,
        throughput_mps: info.throughput_mps(),
        quality_rating: info.quality_rating.clone(),
        messaging_limit: info.messaging_limit.clone(),
    }
}

async fn advance(
    ports: &Ports,
    state: &mut SignupState,
    step: SignupStep,
) -> Result<(), StoreError> {
    state.reached = Some(step);
    state.failure = None;
    state.updated_at = ports.clock.now();
    ports.signups.save(state).await
}

fn failure(step: SignupStep, error: &GraphError) -> SignupFailure {
    SignupFailure {
        step,
        meta_code: error.code,
        message: error.info.message.clone(),
        action: advice(step, error.class, error.code),
        retryable: matches!(
            error.class,
            crate::error_class::ErrorClass::Retryable
                | crate::error_class::ErrorClass::RateLimited { .. }
        ),
    }
}

fn refused(step: SignupStep, message: &str) -> SignupFailure {
    SignupFailure {
        step,
        meta_code: None,
        message: message.to_owned(),
        action: advice(step, crate::error_class::ErrorClass::Permanent, None),
        retryable: false,
    }
}

async fn fail<T>(
    ports: &Ports,
    state: SignupState,
    step: SignupStep,
    error: &GraphError,
) -> Result<T, SignupError> {
    fail_with(ports, state, failure(step, error)).await
}

/// Saves the failure; once the number is known the connection is stored `pending` with it.
async fn fail_with<T>(
    ports: &Ports,
    mut state: SignupState,
    failure: SignupFailure,
) -> Result<T, SignupError> {
    let now = ports.clock.now();
    state.failure = Some(failure.clone());
    state.updated_at = now;
    ports.signups.save(&state).await?;
    if let (Some(waba_id), Some(phone_number_id)) = (&state.waba_id, &state.phone_number_id) {
        let reason = format!(
            "signup failed at step {} ({}): {}",
            failure.step.number(),
            failure.step,
            failure.message
        );
        let mut connection = connection_from(
            state.tenant_id,
            waba_id.clone(),
            phone_number_id.clone(),
            &PhoneNumberInfo::default(),
            now,
        );
        connection.health_reason = Some(reason.clone());
        let known = ports
            .connections
            .get_number(state.tenant_id, phone_number_id)
            .await?
            .is_some();
        if known {
            ports
                .connections
                .set_health(
                    state.tenant_id,
                    phone_number_id,
                    ConnectionHealth::Pending,
                    Some(reason),
                    now,
                    None,
                )
                .await?;
        } else {
            ports.connections.upsert(&connection).await?;
        }
    }
    Err(SignupError::Step(failure))
}

#[cfg(test)]
mod tests;
