//! From a [`Query`] to SQL over JSON documents: `json_extract` for fields, keyset conditions
//! for cursors, `json_each` for array membership.

use crate::read_store::{Direction, Op, Query, ReadStoreError};
use rusqlite::types::Value as Sql;
use serde_json::Value;

/// The SQL expression of a field.
fn column(field: &str) -> String {
    if field == "id" {
        "id".to_owned()
    } else {
        format!("json_extract(doc, '$.{field}')")
    }
}

/// A JSON scalar as a SQL value, the way `json_extract` returns it (booleans are 0/1).
pub fn sql_value(value: &Value) -> Sql {
    match value {
        Value::String(s) => Sql::Text(s.clone()),
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(f64::MAX)),
        },
        _ => Sql::Null,
    }
}

/// `SELECT doc … LIMIT n+1` with its parameters; one row more than the page tells whether
/// there is a next page.
pub fn select(query: &Query) -> Result<(String, Vec<Sql>), ReadStoreError> {
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    for filter in &query.filters {
        params.push(sql_value(&filter.value));
        let n = params.len();
        conditions.push(match filter.op {
            Op::Contains => format!(
                "EXISTS (SELECT 1 FROM json_each(doc, '$.{}') WHERE json_each.value = ?{n})",
                filter.field
            ),
            op => {
                let sign = match op {
                    Op::Eq => "=",
                    Op::Gt => ">",
                    Op::Gte => ">=",
                    Op::Lt => "<",
                    Op::Lte => "<=",
                    Op::Contains => unreachable!("handled above"),
                };
                format!("{} {sign} ?{n}", column(&filter.field))
            }
        });
    }
    if let Some(cursor) = &query.after {
        let (values, id) = cursor.decode(&query.sort)?;
        // (k1, …, kn, id) strictly after (v1, …, vn, id) in the query's order.
        let mut alternatives = Vec::new();
        for i in 0..=query.sort.len() {
            let mut terms = Vec::new();
            for (sort, value) in query.sort.iter().zip(&values).take(i) {
                params.push(sql_value(value));
                terms.push(format!("{} = ?{}", column(&sort.field), params.len()));
            }
            let (expr, sign, value) = match query.sort.get(i) {
                Some(sort) => (
                    column(&sort.field),
                    if sort.direction == Direction::Asc {
                        ">"
                    } else {
                        "<"
                    },
                    sql_value(&values[i]),
                ),
                None => ("id".to_owned(), ">", Sql::Text(id.clone())),
            };
            params.push(value);
            terms.push(format!("{expr} {sign} ?{}", params.len()));
            alternatives.push(format!("({})", terms.join(" AND ")));
        }
        conditions.push(format!("({})", alternatives.join(" OR ")));
    }
    let mut order: Vec<String> = query
        .sort
        .iter()
        .map(|s| {
            let direction = if s.direction == Direction::Asc {
                "ASC"
            } else {
                "DESC"
            };
            format!("{} {direction}", column(&s.field))
        })
        .collect();
    order.push("id ASC".to_owned());
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    params.push(Sql::Integer(
        i64::try_from(query.limit.saturating_add(1)).unwrap_or(i64::MAX),
    ));
    let sql = format!(
        "SELECT doc FROM \"{}\"{filter} ORDER BY {} LIMIT ?{}",
        query.collection,
        order.join(", "),
        params.len()
    );
    Ok((sql, params))
}
