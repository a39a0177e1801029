//! Failures: Meta's error envelope classified by code whatever the HTTP status, bodies that are
//! not Meta's, transport failures, and tokens kept out of every error.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use wa_domain::{
    content::{OutboundContent, Text},
    error_class::{ErrorClass, RateLimitScope},
    graph::{GraphError, MarkRead},
    ids::{PhoneNumber, Recipient, WaMessageId},
    message::OutboundMessage,
};
use wa_graph::{GraphClient, GraphConfig, Timeouts};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::support::{APP_SECRET, PNID, PROOF, TOKEN, client, sender};

fn text_message() -> OutboundMessage {
    OutboundMessage {
        recipient: Recipient::Phone(PhoneNumber::parse("15551234567").unwrap()),
        content: OutboundContent::Text(Text::new("hi", false).unwrap()),
        reply_to: None,
    }
}

/// Serves `response` to the messages endpoint and returns the send's error.
async fn send_error(response: ResponseTemplate) -> GraphError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .respond_with(response)
        .mount(&server)
        .await;
    client(&server)
        .send_message(&sender(), &text_message(), None)
        .await
        .expect_err("the send fails")
}

/// Meta's envelope for `code`, with every optional field filled.
fn envelope(code: i64, subcode: Option<i64>, is_transient: Option<bool>) -> Value {
    let mut error = json!({
        "message": format!("(#{code}) Something went wrong"),
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": format!("details of {code}")},
        "error_user_title": "Title for the user",
        "error_user_msg": "Message for the user",
        "fbtrace_id": "AZ4hB2xQ_trace"
    });
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    if let Some(flag) = is_transient {
        error["is_transient"] = json!(flag);
    }
    json!({ "error": error })
}

/// One error case: code, subcode, `is_transient`, the HTTP status of Meta's older table, and
/// the class expected.
type Case = (i64, Option<i64>, Option<bool>, u16, ErrorClass);

/// Every class, with the HTTP status Meta's older error table gave (cloud-api.md §2.2).
fn cases() -> Vec<Case> {
    use ErrorClass::{AuthInvalid, Permanent, RateLimited, Retryable, WindowClosed};
    vec![
        (0, None, None, 401, AuthInvalid),
        (190, Some(463), None, 401, AuthInvalid),
        (10, None, None, 403, AuthInvalid),
        (200, None, None, 403, AuthInvalid),
        (131005, None, None, 403, AuthInvalid),
        (
            4,
            None,
            Some(true),
            429,
            RateLimited {
                scope: RateLimitScope::App,
            },
        ),
        (
            80007,
            None,
            None,
            400,
            RateLimited {
                scope: RateLimitScope::Waba,
            },
        ),
        (
            130429,
            None,
            None,
            400,
            RateLimited {
                scope: RateLimitScope::PhoneNumber,
            },
        ),
        (
            131056,
            None,
            None,
            400,
            RateLimited {
                scope: RateLimitScope::RecipientPair,
            },
        ),
        (1, None, Some(true), 400, Retryable),
        (2, None, Some(true), 503, Retryable),
        (131000, None, None, 500, Retryable),
        (131016, None, None, 503, Retryable),
        (131047, None, None, 400, WindowClosed),
        (3, None, None, 500, Permanent),
        (100, Some(2494010), None, 400, Permanent),
        (131026, None, None, 400, Permanent),
        (132001, None, None, 400, Permanent),
        (368, None, None, 403, Permanent),
        // Unknown codes: Meta's `is_transient` decides.
        (999_999, None, Some(true), 500, Retryable),
        (999_998, None, Some(false), 400, Permanent),
    ]
}

