//! `wa demo`: the whole system on one machine, against the Cloud API simulator.
//!
//! It starts `wa-sim` and the wa service in this process on a fresh SQLite file, then acts as
//! a SaaS would, through the public HTTP API only: it creates two tenants and connects them,
//! has customers write in (one in Hebrew with emoji, one username-only user known by BSUID),
//! replies with text and an image inside the window, sends a template to a customer whose window
//! is closed, shows a free-form message to that customer refused with `window_closed`, waits
//! for Meta's statuses to flow back, and prints each message's lifecycle and each window.

#![allow(clippy::print_stdout)]

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, Result, bail};
use clap::Args;
use reqwest::StatusCode;

use serde_json::{Value, json};
use time::OffsetDateTime;
use wa_domain::{
    content::{BodyParameter, Template, TemplateButton, TemplateFields},
    content::{Image, MediaSource, OutboundContent, Text},
    ids::{LanguageCode, TemplateName},
};
use wa_sim::{
    CustomerRef, InboundContent, InboundRequest, NumberConfig, SimConfig, Simulator, TemplateConfig,
};

use crate::{config::Config, server};

/// `wa demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo's database (and dev vault key) go.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Seconds to wait for statuses to come back.
    #[arg(long, default_value_t = 20)]
    pub wait_seconds: u64,
}

const APP_SECRET: &str = "demo-app-secret";
const ADMIN_TOKEN: &str = "demo-admin-token";

struct DemoTenant {
    name: &'static str,
    phone_number_id: &'static str,
    waba_id: &'static str,
    token: &'static str,
    display: &'static str,
}

const CAFE: DemoTenant = DemoTenant {
    name: "Cafe Aviv",
    phone_number_id: "100000000000001",
    waba_id: "200000000000001",
    token: "demo-token-cafe",
    display: "+1 555-010-0001",
};
const BOOKS: DemoTenant = DemoTenant {
    name: "Bookshop Lyon",
    phone_number_id: "100000000000002",
    waba_id: "200000000000002",
    token: "demo-token-books",
    display: "+1 555-010-0002",
};

/// Customers of the story.
const DANA_PHONE: &str = "972541234567";
const READER_BSUID: &str = "US.8492017365";
const NEW_CUSTOMER: &str = "15550009999";

/// Runs the demo; exits non-zero if any step does not behave as described.
///
/// # Errors
/// Any step that fails, with what was expected.
pub async fn run(args: DemoArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let stamp = OffsetDateTime::now_utc().unix_timestamp();
    let db_path = args.data_dir.join(format!("demo-{stamp}.db"));
    let db_url = format!("sqlite://{}?mode=rwc", db_path.display());
    let log_path = args.data_dir.join(format!("demo-{stamp}.log"));
    let logs_to_file = crate::telemetry::init_demo_logging(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;

    println!("== wa demo ==");
    println!("Starting the Cloud API simulator and the wa service on 127.0.0.1 ...");
    let sim = Simulator::builder()
        .config(SimConfig {
            app_secret: Some(APP_SECRET.into()),
            numbers: [&CAFE, &BOOKS]
                .iter()
                .map(|t| NumberConfig::new(t.phone_number_id, t.waba_id, t.token, t.display))
                .collect(),
            templates: vec![TemplateConfig {
                components: vec![
                    json!({"type": "BODY", "text": "Hi {{1}}, your table for {{2}} is confirmed."}),
                    json!({"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Details", "url": "https://example.com/r/{{1}}"}]}),
                ],
                ..TemplateConfig::new("reservation_update", "en_US", "UTILITY", "")
            }],
            ..SimConfig::demo()
        })
        .start()
        .await
        .context("starting the simulator")?;

    let config = demo_config(&db_url, sim.base_url(), &args.data_dir)?;
    let server = server::start(config).await.context("starting wa")?;
    sim.control().set_callback_url(Some(format!(
        "http://{}/webhooks/whatsapp",
        server.webhook_addr
    )));
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.api_addr),
    };

    let result = story(&api, &sim, &args).await;
    server.shutdown().await;
    sim.shutdown().await;
    result?;
    println!("\nDone: every step behaved as expected.");
    println!("Database: {}", db_path.display());
    if logs_to_file {
        println!(
            "Logs:     {}  (set RUST_LOG=info to see them here instead)",
            log_path.display()
        );
    }
    print_next_steps(&db_url, &args.data_dir);
    Ok(())
}

