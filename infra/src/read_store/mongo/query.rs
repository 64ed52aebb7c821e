//! From a [`Query`] to a MongoDB `find`: filters on the body's fields (`id` is `_id`), the
//! sort with `_id` ascending as the last key, a keyset condition for the cursor of the same
//! shape as the SQLite adapter's, and `limit + 1` to tell whether a next page exists.

use super::docs::{ID, bson_value};
use crate::read_store::{Direction, Op, Query, ReadStoreError};
use mongodb::bson::{Bson, Document, doc};

/// The arguments of one `find`.
#[derive(Debug)]
pub struct Find {
    /// The filter.
    pub filter: Document,
    /// The order, ending with `_id` ascending.
    pub sort: Document,
    /// One more than the page size.
    pub limit: i64,
}

/// The stored path of a field.
fn path(field: &str) -> &str {
    if field == "id" { ID } else { field }
}

/// `{path: {op: value}}`.
fn compare(field: &str, op: &str, value: Bson) -> Document {
    doc! { path(field): { op: value } }
}

/// The `find` for a validated query.
pub fn find(query: &Query) -> Result<Find, ReadStoreError> {
    let mut conditions = Vec::new();
    for filter in &query.filters {
        let value = bson_value(&filter.value)?;
        conditions.push(match filter.op {
            Op::Eq => compare(&filter.field, "$eq", value),
            Op::Gt => compare(&filter.field, "$gt", value),
            Op::Gte => compare(&filter.field, "$gte", value),
            Op::Lt => compare(&filter.field, "$lt", value),
            Op::Lte => compare(&filter.field, "$lte", value),
            // An array holding the value. (Plain equality would do on MongoDB, but nx-27017
            // does not match it against the elements of an indexed array.)
            Op::Contains => compare(&filter.field, "$elemMatch", doc! { "$eq": value }.into()),
        });
    }
    if let Some(cursor) = &query.after {
        let (values, id) = cursor.decode(&query.sort)?;
        // (k1, …, kn, _id) strictly after (v1, …, vn, id) in the query's order.
        let mut alternatives = Vec::new();
        for i in 0..=query.sort.len() {
            let mut terms = Vec::new();
            for (sort, value) in query.sort.iter().zip(&values).take(i) {
                terms.push(compare(&sort.field, "$eq", bson_value(value)?));
            }
            terms.push(match (query.sort.get(i), values.get(i)) {
                (Some(sort), Some(value)) => {
                    let op = if sort.direction == Direction::Asc {
                        "$gt"
                    } else {
                        "$lt"
                    };
                    compare(&sort.field, op, bson_value(value)?)
                }
                _ => compare("id", "$gt", Bson::String(id.clone())),
            });
            alternatives.push(doc! { "$and": terms });
        }
        conditions.push(doc! { "$or": alternatives });
    }
    let filter = match conditions.len() {
        0 => Document::new(),
        1 => conditions.remove(0),
        _ => doc! { "$and": conditions },
    };
    let mut sort = Document::new();
    for key in &query.sort {
        let direction = if key.direction == Direction::Asc {
            1
        } else {
            -1
        };
        sort.insert(path(&key.field), direction);
    }
    sort.insert(ID, 1);
    let limit = i64::try_from(query.limit.saturating_add(1)).unwrap_or(i64::MAX);
    Ok(Find {
        filter,
        sort,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_store::{Cursor, Filter, Sort};
    use serde_json::json;

    #[test]
    fn filters_compare_fields_and_id_maps_to_the_primary_key() {
        let query = Query {
            filters: vec![
                Filter::new("terms", Op::Contains, "mug"),
                Filter::new("id", Op::Eq, "p1"),
            ],
            ..Query::all("products", 10)
        };
        let expected = doc! { "$and": [
            { "terms": { "$elemMatch": { "$eq": "mug" } } },
            { "_id": { "$eq": "p1" } },
        ] };
        assert_eq!(find(&query).unwrap().filter, expected);
    }

    #[test]
    fn a_cursor_becomes_a_keyset_condition_after_the_last_item() {
        let sort = vec![Sort::desc("price.amount")];
        let query = Query {
            filters: vec![Filter::new("id", Op::Gte, "a")],
            after: Cursor::after(&json!({"id": "p2", "price": {"amount": 900}}), &sort),
            sort,
            ..Query::all("products", 2)
        };
        let find = find(&query).unwrap();
        let expected = doc! { "$and": [
            { "_id": { "$gte": "a" } },
            { "$or": [
                { "$and": [ { "price.amount": { "$lt": 900_i64 } } ] },
                { "$and": [ { "price.amount": { "$eq": 900_i64 } }, { "_id": { "$gt": "p2" } } ] },
            ] },
        ] };
        assert_eq!(find.filter, expected);
        assert_eq!(find.sort, doc! { "price.amount": -1, "_id": 1 });
        assert_eq!(find.limit, 3);
    }
}
