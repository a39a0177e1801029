//! End to end with our own client: `wa-graph`'s [`GraphClient`] against the simulator over
//! loopback HTTP. Every call the client makes (sends of text, template and image, mark read,
//! media upload, lookup, download and delete, number fields, templates, onboarding) must succeed
//! with `appsecret_proof` required, and every fault the simulator injects must come back
//! classified the way the domain expects (by Meta's code, or as a transport failure).
//!
//! The simulator library never links `wa-graph`: only these tests do, so a bug of the client
//! cannot hide behind a simulator that shares its wire types.

use std::time::Duration;

use secrecy::SecretString;
use wa_domain::content::{
    BodyParameter, Image, MediaSource, OutboundContent, Template, TemplateFields, Text,
};
use wa_domain::error_class::{ErrorClass, RateLimitScope};
use wa_domain::graph::{GraphError, MarkRead, MediaUpload, Sender};
use wa_domain::ids::{
    LanguageCode, MessageId, PhoneNumber, PhoneNumberId, Recipient, TemplateName, WaMessageId,
    WabaId,
};
use wa_domain::message::OutboundMessage;
use wa_graph::{GraphClient, GraphConfig, Timeouts};
use wa_sim::{
    CustomerRef, ErrorRate, Faults, InboundContent, InboundRequest, Limits, Outage, OutageMode,
    RunningSim, SignupRequest,
};

use crate::helpers::*;

/// The app id the simulator's scenarios use by default.
const APP_ID: &str = "900000000000001";

/// `wa-graph`'s client for `sim`, signing every call with `app_secret` when given.
fn graph_client(sim: &RunningSim, app_secret: Option<&str>, request: Duration) -> GraphClient {
    let mut config = GraphConfig::with_base_url(sim.base_url());
    config.app_id = Some(APP_ID.to_owned());
    config.app_secret = app_secret.map(|secret| SecretString::from(secret.to_owned()));
    config.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        request,
        media: Duration::from_secs(5),
    };
    GraphClient::new(config).expect("a valid client configuration")
}

fn sender() -> Sender {
    Sender {
        phone_number_id: PhoneNumberId::parse(PNID).unwrap(),
        token: SecretString::from(TOKEN),
    }
}

fn to(phone: &str) -> Recipient {
    Recipient::Phone(PhoneNumber::parse(format!("+{phone}")).unwrap())
}

fn text(phone: &str, body: &str) -> OutboundMessage {
    OutboundMessage {
        recipient: to(phone),
        content: OutboundContent::Text(Text::new(body, false).unwrap()),
        reply_to: None,
    }
}

/// The `greeting` template of the test scenario (`Hi {{1}}, your code is {{2}}`).
fn greeting(phone: &str, parameters: &[&str]) -> OutboundMessage {
    let template = Template::new(TemplateFields {
        name: TemplateName::parse("greeting").unwrap(),
        language: LanguageCode::parse("en_US").unwrap(),
        header: None,
        body: parameters.iter().map(|p| BodyParameter::text(*p)).collect(),
        buttons: Vec::new(),
    })
    .unwrap();
    OutboundMessage {
        recipient: to(phone),
        content: OutboundContent::Template(template),
        reply_to: None,
    }
}

async fn ready(require_proof: bool) -> RunningSim {
    let sim = builder()
        .require_appsecret_proof(require_proof)
        .start()
        .await
        .unwrap();
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    sim
}

/// The error of a text send to [`CUSTOMER`].
async fn text_error(client: &GraphClient) -> GraphError {
    client
        .send_message(&sender(), &text(CUSTOMER, "hi"), None)
        .await
        .expect_err("the send must fail")
}

