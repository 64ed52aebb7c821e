//! A fresh database per test (`CREATE DATABASE` with a unique name, dropped afterwards), so
//! tests run in parallel on one server.

use domain::schema::Upcasters;
use infra::{PgConfig, PgEventStore};
use sqlx::{Connection, PgConnection};
use std::sync::Arc;

/// The server URL, or `None` (after a notice) when the suite is not configured. With
/// `ECOMMERCE_TEST_POSTGRES_REQUIRED=1`, a missing URL fails the test instead.
pub fn server_url() -> Option<String> {
    match std::env::var("ECOMMERCE_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("ECOMMERCE_TEST_POSTGRES_REQUIRED").as_deref() != Ok("1"),
                "ECOMMERCE_TEST_POSTGRES_REQUIRED=1 but ECOMMERCE_TEST_POSTGRES_URL is not set"
            );
            eprintln!(
                "skipped: set ECOMMERCE_TEST_POSTGRES_URL=postgres://... to run the PostgreSQL \
                 event store suite"
            );
            None
        }
    }
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{database}{query}", &base[..authority_end])
}

/// A database that is dropped (with its connections) when this is dropped.
pub struct TestDb {
    admin_url: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl TestDb {
    /// Creates an empty database on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> TestDb {
        let name = format!("es_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(admin_url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        TestDb {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&url)
                    .await
                    .map_err(std::io::Error::other)?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .map(|_| ())
                    .map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// A store on a fresh database.
pub struct Pg {
    pub store: Arc<PgEventStore>,
    pub db: TestDb,
}

impl Pg {
    /// Another store instance on the same database, as another process would have.
    pub async fn second_store(&self) -> PgEventStore {
        PgEventStore::open(PgConfig::new(self.db.url.clone()), Upcasters::domain())
            .await
            .unwrap()
    }
}

/// A store on a fresh database, or `None` when the suite is not configured.
pub async fn fresh() -> Option<Pg> {
    let url = server_url()?;
    let db = TestDb::create(&url).await;
    let store = PgEventStore::open(PgConfig::new(db.url.clone()), Upcasters::domain())
        .await
        .unwrap();
    Some(Pg {
        store: Arc::new(store),
        db,
    })
}

#[test]
fn database_urls_keep_credentials_and_options() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
        "postgres://u:p@h:5432/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