/// What a newcomer can do next, on the database the demo just filled.
fn print_next_steps(db_url: &str, data_dir: &std::path::Path) {
    println!("\nWhat next");
    println!(
        "  Run the service on the demo's database (its vault key is {}/vault-dev.key):",
        data_dir.display()
    );
    println!("    WA_DATABASE_URL='{db_url}' WA_ADMIN_TOKEN={ADMIN_TOKEN} \\");
    println!("    WA_META_APP_SECRET={APP_SECRET} WA_WEBHOOK_VERIFY_TOKEN=demo-verify-token \\");
    println!("    cargo run -p wa-app -- serve");
    println!("  Then list the tenants the demo made:");
    println!("    curl -s localhost:8080/v1/tenants -H 'Authorization: Bearer {ADMIN_TOKEN}'");
    println!(
        "  The tour of the API, and the signup page link (POST …/signup/page-link): README.md, \"A tour of the API\""
    );
    println!("  Every route: curl -s localhost:8080/openapi.json");
}

fn demo_config(db_url: &str, sim_url: &str, data_dir: &std::path::Path) -> Result<Config> {
    let mut values = std::collections::BTreeMap::new();
    values.insert("WA_DATABASE_URL".to_owned(), db_url.to_owned());
    values.insert("WA_LISTEN".to_owned(), "127.0.0.1:0".to_owned());
    values.insert("WA_GRAPH_BASE_URL".to_owned(), sim_url.to_owned());
    values.insert("WA_META_APP_ID".to_owned(), "900000000000001".to_owned());
    values.insert("WA_META_APP_SECRET".to_owned(), APP_SECRET.to_owned());
    values.insert(
        "WA_WEBHOOK_VERIFY_TOKEN".to_owned(),
        "demo-verify-token".to_owned(),
    );
    values.insert("WA_ADMIN_TOKEN".to_owned(), ADMIN_TOKEN.to_owned());
    let mut config = Config::from_values(&values)?;
    config.dev_key_dir = Some(data_dir.to_path_buf());
    Ok(config)
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(bearer);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling {path}"))?;
        let status = response.status();
        let value = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, value))
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Result<Value> {
        let (status, value) = self.call(method, path, bearer, body).await?;
        if status != want {
            bail!("{path}: expected HTTP {want}, got {status}: {value}");
        }
        Ok(value)
    }
}

struct Created {
    id: String,
    key: String,
    name: &'static str,
}

