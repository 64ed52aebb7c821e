//! The working set of one batch: the documents a projection reads and writes, loaded from
//! the read store before the events are applied, with two guards that make replays harmless.
//!
//! - A document loaded at position P already reflects every event up to P: writes to it from
//!   an event at or before P are ignored (the event was applied before a crash).
//! - Changes of one event are staged and kept only when the event applies completely, so an
//!   event that asks for a document not loaded yet can be retried from scratch.

use infra::event_store::Position;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// A document's collection (logical name) and id.
pub type Key = (&'static str, String);

/// Why applying an event stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// These documents must be loaded first; the event is then applied again.
    #[error("documents not loaded: {0:?}")]
    Missing(Vec<Key>),
    /// The event or a document cannot be read; the projection parks.
    #[error("{0}")]
    Broken(String),
}

#[derive(Debug, Clone)]
struct Entry {
    body: Option<Value>,
    /// Position of the last event reflected (from the store, or applied in this batch).
    position: Position,
    dirty: bool,
}

/// The documents of a batch.
#[derive(Debug, Default)]
pub struct Docs {
    base: HashMap<Key, Entry>,
    staged: HashMap<Key, Entry>,
    event: Position,
}

impl Docs {
    /// Adds a document as loaded from the store (`None`: it does not exist).
    pub fn load(&mut self, key: Key, body: Option<Value>, position: Position) {
        self.base.entry(key).or_insert(Entry {
            body,
            position,
            dirty: false,
        });
    }

    /// True when the key is in the working set.
    pub fn has(&self, key: &Key) -> bool {
        self.base.contains_key(key)
    }

    /// Starts applying the event at `position`.
    pub fn begin(&mut self, position: Position) {
        self.staged.clear();
        self.event = position;
    }

    /// Keeps the staged changes of the current event.
    pub fn commit(&mut self) {
        self.base.extend(self.staged.drain());
    }

    /// Drops the staged changes of the current event.
    pub fn rollback(&mut self) {
        self.staged.clear();
    }

    fn entry(&self, key: &Key) -> Result<&Entry, ApplyError> {
        self.staged
            .get(key)
            .or_else(|| self.base.get(key))
            .ok_or_else(|| ApplyError::Missing(vec![key.clone()]))
    }

    /// Fails with [`ApplyError::Missing`] for every key not loaded, all at once.
    pub fn require(&self, keys: &[Key]) -> Result<(), ApplyError> {
        let missing: Vec<Key> = keys
            .iter()
            .filter(|k| !self.staged.contains_key(*k) && !self.base.contains_key(*k))
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ApplyError::Missing(missing))
        }
    }

    /// A document as a typed value (`None`: it does not exist).
    pub fn get<T: DeserializeOwned>(
        &self,
        collection: &'static str,
        id: &str,
    ) -> Result<Option<T>, ApplyError> {
        match &self.entry(&(collection, id.to_owned()))?.body {
            Some(body) => serde_json::from_value(body.clone())
                .map(Some)
                .map_err(|e| ApplyError::Broken(format!("{collection}/{id}: {e}"))),
            None => Ok(None),
        }
    }

    /// Replaces (or creates) a document, unless it already reflects the current event.
    pub fn put<T: Serialize>(
        &mut self,
        collection: &'static str,
        id: &str,
        doc: &T,
    ) -> Result<(), ApplyError> {
        let body = serde_json::to_value(doc).map_err(|e| ApplyError::Broken(e.to_string()))?;
        self.set((collection, id.to_owned()), Some(body))
    }

    /// Deletes a document, unless it already reflects the current event.
    pub fn delete(&mut self, collection: &'static str, id: &str) -> Result<(), ApplyError> {
        self.set((collection, id.to_owned()), None)
    }

    fn set(&mut self, key: Key, body: Option<Value>) -> Result<(), ApplyError> {
        let current = self.entry(&key)?;
        if current.position >= self.event {
            return Ok(());
        }
        let entry = Entry {
            body,
            position: self.event,
            dirty: true,
        };
        self.staged.insert(key, entry);
        Ok(())
    }

    /// Reads, changes and writes back a document that must exist; a missing one is broken.
    pub fn update<T, F>(
        &mut self,
        collection: &'static str,
        id: &str,
        change: F,
    ) -> Result<(), ApplyError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(&mut T),
    {
        let mut doc: T = self
            .get(collection, id)?
            .ok_or_else(|| ApplyError::Broken(format!("{collection}/{id} does not exist")))?;
        change(&mut doc);
        self.put(collection, id, &doc)
    }

    /// The changed documents: (key, body or None, position of the last event applied).
    pub fn changes(&self) -> impl Iterator<Item = (&Key, Option<&Value>, Position)> {
        self.base
            .iter()
            .filter(|(_, e)| e.dirty)
            .map(|(k, e)| (k, e.body.as_ref(), e.position))
    }

    /// Keys asked for that are not in the working set yet.
    pub fn unknown(&self, keys: impl IntoIterator<Item = Key>) -> HashSet<Key> {
        keys.into_iter().filter(|k| !self.has(k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_at_or_before_a_documents_position_does_not_change_it() {
        let mut docs = Docs::default();
        docs.load(("c", "1".into()), Some(json!({"n": 5})), 10);
        docs.begin(9);
        docs.put("c", "1", &json!({"n": 6})).unwrap();
        docs.commit();
        docs.begin(10);
        docs.put("c", "1", &json!({"n": 7})).unwrap();
        docs.commit();
        assert_eq!(docs.get::<Value>("c", "1").unwrap(), Some(json!({"n": 5})));
        assert_eq!(docs.changes().count(), 0);
        docs.begin(11);
        docs.put("c", "1", &json!({"n": 8})).unwrap();
        docs.commit();
        let changes: Vec<_> = docs.changes().collect();
        assert_eq!(changes[0].2, 11);
    }

    #[test]
    fn a_missing_document_stops_the_event_and_rolls_back_its_changes() {
        let mut docs = Docs::default();
        docs.load(("c", "1".into()), None, 0);
        docs.begin(3);
        docs.put("c", "1", &json!({"n": 1})).unwrap();
        let missing = docs.get::<Value>("c", "2");
        assert!(
            matches!(missing, Err(ApplyError::Missing(keys)) if keys == vec![("c", "2".to_owned())])
        );
        docs.rollback();
        assert_eq!(docs.get::<Value>("c", "1").unwrap(), None);
        assert!(
            docs.require(&[("c", "1".into()), ("c", "3".into())])
                .is_err()
        );
    }
}
