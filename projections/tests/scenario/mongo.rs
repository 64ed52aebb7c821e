//! MongoDB for the projection tests: the server named by `ECOMMERCE_TEST_MONGODB_URI`, a fresh
//! database per store (dropped at the end), and a marker file for CI once a test ran through.

use infra::read_store::ReadStore;
use infra::read_store::mongo::{FieldIndexes, MongoReadStore, MongoSettings};
use std::sync::Arc;

/// The configured server and the databases a test made on it.
pub struct Mongo {
    uri: String,
    field_indexes: FieldIndexes,
    databases: Vec<String>,
}

impl Mongo {
    /// The configured server, or `None` (saying so) when none is.
    pub fn from_env() -> Option<Self> {
        let Some(uri) = std::env::var("ECOMMERCE_TEST_MONGODB_URI")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            eprintln!("skipping: ECOMMERCE_TEST_MONGODB_URI is not set");
            return None;
        };
        let field_indexes =
            match std::env::var("ECOMMERCE_TEST_MONGODB_FIELD_ONLY_INDEXES").as_deref() {
                Ok("1") => FieldIndexes::FieldOnly,
                _ => FieldIndexes::WithId,
            };
        Some(Self {
            uri,
            field_indexes,
            databases: Vec::new(),
        })
    }

    /// A read store on a new database named after `role`.
    pub async fn store(&mut self, role: &str) -> Arc<dyn ReadStore> {
        let database = format!("projections_{role}_{}", uuid::Uuid::now_v7().simple());
        let settings = MongoSettings {
            database: Some(database.clone()),
            field_indexes: self.field_indexes,
        };
        self.databases.push(database);
        Arc::new(
            MongoReadStore::connect_with(&self.uri, settings)
                .await
                .unwrap(),
        )
    }

    /// Drops the databases and leaves the marker `name` for CI.
    pub async fn finish(self, name: &str) {
        let client = mongodb::Client::with_uri_str(&self.uri).await.unwrap();
        for database in self.databases {
            client.database(&database).drop().await.unwrap();
        }
        if let Some(dir) = std::env::var_os("ECOMMERCE_TEST_MARKERS") {
            std::fs::write(std::path::Path::new(&dir).join(name), "ran").unwrap();
        }
    }
}
