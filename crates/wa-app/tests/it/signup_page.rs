//! The signup page in headless Chromium, against the simulator's stand-in for Meta's SDK: the
//! page loads the SDK from `WA_SIGNUP_SDK_URL`, runs `FB.login`, receives the session message
//! from the simulator's frame, posts the code and session info, and shows the outcome.
//!
//! Chromium is driven through chromedriver's W3C WebDriver HTTP API with plain `reqwest` calls.
//! The test needs Debian's `chromium` and `chromium-driver` packages and fails, naming the
//! install command, when they are missing.
//!
//! It also looks at the page as a person would: the page's own stylesheet applies (its font and
//! accent colour are computed by the browser), the browser's console shows no content security
//! policy violation, and a screenshot of each state (ready on a desktop and a phone, connected,
//! a failed step) is saved under `$WA_SCREENSHOT_DIR` (default: the test's target folder);
//! `cargo xtask screenshots` saves them into `docs/screenshots/`.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use wa_sim::{Faults, StepError};

use crate::onboarding::{onboarding_app, tenant};
use crate::support::{Backend, TestApp};

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

/// A browser session on chromedriver.
struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: Driver,
}

impl Browser {
    async fn open() -> Self {
        let driver = start_driver().await;
        let http = reqwest::Client::new();
        let session = wd(
            &http,
            Method::POST,
            format!("{}/session", driver.url),
            Some(
                json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run"]}}}}),
            ),
        )
        .await;
        let session = format!(
            "{}/session/{}",
            driver.url,
            session["sessionId"].as_str().unwrap()
        );
        Self {
            http,
            session,
            _driver: driver,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        wd(&self.http, method, format!("{}{path}", self.session), body).await
    }

    async fn run(&self, code: &str) -> Value {
        self.call(
            Method::POST,
            "/execute/sync",
            Some(json!({"script": code, "args": []})),
        )
        .await
    }

    async fn size(&self, width: u32, height: u32) {
        self.call(
            Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Saves a PNG of the viewport as `name` in the screenshot folder.
    async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let png = self.call(Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = std::env::var_os("WA_SCREENSHOT_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
            });
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    /// The page's state and status text once it leaves the in-between states.
    async fn settled_outcome(&self) -> Value {
        let mut outcome = Value::Null;
        for _ in 0..200 {
            outcome = self
                .run("var o = document.getElementById('outcome'); return [o.dataset.state, o.textContent];")
                .await;
            if !["loading", "ready", "waiting", "connecting"]
                .contains(&outcome[0].as_str().unwrap())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        outcome
    }

    /// Every console message of the browser that reports a content security policy violation.
    async fn csp_violations(&self) -> Vec<String> {
        let log = self
            .call(Method::POST, "/se/log", Some(json!({"type": "browser"})))
            .await;
        log.as_array()
            .unwrap()
            .iter()
            .filter(|entry| {
                let message = entry["message"].as_str().unwrap_or_default();
                entry["source"] == "security"
                    || message.contains("Content Security Policy")
                    || message.contains("Refused to")
            })
            .filter_map(|entry| entry["message"].as_str())
            .map(str::to_owned)
            .collect()
    }

    async fn close(self) {
        let _ = self.call(Method::DELETE, "", None).await;
    }
}

/// Opens a fresh signup page link of the tenant and waits until Meta's SDK is ready.
async fn open_page(browser: &Browser, app: &TestApp, tenant: &str, key: &str) {
    let (status, link) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/signup/page-link"),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    browser
        .call(
            Method::POST,
            "/url",
            Some(json!({"url": format!("{}{}", app.base, link["path"].as_str().unwrap())})),
        )
        .await;
    let mut ready = false;
    for _ in 0..100 {
        if browser
            .run("return !document.getElementById('start').disabled;")
            .await
            == json!(true)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the SDK never initialised");
}

async fn click(browser: &Browser, id: &str) {
    // A script click counts as the user's for the page.
    browser
        .run(&format!(
            "document.getElementById('{id}').click(); return true;"
        ))
        .await;
}

async fn page_signup(backend: Backend) {
    let app = onboarding_app(backend, 300).await;
    let (tenant, key) = tenant(&app, "Page").await;
    // Without the token (or a key) the page is refused.
    let bare = reqwest::get(format!("{}/v1/tenants/{tenant}/signup/page", app.base))
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);

    let browser = Browser::open().await;
    browser.size(1280, 860).await;
    open_page(&browser, &app, &tenant, &key).await;
    // The page's own stylesheet applies: the browser computes its font, card and accent colour.
    let looks = browser
        .run(
            "var b = getComputedStyle(document.body), s = getComputedStyle(document.getElementById('start'));\
             return [b.fontFamily, s.backgroundColor, s.color, document.querySelector('h1').textContent,\
                     getComputedStyle(document.querySelector('.card')).borderRadius, document.title];",
        )
        .await;
    assert!(looks[0].as_str().unwrap().contains("system-ui"), "{looks}");
    assert_eq!(looks[1], "rgb(11, 110, 95)", "the accent colour: {looks}");
    assert_eq!(looks[2], "rgb(255, 255, 255)", "{looks}");
    assert_eq!(looks[3], "Connect WhatsApp for Page", "{looks}");
    assert_eq!(looks[4], "14px", "{looks}");
    browser.screenshot("signup-ready-desktop.png").await;
    browser.size(390, 844).await;
    browser.screenshot("signup-ready-phone.png").await;
    // On a phone the button spans the card.
    let widths = browser
        .run("return [document.getElementById('start').offsetWidth, document.querySelector('.card').clientWidth];")
        .await;
    assert!(
        widths[0].as_u64().unwrap() + 60 >= widths[1].as_u64().unwrap(),
        "{widths}"
    );
    browser.size(1280, 860).await;

    click(&browser, "start").await;
    let outcome = browser.settled_outcome().await;
    browser.screenshot("signup-connected.png").await;
    let violations = browser.csp_violations().await;
    browser.close().await;
    assert!(violations.is_empty(), "CSP violations: {violations:?}");
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
    let shown = outcome[1].as_str().unwrap();
    assert!(
        shown.contains(connection["display_phone_number"].as_str().unwrap())
            && shown.contains(connection["business_name"].as_str().unwrap()),
        "the number and its verified name: {outcome}"
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

/// A step Meta fails shows the step, what to do and a retry; the retry resumes and connects.
async fn page_failure_then_retry(backend: Backend) {
    let app = onboarding_app(backend, 300).await;
    let (tenant, key) = tenant(&app, "Retry Bakery").await;
    let browser = Browser::open().await;
    browser.size(1280, 860).await;
    open_page(&browser, &app, &tenant, &key).await;
    app.sim.control().set_faults(Faults {
        step_errors: vec![StepError {
            step: "subscribe".to_owned(),
            code: 2,
        }],
        ..Faults::default()
    });
    click(&browser, "start").await;
    let failed = browser.settled_outcome().await;
    assert_eq!(failed[0], "failed", "{failed}");
    assert!(
        failed[1]
            .as_str()
            .unwrap()
            .contains("Step 4 of 6 failed: Subscribing"),
        "{failed}"
    );
    let controls = browser
        .run("return [document.getElementById('retry').hidden, document.querySelector('#steps .failed').dataset.step,\
                      document.querySelectorAll('#steps .done').length];")
        .await;
    assert_eq!(
        controls,
        json!([false, "subscribe", 3]),
        "retry shown, step marked"
    );
    browser.screenshot("signup-failed.png").await;
    // Progress as the page polls it.
    let (status, progress) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/signup"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{progress}");
    assert_eq!(progress["status"], "failed", "{progress}");
    assert_eq!(progress["failure"]["step"], "subscribe", "{progress}");
    assert_eq!(progress["next"], "subscribe", "{progress}");

    app.sim.control().clear_faults();
    click(&browser, "retry").await;
    let connected = browser.settled_outcome().await;
    let violations = browser.csp_violations().await;
    browser.close().await;
    assert_eq!(connected[0], "connected", "{connected}");
    assert!(violations.is_empty(), "CSP violations: {violations:?}");
    let (_, progress) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/signup"),
            &key,
            None,
        )
        .await;
    assert_eq!(progress["status"], "completed", "{progress}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_signup_page_completes_a_signup_in_headless_chromium() {
    page_signup(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_signup_page_completes_a_signup_in_headless_chromium_on_postgres() {
    page_signup(Backend::Postgres).await;
}

#[tokio::test]
async fn the_signup_page_shows_a_failed_step_and_resumes_on_retry() {
    page_failure_then_retry(Backend::Sqlite).await;
}
