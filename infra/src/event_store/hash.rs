//! The per-stream hash chain: each event's link is SHA-256 over the previous link and the
//! event's stored bytes, so editing, removing or reordering a stored event breaks the chain
//! from that event on.
//!
//! The link covers the stream, version, event id, type, schema version, payload text,
//! metadata text and commit time, each length-prefixed so that no two events share an input.
//! It does not cover the global position, which some backends only learn after the write.

use super::stored::{LinkInput, StoredEvent};
use super::{BrokenLink, VerifyReport};
use sha2::{Digest, Sha256};

/// The link before a stream's first event.
pub const GENESIS: [u8; 32] = [0; 32];

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// The link of `event` after `previous`.
pub fn link(previous: &[u8; 32], event: &LinkInput<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    field(&mut hasher, event.stream.as_bytes());
    hasher.update(event.version.to_be_bytes());
    hasher.update(event.event_id.as_bytes());
    field(&mut hasher, event.event_type.as_bytes());
    hasher.update(event.schema_version.to_be_bytes());
    field(&mut hasher, event.payload.as_bytes());
    field(&mut hasher, event.metadata.as_bytes());
    field(&mut hasher, event.recorded_at.as_bytes());
    hasher.finalize().into()
}

/// Lower-case hex.
pub fn to_hex(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Parses 64 hex digits.
pub fn from_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Walks a stream's events in version order and reports the first link that fails: a gap
/// or repeat in versions, or a stored hash that differs from the recomputed one.
pub fn verify_chain(stream: &str, events: impl IntoIterator<Item = StoredEvent>) -> VerifyReport {
    let mut previous = GENESIS;
    let mut checked = 0;
    for event in events {
        let expected_version = checked + 1;
        let broken = |reason: String| BrokenLink {
            version: event.version,
            position: event.position,
            event_id: event.event_id,
            reason,
        };
        if event.version != expected_version {
            return report(
                stream,
                checked,
                Some(broken(format!(
                    "version {} where {expected_version} was expected",
                    event.version
                ))),
            );
        }
        let computed = link(&previous, &event.link_input());
        if from_hex(&event.hash) != Some(computed) {
            return report(
                stream,
                checked + 1,
                Some(broken(
                    "stored hash does not match the event's content".to_owned(),
                )),
            );
        }
        previous = computed;
        checked += 1;
    }
    report(stream, checked, None)
}

fn report(stream: &str, events_checked: u64, first_broken: Option<BrokenLink>) -> VerifyReport {
    VerifyReport {
        stream: stream.to_owned(),
        events_checked,
        first_broken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_store::Version;
    use uuid::Uuid;

    fn event(version: Version, payload: &str) -> StoredEvent {
        StoredEvent {
            position: version + 10,
            stream: "s-1".into(),
            version,
            event_id: Uuid::from_u128(u128::from(version)),
            event_type: "Thing".into(),
            schema_version: 1,
            payload: payload.into(),
            metadata: "{}".into(),
            recorded_at: "2026-01-01T00:00:00.000000Z".into(),
            hash: String::new(),
        }
    }

    fn chained(payloads: &[&str]) -> Vec<StoredEvent> {
        let mut previous = GENESIS;
        payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut e = event(i as u64 + 1, p);
                previous = link(&previous, &e.link_input());
                e.hash = to_hex(&previous);
                e
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let report = verify_chain("s-1", chained(&["{}", "{\"a\":1}", "{}"]));
        assert!(report.intact());
        assert_eq!(report.events_checked, 3);
    }

    #[test]
    fn an_edited_payload_names_its_event() {
        let mut events = chained(&["{}", "{\"a\":1}", "{}"]);
        events[1].payload = "{\"a\":2}".into();
        let broken = verify_chain("s-1", events).first_broken.unwrap();
        assert_eq!((broken.version, broken.position), (2, 12));
    }

    #[test]
    fn a_removed_event_is_a_version_gap() {
        let mut events = chained(&["{}", "{}", "{}"]);
        events.remove(1);
        let broken = verify_chain("s-1", events).first_broken.unwrap();
        assert_eq!(broken.version, 3);
        assert!(broken.reason.contains("expected"));
    }

    #[test]
    fn fields_are_length_prefixed_so_bytes_cannot_move_between_them() {
        let mut a = event(1, "ab");
        a.metadata = "c".into();
        let mut b = event(1, "a");
        b.metadata = "bc".into();
        assert_ne!(
            link(&GENESIS, &a.link_input()),
            link(&GENESIS, &b.link_input())
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        let bytes = link(&GENESIS, &event(1, "{}").link_input());
        assert_eq!(from_hex(&to_hex(&bytes)), Some(bytes));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex(&"é".repeat(32)), None);
    }
}
