//! Page cursors of an order's audit trail: the last position served, bound to the order, as
//! URL-safe base64. Clients treat them as opaque; a cursor of another order is refused.

use super::AuditError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use infra::event_store::Position;

/// The cursor after `position` in the trail of `order`.
pub fn encode(order: &str, position: Position) -> String {
    URL_SAFE_NO_PAD.encode(format!("audit:{order}:{position}"))
}

/// The position a client's cursor continues after; `None` or empty: from the start.
pub fn decode(order: &str, raw: Option<&str>) -> Result<Position, AuditError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(0);
    };
    let bad = || AuditError::Malformed("the cursor is not valid for this order".into());
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let position = text
        .strip_prefix("audit:")
        .and_then(|rest| rest.strip_prefix(order))
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(bad)?;
    position.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_binds_to_its_order() {
        let cursor = encode("o-1", 42);
        assert_eq!(decode("o-1", Some(&cursor)).unwrap(), 42);
        assert_eq!(decode("o-1", None).unwrap(), 0);
        assert_eq!(decode("o-1", Some("")).unwrap(), 0);
        for bad in [
            encode("o-2", 42),
            "%%%".into(),
            URL_SAFE_NO_PAD.encode("audit:o-1:x"),
        ] {
            assert!(
                matches!(decode("o-1", Some(&bad)), Err(AuditError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
