//! `wa inbox parked` and `wa inbox replay`: the webhook inbox's parked bodies (those that failed
//! `WA_INBOX_MAX_ATTEMPTS` times), listed with their errors and queued again once the cause is
//! fixed. The same as `GET /v1/admin/webhook-inbox/parked` and its replay routes.

use anyhow::{Result, bail};

use crate::{compose, config::Config};

/// Prints every parked body: id, when received and parked, attempts, last error.
pub(super) async fn parked(config: Config) -> Result<()> {
    let adapters = compose::Adapters::build(&config).await?;
    let items = adapters.inbox.parked(10_000).await?;
    println!(
        "{:<10} {:<27} {:<27} {:<8} last error",
        "id", "received", "parked", "attempts"
    );
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    for item in &items {
        println!(
            "{:<10} {:<27} {:<27} {:<8} {}",
            item.id,
            item.received_at.format(rfc3339).unwrap_or_default(),
            item.parked_at.format(rfc3339).unwrap_or_default(),
            item.attempts,
            item.last_error.as_deref().unwrap_or("-"),
        );
    }
    println!("{} parked", items.len());
    Ok(())
}

/// Queues one parked body (or, with `all`, every one) again.
pub(super) async fn replay(config: Config, id: Option<i64>, all: bool) -> Result<()> {
    if id.is_some() == all {
        bail!("give the id of a parked body, or --all");
    }
    let adapters = compose::Adapters::build(&config).await?;
    let now = adapters.ports.clock.now();
    let replayed = adapters.inbox.replay(id, now).await?;
    if let Some(id) = id
        && replayed == 0
    {
        bail!("no parked webhook body with id {id}");
    }
    println!("{replayed} queued again; a running `wa serve` processes them within a second");
    Ok(())
}
