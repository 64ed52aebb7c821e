//! The embedded read store: one SQLite file, a table per collection holding each document as
//! JSON with the position of its last event, expression indexes on the declared fields, and
//! tables for checkpoints and leases. A batch and its checkpoint commit in one transaction.

mod sql;

use super::{
    Batch, CollectionSpec, Cursor, Document, Page, Query, ReadStore, ReadStoreError,
    lease_deadline, valid_path, validate,
};
use crate::event_store::Position;
use crate::sqlite::errors::sql_error;
use crate::sqlite::reader::Readers;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

const BOOKKEEPING: &str = "
CREATE TABLE IF NOT EXISTS _checkpoints (
    projection TEXT PRIMARY KEY,
    position   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _leases (
    projection TEXT PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
";

/// The SQLite read store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteReadStore {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Readers>,
    specs: Arc<RwLock<HashMap<String, CollectionSpec>>>,
}

fn internal(e: impl std::fmt::Display) -> ReadStoreError {
    ReadStoreError::Backend(e.to_string())
}

fn from_sql(e: rusqlite::Error) -> ReadStoreError {
    match sql_error(e) {
        crate::StoreError::Unavailable(m) => ReadStoreError::Unavailable(m),
        other => ReadStoreError::Backend(other.to_string()),
    }
}

impl SqliteReadStore {
    /// Opens (or creates) the read store file. Commits are `synchronous=NORMAL`: a read model
    /// can always be rebuilt, and a batch and its checkpoint are lost or kept together.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReadStoreError> {
        let path: PathBuf = path.as_ref().to_owned();
        crate::files::private_file(&path).map_err(|e| {
            ReadStoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
        })?;
        let conn = Connection::open(&path).map_err(from_sql)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(from_sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(from_sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(from_sql)?;
        conn.execute_batch(BOOKKEEPING).map_err(from_sql)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Readers::new(path, 8)),
            specs: Arc::default(),
        })
    }

    async fn write<T, F>(&self, work: F) -> Result<T, ReadStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ReadStoreError> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer.lock().map_err(internal)?;
            work(&mut conn)
        })
        .await
        .map_err(internal)?
    }

    async fn read<T, F>(&self, work: F) -> Result<T, ReadStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.readers.run(work).await.map_err(|e| match e {
            crate::StoreError::Unavailable(m) => ReadStoreError::Unavailable(m),
            other => ReadStoreError::Backend(other.to_string()),
        })
    }

    async fn read_now<T, F>(&self, work: F) -> Result<T, ReadStoreError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T>,
    {
        self.readers.run_now(work).await.map_err(|e| match e {
            crate::StoreError::Unavailable(m) => ReadStoreError::Unavailable(m),
            other => ReadStoreError::Backend(other.to_string()),
        })
    }

    fn spec(&self, collection: &str) -> Result<CollectionSpec, ReadStoreError> {
        self.specs
            .read()
            .map_err(internal)?
            .get(collection)
            .cloned()
            .ok_or_else(|| ReadStoreError::Invalid(format!("unknown collection {collection}")))
    }
}

fn document(id: String, doc: String, position: Position) -> rusqlite::Result<Document> {
    let body = serde_json::from_str(&doc).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Document { id, body, position })
}

#[async_trait]
impl ReadStore for SqliteReadStore {
    async fn ensure(&self, spec: &CollectionSpec) -> Result<(), ReadStoreError> {
        if !valid_path(&spec.name) || !spec.indexed.iter().all(|f| valid_path(f)) {
            return Err(ReadStoreError::Invalid(format!("bad names in {spec:?}")));
        }
        let owned = spec.clone();
        self.write(move |conn| {
            let mut ddl = format!(
                "CREATE TABLE IF NOT EXISTS \"{0}\" (id TEXT PRIMARY KEY, doc TEXT NOT NULL, \
                 pos INTEGER NOT NULL) STRICT;",
                owned.name
            );
            for field in &owned.indexed {
                ddl.push_str(&format!(
                    "CREATE INDEX IF NOT EXISTS \"{0}__{1}\" ON \"{0}\" \
                     (json_extract(doc, '$.{field}'), id);",
                    owned.name,
                    field.replace('.', "_")
                ));
            }
            conn.execute_batch(&ddl).map_err(from_sql)
        })
        .await?;
        self.specs
            .write()
            .map_err(internal)?
            .insert(spec.name.clone(), spec.clone());
        Ok(())
    }

