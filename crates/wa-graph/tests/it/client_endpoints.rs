//! Every Graph call besides sending: mark read, media, number details, templates and the
//! onboarding calls, each checked for method, path, bearer token, `appsecret_proof` and body.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wa_domain::{
    connection::PhoneNumberInfo,
    error_class::ErrorClass,
    graph::{MarkRead, MediaUpload},
    ids::{WaMessageId, WabaId},
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param, query_param_is_missing},
};

use crate::support::{APP_SECRET, PNID, PROOF, TOKEN, client, sender};

const WABA: &str = "102290129340398";
const INBOUND: &str = "wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQUI=";
const MEDIA: &str = "1013859600285441";
/// HMAC-SHA256(APP_SECRET, "1234567890|test-app-secret"): the proof of the app access token,
/// computed with Python's `hmac`.
const APP_TOKEN_PROOF: &str = "cb791e5aed36e6d7dfb80a701b97ae93c4f617355f1f555092a07fd24d4d0de3";

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn success() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"success": true}))
}

fn waba() -> WabaId {
    WabaId::parse(WABA).unwrap()
}

async fn only_request_body(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    requests[0].body_json().unwrap()
}

#[tokio::test]
async fn mark_read_with_and_without_the_typing_indicator() {
    for typing in [true, false] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v25.0/{PNID}/messages")))
            .and(header("authorization", bearer().as_str()))
            .and(query_param("appsecret_proof", PROOF))
            .respond_with(success())
            .expect(1)
            .mount(&server)
            .await;
        let read = MarkRead {
            message_id: WaMessageId::parse(INBOUND).unwrap(),
            typing_indicator: typing,
        };
        client(&server).mark_read(&sender(), &read).await.unwrap();
        let mut expected = json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": INBOUND
        });
        if typing {
            expected["typing_indicator"] = json!({"type": "text"});
        }
        assert_eq!(only_request_body(&server).await, expected);
    }
}

#[tokio::test]
async fn upload_media_sends_a_multipart_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/media")))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": MEDIA})))
        .expect(1)
        .mount(&server)
        .await;
    let bytes = b"\x89PNG\r\n\x1a\n fake image".to_vec();
    let upload = MediaUpload {
        bytes: bytes.clone(),
        mime_type: "image/png".into(),
        filename: "pic.png".into(),
    };
    let id = client(&server)
        .upload_media(&sender(), &upload)
        .await
        .unwrap();
    assert_eq!(id, MEDIA);

    let request = &server.received_requests().await.unwrap()[0];
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap()
        .to_owned();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a multipart body");
    let body = &request.body;
    let find = |needle: &[u8]| {
        body.windows(needle.len())
            .position(|window| window == needle)
    };
    let part = |name: &str, value: &str| {
        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n--{boundary}")
    };
    assert!(find(part("messaging_product", "whatsapp").as_bytes()).is_some());
    assert!(find(part("type", "image/png").as_bytes()).is_some());
    let file_head = "Content-Disposition: form-data; name=\"file\"; filename=\"pic.png\"\r\nContent-Type: image/png\r\n\r\n";
    let head_at = find(file_head.as_bytes()).expect("the file part");
    let data_at = head_at + file_head.len();
    assert_eq!(&body[data_at..data_at + bytes.len()], bytes.as_slice());
}

#[tokio::test]
async fn media_info_reads_the_lookup() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{MEDIA}")))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("phone_number_id", PNID))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
            "mime_type": "image/jpeg",
            "sha256": "a3f1",
            "file_size": "303833",
            "id": MEDIA
        })))
        .expect(1)
        .mount(&server)
        .await;
    let info = client(&server).media_info(&sender(), MEDIA).await.unwrap();
    assert_eq!(info.id, MEDIA);
    assert_eq!(
        info.url,
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"
    );
    assert_eq!(info.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(info.sha256.as_deref(), Some("a3f1"));
    assert_eq!(info.file_size, Some(303_833));
}

