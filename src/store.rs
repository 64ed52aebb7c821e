//! Opening the event store the settings name: `--event-store` / `ECOMMERCE_EVENT_STORE`, or
//! the embedded SQLite file in the data folder.

use anyhow::{Context, Result};
use domain::schema::Upcasters;
use infra::config::Settings;
use infra::event_store::{EventStore, StoreTarget};
use infra::{SqliteConfig, SqliteEventStore};
use std::sync::Arc;

/// Opens the configured store; `create` allows a new embedded file. An unknown scheme or an
/// unreachable server is an error here, at start.
pub async fn open(settings: &Settings, create: bool) -> Result<Arc<dyn EventStore>> {
    let target = StoreTarget::parse(settings.event_store.as_deref(), &settings.data_dir)
        .context("cannot open the event store (check --event-store or ECOMMERCE_EVENT_STORE)")?;
    let hint = match &target {
        StoreTarget::Sqlite(path) => format!(
            "{} (set --data-dir or ECOMMERCE_DATA_DIR, or --event-store)",
            path.display()
        ),
        _ => "(check --event-store or ECOMMERCE_EVENT_STORE)".to_owned(),
    };
    let store: Arc<dyn EventStore> = match &target {
        // The embedded file takes the configured durability.
        StoreTarget::Sqlite(path) => {
            let mut config = SqliteConfig::new(path);
            config.durability = settings.durability;
            config.create = create;
            Arc::new(
                SqliteEventStore::open(config, Upcasters::domain())
                    .with_context(|| format!("cannot open the event store {hint}"))?,
            )
        }
        _ => target
            .open(create)
            .await
            .with_context(|| format!("cannot open the event store {hint}"))?,
    };
    Ok(store)
}
