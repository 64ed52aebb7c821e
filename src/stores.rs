//! Opening the stores the settings name: the event store (`--event-store` /
//! `ECOMMERCE_EVENT_STORE`, or the embedded SQLite file `events.db` in the data folder) and
//! the read store (`--read-store` / `ECOMMERCE_READ_STORE`, or the SQLite file `read.db`).

use anyhow::{Context, Result};
use infra::config::Settings;
use infra::event_store::{EventStore, StoreTarget};
use infra::read_store::mongo::{FieldIndexes, MongoReadStore, MongoSettings};
use infra::read_store::sqlite::SqliteReadStore;
use infra::read_store::{ReadBreaker, ReadStore};
use std::sync::Arc;

/// Opens the configured store; `create` allows a new embedded file. An unknown scheme or an
/// unreachable server is an error here, at start.
pub async fn events(settings: &Settings, create: bool) -> Result<Arc<dyn EventStore>> {
    let target = StoreTarget::parse(settings.event_store.as_deref(), &settings.data_dir)
        .context("cannot open the event store (check --event-store or ECOMMERCE_EVENT_STORE)")?;
    let hint = match &target {
        StoreTarget::Sqlite(path) => format!(
            "{} (set --data-dir or ECOMMERCE_DATA_DIR, or --event-store)",
            path.display()
        ),
        _ => "(check --event-store or ECOMMERCE_EVENT_STORE)".to_owned(),
    };
    target
        .open(create, settings.durability)
        .await
        .with_context(|| format!("cannot open the event store {hint}"))
}

/// Opens the configured read store; an unknown scheme or an unreachable server is an error.
pub async fn read(settings: &Settings) -> Result<Arc<dyn ReadStore>> {
    match settings.read_store.as_deref().map(str::trim) {
        None | Some("") => {
            let path = settings.data_dir.join("read.db");
            let store = SqliteReadStore::open(&path)
                .with_context(|| format!("cannot open the read store {}", path.display()))?;
            Ok(Arc::new(store))
        }
        Some(uri) if uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://") => {
            let mongo = MongoSettings {
                field_indexes: if settings.mongodb_field_only_indexes {
                    FieldIndexes::FieldOnly
                } else {
                    FieldIndexes::WithId
                },
                ..MongoSettings::default()
            };
            let store = MongoReadStore::connect_with(uri, mongo).await.context(
                "cannot open the read store (check --read-store or ECOMMERCE_READ_STORE)",
            )?;
            // Fails fast while the server is known to be down (see `ReadBreaker`).
            Ok(ReadBreaker::wrap(Arc::new(store)))
        }
        Some(other) => anyhow::bail!(
            "unknown read store {other:?}: use mongodb://… or nothing for the embedded SQLite file"
        ),
    }
}
