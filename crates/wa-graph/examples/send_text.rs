//! Sends one text message with `wa-graph` alone: no database, no vault, no app.
//!
//! ```text
//! cargo run -p wa-graph --example send_text -- <to> <text>
//! cargo run -p wa-graph --example send_text -- 15551234567 "Hello from wa-graph"
//! ```
//!
//! `<to>` is a phone number with its country code (`+`, spaces and dashes are fine) or a
//! business-scoped user id (`US.1349…`). Where to send from comes from the environment; the
//! defaults match the demo number of a local `wa-sim serve` (port 8090), so the example runs
//! against the simulator without a Meta account:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `WA_GRAPH_BASE_URL` | `http://127.0.0.1:8090` | `https://graph.facebook.com` for Meta |
//! | `WA_GRAPH_API_VERSION` | `v25.0` | the pinned Graph API version |
//! | `WA_GRAPH_TOKEN` | `demo-token` | the business's access token |
//! | `WA_GRAPH_PHONE_NUMBER_ID` | `100000000000001` | the business number to send from |
//! | `WA_GRAPH_APP_SECRET` | unset | signs the call with `appsecret_proof` when set |
//!
//! On success it prints Meta's message id (wamid); on failure the error class (what to do about
//! it), Meta's code and trace id, and exits with status 1. The token is never printed.

// Printing is what this example is for.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use secrecy::SecretString;
use wa_domain::{
    content::{OutboundContent, Text},
    graph::Sender,
    ids::{MessageId, PhoneNumberId, Recipient},
    message::OutboundMessage,
};
use wa_graph::{GraphClient, GraphConfig};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(to), Some(text)) = (args.next(), args.next()) else {
        eprintln!(
            "usage: send_text <to> <text>   (see the example's documentation for the environment)"
        );
        return ExitCode::from(2);
    };

    // The message: both values are checked against Meta's rules before anything is sent.
    let recipient = match Recipient::parse(&to) {
        Ok(recipient) => recipient,
        Err(error) => {
            eprintln!("bad recipient: {error}");
            return ExitCode::from(2);
        }
    };
    let content = match Text::new(text, false) {
        Ok(text) => OutboundContent::Text(text),
        Err(error) => {
            eprintln!("bad text: {error}");
            return ExitCode::from(2);
        }
    };
    let message = OutboundMessage {
        recipient,
        content,
        reply_to: None,
    };

    // The sender: the business number and its token.
    let phone_number_id = env_or("WA_GRAPH_PHONE_NUMBER_ID", "100000000000001");
    let sender = match PhoneNumberId::parse(phone_number_id) {
        Ok(phone_number_id) => Sender {
            phone_number_id,
            token: SecretString::from(env_or("WA_GRAPH_TOKEN", "demo-token")),
        },
        Err(error) => {
            eprintln!("bad WA_GRAPH_PHONE_NUMBER_ID: {error}");
            return ExitCode::from(2);
        }
    };

    // One client serves every tenant; it is built once and cloned where needed.
    let mut config =
        GraphConfig::with_base_url(env_or("WA_GRAPH_BASE_URL", "http://127.0.0.1:8090"));
    if let Ok(version) = std::env::var("WA_GRAPH_API_VERSION") {
        config.api_version = version;
    }
    config.app_secret = std::env::var("WA_GRAPH_APP_SECRET")
        .ok()
        .map(SecretString::from);
    let client = match GraphClient::new(config) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("bad configuration: {error}");
            return ExitCode::from(2);
        }
    };

    // Our own id travels as `biz_opaque_callback_data` and comes back in every status webhook.
    let our_id = MessageId::generate();
    match client.send_message(&sender, &message, Some(our_id)).await {
        Ok(receipt) => {
            println!("sent: wamid {} (our id {our_id})", receipt.wamid);
            if let Some(wa_id) = receipt.wa_id {
                println!("WhatsApp id of the recipient: {wa_id}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("not sent ({}): {error}", error.class);
            ExitCode::FAILURE
        }
    }
}
