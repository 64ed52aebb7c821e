//! `ecommerce serve`: every service in one process, or one mode of it (see
//! `ecommerce::modes`).

use crate::cli::ServeMode;
use anyhow::{Result, anyhow};
use command_services::app::Domain;
use command_services::shutdown_signal;
use ecommerce::modes::{self, Mode};
use infra::config::Settings;
use query_api::Model;
use std::io::Write;

/// `items` without repeats, in their first order.
fn once<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut unique = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

/// The mode the command line asks for; an empty list means every item, and an item named
/// twice counts once.
fn mode(asked: Option<ServeMode>) -> Result<Mode> {
    Ok(match asked {
        None => Mode::All,
        Some(ServeMode::Commands { domains }) if domains.is_empty() => {
            Mode::Commands(Domain::ALL.to_vec())
        }
        Some(ServeMode::Commands { domains }) => Mode::Commands(once(domains)),
        Some(ServeMode::Query { models }) if models.is_empty() => Mode::Query(Model::ALL.to_vec()),
        Some(ServeMode::Query { models }) => Mode::Query(once(models)),
        Some(ServeMode::Projector { projections: names }) if names.is_empty() => {
            Mode::Projector(projections::models::all())
        }
        Some(ServeMode::Projector { projections: names }) => Mode::Projector(
            once(names.iter().map(|n| n.trim().to_owned()).collect())
                .iter()
                .map(|name| {
                    projections::ops::find(name.trim()).map_err(|e| anyhow!("--projections: {e}"))
                })
                .collect::<Result<_>>()?,
        ),
        Some(ServeMode::Checkout) => Mode::Checkout,
    })
}

pub async fn run(mut settings: Settings, asked: Option<ServeMode>) -> Result<()> {
    infra::telemetry::init(settings.log_format);
    let mode = mode(asked)?;
    // Only the modes that hold leases need a name; HTTP-only replicas are interchangeable.
    let instance = match mode {
        Mode::Commands(_) | Mode::Query(_) => None,
        _ => Some(modes::claim_instance(&mut settings, &mode)?),
    };
    let running = modes::start(&settings, mode.clone(), shutdown_signal()).await?;
    // One plain line on standard output, for people and scripts that start the server; one
    // that cannot be written (a full disk) is not worth failing for, as `println!` would.
    let mut stdout = std::io::stdout();
    let _ =
        writeln!(stdout, "listening on http://{}", running.addr()).and_then(|()| stdout.flush());
    tracing::info!(
        mode = mode.name(),
        addr = %running.addr(),
        data_dir = %settings.data_dir.display(),
        instance = instance.as_ref().map_or("-", |i| i.name.as_str()),
        "serving; API docs at /api-docs"
    );
    running.run().await?;
    Ok(())
}
