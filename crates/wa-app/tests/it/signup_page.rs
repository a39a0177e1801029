//! The signup page in headless Chromium, against the simulator's stand-in for Meta's SDK: the
//! page loads the SDK from `WA_SIGNUP_SDK_URL`, runs `FB.login`, receives the session message
//! from the simulator's frame, posts the code and session info, and shows the outcome.
//!
//! Chromium is driven through chromedriver's W3C WebDriver HTTP API with plain `reqwest` calls.
//! The test needs Debian's `chromium` and `chromium-driver` packages and fails, naming the
//! install command, when they are missing.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::onboarding::{onboarding_app, tenant};
use crate::support::Backend;

const INSTALL: &str = "apt-get install -y chromium chromium-driver";

/// chromedriver as a child process, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(|path| (*path).to_owned())
}

async fn start_driver() -> Driver {
    let driver =
        find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]).unwrap_or_else(|| {
            panic!("chromedriver is not installed; the signup page test needs it: {INSTALL}")
        });
    find(&["/usr/bin/chromium", "/usr/lib/chromium/chromium"]).unwrap_or_else(|| {
        panic!("chromium is not installed; the signup page test needs it: {INSTALL}")
    });
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("chromedriver does not start ({e}); {INSTALL}"));
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(response) = http.get(format!("{}/status", driver.url)).send().await
            && response.status().is_success()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver never answered on {}", driver.url);
}

/// One WebDriver call; returns `value`.
async fn wd(http: &reqwest::Client, method: Method, url: String, body: Option<Value>) -> Value {
    let mut request = http.request(method, &url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(
        answer["value"]["error"].is_null(),
        "WebDriver {url}: {answer}"
    );
    answer["value"].clone()
}

async fn page_signup(backend: Backend) {
    let driver = start_driver().await;
    let app = onboarding_app(backend, 300).await;
    let (tenant, key) = tenant(&app, "Page").await;
    let (status, link) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/signup/page-link"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    // Without the token (or a key) the page is refused.
    let bare = reqwest::get(format!("{}/v1/tenants/{tenant}/signup/page", app.base))
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);

    let http = reqwest::Client::new();
    let session = wd(
        &http,
        Method::POST,
        format!("{}/session", driver.url),
        Some(json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}}}})),
    )
    .await;
    let id = session["sessionId"].as_str().unwrap().to_owned();
    let at = |path: &str| format!("{}/session/{id}{path}", driver.url);
    wd(
        &http,
        Method::POST,
        at("/url"),
        Some(json!({"url": format!("{}{}", app.base, link["path"].as_str().unwrap())})),
    )
    .await;
    let script = |code: &str| json!({"script": code, "args": []});
    // The SDK loaded and called fbAsyncInit: the button is enabled.
    let mut ready = false;
    for _ in 0..100 {
        let enabled = wd(
            &http,
            Method::POST,
            at("/execute/sync"),
            Some(script("return !document.getElementById('start').disabled;")),
        )
        .await;
        if enabled == json!(true) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the SDK never initialised");
    // A user's click (a script click counts as one for the page).
    wd(
        &http,
        Method::POST,
        at("/execute/sync"),
        Some(script(
            "document.getElementById('start').click(); return true;",
        )),
    )
    .await;
    let mut outcome = Value::Null;
    for _ in 0..150 {
        outcome = wd(&http, Method::POST, at("/execute/sync"), Some(script(
            "var o = document.getElementById('outcome'); return [o.dataset.state, o.textContent];",
        )))
        .await;
        if outcome[0] != "idle" && outcome[0] != "working" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = wd(&http, Method::DELETE, at(""), None).await;
    assert_eq!(outcome[0], "connected", "{outcome}");
    let (_, connection) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/connection"),
            &key,
            None,
        )
        .await;
    assert_eq!(connection["health"], "active", "{connection}");
    assert!(
        outcome[1]
            .as_str()
            .unwrap()
            .contains(connection["display_phone_number"].as_str().unwrap()),
        "{outcome}"
    );
    // The session info arrived: no discovery call was needed.
    assert!(
        !app.sim
            .control()
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/debug_token")),
        "the page passed the session info"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_signup_page_completes_a_signup_in_headless_chromium() {
    page_signup(Backend::Sqlite).await;
}