#[tokio::test]
async fn every_class_is_decided_by_code_under_the_old_status_and_under_400() {
    for (code, subcode, transient, old_status, class) in cases() {
        for status in [old_status, 400] {
            let error = send_error(
                ResponseTemplate::new(status).set_body_json(envelope(code, subcode, transient)),
            )
            .await;
            let context = format!("code {code} served with HTTP {status}");
            assert_eq!(error.class, class, "{context}");
            assert_eq!(error.code, Some(code), "{context}");
            assert_eq!(error.http_status, Some(status), "{context}");
            let info = &error.info;
            assert_eq!(info.message, format!("(#{code}) Something went wrong"));
            assert_eq!(info.subcode, subcode, "{context}");
            assert_eq!(
                info.details.as_deref(),
                Some(format!("details of {code}").as_str())
            );
            assert_eq!(info.fbtrace_id.as_deref(), Some("AZ4hB2xQ_trace"));
            assert_eq!(info.is_transient, transient, "{context}");
            assert_eq!(info.user_title.as_deref(), Some("Title for the user"));
            assert_eq!(info.user_message.as_deref(), Some("Message for the user"));
            let shown = error.to_string();
            assert!(shown.contains(&code.to_string()), "{shown}");
            assert!(
                shown.contains("AZ4hB2xQ_trace"),
                "the trace id is shown: {shown}"
            );
        }
    }
}

#[tokio::test]
async fn codes_sent_as_strings_are_still_classified() {
    let body = json!({"error": {"message": "Re-engagement", "code": "131047", "fbtrace_id": "T"}});
    let error = send_error(ResponseTemplate::new(400).set_body_json(body)).await;
    assert_eq!(error.class, ErrorClass::WindowClosed);
    assert_eq!(error.code, Some(131047));
}

#[tokio::test]
async fn an_envelope_without_a_code_follows_the_transient_flag_and_the_status() {
    let no_code = |transient: Option<bool>| {
        let mut error = json!({"message": "Something odd"});
        if let Some(flag) = transient {
            error["is_transient"] = json!(flag);
        }
        json!({ "error": error })
    };
    let error = send_error(ResponseTemplate::new(400).set_body_json(no_code(None))).await;
    assert_eq!((error.class, error.code), (ErrorClass::Permanent, None));
    let error = send_error(ResponseTemplate::new(400).set_body_json(no_code(Some(true)))).await;
    assert_eq!(error.class, ErrorClass::Retryable);
    let error = send_error(ResponseTemplate::new(500).set_body_json(no_code(None))).await;
    assert_eq!(error.class, ErrorClass::Retryable);
}

#[tokio::test]
async fn a_proxy_html_page_is_retryable_with_its_status_kept() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    let error = send_error(ResponseTemplate::new(502).set_body_raw(html, "text/html")).await;
    assert_eq!(error.class, ErrorClass::Retryable);
    assert_eq!(error.http_status, Some(502));
    assert_eq!(error.code, None);
    assert!(error.to_string().contains("502"), "{error}");
}

#[tokio::test]
async fn five_hundreds_without_an_envelope_are_retryable() {
    for (status, body) in [
        (500, ""),
        (503, "Service Unavailable"),
        (504, "{\"message\": \"gateway timeout\"}"),
        (500, "{\"error\": \"a string, not an object\"}"),
    ] {
        let error = send_error(ResponseTemplate::new(status).set_body_string(body)).await;
        assert_eq!(error.class, ErrorClass::Retryable, "{status} {body}");
        assert_eq!(error.http_status, Some(status), "{status} {body}");
        assert_eq!(error.code, None);
    }
}

#[tokio::test]
async fn a_malformed_success_body_is_a_clear_permanent_error() {
    for body in [
        "not json at all",
        "{}",
        "{\"messages\": []}",
        "{\"messages\": [{\"message_status\": \"accepted\"}]}",
        "{\"messages\": [{\"id\": \"has spaces in it\"}]}",
        "{\"messages\": {\"id\": \"wamid.X\"}}",
        "[1, 2, 3]",
    ] {
        let error = send_error(ResponseTemplate::new(200).set_body_string(body)).await;
        assert_eq!(error.class, ErrorClass::Permanent, "{body}");
        assert_eq!(error.http_status, Some(200), "{body}");
        assert!(
            error.to_string().contains("messages[0].id"),
            "names what was expected: {error}"
        );
    }
}

