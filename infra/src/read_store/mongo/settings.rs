//! What the URI cannot say: which database (tests use one each) and the shape of the field
//! indexes (nx-27017, the CI test server, cannot write under an index holding `_id`).

use mongodb::options::ClientOptions;

/// The database used when neither the settings nor the URI name one.
pub const DEFAULT_DATABASE: &str = "ecommerce";

/// How [`ensure`](crate::read_store::ReadStore::ensure) indexes each declared field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldIndexes {
    /// `{field: 1, _id: 1}`: the index also serves the id tie-break of an ascending sort.
    #[default]
    WithId,
    /// `{field: 1}` alone, for a server that cannot index `_id` beside another key:
    /// nx-27017 0.8.1, the CI test server, then fails every write to the collection.
    FieldOnly,
}

/// Connection settings beyond the URI.
#[derive(Debug, Clone, Default)]
pub struct MongoSettings {
    /// The database to use instead of the URI's.
    pub database: Option<String>,
    /// The shape of the field indexes.
    pub field_indexes: FieldIndexes,
}

/// The database: the one asked for, else the URI's, else [`DEFAULT_DATABASE`].
pub(super) fn database_name(options: &ClientOptions, asked: Option<String>) -> String {
    asked
        .or_else(|| options.default_database.clone())
        .unwrap_or_else(|| DEFAULT_DATABASE.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_database_is_the_one_asked_for_else_the_uris_else_ecommerce() {
        let named = ClientOptions::parse("mongodb://127.0.0.1:9/shop")
            .await
            .unwrap();
        let unnamed = ClientOptions::parse("mongodb://127.0.0.1:9/")
            .await
            .unwrap();
        assert_eq!(database_name(&named, None), "shop");
        assert_eq!(database_name(&unnamed, None), DEFAULT_DATABASE);
        assert_eq!(database_name(&named, Some("test_1".into())), "test_1");
    }
}
