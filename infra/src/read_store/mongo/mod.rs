//! The MongoDB read store, through the official driver. A collection per read model, each
//! document stored as `_id`, the body's fields and `_pos` (`docs`), with an index (by default
//! `{field: 1, _id: 1}`, see `FieldIndexes`) per declared field. Queries become `find`s (`query`).
//!
//! Only what a standalone MongoDB 6+ supports: no transactions, no change streams. A write
//! is a replace guarded by `{_id, _pos: {$lt: position}}` with `upsert`; when the document is
//! already at or past the position the guard misses, the upsert's insert hits the unique
//! `_id`, and the duplicate-key error means "already applied". The checkpoint goes last, with
//! `$max`, so a batch replayed after a crash between the two changes nothing.

mod docs;
mod errors;
mod query;
mod settings;

pub use settings::{DEFAULT_DATABASE, FieldIndexes, MongoSettings};

use super::{
    Batch, CollectionSpec, Cursor, Document, Page, Query, ReadStore, ReadStoreError,
    lease_deadline, valid_path, validate,
};
use crate::event_store::Position;
use async_trait::async_trait;
use docs::{ID, POS};
use errors::{from_driver, is_duplicate_key};
use mongodb::bson::{self, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database, IndexModel};
use settings::database_name;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

const CHECKPOINTS: &str = "_checkpoints";
const LEASES: &str = "_leases";

/// The MongoDB read store. Cheap to clone.
#[derive(Clone)]
pub struct MongoReadStore {
    db: Database,
    field_indexes: FieldIndexes,
    specs: Arc<RwLock<HashMap<String, CollectionSpec>>>,
}

fn internal(e: impl std::fmt::Display) -> ReadStoreError {
    ReadStoreError::Backend(e.to_string())
}

impl MongoReadStore {
    /// Connects to the database named by the URI's path (`ecommerce` when it has none) and
    /// pings it, so an unreachable server is an `Unavailable` error here and not later.
    /// Server selection gives up after 5 s unless the URI sets `serverSelectionTimeoutMS`.
    pub async fn connect(uri: &str) -> Result<Self, ReadStoreError> {
        Self::connect_with(uri, MongoSettings::default()).await
    }

    /// Like [`connect`](Self::connect), with settings that the URI cannot carry.
    pub async fn connect_with(uri: &str, settings: MongoSettings) -> Result<Self, ReadStoreError> {
        let mut options = ClientOptions::parse(uri).await.map_err(from_driver)?;
        options
            .server_selection_timeout
            .get_or_insert(Duration::from_secs(5));
        options.app_name.get_or_insert_with(|| "ecommerce".into());
        let name = database_name(&options, settings.database);
        let client = Client::with_options(options).map_err(from_driver)?;
        let store = Self {
            db: client.database(&name),
            field_indexes: settings.field_indexes,
            specs: Arc::default(),
        };
        store.ping().await?;
        Ok(store)
    }

    /// The database this store uses.
    pub fn database(&self) -> &Database {
        &self.db
    }

    fn collection(&self, name: &str) -> Result<Collection<bson::Document>, ReadStoreError> {
        self.spec(name)?;
        Ok(self.db.collection(name))
    }

    fn spec(&self, collection: &str) -> Result<CollectionSpec, ReadStoreError> {
        self.specs
            .read()
            .map_err(internal)?
            .get(collection)
            .cloned()
            .ok_or_else(|| ReadStoreError::Invalid(format!("unknown collection {collection}")))
    }

    /// Moves a checkpoint forward, never back. A concurrent first upsert can lose the race on
    /// `_id`; the document exists then, and the retry updates it.
    async fn advance_checkpoint(&self, projection: &str, to: i64) -> Result<(), ReadStoreError> {
        let checkpoints = self.db.collection::<bson::Document>(CHECKPOINTS);
        let advance = || {
            checkpoints
                .update_one(doc! { ID: projection }, doc! { "$max": { "position": to } })
                .upsert(true)
        };
        match advance().await {
            Err(e) if is_duplicate_key(&e) => advance().await.map(drop).map_err(from_driver),
            done => done.map(drop).map_err(from_driver),
        }
    }
}

#[async_trait]
impl ReadStore for MongoReadStore {
    async fn ensure(&self, spec: &CollectionSpec) -> Result<(), ReadStoreError> {
        let reserved = [CHECKPOINTS, LEASES].contains(&spec.name.as_str());
        if reserved || !valid_path(&spec.name) || !spec.indexed.iter().all(|f| valid_path(f)) {
            return Err(ReadStoreError::Invalid(format!("bad names in {spec:?}")));
        }
        let indexes: Vec<IndexModel> = (spec.indexed.iter())
            .filter(|field| field.as_str() != "id")
            .map(|field| {
                let mut keys = doc! { field.as_str(): 1 };
                if self.field_indexes == FieldIndexes::WithId {
                    keys.insert(ID, 1);
                }
                IndexModel::builder().keys(keys).build()
            })
            .collect();
        if !indexes.is_empty() {
            let collection = self.db.collection::<bson::Document>(&spec.name);
            collection
                .create_indexes(indexes)
                .await
                .map_err(from_driver)?;
        }
        self.specs
            .write()
            .map_err(internal)?
            .insert(spec.name.clone(), spec.clone());
        Ok(())
    }

