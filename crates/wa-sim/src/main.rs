//! `wa-sim`: run the WhatsApp Cloud API simulator, or talk to a running one.
//!
//! ```text
//! wa-sim serve --port 8090 --callback-url http://127.0.0.1:8080/webhooks/meta
//! wa-sim inbound --to 100000000000001 --from 15551234567 --text "Hi"
//! wa-sim requests | wa-sim messages | wa-sim reads | wa-sim webhooks | wa-sim reset
//! wa-sim call PUT limits --json '{"throughput_per_number": 10}'
//! wa-sim scenario > scenario.json   # the demo scenario, to edit and pass to --scenario
//! ```

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use wa_sim::{SimConfig, Simulator};

/// Shown after `wa-sim --help`.
const EXAMPLES: &str = "\
Examples:
  # Meta on loopback: Graph at http://127.0.0.1:8090/v23.0 (any vNN.0), control at /_sim
  wa-sim serve --callback-url http://127.0.0.1:8080/webhooks/meta

  # A customer writes (opens the 24 h window and sends a signed webhook)
  wa-sim inbound --to 100000000000001 --from 15551234567 --name Ada --text 'Hi!'
  # A username-only user (BSUID, no phone) reacts to one of our messages
  wa-sim inbound --to 100000000000001 --user-id US.13491208655302741918 --username @ada \\
      --content '{\"type\":\"reaction\",\"message_id\":\"wamid.…\",\"emoji\":\"👍\"}'

  # Faults: 10 % of sends fail with 131000, then a 503 outage for 30 s, then none
  wa-sim faults --json '{\"error_rates\":[{\"code\":131000,\"rate\":0.1}]}'
  wa-sim faults --json '{\"outage\":{\"mode\":\"http\",\"status\":503,\"duration_ms\":30000}}'
  wa-sim faults --clear

  # What it received and sent
  wa-sim requests; wa-sim messages; wa-sim webhooks

  # Anything else in the control API (limits, webhook behaviour, windows, clock, signup)
  wa-sim call PUT webhooks/behaviour --json '{\"batch_max\":100,\"duplicate_rate\":0.05}'
  wa-sim call POST clock/advance --json '{\"ms\":86400000}'

The demo scenario (`wa-sim scenario`) has number 100000000000001 (WABA 200000000000001),
token `demo-token`, app secret `demo-app-secret` and the templates hello_world and order_update.
Commands other than `serve` talk to a running simulator at --sim (env WA_SIM_URL).";

#[derive(Debug, Parser)]
#[command(
    name = "wa-sim",
    version,
    about = "WhatsApp Cloud API simulator: Meta's Graph endpoints, rules and signed webhooks on loopback",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the simulator until Ctrl-C.
    Serve(ServeArgs),
    /// Inject a customer message into a running simulator.
    Inbound(InboundArgs),
    /// Print the Graph requests a running simulator received.
    Requests(SimArgs),
    /// Print the messages a running simulator accepted.
    Messages(SimArgs),
    /// Print the mark-as-read calls a running simulator received.
    Reads(SimArgs),
    /// Print the webhook POSTs of a running simulator, with their attempts.
    Webhooks(SimArgs),
    /// Set faults on a running simulator (JSON as in `PUT /_sim/faults`), or clear them.
    Faults(FaultArgs),
    /// Return a running simulator to its initial scenario.
    Reset(SimArgs),
    /// Call any control API route (`/_sim/{path}`) and print the answer.
    Call(CallArgs),
    /// Print the demo scenario as JSON (a starting point for `serve --scenario`).
    Scenario,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WA_SIM_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0: any free port).
    #[arg(long, env = "WA_SIM_PORT", default_value_t = 8090)]
    port: u16,
    /// Serve the control API (`/_sim/...`) on this port instead of next to Graph.
    #[arg(long, env = "WA_SIM_CONTROL_PORT")]
    control_port: Option<u16>,
    /// Address of the control API's own port (with --control-port).
    #[arg(long, env = "WA_SIM_CONTROL_HOST", default_value = "127.0.0.1")]
    control_host: IpAddr,
    /// A scenario file (JSON, see `wa-sim scenario`); default: the demo scenario.
    #[arg(long, env = "WA_SIM_SCENARIO")]
    scenario: Option<PathBuf>,
    /// App secret (signs webhooks, checks appsecret_proof); overrides the scenario's.
    #[arg(long, env = "WA_SIM_APP_SECRET", hide_env_values = true)]
    app_secret: Option<String>,
    /// Require appsecret_proof on Graph calls.
    #[arg(long, env = "WA_SIM_REQUIRE_APPSECRET_PROOF")]
    require_appsecret_proof: bool,
    /// Where webhooks go; overrides the scenario's.
    #[arg(long, env = "WA_SIM_CALLBACK_URL")]
    callback_url: Option<String>,
    /// Messages per second per number; overrides the scenario's.
    #[arg(long, env = "WA_SIM_THROUGHPUT")]
    throughput: Option<u32>,
}

