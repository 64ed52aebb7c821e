//! A split shop of real processes: a fresh PostgreSQL database for the events, a fresh
//! MongoDB database for the read models, every mode twice (two command processes split by
//! domain), and nginx in front with the project's routing (`deploy/nginx`).

use crate::binary::{Server, psql};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const SECRET: &str = "the split shop's shared secret, 32 bytes or more";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "the admin's own password";

/// Where the servers are, from the environment; `None` (said) when one is missing.
pub struct Backends {
    pub postgres: String,
    pub mongodb: String,
    pub nginx: PathBuf,
    pub field_only: bool,
}

impl Backends {
    pub fn from_env() -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(postgres), Some(mongodb), Some(nginx)) = (
            var("ECOMMERCE_TEST_POSTGRES_URL"),
            var("ECOMMERCE_TEST_MONGODB_URI"),
            var("ECOMMERCE_TEST_NGINX"),
        ) else {
            eprintln!(
                "skipping: set ECOMMERCE_TEST_POSTGRES_URL, ECOMMERCE_TEST_MONGODB_URI and \
                 ECOMMERCE_TEST_NGINX to run the split shop"
            );
            return None;
        };
        Some(Self {
            postgres,
            mongodb,
            nginx: PathBuf::from(nginx),
            field_only: var("ECOMMERCE_TEST_MONGODB_FIELD_ONLY_INDEXES").as_deref() == Some("1"),
        })
    }
}

/// `base` (a server URL ending in a database) with another database.
fn with_database(base: &str, database: &str) -> String {
    let (server, query) = match base.split_once('?') {
        Some((server, query)) => (server, format!("?{query}")),
        None => (base, String::new()),
    };
    let server = server.trim_end_matches('/');
    let server = match server.rsplit_once('/') {
        Some((host, last)) if !last.contains(':') && !host.ends_with('/') => host,
        _ => server,
    };
    format!("{server}/{database}{query}")
}

/// One process of the shop, by name, with what it was started with.
struct Process {
    mode: Vec<String>,
    server: Server,
}

/// The running split shop.
pub struct Cluster {
    pub root: tempfile::TempDir,
    pub events_url: String,
    pub read_url: String,
    pub database: String,
    backends_postgres: String,
    field_only: bool,
    processes: BTreeMap<String, Process>,
    killed: BTreeMap<String, Vec<String>>,
    addresses: BTreeMap<String, String>,
    nginx: Child,
    pub base: String,
}

