//! Who may call: bearer tokens per phone number and WABA (unknown or revoked → 190), and
//! `appsecret_proof` (lowercase hex HMAC-SHA256 of the token keyed with the app secret) when
//! the app requires it.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

use crate::graph_call::Params;
use crate::graph_error::GraphError;
use crate::state::{NumberState, Sim, read};
use crate::webhook::hmac_sha256_hex;

/// The token a request carries: `Authorization: Bearer …` (or `OAuth …`), else `access_token`.
pub(crate) fn token_of<'a>(headers: &'a HeaderMap, params: &'a Params) -> Option<&'a str> {
    let from_header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("OAuth "))
        })
        .map(str::trim);
    from_header
        .or_else(|| params.get("access_token"))
        .filter(|token| !token.is_empty())
}

/// The app's own token (`app_id|app_secret`), accepted by `debug_token`.
fn is_app_token(sim: &Sim, token: &str) -> bool {
    // Business tokens never contain `|`; skip the comparison (and its allocation) for them.
    if !token.contains('|') {
        return false;
    }
    let settings = sim.settings();
    let Some(secret) = settings.app_secret.as_deref() else {
        return false;
    };
    let expected = format!("{}|{secret}", settings.app_id);
    bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
}

/// Checks the token is known and live, and the proof when required. Returns the token.
fn check_token<'a>(
    sim: &Sim,
    headers: &'a HeaderMap,
    params: &'a Params,
    body_proof: Option<&'a str>,
) -> Result<&'a str, GraphError> {
    let Some(token) = token_of(headers, params) else {
        return Err(GraphError::invalid_token(
            "An active access token must be used to query information about the current user.",
            None,
        ));
    };
    if !is_app_token(sim, token) {
        match read(&sim.tokens).get(token) {
            None => {
                return Err(GraphError::invalid_token(
                    "Invalid OAuth access token - Cannot parse access token",
                    None,
                ));
            }
            Some(grant) if grant.revoked => {
                return Err(GraphError::invalid_token(
                    &format!(
                        "Error validating access token: The user has not authorized application {}.",
                        sim.settings().app_id
                    ),
                    Some(458),
                ));
            }
            Some(_) => {}
        }
    }
    check_proof(sim, token, params.get("appsecret_proof").or(body_proof))?;
    Ok(token)
}

fn check_proof(sim: &Sim, token: &str, proof: Option<&str>) -> Result<(), GraphError> {
    let settings = sim.settings();
    let Some(secret) = settings.app_secret.as_deref() else {
        return Ok(());
    };
    match proof {
        None if settings.require_proof => Err(GraphError::graph_method(
            "API calls from the server require an appsecret_proof argument",
        )),
        None => Ok(()),
        Some(proof) => {
            let expected = hmac_sha256_hex(secret.as_bytes(), token.as_bytes());
            if bool::from(expected.as_bytes().ct_eq(proof.as_bytes())) {
                Ok(())
            } else {
                Err(GraphError::graph_method(
                    "Invalid appsecret_proof provided in the API argument",
                ))
            }
        }
    }
}

/// Authorises a call on a phone number; returns the number.
pub(crate) fn authorize_number(
    sim: &Sim,
    headers: &HeaderMap,
    params: &Params,
    body_proof: Option<&str>,
    method: &str,
    phone_number_id: &str,
) -> Result<Arc<NumberState>, GraphError> {
    let token = check_token(sim, headers, params, body_proof)?;
    let allowed = read(&sim.tokens)
        .get(token)
        .is_some_and(|grant| grant.numbers.contains(phone_number_id));
    match sim.number(phone_number_id) {
        Some(number) if allowed => Ok(number),
        _ => Err(GraphError::unknown_object(method, phone_number_id)),
    }
}

/// Authorises a call on a WABA.
pub(crate) fn authorize_waba(
    sim: &Sim,
    headers: &HeaderMap,
    params: &Params,
    body_proof: Option<&str>,
    method: &str,
    waba_id: &str,
) -> Result<(), GraphError> {
    let token = check_token(sim, headers, params, body_proof)?;
    let allowed = read(&sim.tokens)
        .get(token)
        .is_some_and(|grant| grant.wabas.contains(waba_id));
    if allowed && read(&sim.wabas).contains_key(waba_id) {
        Ok(())
    } else {
        Err(GraphError::unknown_object(method, waba_id))
    }
}

/// Authorises a call that any live token (or the app token) may make; returns the token.
pub(crate) fn authorize_any<'a>(
    sim: &Sim,
    headers: &'a HeaderMap,
    params: &'a Params,
) -> Result<&'a str, GraphError> {
    check_token(sim, headers, params, None)
}

/// The `appsecret_proof` for `token` under `app_secret`.
pub(crate) fn appsecret_proof(app_secret: &str, token: &str) -> String {
    hmac_sha256_hex(app_secret.as_bytes(), token.as_bytes())
}
