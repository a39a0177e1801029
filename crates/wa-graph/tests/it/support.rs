//! Helpers shared by the tests: fixtures, a client pointed at wiremock, a sender.

use std::time::Duration;

use secrecy::SecretString;
use wa_domain::{graph::Sender, ids::PhoneNumberId};
use wa_graph::{GraphClient, GraphConfig, Timeouts};
use wiremock::MockServer;

/// The app secret the test client signs with.
pub(crate) const APP_SECRET: &str = "test-app-secret";
/// The tenant token.
pub(crate) const TOKEN: &str = "test-token";
/// HMAC-SHA256("test-app-secret", "test-token") in lowercase hex, computed outside Rust
/// (Python's `hmac`), so the test does not check the code against itself.
pub(crate) const PROOF: &str = "1ffbd1de283674b73b070b72f8e9d46c5ed998bd8a6b715fe09a7dc0abdb91e0";
/// The business number.
pub(crate) const PNID: &str = "106540352242922";

/// A webhook fixture's bytes.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/webhooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A client for `server`, with the app secret set and short timeouts.
pub(crate) fn client(server: &MockServer) -> GraphClient {
    client_with(server, Some(APP_SECRET))
}

/// A client for `server`, with or without an app secret.
pub(crate) fn client_with(server: &MockServer, app_secret: Option<&str>) -> GraphClient {
    let mut config = GraphConfig::with_base_url(server.uri());
    config.app_id = Some("1234567890".to_owned());
    config.app_secret = app_secret.map(|secret| SecretString::from(secret.to_owned()));
    config.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_millis(500),
        media: Duration::from_secs(2),
    };
    GraphClient::new(config).expect("a valid configuration")
}

/// The tenant's sender.
pub(crate) fn sender() -> Sender {
    Sender {
        phone_number_id: PhoneNumberId::parse(PNID).expect("a valid id"),
        token: SecretString::from(TOKEN),
    }
}
