//! A fresh PostgreSQL database per test, from `ECOMMERCE_TEST_POSTGRES_URL` (skipped, saying
//! so, without it; a failure when `ECOMMERCE_TEST_POSTGRES_REQUIRED=1`).

use uuid::Uuid;

/// A fresh PostgreSQL database, dropped when the test ends.
pub struct PgDatabase {
    server: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> Option<Self> {
        let Some(url) = std::env::var("ECOMMERCE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("ECOMMERCE_TEST_POSTGRES_REQUIRED").as_deref() != Ok("1"),
                "ECOMMERCE_TEST_POSTGRES_REQUIRED=1 but ECOMMERCE_TEST_POSTGRES_URL is unset"
            );
            eprintln!("skipped: set ECOMMERCE_TEST_POSTGRES_URL to run the PostgreSQL tests here");
            return None;
        };
        let name = format!("hot_{}", Uuid::now_v7().simple());
        psql(&url, &format!("CREATE DATABASE {name}"));
        Some(Self { server: url, name })
    }

    pub fn url(&self) -> String {
        let (server, _) = self.server.rsplit_once('/').unwrap();
        format!("{server}/{}", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        psql(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) {
    let status = std::process::Command::new("psql")
        .args([url, "-q", "-c", sql])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "psql {sql}");
}
