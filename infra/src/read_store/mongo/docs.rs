//! Documents as MongoDB stores them: `_id` (the document id), the body's own fields, and
//! `_pos` (the position of the last event applied to it). Reads strip `_id` and `_pos` and
//! give the body back exactly as it was written.

use super::errors::from_driver;
use crate::event_store::Position;
use crate::read_store::{Document, ReadStoreError};
use mongodb::bson::{self, Bson};
use serde_json::Value;

/// The primary key field: the document id.
pub const ID: &str = "_id";
/// The position of the last event applied to a document.
pub const POS: &str = "_pos";

/// A position as MongoDB stores it (a signed 64-bit integer).
pub fn position(position: Position) -> Result<i64, ReadStoreError> {
    i64::try_from(position)
        .map_err(|_| ReadStoreError::Invalid(format!("position {position} is out of range")))
}

/// A JSON value as BSON: integers as 64-bit integers, other numbers as doubles.
pub fn bson_value(value: &Value) -> Result<Bson, ReadStoreError> {
    bson::to_bson(value).map_err(|e| ReadStoreError::Invalid(format!("not storable: {e}")))
}

/// The stored form of a document body written at `position`.
pub fn stored(id: &str, body: &Value, position: i64) -> Result<bson::Document, ReadStoreError> {
    let Value::Object(fields) = body else {
        return Err(ReadStoreError::Invalid(format!(
            "the body of {id} is not a JSON object"
        )));
    };
    if fields.contains_key(ID) || fields.contains_key(POS) {
        return Err(ReadStoreError::Invalid(format!(
            "the body of {id} uses a reserved field ({ID} or {POS})"
        )));
    }
    let mut doc = bson::Document::new();
    doc.insert(ID, id);
    for (key, value) in fields {
        doc.insert(key.as_str(), bson_value(value)?);
    }
    doc.insert(POS, position);
    Ok(doc)
}

/// A stored document back as the port's [`Document`].
pub fn document(mut stored: bson::Document) -> Result<Document, ReadStoreError> {
    let corrupt = |what: &str| ReadStoreError::Backend(format!("stored document with {what}"));
    let id = match stored.remove(ID) {
        Some(Bson::String(id)) => id,
        _ => return Err(corrupt("a non-string _id")),
    };
    let position = stored
        .remove(POS)
        .as_ref()
        .and_then(integer)
        .and_then(|p| Position::try_from(p).ok())
        .ok_or_else(|| corrupt("no valid _pos"))?;
    let body = Bson::Document(stored).into_relaxed_extjson();
    Ok(Document { id, body, position })
}

/// An integer field, whichever width the server chose to return.
pub fn integer(value: &Bson) -> Option<i64> {
    match value {
        Bson::Int64(i) => Some(*i),
        Bson::Int32(i) => Some(i64::from(*i)),
        _ => None,
    }
}

/// Every document a cursor yields.
pub async fn collect(
    mut cursor: mongodb::Cursor<bson::Document>,
) -> Result<Vec<Document>, ReadStoreError> {
    let mut found = Vec::new();
    while cursor.advance().await.map_err(from_driver)? {
        found.push(document(
            cursor.deserialize_current().map_err(from_driver)?,
        )?);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_body_round_trips_through_its_stored_form() {
        let body = json!({"id": "p1", "name": "Tasse ☕", "price": {"amount": 1200, "rate": 0.5},
                          "terms": ["a", "b"], "flag": false, "none": null, "big": i64::MAX});
        let doc = document(stored("p1", &body, 7).unwrap()).unwrap();
        assert_eq!((doc.id.as_str(), &doc.body, doc.position), ("p1", &body, 7));
    }

    #[test]
    fn reserved_fields_and_non_objects_are_refused() {
        for body in [
            json!({"_pos": 1}),
            json!({"_id": "x"}),
            json!([1]),
            json!("s"),
        ] {
            assert!(matches!(
                stored("p1", &body, 1),
                Err(ReadStoreError::Invalid(_))
            ));
        }
        assert!(position(u64::MAX).is_err());
    }
}
