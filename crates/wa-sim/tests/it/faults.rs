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

#[tokio::test]
async fn error_rates_apply_per_code_in_order() {
    let sim = ready().await;
    sim.control().set_limits(wa_sim::Limits {
        pair_burst: 100_000,
        throughput_per_number: 100_000,
        ..wa_sim::Limits::default()
    });
    // 131000 first with 1/4; 131016 on the rest with 1/3, so 1/4 of all; 1/2 accepted.
    sim.control().set_faults(Faults {
        error_rates: vec![
            ErrorRate {
                code: 131000,
                rate: 0.25,
            },
            ErrorRate {
                code: 131016,
                rate: 1.0 / 3.0,
            },
        ],
        ..Faults::default()
    });
    let mut counts = std::collections::HashMap::<i64, usize>::new();
    for _ in 0..400 {
        let (status, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
        let code = if status == 200 {
            0
        } else {
            error_code(&answer)
        };
        *counts.entry(code).or_default() += 1;
    }
    // Binomial(400, p): these bounds are more than 6 standard deviations wide.
    let within = |code: i64, expected: usize| {
        let n = counts.get(&code).copied().unwrap_or(0);
        assert!(n.abs_diff(expected) < 60, "{code}: {n} ({counts:?})");
    };
    within(0, 200);
    within(131000, 100);
    within(131016, 100);
    assert_eq!(counts.len(), 3, "{counts:?}");
}

#[tokio::test]
async fn added_latency_delays_answers_past_a_callers_timeout() {
    let sim = ready().await;
    sim.control().set_faults(Faults {
        latency_ms: 2_000,
        ..Faults::default()
    });
    let result = client()
        .post(graph(&sim, &format!("{PNID}/messages")))
        .bearer_auth(TOKEN)
        .timeout(Duration::from_millis(200))
        .json(&text_to(CUSTOMER, "slow"))
        .send()
        .await;
    assert!(result.expect_err("too slow for the caller").is_timeout());
    // With a patient caller the same call succeeds: latency delays, it does not fail.
    sim.control().set_faults(Faults {
        latency_ms: 50,
        latency_jitter_ms: 20,
        ..Faults::default()
    });
    assert_eq!(send(&sim, &text_to(CUSTOMER, "slow")).await.0, 200);
}