/// Serves two lookups: the first points at `first`, every later one at `second`.
async fn mount_lookups(server: &MockServer, first: &str, second: &str) {
    let lookup = |file: &str| {
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "url": format!("{}{file}", server.uri()),
            "mime_type": "audio/ogg",
            "id": MEDIA
        }))
    };
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{MEDIA}")))
        .respond_with(lookup(first))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{MEDIA}")))
        .respond_with(lookup(second))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn download_refetches_the_url_once_after_a_404() {
    let server = MockServer::start().await;
    mount_lookups(&server, "/files/expired", "/files/fresh").await;
    Mock::given(method("GET"))
        .and(path("/files/expired"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/fresh"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"OggS voice".to_vec(), "audio/ogg"))
        .expect(1)
        .mount(&server)
        .await;
    let download = client(&server)
        .download_media(&sender(), MEDIA)
        .await
        .unwrap();
    assert_eq!(download.bytes, b"OggS voice");
    assert_eq!(download.mime_type.as_deref(), Some("audio/ogg"));
    let lookups = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path() == format!("/v25.0/{MEDIA}"))
        .count();
    assert_eq!(lookups, 2, "one lookup, one fresh lookup");
}

#[tokio::test]
async fn download_gives_up_after_the_second_404() {
    let server = MockServer::start().await;
    mount_lookups(&server, "/files/gone", "/files/gone").await;
    Mock::given(method("GET"))
        .and(path("/files/gone"))
        .respond_with(ResponseTemplate::new(404))
        .expect(2)
        .mount(&server)
        .await;
    let error = client(&server)
        .download_media(&sender(), MEDIA)
        .await
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::Permanent);
    assert_eq!(error.http_status, Some(404));
}

#[tokio::test]
async fn download_never_sends_the_token_to_a_foreign_host() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{MEDIA}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "url": "http://evil.example/steal", "id": MEDIA
        })))
        .mount(&server)
        .await;
    let error = client(&server)
        .download_media(&sender(), MEDIA)
        .await
        .unwrap_err();
    assert_eq!(error.class, ErrorClass::Permanent);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn delete_media() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v25.0/{MEDIA}")))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("phone_number_id", PNID))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(success())
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .delete_media(&sender(), MEDIA)
        .await
        .unwrap();
}

#[tokio::test]
async fn phone_number_info_reads_every_field() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{PNID}")))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("appsecret_proof", PROOF))
        .and(query_param(
            "fields",
            "display_phone_number,verified_name,quality_rating,code_verification_status,name_status,throughput,platform_type,whatsapp_business_manager_messaging_limit",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "display_phone_number": "+1 555-010-9999",
            "verified_name": "Acme Support",
            "quality_rating": "GREEN",
            "code_verification_status": "VERIFIED",
            "name_status": "APPROVED",
            "throughput": {"level": "STANDARD"},
            "platform_type": "CLOUD_API",
            "whatsapp_business_manager_messaging_limit": "TIER_2K",
            "id": PNID
        })))
        .expect(1)
        .mount(&server)
        .await;
    let info = client(&server).phone_number_info(&sender()).await.unwrap();
    assert_eq!(
        info,
        PhoneNumberInfo {
            display_phone_number: Some("+1 555-010-9999".into()),
            verified_name: Some("Acme Support".into()),
            quality_rating: Some("GREEN".into()),
            throughput_level: Some("STANDARD".into()),
            messaging_limit: Some("TIER_2K".into()),
            name_status: Some("APPROVED".into()),
            code_verification_status: Some("VERIFIED".into()),
            platform_type: Some("CLOUD_API".into()),
        }
    );
}