#[tokio::test]
async fn text_template_and_image_are_sent_with_appsecret_proof() {
    let sim = ready(true).await;
    let client = graph_client(&sim, Some(SECRET), Duration::from_secs(5));

    let text_id = MessageId::generate();
    let receipt = client
        .send_message(&sender(), &text(CUSTOMER, "Hello ✓"), Some(text_id))
        .await
        .unwrap();
    assert!(receipt.wamid.as_str().starts_with("wamid."));
    assert_eq!(receipt.wa_id.as_deref(), Some(CUSTOMER));
    assert_eq!(receipt.message_status, None);

    // A template to someone who never wrote: allowed outside the window, and `accepted`.
    let template_id = MessageId::generate();
    let receipt = client
        .send_message(
            &sender(),
            &greeting("15550009999", &["Ada", "7"]),
            Some(template_id),
        )
        .await
        .unwrap();
    assert_eq!(receipt.message_status.as_deref(), Some("accepted"));

    let media_id = client
        .upload_media(
            &sender(),
            &MediaUpload {
                bytes: b"\x89PNG\r\n\x1a\n not really a picture".to_vec(),
                mime_type: "image/png".into(),
                filename: "picture.png".into(),
            },
        )
        .await
        .unwrap();
    let image = OutboundMessage {
        recipient: to(CUSTOMER),
        content: OutboundContent::Image(
            Image::new(
                MediaSource::id(&media_id).unwrap(),
                Some("A picture".into()),
            )
            .unwrap(),
        ),
        reply_to: None,
    };
    let image_id = MessageId::generate();
    client
        .send_message(&sender(), &image, Some(image_id))
        .await
        .unwrap();

    // What the simulator accepted is what the client meant, checked on the simulator's terms.
    let accepted = sim.control().messages();
    let kinds: Vec<&str> = accepted.iter().map(|m| m.message_type.as_str()).collect();
    assert_eq!(kinds, ["text", "template", "image"]);
    assert_eq!(accepted[0].body["text"]["body"], "Hello ✓");
    assert_eq!(accepted[1].body["template"]["name"], "greeting");
    assert_eq!(accepted[2].body["image"]["id"], media_id.as_str());
    assert_eq!(accepted[2].body["image"]["caption"], "A picture");
    let callbacks: Vec<Option<String>> = accepted
        .iter()
        .map(|m| m.biz_opaque_callback_data.clone())
        .collect();
    assert_eq!(
        callbacks,
        [text_id, template_id, image_id].map(|id| Some(id.to_string()))
    );
    // Every Graph call carried a valid proof (the simulator requires it).
    let requests = sim.control().requests();
    assert!(requests.len() >= 4);
    assert!(requests.iter().all(|r| r.status == 200), "{requests:?}");
}

#[tokio::test]
async fn a_client_without_the_app_secret_is_refused_when_proof_is_required() {
    let sim = ready(true).await;
    let client = graph_client(&sim, None, Duration::from_secs(5));
    let error = text_error(&client).await;
    assert_eq!(error.code, Some(100));
    assert_eq!(error.class, ErrorClass::Permanent);
    // A wrong secret gives a wrong proof: refused the same way.
    let client = graph_client(&sim, Some("not-the-secret"), Duration::from_secs(5));
    assert_eq!(text_error(&client).await.code, Some(100));
}