    async fn drop_collection(&self, name: &str) -> Result<(), ReadStoreError> {
        if !valid_path(name) {
            return Err(ReadStoreError::Invalid(format!(
                "bad collection name {name}"
            )));
        }
        let sql = format!("DROP TABLE IF EXISTS \"{name}\"");
        self.write(move |conn| conn.execute_batch(&sql).map_err(from_sql))
            .await?;
        self.specs.write().map_err(internal)?.remove(name);
        Ok(())
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, ReadStoreError> {
        self.spec(collection)?;
        let sql = format!("SELECT id, doc, pos FROM \"{collection}\" WHERE id = ?1");
        self.read_now(|conn| {
            conn.prepare_cached(&sql)?
                .query_row([id], |r| document(r.get(0)?, r.get(1)?, r.get(2)?))
                .optional()
        })
        .await
    }

    async fn get_many(
        &self,
        collection: &str,
        ids: &[String],
    ) -> Result<Vec<Document>, ReadStoreError> {
        self.spec(collection)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, doc, pos FROM \"{collection}\" WHERE id IN (SELECT value FROM json_each(?1))"
        );
        let ids = serde_json::to_string(ids).map_err(internal)?;
        self.read(move |conn| {
            conn.prepare_cached(&sql)?
                .query_map([ids], |r| document(r.get(0)?, r.get(1)?, r.get(2)?))?
                .collect()
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page, ReadStoreError> {
        validate(query, &self.spec(&query.collection)?)?;
        let (sql, params) = sql::select(query)?;
        let mut items: Vec<serde_json::Value> = self
            .read(move |conn| {
                conn.prepare_cached(&sql)?
                    .query_map(params_from_iter(params), |r| {
                        let doc: String = r.get(0)?;
                        document(String::new(), doc, 0).map(|d| d.body)
                    })?
                    .collect()
            })
            .await?;
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

    async fn apply(&self, batch: Batch) -> Result<(), ReadStoreError> {
        for write in &batch.writes {
            self.spec(&write.collection)?;
        }
        self.write(move |conn| {
            let tx = conn.transaction().map_err(from_sql)?;
            for write in &batch.writes {
                let c = &write.collection;
                match &write.body {
                    Some(body) => tx
                        .prepare_cached(&format!(
                            "INSERT INTO \"{c}\" (id, doc, pos) VALUES (?1, ?2, ?3) \
                             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, pos = excluded.pos \
                             WHERE \"{c}\".pos < excluded.pos"
                        ))
                        .and_then(|mut s| s.execute(params![write.id, body.to_string(), write.position])),
                    None => tx
                        .prepare_cached(&format!("DELETE FROM \"{c}\" WHERE id = ?1 AND pos < ?2"))
                        .and_then(|mut s| s.execute(params![write.id, write.position])),
                }
                .map_err(from_sql)?;
            }
            tx.prepare_cached(
                "INSERT INTO _checkpoints (projection, position) VALUES (?1, ?2) \
                 ON CONFLICT (projection) DO UPDATE SET position = max(position, excluded.position)",
            )
            .and_then(|mut s| s.execute(params![batch.projection, batch.checkpoint]))
            .map_err(from_sql)?;
            tx.commit().map_err(from_sql)
        })
        .await
    }

    async fn checkpoint(&self, projection: &str) -> Result<Position, ReadStoreError> {
        self.read_now(|conn| {
            conn.prepare_cached("SELECT position FROM _checkpoints WHERE projection = ?1")?
                .query_row([projection], |r| r.get(0))
                .optional()
                .map(Option::unwrap_or_default)
        })
        .await
    }

    async fn acquire_lease(
        &self,
        projection: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, ReadStoreError> {
        let (projection, owner) = (projection.to_owned(), owner.to_owned());
        let now = chrono::Utc::now().timestamp_millis();
        let until = lease_deadline(ttl);
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO _leases (projection, owner, expires_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (projection) DO UPDATE SET owner = excluded.owner, \
                 expires_ms = excluded.expires_ms \
                 WHERE _leases.owner = excluded.owner OR _leases.expires_ms < ?4",
            )
            .and_then(|mut s| s.execute(params![projection, owner, until, now]))
            .map(|changed| changed == 1)
            .map_err(from_sql)
        })
        .await
    }

    async fn release_lease(&self, projection: &str, owner: &str) -> Result<(), ReadStoreError> {
        let (projection, owner) = (projection.to_owned(), owner.to_owned());
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM _leases WHERE projection = ?1 AND owner = ?2",
                params![projection, owner],
            )
            .map(drop)
            .map_err(from_sql)
        })
        .await
    }

    async fn lease_holder(&self, projection: &str) -> Result<Option<String>, ReadStoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        self.read_now(|conn| {
            conn.prepare_cached(
                "SELECT owner FROM _leases WHERE projection = ?1 AND expires_ms >= ?2",
            )?
            .query_row(params![projection, now], |r| r.get(0))
            .optional()
        })
        .await
    }

    async fn ping(&self) -> Result<(), ReadStoreError> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }
}
