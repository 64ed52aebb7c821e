//! Opening the event store the settings name.

use anyhow::{Context, Result, bail};
use domain::schema::Upcasters;
use infra::config::Settings;
use infra::event_store::EventStore;
use infra::{SqliteConfig, SqliteEventStore};
use std::sync::Arc;

/// Opens the configured store; `create` allows a new embedded file.
pub fn open(settings: &Settings, create: bool) -> Result<Arc<dyn EventStore>> {
    if let Some(url) = &settings.event_store {
        bail!("unsupported event store {url:?}: this build has the embedded SQLite store only");
    }
    let path = settings.data_dir.join("events.db");
    let mut config = SqliteConfig::new(&path);
    config.durability = settings.durability;
    config.create = create;
    let store = SqliteEventStore::open(config, Upcasters::domain()).with_context(|| {
        format!(
            "cannot open the event store {} (set --data-dir or ECOMMERCE_DATA_DIR)",
            path.display()
        )
    })?;
    Ok(Arc::new(store))
}
