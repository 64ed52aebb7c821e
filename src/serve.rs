//! `ecommerce serve`: every service in one process.

use anyhow::{Result, anyhow};
use command_services::{App, shutdown_signal};
use infra::config::Settings;

pub async fn run(settings: Settings) -> Result<()> {
    infra::telemetry::init(settings.log_format);
    let store = crate::store::open(&settings, true).await?;
    let app = App::build(&settings, store).await.map_err(|e| anyhow!(e))?;
    // One plain line on standard output, for people and scripts that start the server.
    println!("listening on http://{}", app.addr());
    tracing::info!(
        addr = %app.addr(),
        data_dir = %settings.data_dir.display(),
        "serving; API docs at /api-docs"
    );
    app.run(shutdown_signal()).await?;
    Ok(())
}