async fn story(api: &Api, sim: &wa_sim::RunningSim, args: &DemoArgs) -> Result<()> {
    use reqwest::Method;

    println!("\n1. Two businesses sign up and connect their WhatsApp numbers");
    let mut tenants = Vec::new();
    for tenant in [&CAFE, &BOOKS] {
        let created = api
            .expect(
                Method::POST,
                "/v1/tenants",
                ADMIN_TOKEN,
                Some(json!({"name": tenant.name})),
                StatusCode::CREATED,
            )
            .await?;
        let id = created["id"].as_str().context("tenant id")?.to_owned();
        let key = created["api_key"].as_str().context("api key")?.to_owned();
        let connection = api
            .expect(
                Method::PUT,
                &format!("/v1/tenants/{id}/connection"),
                &key,
                Some(json!({
                    "waba_id": tenant.waba_id, "phone_number_id": tenant.phone_number_id,
                    "display_phone_number": tenant.display, "business_name": tenant.name,
                    "access_token": tenant.token,
                })),
                StatusCode::OK,
            )
            .await?;
        println!(
            "   {:<14} tenant {id}  connection: {}",
            tenant.name,
            connection["health"].as_str().unwrap_or("?")
        );
        if connection["health"] != "active" {
            bail!(
                "{}: connection should be active, got {connection}",
                tenant.name
            );
        }
        tenants.push(Created {
            id,
            key,
            name: tenant.name,
        });
    }
    let (cafe, books) = (&tenants[0], &tenants[1]);

    println!("\n2. Customers write in");
    let dana = CustomerRef::phone(DANA_PHONE, "Dana");
    sim.control()
        .inject_inbound(InboundRequest::new(
            CAFE.phone_number_id,
            dana,
            InboundContent::Text {
                body: "שלום! אפשר להזמין שולחן ל-4 הערב? 🍽️🙂".into(),
            },
        ))
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "   Dana (+{DANA_PHONE}) -> {}: \"שלום! אפשר להזמין שולחן ל-4 הערב? 🍽️🙂\"",
        cafe.name
    );
    let reader = CustomerRef::username_only(READER_BSUID, "@novel_reader");
    sim.control()
        .inject_inbound(InboundRequest::new(
            BOOKS.phone_number_id,
            reader,
            InboundContent::Text {
                body: "Do you have the new novel in stock? 📚".into(),
            },
        ))
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "   @novel_reader ({READER_BSUID}, no phone number) -> {}: \"Do you have the new novel in stock? 📚\"",
        books.name
    );
    wait_for_window(api, cafe, DANA_PHONE).await?;
    wait_for_window(api, books, READER_BSUID).await?;
    println!("   Both windows are open (webhooks received, verified, stored and processed).");

    println!("\n3. The businesses reply inside the 24-hour window");
    let mut sent = Vec::new();
    let hebrew = content(OutboundContent::Text(Text::new(
        "בטח! שולחן ל-4 בשעה 20:00 שמור עבורך 🙂",
        false,
    )?))?;
    sent.push((cafe, send(api, cafe, DANA_PHONE, hebrew).await?));
    let image = OutboundContent::Image(Image::new(
        MediaSource::link("https://example.com/menu.jpg")?,
        Some("Tonight's menu 🍷".into()),
    )?);
    sent.push((cafe, send(api, cafe, DANA_PHONE, content(image)?).await?));
    let reply = content(OutboundContent::Text(Text::new(
        "Yes! We are keeping a copy for you. 📖",
        false,
    )?))?;
    sent.push((books, send(api, books, READER_BSUID, reply).await?));
    println!(
        "   {} replied to Dana with a text and an image; {} replied to @novel_reader by BSUID.",
        cafe.name, books.name
    );

    println!("\n4. A customer who never wrote: a template goes, free-form text is refused");
    let template = OutboundContent::Template(Template::new(TemplateFields {
        name: TemplateName::parse("reservation_update")?,
        language: LanguageCode::parse("en_US")?,
        header: None,
        body: vec![BodyParameter::text("Sam"), BodyParameter::text("2")],
        buttons: vec![TemplateButton::Url {
            index: 0,
            text: "1042".into(),
        }],
    })?);
    sent.push((
        cafe,
        send(api, cafe, NEW_CUSTOMER, content(template)?).await?,
    ));
    let (status, refusal) = api
        .call(
            Method::POST,
            &format!("/v1/tenants/{}/messages", cafe.id),
            &cafe.key,
            Some(json!({"to": NEW_CUSTOMER, "content": content(OutboundContent::Text(Text::new("Hi Sam!", false)?))?})),
        )
        .await?;
    if status != StatusCode::UNPROCESSABLE_ENTITY || refusal["code"] != "window_closed" {
        bail!("free-form to a closed window should be 422 window_closed, got {status}: {refusal}");
    }
    println!("   template to +{NEW_CUSTOMER}: accepted");
    println!(
        "   text to +{NEW_CUSTOMER}: HTTP {status} {}: {}",
        refusal["code"].as_str().unwrap_or(""),
        refusal["message"].as_str().unwrap_or("")
    );

    println!("\n5. Meta's statuses flow back (sent, delivered, read) ...");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_seconds);
    let mut rows = Vec::new();
    loop {
        rows.clear();
        for (tenant, id) in &sent {
            let message = api
                .expect(
                    Method::GET,
                    &format!("/v1/tenants/{}/messages/{id}", tenant.id),
                    &tenant.key,
                    None,
                    StatusCode::OK,
                )
                .await?;
            rows.push((tenant.name, message));
        }
        let all_read = rows.iter().all(|(_, m)| m["status"] == "read");
        if all_read || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    print_lifecycles(&rows);
    if !rows.iter().all(|(_, m)| m["status"] == "read") {
        bail!(
            "not every message reached `read` within {} s",
            args.wait_seconds
        );
    }

    println!("\n6. Windows");
    println!(
        "   {:<14} {:<18} {:<6} {:<20}",
        "tenant", "customer", "open", "expires at (UTC)"
    );
    for (tenant, customer) in [
        (cafe, DANA_PHONE),
        (books, READER_BSUID),
        (cafe, NEW_CUSTOMER),
    ] {
        let window = api
            .expect(
                Method::GET,
                &format!("/v1/tenants/{}/conversations/{customer}", tenant.id),
                &tenant.key,
                None,
                StatusCode::OK,
            )
            .await?;
        println!(
            "   {:<14} {:<18} {:<6} {:<20}",
            tenant.name,
            customer,
            window["open"].as_bool().unwrap_or(false),
            short_time(&window["expires_at"]),
        );
    }
    Ok(())
}