#[tokio::test]
async fn media_read_marks_number_fields_and_templates_round_trip() {
    let sim = ready(false).await;
    let client = graph_client(&sim, Some(SECRET), Duration::from_secs(5));
    let sender = sender();

    let bytes = b"%PDF-1.4 a small document".to_vec();
    let media_id = client
        .upload_media(
            &sender,
            &MediaUpload {
                bytes: bytes.clone(),
                mime_type: "application/pdf".into(),
                filename: "terms.pdf".into(),
            },
        )
        .await
        .unwrap();
    let info = client.media_info(&sender, &media_id).await.unwrap();
    assert_eq!(info.id, media_id);
    assert_eq!(info.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(info.file_size, Some(bytes.len() as u64));
    let download = client.download_media(&sender, &media_id).await.unwrap();
    assert_eq!(download.bytes, bytes);
    client.delete_media(&sender, &media_id).await.unwrap();
    let gone = client.media_info(&sender, &media_id).await.unwrap_err();
    assert_eq!(gone.class, ErrorClass::Permanent);

    // A customer's message, marked read with the typing indicator.
    let inbound = sim
        .control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text {
                body: "read me".into(),
            },
        ))
        .unwrap();
    client
        .mark_read(
            &sender,
            &MarkRead {
                message_id: WaMessageId::parse(inbound.wamid.clone()).unwrap(),
                typing_indicator: true,
            },
        )
        .await
        .unwrap();
    let reads = sim.control().reads();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].message_id, inbound.wamid);
    assert!(reads[0].typing_indicator);

    let number = client.phone_number_info(&sender).await.unwrap();
    assert_eq!(number.display_phone_number.as_deref(), Some(DISPLAY));
    assert_eq!(number.quality_rating.as_deref(), Some("GREEN"));
    assert_eq!(number.throughput_mps(), 80);

    let token = SecretString::from(TOKEN);
    let waba = WabaId::parse(WABA).unwrap();
    let numbers = client.phone_numbers(&token, &waba).await.unwrap();
    assert_eq!(numbers.len(), 1);
    assert_eq!(numbers[0].id.as_str(), PNID);
    let mut names: Vec<String> = client
        .all_message_templates(&token, &waba)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    assert_eq!(names, ["greeting", "hello_world"]);
}