#[derive(Debug, Clone, clap::Args)]
struct SimArgs {
    /// Base URL of the running simulator's control API (its --control-port if it has one).
    #[arg(long, env = "WA_SIM_URL", default_value = "http://127.0.0.1:8090")]
    sim: String,
}

#[derive(Debug, clap::Args)]
struct CallArgs {
    #[command(flatten)]
    sim: SimArgs,
    /// HTTP method: GET, POST, PUT or DELETE.
    #[arg(value_parser = parse_method)]
    method: reqwest::Method,
    /// The route after `/_sim/`, e.g. `limits`, `webhooks/behaviour`, `windows/open`.
    path: String,
    /// The JSON body.
    #[arg(long)]
    json: Option<String>,
}

#[derive(Debug, clap::Args)]
struct InboundArgs {
    #[command(flatten)]
    sim: SimArgs,
    /// The business phone_number_id that receives the message.
    #[arg(long)]
    to: String,
    /// The customer's phone number.
    #[arg(long, required_unless_present = "user_id")]
    from: Option<String>,
    /// The customer's BSUID (alone: a username-only user).
    #[arg(long)]
    user_id: Option<String>,
    /// The customer's profile name.
    #[arg(long)]
    name: Option<String>,
    /// The customer's username.
    #[arg(long)]
    username: Option<String>,
    /// A text message.
    #[arg(long, conflicts_with = "content")]
    text: Option<String>,
    /// Any content as JSON, e.g. '{"type":"reaction","message_id":"wamid…","emoji":"👍"}'.
    #[arg(long)]
    content: Option<String>,
    /// Reply to this wamid of ours.
    #[arg(long)]
    reply_to: Option<String>,
}

