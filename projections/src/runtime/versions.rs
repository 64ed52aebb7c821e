//! Which version of each projection readers use. A rebuild builds version N+1 beside the live
//! version N and then switches this registry, so every query after the switch reads N+1 and
//! none reads a half-built version. The registry is shared in-process; the read store keeps
//! the same facts for other processes (see [`crate::ops::state`]).

use super::projection::{Projection, collection_name};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

/// The active version of each projection (by name); a projection not listed reads its own
/// code version.
#[derive(Clone)]
pub struct Versions {
    active: Arc<RwLock<HashMap<String, u32>>>,
    changed: watch::Sender<u64>,
}

impl Default for Versions {
    fn default() -> Self {
        Self {
            active: Arc::default(),
            changed: watch::channel(0).0,
        }
    }
}

impl Versions {
    /// The version readers use: the switched one, never below the code's version (a code
    /// change of a document's shape starts a new version).
    pub fn version(&self, projection: &dyn Projection) -> u32 {
        let stored = self
            .active
            .read()
            .ok()
            .and_then(|a| a.get(projection.name()).copied());
        stored.unwrap_or(0).max(projection.version())
    }

    /// The checkpoint key of the active version, such as `catalog_v1`.
    pub fn key(&self, projection: &dyn Projection) -> String {
        format!("{}_v{}", projection.name(), self.version(projection))
    }

    /// The physical name of a collection of the active version, such as `products_v1`.
    pub fn collection(&self, projection: &dyn Projection, collection: &str) -> String {
        collection_name(collection, self.version(projection))
    }

    /// Switches `name` to `version`; true when that changed anything.
    pub fn set(&self, name: &str, version: u32) -> bool {
        let Ok(mut active) = self.active.write() else {
            return false;
        };
        if active.get(name) == Some(&version) {
            return false;
        }
        active.insert(name.to_owned(), version);
        drop(active);
        self.changed.send_modify(|n| *n += 1);
        true
    }

    /// A receiver that changes with every switch.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::catalog::Catalog;

    #[test]
    fn a_switch_changes_names_and_wakes_watchers() {
        let versions = Versions::default();
        let watch = versions.watch();
        assert_eq!(versions.collection(&Catalog, "products"), "products_v1");
        assert!(versions.set("catalog", 2));
        assert!(!versions.set("catalog", 2), "the same version is no change");
        assert!(watch.has_changed().unwrap());
        assert_eq!(versions.key(&Catalog), "catalog_v2");
        assert_eq!(versions.collection(&Catalog, "products"), "products_v2");
    }
}
