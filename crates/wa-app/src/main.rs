//! The `wa` binary: parses the command line and runs it.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = wa_app::cli::Cli::parse();
    wa_app::cli::run(cli).await
}