#[derive(Debug, clap::Args)]
struct FaultArgs {
    #[command(flatten)]
    sim: SimArgs,
    /// Faults as JSON, e.g. '{"error_rates":[{"code":131000,"rate":0.1}]}'.
    #[arg(long, required_unless_present = "clear")]
    json: Option<String>,
    /// Clear every fault.
    #[arg(long)]
    clear: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Inbound(args) => inbound(args).await,
        Command::Requests(args) => show(&args, "requests").await,
        Command::Messages(args) => show(&args, "messages").await,
        Command::Reads(args) => show(&args, "reads").await,
        Command::Webhooks(args) => show(&args, "webhooks").await,
        Command::Faults(args) => faults(args).await,
        Command::Reset(args) => {
            call(&args, reqwest::Method::POST, "reset", None).await?;
            Ok(())
        }
        Command::Call(args) => {
            let body = match &args.json {
                Some(text) => Some(serde_json::from_str(text).context("--json is not JSON")?),
                None => None,
            };
            let path = args
                .path
                .trim_start_matches('/')
                .trim_start_matches("_sim/");
            print_json(&call(&args.sim, args.method, path, body).await?)
        }
        Command::Scenario => print_json(&serde_json::to_value(SimConfig::demo())?),
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let mut config = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<SimConfig>(&text)
                .with_context(|| format!("parsing {}", path.display()))?
        }
        None => SimConfig::demo(),
    };
    if let Some(secret) = args.app_secret {
        config.app_secret = Some(secret);
    }
    if args.require_appsecret_proof {
        config.require_appsecret_proof = true;
    }
    if let Some(url) = args.callback_url {
        config.callback_url = Some(url);
    }
    if let Some(mps) = args.throughput {
        config.limits.throughput_per_number = mps;
    }
    let numbers: Vec<String> = config
        .numbers
        .iter()
        .map(|n| format!("{} (WABA {})", n.phone_number_id, n.waba_id))
        .collect();
    let mut builder = Simulator::builder()
        .config(config)
        .bind(SocketAddr::new(args.host, args.port));
    if let Some(port) = args.control_port {
        builder = builder.control_bind(SocketAddr::new(args.control_host, port));
    }
    let sim = builder.start().await?;
    tracing::info!(
        base_url = sim.base_url(),
        control_url = sim.control_url(),
        numbers = %numbers.join(", "),
        "wa-sim listening"
    );
    // One plain line on stdout, for people and for scripts that started it on port 0.
    writeln!(
        std::io::stdout().lock(),
        "wa-sim listening: Graph {}/v23.0 (any version), control {}/_sim",
        sim.base_url(),
        sim.control_url()
    )?;
    tokio::signal::ctrl_c().await?;
    tracing::info!("wa-sim stopping");
    sim.shutdown().await;
    Ok(())
}

async fn inbound(args: InboundArgs) -> Result<()> {
    let mut content: Value = match (&args.text, &args.content) {
        (Some(text), _) => json!({"type": "text", "body": text}),
        (None, Some(content)) => serde_json::from_str(content).context("--content is not JSON")?,
        (None, None) => bail!("give --text or --content"),
    };
    let Some(object) = content.as_object_mut() else {
        bail!("--content must be a JSON object");
    };
    object.insert("phone_number_id".into(), json!(args.to));
    object.insert(
        "from".into(),
        json!({"wa_id": args.from, "user_id": args.user_id, "name": args.name, "username": args.username}),
    );
    if let Some(reply_to) = &args.reply_to {
        object.insert("context".into(), json!({"reply_to": reply_to}));
    }
    let answer = call(&args.sim, reqwest::Method::POST, "inbound", Some(content)).await?;
    print_json(&answer)
}

async fn faults(args: FaultArgs) -> Result<()> {
    if args.clear {
        call(&args.sim, reqwest::Method::DELETE, "faults", None).await?;
        return Ok(());
    }
    let body: Value =
        serde_json::from_str(args.json.as_deref().unwrap_or("{}")).context("--json is not JSON")?;
    call(&args.sim, reqwest::Method::PUT, "faults", Some(body)).await?;
    Ok(())
}

async fn show(args: &SimArgs, what: &str) -> Result<()> {
    let answer = call(args, reqwest::Method::GET, what, None).await?;
    print_json(&answer)
}

/// Calls `/_sim/{path}` and returns the JSON answer (`null` for an empty one).
async fn call(
    args: &SimArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value> {
    let url = format!("{}/_sim/{path}", args.sim.trim_end_matches('/'));
    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut request = client.request(method, &url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("calling {url}"))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{url} answered {status}: {text}");
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    Ok(serde_json::from_str(&text)?)
}

/// A control API method, in any case.
fn parse_method(text: &str) -> Result<reqwest::Method, String> {
    match text.to_ascii_uppercase().as_str() {
        "GET" => Ok(reqwest::Method::GET),
        "POST" => Ok(reqwest::Method::POST),
        "PUT" => Ok(reqwest::Method::PUT),
        "DELETE" => Ok(reqwest::Method::DELETE),
        _ => Err(format!("{text} is not GET, POST, PUT or DELETE")),
    }
}

fn print_json(value: &Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}
