//! Meta's rules: the 24 h customer service window (131047, templates allowed), per-number
//! throughput (130429) and the pair rate to one user (131056). Time is a manual clock, so the
//! tests never wait and never depend on speed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wa_sim::{CustomerRef, InboundContent, InboundRequest, ManualClock, WindowErrorMode};

use crate::helpers::*;

fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Duration::from_secs(1_800_000_000)))
}

fn hello_template(to: &str) -> serde_json::Value {
    json!({"messaging_product": "whatsapp", "to": to, "type": "template",
           "template": {"name": "hello_world", "language": {"code": "en_US"}}})
}

#[tokio::test]
async fn free_form_needs_an_open_window_and_templates_do_not() {
    let sim = start().await;
    let (status, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!((status, error_code(&answer)), (400, 131047));
    assert_eq!(
        answer["error"]["message"],
        "(#131047) Re-engagement message"
    );

    let (status, _) = send(&sim, &hello_template(CUSTOMER)).await;
    assert_eq!(status, 200);

    // The customer writes: the window opens.
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text {
                body: "hello".into(),
            },
        ))
        .unwrap();
    let (status, _) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!(status, 200);

    // Another user's window is still closed.
    let (_, answer) = send(&sim, &text_to("15559999999", "hi")).await;
    assert_eq!(error_code(&answer), 131047);

    // 24 h later it has closed again.
    sim.control()
        .advance_clock(Duration::from_secs(24 * 3600 + 1));
    let (_, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!(error_code(&answer), 131047);
}

#[tokio::test]
async fn a_closed_window_can_fail_through_a_webhook_instead() {
    let receiver = Receiver::start(&[]).await;
    let sim = builder()
        .window_error(WindowErrorMode::Webhook)
        .callback_url(&receiver.url)
        .start()
        .await
        .unwrap();
    let (status, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    assert_eq!(status, 200);
    let wamid = answer["messages"][0]["id"].as_str().unwrap().to_owned();
    let received = receiver.wait_statuses(1).await;
    let status = &received[0].statuses()[0];
    assert_eq!(status["id"], wamid.as_str());
    assert_eq!(status["status"], "failed");
    assert_eq!(status["errors"][0]["code"], 131047);
}

#[tokio::test]
async fn throughput_per_number_is_enforced_with_130429() {
    let clock = manual_clock();
    let sim = builder()
        .throughput_per_number(5)
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    // Templates to distinct users: only the number's throughput can refuse them.
    let mut accepted = 0;
    let mut refused = 0;
    for i in 0..12 {
        let (status, answer) = send(&sim, &hello_template(&format!("1555000{i:04}"))).await;
        match status {
            200 => accepted += 1,
            _ => {
                assert_eq!(error_code(&answer), 130429);
                refused += 1;
            }
        }
    }
    assert_eq!((accepted, refused), (5, 7));
    // A fifth of a second later, one more fits.
    clock.advance(Duration::from_millis(200));
    let (status, _) = send(&sim, &hello_template("15550009999")).await;
    assert_eq!(status, 200);
    let (_, answer) = send(&sim, &hello_template("15550009998")).await;
    assert_eq!(error_code(&answer), 130429);
}

#[tokio::test]
async fn pair_rate_to_one_user_is_enforced_with_131056() {
    let clock = manual_clock();
    let sim = builder()
        .pair_rate(Duration::from_secs(6), 3)
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        let (status, _) = send(&sim, &hello_template(CUSTOMER)).await;
        assert_eq!(status, 200);
    }
    let (status, answer) = send(&sim, &hello_template(CUSTOMER)).await;
    assert_eq!((status, error_code(&answer)), (400, 131056));
    // Another user is not affected.
    let (status, _) = send(&sim, &hello_template("15557654321")).await;
    assert_eq!(status, 200);
    // One interval later one more message fits, not two.
    clock.advance(Duration::from_secs(6));
    let (status, _) = send(&sim, &hello_template(CUSTOMER)).await;
    assert_eq!(status, 200);
    let (_, answer) = send(&sim, &hello_template(CUSTOMER)).await;
    assert_eq!(error_code(&answer), 131056);
}

#[tokio::test]
async fn meta_default_pair_rate_allows_a_burst_of_45() {
    let clock = manual_clock();
    let sim = builder().clock(clock).start().await.unwrap();
    let mut accepted = 0;
    for _ in 0..50 {
        if send(&sim, &hello_template(CUSTOMER)).await.0 == 200 {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 45);
}
