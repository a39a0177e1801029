//! Media: multipart upload, lookup, download with the bearer token, use in a send, delete.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use wa_sim::CustomerRef;

use crate::helpers::*;

async fn upload(sim: &wa_sim::RunningSim, bytes: &'static [u8], mime: &str) -> (u16, Value) {
    let form = Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", mime.to_owned())
        .part(
            "file",
            Part::bytes(bytes)
                .file_name("photo.jpg")
                .mime_str(mime)
                .unwrap(),
        );
    let response = client()
        .post(graph(sim, &format!("{PNID}/media")))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn upload_lookup_download_send_delete() {
    let sim = start().await;
    let (status, answer) = upload(&sim, b"\xff\xd8\xff fake jpeg", "image/jpeg").await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["id"].as_str().unwrap().to_owned();

    let info: Value = client()
        .get(graph(&sim, &id))
        .query(&[("phone_number_id", PNID)])
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["mime_type"], "image/jpeg");
    assert_eq!(info["file_size"], "13", "Meta gives the size as a string");
    assert_eq!(info["id"], id.as_str());
    let url = info["url"].as_str().unwrap();

    let anonymous = client().get(url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let download = client().get(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/jpeg");
    assert_eq!(
        &download.bytes().await.unwrap()[..],
        b"\xff\xd8\xff fake jpeg"
    );

    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let body = json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "image", "image": {"id": id, "caption": "look"}});
    assert_eq!(send(&sim, &body).await.0, 200);

    let deleted: Value = client()
        .delete(graph(&sim, &id))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted, json!({"success": true}));
    let gone = client()
        .get(graph(&sim, &id))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 400);
    assert_eq!(
        client()
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (status, answer) = send(&sim, &body).await;
    assert_eq!((status, error_code(&answer)), (400, 131053));
}

#[tokio::test]
async fn uploads_are_checked() {
    let sim = start().await;
    let (status, answer) = upload(&sim, b"MZ", "application/x-msdownload").await;
    assert_eq!((status, error_code(&answer)), (400, 100));
    let form = Form::new().part(
        "file",
        Part::bytes(&b"x"[..]).mime_str("image/png").unwrap(),
    );
    let response = client()
        .post(graph(&sim, &format!("{PNID}/media")))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let answer: Value = response.json().await.unwrap();
    // Outside the messages endpoint Graph names the missing parameter in `message` itself.
    assert_eq!(error_code(&answer), 100);
    assert_eq!(
        answer["error"]["message"],
        "(#100) The parameter messaging_product is required."
    );
    assert!(answer["error"].get("error_data").is_none());
    // Graph reads a parameter from the query string as well as from the form.
    let form = Form::new().text("type", "image/png").part(
        "file",
        Part::bytes(&b"x"[..]).mime_str("image/png").unwrap(),
    );
    let response = client()
        .post(graph(
            &sim,
            &format!("{PNID}/media?messaging_product=whatsapp"),
        ))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["id"].is_string(), "{answer}");
}