    async fn drop_collection(&self, name: &str) -> Result<(), ReadStoreError> {
        if !valid_path(name) || [CHECKPOINTS, LEASES].contains(&name) {
            return Err(ReadStoreError::Invalid(format!(
                "bad collection name {name}"
            )));
        }
        let collection = self.db.collection::<bson::Document>(name);
        collection.drop().await.map_err(from_driver)?;
        self.specs.write().map_err(internal)?.remove(name);
        Ok(())
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, ReadStoreError> {
        let found = (self.collection(collection)?)
            .find_one(doc! { ID: id })
            .await
            .map_err(from_driver)?;
        found.map(docs::document).transpose()
    }

    async fn get_many(
        &self,
        collection: &str,
        ids: &[String],
    ) -> Result<Vec<Document>, ReadStoreError> {
        let collection = self.collection(collection)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let cursor = collection
            .find(doc! { ID: { "$in": ids } })
            .await
            .map_err(from_driver)?;
        docs::collect(cursor).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(collection = %query.collection))]
    async fn query(&self, query: &Query) -> Result<Page, ReadStoreError> {
        validate(query, &self.spec(&query.collection)?)?;
        let find = query::find(query)?;
        let cursor = (self.db.collection::<bson::Document>(&query.collection))
            .find(find.filter)
            .sort(find.sort)
            .limit(find.limit)
            .await
            .map_err(from_driver)?;
        let mut items: Vec<_> = docs::collect(cursor)
            .await?
            .into_iter()
            .map(|d| d.body)
            .collect();
        let next_cursor = if items.len() > query.limit {
            items.truncate(query.limit);
            items
                .last()
                .and_then(|last| Cursor::after(last, &query.sort))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    #[tracing::instrument(level = "debug", skip_all,
        fields(projection = %batch.projection, writes = batch.writes.len()))]
    async fn apply(&self, batch: Batch) -> Result<(), ReadStoreError> {
        // Everything is checked before the first write, so a bad batch writes nothing.
        let mut writes = Vec::with_capacity(batch.writes.len());
        for write in &batch.writes {
            let collection = self.collection(&write.collection)?;
            let position = docs::position(write.position)?;
            let replacement = (write.body.as_ref())
                .map(|body| docs::stored(&write.id, body, position))
                .transpose()?;
            let guard = doc! { ID: &write.id, POS: { "$lt": position } };
            writes.push((collection, guard, replacement));
        }
        let checkpoint = docs::position(batch.checkpoint)?;
        for (collection, guard, replacement) in writes {
            let done = match replacement {
                Some(doc) => collection
                    .replace_one(guard, doc)
                    .upsert(true)
                    .await
                    .map(drop),
                None => collection.delete_one(guard).await.map(drop),
            };
            match done {
                // The document is already at or past this position.
                Err(e) if is_duplicate_key(&e) => {}
                other => other.map_err(from_driver)?,
            }
        }
        self.advance_checkpoint(&batch.projection, checkpoint).await
    }

    async fn checkpoint(&self, projection: &str) -> Result<Position, ReadStoreError> {
        let found = (self.db.collection::<bson::Document>(CHECKPOINTS))
            .find_one(doc! { ID: projection })
            .await
            .map_err(from_driver)?;
        let Some(found) = found else { return Ok(0) };
        (found.get("position"))
            .and_then(docs::integer)
            .and_then(|p| Position::try_from(p).ok())
            .ok_or_else(|| internal(format!("the checkpoint of {projection} is not a position")))
    }

    async fn acquire_lease(
        &self,
        projection: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, ReadStoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        let holder = doc! {
            ID: projection,
            "$or": [ { "owner": owner }, { "expires_ms": { "$lt": now } } ],
        };
        let take = doc! { "$set": { "owner": owner, "expires_ms": lease_deadline(ttl) } };
        let leases = self.db.collection::<bson::Document>(LEASES);
        match leases.update_one(holder, take).upsert(true).await {
            Ok(done) => Ok(done.matched_count == 1 || done.upserted_id.is_some()),
            // Another owner holds an unexpired lease: the upsert's insert hit its `_id`.
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(from_driver(e)),
        }
    }

    async fn release_lease(&self, projection: &str, owner: &str) -> Result<(), ReadStoreError> {
        (self.db.collection::<bson::Document>(LEASES))
            .delete_one(doc! { ID: projection, "owner": owner })
            .await
            .map(drop)
            .map_err(from_driver)
    }

    async fn lease_holder(&self, projection: &str) -> Result<Option<String>, ReadStoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        let found = (self.db.collection::<bson::Document>(LEASES))
            .find_one(doc! { ID: projection, "expires_ms": { "$gte": now } })
            .await
            .map_err(from_driver)?;
        Ok(found.and_then(|d| d.get_str("owner").ok().map(str::to_owned)))
    }

    async fn ping(&self) -> Result<(), ReadStoreError> {
        self.db
            .run_command(doc! { "ping": 1 })
            .await
            .map(drop)
            .map_err(from_driver)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_server_is_unavailable_at_connect() {
        let uri = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&connectTimeoutMS=300";
        let refused = MongoReadStore::connect(uri).await;
        assert!(matches!(refused, Err(ReadStoreError::Unavailable(_))));
    }
}
