//! `ecommerce serve`: every service in one process.

use anyhow::{Result, anyhow};
use command_services::shutdown_signal;
use ecommerce::embedded::Embedded;
use infra::config::Settings;

pub async fn run(mut settings: Settings) -> Result<()> {
    infra::telemetry::init(settings.log_format);
    let instance = ecommerce::instance::claim(&settings, "serve")?;
    settings.instance = Some(instance.name.clone());
    let events = ecommerce::stores::events(&settings, true).await?;
    let read = ecommerce::stores::read(&settings).await?;
    let shop = Embedded::build(&settings, events, read)
        .await
        .map_err(|e| anyhow!(e))?;
    // One plain line on standard output, for people and scripts that start the server.
    println!("listening on http://{}", shop.addr());
    tracing::info!(
        addr = %shop.addr(),
        data_dir = %settings.data_dir.display(),
        instance = %instance.name,
        "serving; API docs at /api-docs"
    );
    shop.run(shutdown_signal()).await?;
    Ok(())
}