#[tokio::test]
async fn phone_numbers_of_a_waba_follow_the_pages() {
    let server = MockServer::start().await;
    let number = |id: &str, display: &str| {
        json!({"id": id, "display_phone_number": display, "quality_rating": "GREEN",
               "messaging_limit_tier": "TIER_1K"})
    };
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{WABA}/phone_numbers")))
        .and(query_param_is_missing("after"))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [number("111", "+1 555-0001")],
            "paging": {"cursors": {"before": "B", "after": "PAGE2"}, "next": "https://graph/next"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{WABA}/phone_numbers")))
        .and(query_param("after", "PAGE2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [number("222", "+1 555-0002")],
            "paging": {"cursors": {"before": "C", "after": "PAGE3"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let token = SecretString::from(TOKEN);
    let numbers = client(&server)
        .phone_numbers(&token, &waba())
        .await
        .unwrap();
    let ids: Vec<_> = numbers.iter().map(|number| number.id.as_str()).collect();
    assert_eq!(ids, ["111", "222"]);
    assert_eq!(numbers[1].info.messaging_limit.as_deref(), Some("TIER_1K"));
}

#[tokio::test]
async fn message_templates_are_read_page_by_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{WABA}/message_templates")))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("appsecret_proof", PROOF))
        .and(query_param("limit", "250"))
        .and(query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{
                "name": "order_update",
                "language": "en_US",
                "status": "APPROVED",
                "category": "UTILITY",
                "parameter_format": "NAMED",
                "components": [{"type": "BODY", "text": "Hi {{first_name}}"}],
                "id": "594425479261596"
            }, {"id": "no-name-is-skipped"}],
            "paging": {"cursors": {"after": "NEXT"}, "next": "https://graph/next"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{WABA}/message_templates")))
        .and(query_param("after", "NEXT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"name": "hello_world", "language": "en_US", "status": "PAUSED"}],
            "paging": {"cursors": {"after": "END"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let token = SecretString::from(TOKEN);
    let templates = client(&server)
        .all_message_templates(&token, &waba())
        .await
        .unwrap();
    assert_eq!(templates.len(), 2);
    let first = &templates[0];
    assert_eq!(first.name, "order_update");
    assert_eq!(first.id.as_deref(), Some("594425479261596"));
    assert_eq!(first.parameter_format.as_deref(), Some("NAMED"));
    assert_eq!(
        serde_json::from_str::<Value>(first.components_json.as_deref().unwrap()).unwrap(),
        json!([{"type": "BODY", "text": "Hi {{first_name}}"}])
    );
    assert_eq!(templates[1].status.as_deref(), Some("PAUSED"));
}

#[tokio::test]
async fn code_exchange_sends_the_app_credentials_and_no_bearer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/oauth/access_token"))
        .and(query_param("client_id", "1234567890"))
        .and(query_param("client_secret", APP_SECRET))
        .and(query_param("code", "AQD-signup-code"))
        .and(query_param_is_missing("appsecret_proof"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "EAAG-business-token",
            "token_type": "bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let token = client(&server)
        .exchange_code(&SecretString::from("AQD-signup-code"), None)
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "EAAG-business-token");
    assert_eq!(token.token_type.as_deref(), Some("bearer"));
    assert_eq!(token.expires_in, None);
    assert!(
        !format!("{token:?}").contains("EAAG"),
        "the token is redacted"
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert!(request.headers.get("authorization").is_none());
}

#[tokio::test]
async fn debug_token_finds_the_shared_wabas() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/debug_token"))
        .and(query_param("input_token", "EAAG-business-token"))
        .and(header("authorization", "Bearer 1234567890|test-app-secret"))
        .and(query_param("appsecret_proof", APP_TOKEN_PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {
                "app_id": "1234567890",
                "type": "SYSTEM_USER",
                "application": "wa",
                "expires_at": 0,
                "is_valid": true,
                "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
                "granular_scopes": [
                    {"scope": "whatsapp_business_management", "target_ids": [WABA, "102290129340399"]},
                    {"scope": "whatsapp_business_messaging", "target_ids": [WABA]},
                    {"scope": "business_management", "target_ids": ["999"]}
                ],
                "user_id": "122100000000000"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let graph = client(&server);
    let app_token = graph.app_access_token().unwrap();
    let info = graph
        .debug_token(&SecretString::from("EAAG-business-token"), &app_token)
        .await
        .unwrap();
    assert!(info.is_valid);
    assert_eq!(info.expires_at, None, "0 means never");
    assert_eq!(info.token_type.as_deref(), Some("SYSTEM_USER"));
    assert_eq!(info.user_id.as_deref(), Some("122100000000000"));
    let wabas: Vec<_> = info.waba_ids.iter().map(WabaId::as_str).collect();
    assert_eq!(wabas, [WABA, "102290129340399"]);
}

#[tokio::test]
async fn subscribe_app_and_register_the_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{WABA}/subscribed_apps")))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(success())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/register")))
        .and(header("authorization", bearer().as_str()))
        .and(header("content-type", "application/json"))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(success())
        .expect(1)
        .mount(&server)
        .await;
    let graph = client(&server);
    graph
        .subscribe_app(&SecretString::from(TOKEN), &waba())
        .await
        .unwrap();
    graph
        .register_number(&sender(), &SecretString::from("123456"))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let register = requests
        .iter()
        .find(|request| request.url.path().ends_with("/register"))
        .unwrap();
    assert_eq!(
        register.body_json::<Value>().unwrap(),
        json!({"messaging_product": "whatsapp", "pin": "123456"})
    );
}
