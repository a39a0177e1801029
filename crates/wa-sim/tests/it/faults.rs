//! Fault injection: error rates per code, and outages (HTML 5xx, connection reset, hang).

use std::time::Duration;

use wa_sim::{CustomerRef, ErrorRate, Faults, Outage, OutageMode};

use crate::helpers::*;

async fn ready() -> wa_sim::RunningSim {
    let sim = start().await;
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    sim
}

#[tokio::test]
async fn error_rates_answer_the_chosen_code() {
    let sim = ready().await;
    sim.control().set_faults(Faults {
        error_rates: vec![ErrorRate {
            code: 131000,
            rate: 1.0,
        }],
        ..Faults::default()
    });
    let (status, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!((status, error_code(&answer)), (500, 131000));
    assert_eq!(answer["error"]["message"], "(#131000) Something went wrong");

    sim.control().set_faults(Faults {
        error_rates: vec![ErrorRate {
            code: 131016,
            rate: 0.0,
        }],
        ..Faults::default()
    });
    let (status, _) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_http_outage_answers_html() {
    let sim = ready().await;
    sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Http { status: 503 },
            duration_ms: None,
        }),
        ..Faults::default()
    });
    let response = client()
        .post(graph(&sim, &format!("{PNID}/messages")))
        .bearer_auth(TOKEN)
        .json(&text_to(CUSTOMER, "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());

    // An outage with a duration ends by itself (simulator time).
    sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Http { status: 502 },
            duration_ms: Some(60_000),
        }),
        ..Faults::default()
    });
    assert_eq!(send(&sim, &text_to(CUSTOMER, "hi")).await.0, 502);
    sim.control().advance_clock(Duration::from_secs(61));
    assert_eq!(send(&sim, &text_to(CUSTOMER, "hi")).await.0, 200);
}

#[tokio::test]
async fn a_reset_outage_closes_the_connection_without_an_answer() {
    let sim = ready().await;
    sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Reset,
            duration_ms: None,
        }),
        ..Faults::default()
    });
    let result = client()
        .post(graph(&sim, &format!("{PNID}/messages")))
        .bearer_auth(TOKEN)
        .json(&text_to(CUSTOMER, "hi"))
        .send()
        .await;
    let error = result.expect_err("no answer expected");
    assert!(!error.is_timeout());
    assert!(error.status().is_none());
    sim.control().clear_faults();
    assert_eq!(send(&sim, &text_to(CUSTOMER, "hi")).await.0, 200);
    assert!(sim.control().requests().iter().any(|r| r.status == 0));
}

#[tokio::test]
async fn a_hang_outage_gives_no_answer_until_the_caller_gives_up() {
    let sim = ready().await;
    sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Hang,
            duration_ms: None,
        }),
        ..Faults::default()
    });
    let result = client()
        .post(graph(&sim, &format!("{PNID}/messages")))
        .bearer_auth(TOKEN)
        .timeout(Duration::from_millis(300))
        .json(&text_to(CUSTOMER, "hi"))
        .send()
        .await;
    assert!(result.expect_err("no answer expected").is_timeout());
    sim.control().clear_faults();
    assert_eq!(send(&sim, &text_to(CUSTOMER, "hi")).await.0, 200);
}
