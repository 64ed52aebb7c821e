//! `ecommerce serve`: every service in one process, or one mode of it (see
//! `ecommerce::modes`).

use crate::cli::ServeMode;
use anyhow::{Result, anyhow};
use command_services::app::Domain;
use command_services::shutdown_signal;
use ecommerce::modes::{self, Mode};
use infra::config::Settings;
use query_api::Model;

/// The mode the command line asks for; an empty list means every item.
fn mode(asked: Option<ServeMode>) -> Result<Mode> {
    Ok(match asked {
        None => Mode::All,
        Some(ServeMode::Commands { domains }) if domains.is_empty() => {
            Mode::Commands(Domain::ALL.to_vec())
        }
        Some(ServeMode::Commands { domains }) => Mode::Commands(domains),
        Some(ServeMode::Query { models }) if models.is_empty() => Mode::Query(Model::ALL.to_vec()),
        Some(ServeMode::Query { models }) => Mode::Query(models),
        Some(ServeMode::Projector { projections: names }) if names.is_empty() => {
            Mode::Projector(projections::models::all())
        }
        Some(ServeMode::Projector { projections: names }) => Mode::Projector(
            names
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
    let instance = modes::claim_instance(&mut settings, &mode)?;
    let running = modes::start(&settings, mode.clone(), shutdown_signal()).await?;
    // One plain line on standard output, for people and scripts that start the server.
    println!("listening on http://{}", running.addr());
    tracing::info!(
        mode = mode.name(),
        addr = %running.addr(),
        data_dir = %settings.data_dir.display(),
        instance = %instance.name,
        "serving; API docs at /api-docs"
    );
    running.run().await?;
    Ok(())
}