#[tokio::test]
async fn success_false_and_a_missing_success_are_errors_not_silence() {
    for body in ["{\"success\": false}", "{}", "<html></html>"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let read = MarkRead {
            message_id: WaMessageId::parse("wamid.ABC").unwrap(),
            typing_indicator: false,
        };
        let error = client(&server)
            .mark_read(&sender(), &read)
            .await
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::Permanent, "{body}");
        assert_eq!(error.http_status, Some(200), "{body}");
    }
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_is_retryable_and_in_doubt() {
    let error = send_error(
        ResponseTemplate::new(200)
            .set_body_json(json!({"messages": [{"id": "wamid.late"}]}))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    assert_eq!(error.class, ErrorClass::Retryable);
    assert_eq!(error.http_status, None);
    assert!(error.to_string().contains("timed out"), "{error}");
    // The server had the request: it may have sent the message.
    assert!(error.in_doubt);
}

/// A client for a port nobody listens on.
fn client_for_closed_port() -> GraphClient {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut config = GraphConfig::with_base_url(format!("http://127.0.0.1:{port}"));
    config.app_id = Some("1234567890".into());
    config.app_secret = Some(SecretString::from(APP_SECRET));
    config.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(2),
        media: Duration::from_secs(2),
    };
    GraphClient::new(config).unwrap()
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let error = client_for_closed_port()
        .send_message(&sender(), &text_message(), None)
        .await
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::Retryable);
    assert_eq!(error.http_status, None);
    assert!(error.to_string().contains("could not connect"), "{error}");
    // Nothing left us: sending again cannot duplicate.
    assert!(!error.in_doubt);
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_in_doubt() {
    use tokio::io::AsyncReadExt as _;
    // A server that reads the request and hangs up without answering, as when the answer is
    // lost on its way back.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0_u8; 4096];
        while !request.windows(2).any(|w| w == b"}}") {
            let read = socket.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the client closed first");
            request.extend_from_slice(&buffer[..read]);
        }
        request
    });
    let mut config = GraphConfig::with_base_url(format!("http://127.0.0.1:{port}"));
    config.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        request: Duration::from_secs(5),
        media: Duration::from_secs(5),
    };
    let error = GraphClient::new(config)
        .unwrap()
        .send_message(&sender(), &text_message(), None)
        .await
        .unwrap_err();
    let request = server.await.unwrap();
    assert!(request.starts_with(b"POST "), "the request went out");
    assert_eq!(error.class, ErrorClass::Retryable, "{error}");
    assert!(error.in_doubt, "{error}");
}

/// Neither the token, the app secret, the proof nor a signup code may appear in what an error
/// shows, whatever went wrong: some calls carry them in the URL.
fn assert_no_secrets(error: &GraphError) {
    for shown in [error.to_string(), format!("{error:?}")] {
        for secret in [
            TOKEN,
            APP_SECRET,
            PROOF,
            "AQD-signup-code",
            "EAAG-input-token",
        ] {
            assert!(!shown.contains(secret), "`{secret}` leaked into: {shown}");
        }
    }
}

#[tokio::test]
async fn tokens_never_appear_in_errors() {
    // Transport failures on calls that carry secrets in their query string.
    let closed = client_for_closed_port();
    let code = SecretString::from("AQD-signup-code");
    assert_no_secrets(&closed.exchange_code(&code, None).await.unwrap_err());
    let input = SecretString::from("EAAG-input-token");
    let token = SecretString::from(TOKEN);
    assert_no_secrets(&closed.debug_token(&input, &token).await.unwrap_err());
    assert_no_secrets(&closed.phone_number_info(&sender()).await.unwrap_err());
    assert_no_secrets(
        &closed
            .send_message(&sender(), &text_message(), None)
            .await
            .unwrap_err(),
    );

    // Timeouts, HTML pages, envelopes and malformed answers.
    assert_no_secrets(
        &send_error(ResponseTemplate::new(200).set_delay(Duration::from_secs(3))).await,
    );
    assert_no_secrets(&send_error(ResponseTemplate::new(502).set_body_string("<html>")).await);
    assert_no_secrets(
        &send_error(ResponseTemplate::new(401).set_body_json(envelope(190, Some(463), None))).await,
    );
    assert_no_secrets(&send_error(ResponseTemplate::new(200).set_body_string("nope")).await);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let graph = client(&server);
    assert_no_secrets(&graph.exchange_code(&code, None).await.unwrap_err());
    assert_no_secrets(&graph.debug_token(&input, &token).await.unwrap_err());
}
