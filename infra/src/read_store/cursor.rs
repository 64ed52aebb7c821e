//! Opaque keyset cursors: the sort fields, the last item's sort values and its id, as
//! URL-safe base64 JSON. A cursor only continues the query order it came from.
//! Keyset pagination stays stable while documents are added: a page starts strictly after
//! the previous page's last item, whatever was inserted before it.

use super::{ReadStoreError, Sort};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// Where a page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a client's cursor string (checked when decoded).
    pub fn from_client(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The cursor as sent to clients.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cursor after `item` for `sort`.
    pub fn after(item: &Value, sort: &[Sort]) -> Option<Self> {
        let mut key: Vec<Value> = sort
            .iter()
            .map(|s| field(item, &s.field).cloned().unwrap_or(Value::Null))
            .collect();
        key.push(item.get("id")?.clone());
        let fields: Vec<String> = sort.iter().map(order_key).collect();
        let json = serde_json::to_vec(&(fields, key)).ok()?;
        Some(Self(URL_SAFE_NO_PAD.encode(json)))
    }

    /// The sort values and the id, checked against `sort`.
    pub fn decode(&self, sort: &[Sort]) -> Result<(Vec<Value>, String), ReadStoreError> {
        let bad = || ReadStoreError::Invalid("the cursor is not valid for this query".into());
        let bytes = URL_SAFE_NO_PAD.decode(&self.0).map_err(|_| bad())?;
        let (fields, mut key): (Vec<String>, Vec<Value>) =
            serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if key.len() != sort.len() + 1
            || fields.len() != sort.len()
            || fields.iter().zip(sort).any(|(f, s)| *f != order_key(s))
        {
            return Err(bad());
        }
        let id = match key.pop() {
            Some(Value::String(id)) => id,
            _ => return Err(bad()),
        };
        if key
            .iter()
            .any(|v| !(v.is_string() || v.is_number() || v.is_boolean()))
        {
            return Err(bad());
        }
        Ok((key, id))
    }
}

/// A sort key as the cursor records it: field and direction.
fn order_key(sort: &Sort) -> String {
    format!("{}:{:?}", sort.field, sort.direction)
}

/// The value at a dotted path.
pub fn field<'a>(item: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(item, |v, part| v.get(part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cursor_round_trips_and_refuses_tampering() {
        let sort = [Sort::desc("price.amount")];
        let item = json!({"id": "p1", "price": {"amount": 1200}});
        let cursor = Cursor::after(&item, &sort).unwrap();
        assert_eq!(
            cursor.decode(&sort).unwrap(),
            (vec![json!(1200)], "p1".into())
        );
        assert!(cursor.decode(&[]).is_err(), "another sort");
        assert!(
            cursor.decode(&[Sort::desc("name")]).is_err(),
            "another field"
        );
        assert!(
            cursor.decode(&[Sort::asc("price.amount")]).is_err(),
            "another direction"
        );
        assert!(Cursor::from_client("%%%").decode(&sort).is_err());
        let forged = URL_SAFE_NO_PAD.encode(br#"[["price.amount:Desc"], [{"$gt": 1}, "p1"]]"#);
        assert!(Cursor::from_client(&forged).decode(&sort).is_err());
    }
}