#[tokio::test]
async fn onboarding_code_exchange_debug_token_subscribe_and_register() {
    let sim = ready(true).await;
    let client = graph_client(&sim, Some(SECRET), Duration::from_secs(5));
    let grant = sim.control().create_signup(SignupRequest::default());

    let token = client
        .exchange_code(&SecretString::from(grant.code.clone()), None)
        .await
        .unwrap()
        .token;
    let app_token = client.app_access_token().unwrap();
    let info = client.debug_token(&token, &app_token).await.unwrap();
    assert!(info.is_valid);
    assert_eq!(info.app_id.as_deref(), Some(APP_ID));
    let waba = WabaId::parse(grant.waba_id.clone()).unwrap();
    assert!(info.waba_ids.contains(&waba));
    // A code works once.
    let again = client
        .exchange_code(&SecretString::from(grant.code), None)
        .await
        .unwrap_err();
    assert_eq!(again.class, ErrorClass::Permanent);

    let new_sender = Sender {
        phone_number_id: PhoneNumberId::parse(grant.phone_number_id.clone()).unwrap(),
        token: token.clone(),
    };
    // Not registered yet: a send fails with 133010.
    let refused = client
        .send_message(&new_sender, &greeting(CUSTOMER, &["Ada", "1"]), None)
        .await
        .unwrap_err();
    assert_eq!(refused.code, Some(133010));
    client.subscribe_app(&token, &waba).await.unwrap();
    client
        .register_number(&new_sender, &SecretString::from("123456"))
        .await
        .unwrap();
    client
        .send_message(&new_sender, &greeting(CUSTOMER, &["Ada", "1"]), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn meta_rule_errors_are_classified_by_code() {
    let sim = ready(false).await;
    let client = graph_client(&sim, Some(SECRET), Duration::from_secs(5));
    let sender = sender();

    // 131047: nobody at this number ever wrote.
    let closed = client
        .send_message(&sender, &text("15550004444", "hi"), None)
        .await
        .unwrap_err();
    assert_eq!(
        (closed.code, closed.class),
        (Some(131047), ErrorClass::WindowClosed)
    );
    // 132001 and 132000: unknown template, wrong parameter count.
    let unknown = OutboundMessage {
        content: OutboundContent::Template(Template::without_parameters(
            TemplateName::parse("no_such_template").unwrap(),
            LanguageCode::parse("en_US").unwrap(),
        )),
        ..greeting(CUSTOMER, &[])
    };
    let error = client
        .send_message(&sender, &unknown, None)
        .await
        .unwrap_err();
    assert_eq!(
        (error.code, error.class),
        (Some(132001), ErrorClass::Permanent)
    );
    let error = client
        .send_message(&sender, &greeting(CUSTOMER, &["only one"]), None)
        .await
        .unwrap_err();
    assert_eq!(
        (error.code, error.class),
        (Some(132000), ErrorClass::Permanent)
    );

    // 131056: the pair rate to one user (burst of 1, then one per minute).
    sim.control().set_limits(Limits {
        pair_interval_ms: 60_000,
        pair_burst: 1,
        ..Limits::default()
    });
    client
        .send_message(&sender, &greeting("15550005555", &["a", "b"]), None)
        .await
        .unwrap();
    let pair = client
        .send_message(&sender, &greeting("15550005555", &["a", "b"]), None)
        .await
        .unwrap_err();
    assert_eq!(pair.code, Some(131056));
    assert_eq!(
        pair.class,
        ErrorClass::RateLimited {
            scope: RateLimitScope::RecipientPair
        }
    );

    // 130429: the number's throughput (1 message per second, to different users).
    sim.control().set_limits(Limits {
        throughput_per_number: 1,
        ..Limits::default()
    });
    sim.control().advance_clock(Duration::from_secs(2));
    client
        .send_message(&sender, &greeting("15550006661", &["a", "b"]), None)
        .await
        .unwrap();
    let throughput = client
        .send_message(&sender, &greeting("15550006662", &["a", "b"]), None)
        .await
        .unwrap_err();
    assert_eq!(throughput.code, Some(130429));
    assert_eq!(
        throughput.class,
        ErrorClass::RateLimited {
            scope: RateLimitScope::PhoneNumber
        }
    );

    // 190: the token was revoked.
    sim.control().revoke_token(TOKEN);
    let revoked = text_error(&client).await;
    assert_eq!(
        (revoked.code, revoked.class),
        (Some(190), ErrorClass::AuthInvalid)
    );
    assert_eq!(revoked.http_status, Some(401));
}

#[tokio::test]
async fn injected_faults_are_classified_as_the_domain_expects() {
    let sim = ready(false).await;
    let client = graph_client(&sim, Some(SECRET), Duration::from_millis(400));

    for (code, class) in [
        (131000, ErrorClass::Retryable),
        (131016, ErrorClass::Retryable),
        (2, ErrorClass::Retryable),
        (
            4,
            ErrorClass::RateLimited {
                scope: RateLimitScope::App,
            },
        ),
        (
            80007,
            ErrorClass::RateLimited {
                scope: RateLimitScope::Waba,
            },
        ),
        (131026, ErrorClass::Permanent),
    ] {
        sim.control().set_faults(Faults {
            error_rates: vec![ErrorRate { code, rate: 1.0 }],
            ..Faults::default()
        });
        let error = text_error(&client).await;
        assert_eq!(
            (error.code, error.class),
            (Some(i64::from(code)), class),
            "{error}"
        );
        assert!(error.info.fbtrace_id.is_some());
    }

    // An outage answering a front end's HTML page: retryable, status kept, no code.
    sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Http { status: 502 },
            duration_ms: None,
        }),
        ..Faults::default()
    });
    let error = text_error(&client).await;
    assert_eq!(
        (error.code, error.class, error.http_status),
        (None, ErrorClass::Retryable, Some(502))
    );

    // A connection closed without an answer.
    sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Reset,
            duration_ms: None,
        }),
        ..Faults::default()
    });
    let error = text_error(&client).await;
    assert_eq!(
        (error.code, error.class, error.http_status),
        (None, ErrorClass::Retryable, None)
    );

    // No answer at all: the client's own timeout decides.
    sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Hang,
            duration_ms: None,
        }),
        ..Faults::default()
    });
    let error = text_error(&client).await;
    assert_eq!(
        (error.code, error.class, error.http_status),
        (None, ErrorClass::Retryable, None)
    );

    // Added latency longer than the client waits: a timeout too.
    sim.control().set_faults(Faults {
        latency_ms: 5_000,
        ..Faults::default()
    });
    let error = text_error(&client).await;
    assert_eq!((error.code, error.class), (None, ErrorClass::Retryable));

    sim.control().clear_faults();
    client
        .send_message(&sender(), &text(CUSTOMER, "back"), None)
        .await
        .unwrap();
}
