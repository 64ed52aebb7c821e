//! The recently used aggregate states an executor decides on, bounded twice: by count and
//! by size. A state's size is its length as JSON, measured (without building the text) each
//! time it is kept, so the bound follows what the states hold, not how long their histories
//! are. Past either bound the least recently used states go first.

use lru::LruCache;
use serde::Serialize;

/// The most states kept per aggregate type.
pub const MAX_STATES: usize = 10_000;
/// The most bytes (as JSON) of states kept per aggregate type.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// A least-recently-used map of states, bounded by count and by total size.
pub struct States<T> {
    entries: LruCache<String, (T, usize)>,
    bytes: usize,
    max_bytes: usize,
}

impl<T: Clone + Serialize> States<T> {
    /// A map of at most `max_states` states and `max_bytes` bytes of them.
    pub fn new(max_states: usize, max_bytes: usize) -> Self {
        Self {
            entries: LruCache::new(
                std::num::NonZeroUsize::new(max_states).unwrap_or(std::num::NonZeroUsize::MIN),
            ),
            bytes: 0,
            max_bytes,
        }
    }

    /// The state kept for `id`, marked as just used.
    pub fn get(&mut self, id: &str) -> Option<T> {
        self.entries.get(id).map(|(state, _)| state.clone())
    }

    /// The state kept for `id`, leaving the order of use alone.
    pub fn peek(&self, id: &str) -> Option<&T> {
        self.entries.peek(id).map(|(state, _)| state)
    }

    /// Keeps `state` for `id`, then drops the least recently used states while the total is
    /// past the size bound. A state larger than the whole bound is not kept at all. Its
    /// size is measured here; [`States::put_sized`] takes one measured before (outside a lock).
    pub fn put(&mut self, id: &str, state: T) {
        let size = size_of(&state);
        self.put_sized(id, state, size);
    }

    /// [`States::put`] with the state's [`size_of`] already measured.
    pub fn put_sized(&mut self, id: &str, state: T, size: usize) {
        self.pop(id);
        if size > self.max_bytes {
            return;
        }
        if let Some((_, (_, evicted))) = self.entries.push(id.to_owned(), (state, size)) {
            self.bytes -= evicted;
        }
        self.bytes += size;
        while self.bytes > self.max_bytes {
            match self.entries.pop_lru() {
                Some((_, (_, evicted))) => self.bytes -= evicted,
                None => break,
            }
        }
    }

    /// Drops the state kept for `id`.
    pub fn pop(&mut self, id: &str) {
        if let Some((_, size)) = self.entries.pop(id) {
            self.bytes -= size;
        }
    }

    /// How many states are kept, and their total size in bytes.
    pub fn usage(&self) -> (usize, usize) {
        (self.entries.len(), self.bytes)
    }
}

/// The length of `value` as JSON, counted without keeping the text.
pub fn size_of<T: Serialize>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // A state that cannot be serialized counts as nothing; it is kept like any other.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_dropped_least_recently_used_first_past_either_bound() {
        // Each state is 12 bytes of JSON: "xxxxxxxxxx" with its quotes.
        let state = "x".repeat(10);
        let mut states = States::new(3, 30);
        states.put("a", state.clone());
        states.put("b", state.clone());
        assert_eq!(states.usage(), (2, 24));
        assert!(states.get("a").is_some());
        // Past 30 bytes: the least recently used ("b") goes.
        states.put("c", state.clone());
        assert_eq!(states.usage(), (2, 24));
        assert!(states.peek("b").is_none() && states.peek("a").is_some());

        // Replacing a state counts its new size only.
        states.put("a", "y".repeat(4));
        assert_eq!(states.usage(), (2, 18));
        // Past 3 states: the least recently used goes, and its size with it.
        let mut small = States::new(2, 1_000);
        for id in ["a", "b", "c"] {
            small.put(id, state.clone());
        }
        assert_eq!(small.usage(), (2, 24));
        assert!(small.peek("a").is_none());
        small.pop("b");
        assert_eq!(small.usage(), (1, 12));
    }

    #[test]
    fn a_state_larger_than_the_bound_is_not_kept() {
        let mut states = States::new(10, 20);
        states.put("a", "x".repeat(5));
        states.put("big", "x".repeat(100));
        assert!(states.peek("big").is_none());
        assert_eq!(states.usage(), (1, 7));
        // A state that grows past the bound is dropped, not kept stale.
        states.put("a", "x".repeat(100));
        assert_eq!(states.usage(), (0, 0));
    }
}
