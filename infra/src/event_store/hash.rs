//! The per-stream hash chain: each event's link is SHA-256 over the previous link and the
//! event's stored bytes, so editing, removing or reordering a stored event breaks the chain
//! from that event on.
//!
//! The link covers the stream, version, event id, type, schema version, payload text,
//! metadata text and commit time, each length-prefixed so that no two events share an input.
//! It does not cover the global position, which some backends only learn after the write.

use super::stored::{LinkInput, StoredEvent};
use super::{BrokenLink, Position, VerifyReport, Version};
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
    walk(stream, events).0
}

/// [`verify_chain`], then the stream's head as its backend records it beside the events
/// (version and last link): a chain that ends before the head, or on another link, lost
/// events at its end, which the links alone cannot show.
pub fn verify_chain_to_head(
    stream: &str,
    events: impl IntoIterator<Item = StoredEvent>,
    head: Option<(Version, [u8; 32])>,
) -> VerifyReport {
    let (report, last, link) = walk(stream, events);
    let (version, head_link) = head.unwrap_or((0, GENESIS));
    if !report.intact() || (version == report.events_checked && head_link == link) {
        return report;
    }
    let checked = report.events_checked;
    let reason = if version > checked {
        format!(
            "the stream's head records version {version}, but its events end at version \
             {checked}: the events after this one are missing"
        )
    } else if version < checked {
        format!("the stream's head records version {version}, but its events go on to {checked}")
    } else {
        "the stream's head records another last link than this event's".to_owned()
    };
    let (version, position, event_id) = last.unwrap_or((0, 0, uuid::Uuid::nil()));
    let broken = BrokenLink {
        version,
        position,
        event_id,
        reason,
    };
    VerifyReport {
        first_broken: Some(broken),
        ..report
    }
}

/// The report, the last event that was walked (version, position, id) and its link.
fn walk(
    stream: &str,
    events: impl IntoIterator<Item = StoredEvent>,
) -> (
    VerifyReport,
    Option<(Version, Position, uuid::Uuid)>,
    [u8; 32],
) {
    let mut previous = GENESIS;
    let mut checked = 0;
    let mut last = None;
    for event in events {
        let expected_version = checked + 1;
        let broken = |reason: String| BrokenLink {
            version: event.version,
            position: event.position,
            event_id: event.event_id,
            reason,
        };
        if event.version != expected_version {
            let reason = format!(
                "version {} where {expected_version} was expected",
                event.version
            );
            return (
                report(stream, checked, Some(broken(reason))),
                last,
                previous,
            );
        }
        let computed = link(&previous, &event.link_input());
        if from_hex(&event.hash) != Some(computed) {
            let reason = "stored hash does not match the event's content".to_owned();
            return (
                report(stream, checked + 1, Some(broken(reason))),
                last,
                previous,
            );
        }
        previous = computed;
        checked += 1;
        last = Some((event.version, event.position, event.event_id));
    }
    (report(stream, checked, None), last, previous)
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

    fn head_of(events: &[StoredEvent]) -> Option<(Version, [u8; 32])> {
        let last = events.last()?;
        Some((last.version, from_hex(&last.hash)?))
    }

    #[test]
    fn a_chain_that_ends_at_its_head_verifies() {
        let events = chained(&["{}", "{}"]);
        let head = head_of(&events);
        assert!(verify_chain_to_head("s-1", events, head).intact());
        assert!(verify_chain_to_head("s-1", Vec::new(), None).intact());
    }

    #[test]
    fn events_removed_from_the_end_break_at_the_last_one_left() {
        let mut events = chained(&["{}", "{}", "{}"]);
        let head = head_of(&events);
        events.truncate(2);
        assert!(verify_chain("s-1", events.clone()).intact());
        let broken = verify_chain_to_head("s-1", events, head)
            .first_broken
            .unwrap();
        assert_eq!((broken.version, broken.position), (2, 12));
        assert!(broken.reason.contains("missing"), "{}", broken.reason);
        let broken = verify_chain_to_head("s-1", Vec::new(), head)
            .first_broken
            .unwrap();
        assert_eq!(broken.version, 0);
    }

    #[test]
    fn a_head_on_another_link_or_behind_the_events_breaks() {
        let events = chained(&["{}", "{}"]);
        let other = chained(&["{}", "{\"x\":1}"]);
        let broken = verify_chain_to_head("s-1", events.clone(), head_of(&other))
            .first_broken
            .unwrap();
        assert_eq!(broken.version, 2);
        let behind = Some((1, from_hex(&events[0].hash).unwrap()));
        let broken = verify_chain_to_head("s-1", events, behind)
            .first_broken
            .unwrap();
        assert!(broken.reason.contains("go on"), "{}", broken.reason);
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
