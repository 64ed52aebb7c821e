//! The SQLite read store against the read store conformance suite, a fresh file per test.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod read_store_conformance;

use infra::read_store::ReadStore;
use infra::read_store::sqlite::SqliteReadStore;
use std::sync::Arc;

async fn fresh() -> Option<(Arc<dyn ReadStore>, read_store_conformance::Guard)> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteReadStore::open(dir.path().join("read.db")).unwrap();
    Some((Arc::new(store), Box::new(dir)))
}

read_store_suite!(fresh);
