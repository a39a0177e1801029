//! Tokens per phone number (190 for unknown, revoked or missing tokens; 100/33 for another
//! number) and `appsecret_proof`.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;
use wa_sim::{CustomerRef, NumberConfig};

use crate::helpers::*;

#[tokio::test]
async fn unknown_missing_and_revoked_tokens_get_190() {
    let sim = start().await;
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let (status, answer) = send_as(&sim, "not-a-token", &text_to(CUSTOMER, "hi")).await;
    assert_eq!((status, error_code(&answer)), (401, 190));
    assert_eq!(answer["error"]["type"], "OAuthException");
    assert!(answer["error"]["fbtrace_id"].is_string());

    let response = client()
        .post(graph(&sim, &format!("{PNID}/messages")))
        .json(&text_to(CUSTOMER, "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&answer), 190);

    let (status, _) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!(status, 200);
    sim.control().revoke_token(TOKEN);
    let (status, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!((status, error_code(&answer)), (401, 190));
    assert_eq!(answer["error"]["error_subcode"], 458);
}

#[tokio::test]
async fn a_token_cannot_use_another_tenants_number() {
    let sim = builder()
        .number(NumberConfig::new(
            "100000000000002",
            "200000000000002",
            "token-two",
            "+1 555-010-0002",
        ))
        .start()
        .await
        .unwrap();
    let response = client()
        .post(graph(&sim, "100000000000002/messages"))
        .bearer_auth(TOKEN)
        .json(&text_to(CUSTOMER, "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&answer), 100);
    assert_eq!(answer["error"]["error_subcode"], 33);
}

fn proof(secret: &str, token: &str) -> String {
    // Independent of the simulator's code: RustCrypto HMAC straight.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn appsecret_proof_is_required_when_configured() {
    let sim = builder()
        .require_appsecret_proof(true)
        .start()
        .await
        .unwrap();
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let url = graph(&sim, &format!("{PNID}/messages"));

    let (status, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!((status, error_code(&answer)), (400, 100));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("appsecret_proof")
    );

    let wrong = client()
        .post(&url)
        .query(&[("appsecret_proof", proof("another-secret", TOKEN))])
        .bearer_auth(TOKEN)
        .json(&text_to(CUSTOMER, "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let answer: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(error_code(&answer), 100);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid appsecret_proof")
    );

    let right = client()
        .post(&url)
        .query(&[("appsecret_proof", proof(SECRET, TOKEN))])
        .bearer_auth(TOKEN)
        .json(&text_to(CUSTOMER, "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);

    // Graph also takes parameters in the body.
    let mut body = text_to(CUSTOMER, "hi");
    body["appsecret_proof"] = json!(proof(SECRET, TOKEN));
    let (status, _) = send(&sim, &body).await;
    assert_eq!(status, 200);
    assert_eq!(
        sim.control().appsecret_proof(TOKEN).unwrap(),
        proof(SECRET, TOKEN)
    );
}

#[tokio::test]
async fn recorded_requests_redact_tokens() {
    let sim = start().await;
    let _ = client()
        .get(graph(&sim, PNID))
        .query(&[("access_token", TOKEN), ("fields", "id")])
        .send()
        .await
        .unwrap();
    let requests = sim.control().requests();
    let last = requests.last().unwrap();
    assert_eq!(last.method, "GET");
    assert_eq!(last.status, 200);
    let query = last.query.as_deref().unwrap();
    assert!(!query.contains(TOKEN));
    assert!(query.contains("fields=id"));

    // The control API pages with `since`.
    let since = last.seq - 1;
    let page: serde_json::Value = client()
        .get(format!("{}/_sim/requests?since={since}", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["seq"], last.seq);
}