fn content(content: OutboundContent) -> Result<Value> {
    Ok(serde_json::to_value(content)?)
}

async fn send(api: &Api, tenant: &Created, to: &str, content: Value) -> Result<String> {
    let message = api
        .expect(
            reqwest::Method::POST,
            &format!("/v1/tenants/{}/messages", tenant.id),
            &tenant.key,
            Some(json!({"to": to, "content": content})),
            StatusCode::ACCEPTED,
        )
        .await?;
    Ok(message["id"].as_str().context("message id")?.to_owned())
}

async fn wait_for_window(api: &Api, tenant: &Created, customer: &str) -> Result<()> {
    for _ in 0..100 {
        let window = api
            .expect(
                reqwest::Method::GET,
                &format!("/v1/tenants/{}/conversations/{customer}", tenant.id),
                &tenant.key,
                None,
                StatusCode::OK,
            )
            .await?;
        if window["open"] == true {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{}: the window of {customer} did not open", tenant.name)
}

fn short_time(value: &Value) -> String {
    value
        .as_str()
        .map(|s| s.chars().take(19).collect::<String>().replace('T', " "))
        .unwrap_or_else(|| "-".to_owned())
}

/// The time of day of an RFC 3339 timestamp, to the millisecond (Meta's own are whole seconds).
fn clock(value: &Value) -> String {
    value
        .as_str()
        .and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
        .map_or_else(
            || "-".to_owned(),
            |at| {
                format!(
                    "{:02}:{:02}:{:02}.{:03}",
                    at.hour(),
                    at.minute(),
                    at.second(),
                    at.millisecond()
                )
            },
        )
}

fn print_lifecycles(rows: &[(&str, Value)]) {
    println!(
        "   {:<14} {:<10} {:<9} {:<16} {:<9} {:<12} {:<12} {:<12} {:<12}",
        "tenant", "message", "type", "customer", "status", "accepted", "sent", "delivered", "read"
    );
    for (tenant, m) in rows {
        let customer = m["customer"]["phone"]
            .as_str()
            .or(m["customer"]["user_id"].as_str())
            .unwrap_or("?");
        let t = &m["timestamps"];
        println!(
            "   {:<14} {:<10} {:<9} {:<16} {:<9} {:<12} {:<12} {:<12} {:<12}",
            tenant,
            m["id"].as_str().map(|s| &s[s.len() - 8..]).unwrap_or("?"),
            m["type"].as_str().unwrap_or("?"),
            customer,
            m["status"].as_str().unwrap_or("?"),
            clock(&t["accepted_at"]),
            clock(&t["sent_at"]),
            clock(&t["delivered_at"]),
            clock(&t["read_at"]),
        );
    }
}