/// A free loopback port (taken and released: another process could take it meanwhile).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Cluster {
    /// Starts the eight processes and nginx.
    pub async fn start(backends: &Backends) -> Cluster {
        let database = format!("split_{}", uuid::Uuid::now_v7().simple());
        assert!(psql(
            &backends.postgres,
            &format!("CREATE DATABASE {database}")
        ));
        let mut cluster = Cluster {
            root: tempfile::tempdir().unwrap(),
            events_url: with_database(&backends.postgres, &database),
            read_url: with_database(&backends.mongodb, &database),
            database,
            backends_postgres: backends.postgres.clone(),
            field_only: backends.field_only,
            processes: BTreeMap::new(),
            killed: BTreeMap::new(),
            addresses: BTreeMap::new(),
            nginx: Command::new("true").spawn().unwrap(),
            base: String::new(),
        };
        // The command process of products and users creates the admin; the schema is
        // migrated by whichever starts first, under an advisory lock.
        cluster.launch("catalog", &["commands", "--domains", "products,users"]);
        cluster.launch(
            "shop",
            &["commands", "--domains", "carts,orders,payments,shipments"],
        );
        for name in ["query-1", "query-2"] {
            cluster.launch(name, &["query"]);
        }
        for name in ["projector-1", "projector-2"] {
            cluster.launch(name, &["projector"]);
        }
        for name in ["checkout-1", "checkout-2"] {
            cluster.launch(name, &["checkout"]);
        }
        cluster.start_nginx(&backends.nginx);
        cluster
    }

    fn envs(&self) -> Vec<(&'static str, String)> {
        let mut envs = vec![
            ("ECOMMERCE_EVENT_STORE", self.events_url.clone()),
            ("ECOMMERCE_READ_STORE", self.read_url.clone()),
            ("ECOMMERCE_JWT_SECRET", SECRET.to_owned()),
            ("ECOMMERCE_ADMIN_EMAIL", ADMIN_EMAIL.to_owned()),
            ("ECOMMERCE_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
            ("ECOMMERCE_CLIENT_IP_HEADER", "x-forwarded-for".to_owned()),
            // Sixteen clients sign in from one address here.
            ("ECOMMERCE_AUTH_RATE_PER_ADDRESS", "0".to_owned()),
            ("ECOMMERCE_LEASE_TTL_SECS", "3".to_owned()),
            ("ECOMMERCE_PAYMENT_RETRY_BACKOFF_MS", "20".to_owned()),
        ];
        if self.field_only {
            envs.push(("ECOMMERCE_MONGODB_FIELD_ONLY_INDEXES", "1".to_owned()));
        }
        envs
    }

    /// Starts (or restarts) the process `name` in `mode`, in its own data folder.
    pub fn launch(&mut self, name: &str, mode: &[&str]) {
        let dir = self.root.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let envs = self.envs();
        let mut all: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.push(("ECOMMERCE_INSTANCE", name));
        let log = self.root.path().join(format!("{name}.log"));
        let server = Server::start_mode(&dir, &log, mode, &all);
        let addr = server.base.trim_start_matches("http://").to_owned();
        self.addresses.insert(name.to_owned(), addr);
        // A restart adds its --addr; the recorded mode is without it.
        let mode = mode
            .iter()
            .take_while(|s| **s != "--addr")
            .map(|s| (*s).to_owned())
            .collect();
        self.processes
            .insert(name.to_owned(), Process { mode, server });
    }

    /// `kill -9` of the process `name`.
    pub fn kill(&mut self, name: &str) {
        let mut process = self.processes.remove(name).unwrap();
        process.server.child.kill().unwrap();
        process.server.child.wait().unwrap();
        self.killed.insert(name.to_owned(), process.mode.clone());
    }

    /// Starts a killed process again, as a supervisor would: same name, same folder, same
    /// address (nginx knows it).
    pub fn restart(&mut self, name: &str) {
        let mode = self.killed.remove(name).unwrap();
        let mut mode: Vec<&str> = mode.iter().map(String::as_str).collect();
        let addr = self.addresses[name].clone();
        mode.extend(["--addr", addr.as_str()]);
        self.launch(name, &mode);
    }

    fn port(&self, name: &str) -> String {
        self.addresses[name].clone()
    }

    fn start_nginx(&mut self, nginx: &Path) {
        let dir = self.root.path().join("nginx");
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        // The project's files, where nginx.conf includes them: ecommerce/ beside it.
        let deploy = dir.join("ecommerce");
        std::fs::create_dir_all(&deploy).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx");
        for file in ["map.conf", "locations.conf", "proxy.conf"] {
            std::fs::copy(source.join(file), deploy.join(file)).unwrap();
        }
        let port = free_port();
        let upstream = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("        server {} max_fails=0;\n", self.port(n)))
                .collect::<String>()
        };
        let conf = format!(
            "worker_processes 1;\nerror_log {dir}/logs/error.log warn;\npid {dir}/nginx.pid;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n    access_log off;\n\
                 client_body_temp_path {dir}/body;\n    proxy_temp_path {dir}/proxy;\n\
                 fastcgi_temp_path {dir}/fastcgi;\n    uwsgi_temp_path {dir}/uwsgi;\n\
                 scgi_temp_path {dir}/scgi;\n\
                 upstream ecommerce_query {{\n{query}        keepalive 32;\n        keepalive_timeout 5s;\n    }}\n\
                 upstream ecommerce_commands_catalog {{\n{catalog}        keepalive 16;\n        keepalive_timeout 5s;\n    }}\n\
                 upstream ecommerce_commands_shop {{\n{shop}        keepalive 16;\n        keepalive_timeout 5s;\n    }}\n\
                 include ecommerce/map.conf;\n\
                 server {{\n        listen 127.0.0.1:{port};\n        include ecommerce/locations.conf;\n    }}\n}}\n",
            dir = dir.display(),
            query = upstream(&["query-1", "query-2"]),
            catalog = upstream(&["catalog"]),
            shop = upstream(&["shop"]),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        self.nginx = Command::new(nginx)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            // One process, no workers: a worker outliving a killed master would keep the
            // test run's output open (and hang whatever reads it to its end).
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("logs/stderr.log")).unwrap())
            .spawn()
            .unwrap();
        self.base = format!("http://127.0.0.1:{port}");
        // Wait until nginx answers.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "nginx never listened");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Stops every process cleanly and drops the PostgreSQL database (the MongoDB one is
    /// dropped by the caller, which has a client).
    pub fn stop(mut self) {
        for (_, process) in std::mem::take(&mut self.processes) {
            process.server.stop();
        }
    }
}

/// nginx and the PostgreSQL database go with the cluster, whether the test stopped it or
/// failed (the services are killed by their own `Drop`, first).
impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.nginx.kill();
        let _ = self.nginx.wait();
        self.processes.clear();
        psql(
            &self.backends_postgres,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_database_replaces_the_one_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("mongodb://127.0.0.1:27018/", "x"),
            "mongodb://127.0.0.1:27018/x"
        );
        assert_eq!(
            with_database("mongodb://h:1/?a=b", "x"),
            "mongodb://h:1/x?a=b"
        );
    }
}
