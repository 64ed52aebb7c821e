//! Layered configuration: defaults, then an optional TOML file, then the environment and
//! flags (which the command line merges into one [`Layer`], flags winning).
//!
//! Every setting has an `ECOMMERCE_*` variable of the same name in upper case (see
//! `.env.example`); in a file it is the lower-case key, such as `addr = "0.0.0.0:8080"`.

use crate::auth::Secret;
use crate::sqlite::Durability;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format must be text or json, not {other:?}")),
        }
    }
}

/// One layer of settings; `None` leaves the value to the layer below.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Listen address.
    pub addr: Option<SocketAddr>,
    /// Folder of the embedded stores.
    pub data_dir: Option<PathBuf>,
    /// Event store URL; none means the SQLite file in the data folder.
    pub event_store: Option<String>,
    /// Read store URL (`mongodb://…`); none means the SQLite file `read.db` in the data folder.
    pub read_store: Option<String>,
    /// The longest a query waits for `X-Min-Position`, milliseconds.
    pub min_position_wait_ms: Option<u64>,
    /// How long an order may wait for payment before it is cancelled, seconds.
    pub payment_timeout: Option<u64>,
    /// Payment provider attempts after the first, on transient failures.
    pub payment_retries: Option<u32>,
    /// The first pause between provider attempts, milliseconds (doubling each time).
    pub payment_retry_backoff_ms: Option<u64>,
    /// JWT signing secret (at least 32 bytes); none means a generated one in the data folder.
    pub jwt_secret: Option<Secret>,
    /// Access token lifetime, seconds.
    pub token_ttl_secs: Option<u64>,
    /// Largest accepted request body, bytes.
    pub body_limit_bytes: Option<usize>,
    /// Longest a request may take, seconds.
    pub request_timeout_secs: Option<u64>,
    /// `text` or `json`.
    pub log_format: Option<LogFormat>,
    /// SQLite commit durability: `full` or `normal`.
    #[serde(default, deserialize_with = "durability")]
    pub durability: Option<Durability>,
    /// Email of an admin to create at start when no user has it yet.
    pub admin_email: Option<String>,
    /// That admin's password.
    pub admin_password: Option<Secret>,
    /// Sign-ins and registrations a minute from one client address (0: no limit).
    pub auth_rate_per_address: Option<u32>,
    /// Sign-ins and registrations a minute for one email (0: no limit).
    pub auth_rate_per_account: Option<u32>,
    /// Failed sign-ins in a row before an account's sign-in is locked (0: never).
    pub login_lockout_after: Option<u32>,
    /// The longest sign-in lockout, seconds.
    pub login_lockout_max_secs: Option<u64>,
    /// A request header that carries the client's address, set by a trusted reverse proxy
    /// (such as `x-forwarded-for`, whose last entry is used, or `x-real-ip`).
    pub client_ip_header: Option<String>,
    /// Password hashes computed at once.
    pub password_hashers: Option<usize>,
    /// Password hashes waiting beyond those.
    pub password_queue: Option<usize>,
    /// The longest a password hash waits for its turn, milliseconds.
    pub password_queue_wait_ms: Option<u64>,
    /// Open client connections at most.
    pub max_connections: Option<usize>,
    /// The longest a client may take to send a request's headers, seconds.
    pub header_read_timeout_secs: Option<u64>,
    /// Queries waiting for `X-Min-Position` at once, at most.
    pub max_position_waits: Option<usize>,
    /// This process's name in leases: stable across restarts, unique among replicas.
    pub instance: Option<String>,
    /// How long a projector's or the checkout's lease lasts without renewal, seconds.
    pub lease_ttl_secs: Option<u64>,
    /// Index MongoDB read models by field alone (for servers that cannot index `_id` beside
    /// another key, such as nx-27017).
    pub mongodb_field_only_indexes: Option<bool>,
}

fn durability<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Durability>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .transpose()
}

impl Layer {
    /// `self` over `lower`: each value of `self` wins where it is set.
    pub fn over(self, lower: Layer) -> Layer {
        Layer {
            addr: self.addr.or(lower.addr),
            data_dir: self.data_dir.or(lower.data_dir),
            event_store: self.event_store.or(lower.event_store),
            read_store: self.read_store.or(lower.read_store),
            min_position_wait_ms: self.min_position_wait_ms.or(lower.min_position_wait_ms),
            payment_timeout: self.payment_timeout.or(lower.payment_timeout),
            payment_retries: self.payment_retries.or(lower.payment_retries),
            payment_retry_backoff_ms: self
                .payment_retry_backoff_ms
                .or(lower.payment_retry_backoff_ms),
            jwt_secret: self.jwt_secret.or(lower.jwt_secret),
            token_ttl_secs: self.token_ttl_secs.or(lower.token_ttl_secs),
            body_limit_bytes: self.body_limit_bytes.or(lower.body_limit_bytes),
            request_timeout_secs: self.request_timeout_secs.or(lower.request_timeout_secs),
            log_format: self.log_format.or(lower.log_format),
            durability: self.durability.or(lower.durability),
            admin_email: self.admin_email.or(lower.admin_email),
            admin_password: self.admin_password.or(lower.admin_password),
            auth_rate_per_address: self.auth_rate_per_address.or(lower.auth_rate_per_address),
            auth_rate_per_account: self.auth_rate_per_account.or(lower.auth_rate_per_account),
            login_lockout_after: self.login_lockout_after.or(lower.login_lockout_after),
            login_lockout_max_secs: self.login_lockout_max_secs.or(lower.login_lockout_max_secs),
            client_ip_header: self.client_ip_header.or(lower.client_ip_header),
            password_hashers: self.password_hashers.or(lower.password_hashers),
            password_queue: self.password_queue.or(lower.password_queue),
            password_queue_wait_ms: self.password_queue_wait_ms.or(lower.password_queue_wait_ms),
            max_connections: self.max_connections.or(lower.max_connections),
            header_read_timeout_secs: self
                .header_read_timeout_secs
                .or(lower.header_read_timeout_secs),
            max_position_waits: self.max_position_waits.or(lower.max_position_waits),
            instance: self.instance.or(lower.instance),
            lease_ttl_secs: self.lease_ttl_secs.or(lower.lease_ttl_secs),
            mongodb_field_only_indexes: self
                .mongodb_field_only_indexes
                .or(lower.mongodb_field_only_indexes),
        }
    }

    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Layer, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address (default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// Folder of the embedded stores (default `./data`).
    pub data_dir: PathBuf,
    /// Event store URL, if not the embedded file.
    pub event_store: Option<String>,
    /// Read store URL, if not the embedded file.
    pub read_store: Option<String>,
    /// The longest a query waits for `X-Min-Position` (default 5 s).
    pub min_position_wait: Duration,
    /// How long an order may wait for payment (default 15 minutes).
    pub payment_timeout: Duration,
    /// Provider attempts after the first (default 3).
    pub payment_retries: u32,
    /// The first pause between provider attempts (default 200 ms).
    pub payment_retry_backoff: Duration,
    /// Configured JWT secret, if any.
    pub jwt_secret: Option<Secret>,
    /// Access token lifetime (default 1 hour).
    pub token_ttl: Duration,
    /// Largest request body (default 64 KiB).
    pub body_limit: usize,
    /// Request timeout (default 30 s).
    pub request_timeout: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// SQLite durability (default full).
    pub durability: Durability,
    /// An admin to create at start: email and password.
    pub bootstrap_admin: Option<(String, Secret)>,
    /// Limits on sign-in and registration.
    pub auth: AuthSettings,
    /// Limits on connections and password hashing.
    pub load: LoadSettings,
    /// This process's name in leases, if configured (else derived from the host, the mode
    /// and the data folder).
    pub instance: Option<String>,
    /// Lease lifetime of projectors and the checkout process (default 10 s).
    pub lease_ttl: Duration,
    /// Index MongoDB read models by field alone.
    pub mongodb_field_only_indexes: bool,
}

/// Limits on the routes that cost a password hash (see `docs/security.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// Per client address, a minute (default 30; 0: off).
    pub per_address_per_minute: u32,
    /// Per email, a minute (default 10; 0: off).
    pub per_account_per_minute: u32,
    /// Failed sign-ins in a row before a lockout (default 5; 0: off).
    pub lockout_after: u32,
    /// The longest lockout (default 15 minutes).
    pub lockout_max: Duration,
    /// The trusted header naming the client's address (default: none, the peer address).
    pub client_ip_header: Option<String>,
}

/// Bounds on the work a process takes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSettings {
    /// Password hashes at once (default: the number of cores).
    pub password_hashers: usize,
    /// Password hashes waiting (default: 64 per hasher).
    pub password_queue: usize,
    /// The longest a password hash waits for its turn (default 2 s).
    pub password_queue_wait: Duration,
    /// Open client connections (default 4096).
    pub max_connections: usize,
    /// The longest a client may take to send its headers (default 10 s); also bounds how
    /// long an idle kept-alive connection stays open.
    pub header_read_timeout: Duration,
    /// Queries waiting for `X-Min-Position` at once (default 1024).
    pub max_position_waits: usize,
}

/// An instance name fit for a lease owner and a file name.
pub fn valid_instance(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Settings {
    /// Applies `layers` (highest first) over the defaults.
    pub fn resolve(top: Layer) -> Result<Settings, String> {
        let bootstrap_admin = match (top.admin_email, top.admin_password) {
            (Some(email), Some(password)) => Some((email, password)),
            (None, None) => None,
            _ => {
                return Err(
                    "set both ECOMMERCE_ADMIN_EMAIL and ECOMMERCE_ADMIN_PASSWORD, or neither"
                        .into(),
                );
            }
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let password_hashers = top.password_hashers.unwrap_or(cores).max(1);
        let client_ip_header = match top.client_ip_header.map(|h| h.trim().to_lowercase()) {
            Some(h) if h.is_empty() => None,
            Some(h) if axum::http::HeaderName::try_from(h.as_str()).is_err() => {
                return Err(format!(
                    "ECOMMERCE_CLIENT_IP_HEADER {h:?} is not a header name"
                ));
            }
            other => other,
        };
        Ok(Settings {
            addr: top
                .addr
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir: top.data_dir.unwrap_or_else(|| PathBuf::from("./data")),
            event_store: top.event_store,
            read_store: top.read_store,
            min_position_wait: Duration::from_millis(top.min_position_wait_ms.unwrap_or(5000)),
            payment_timeout: Duration::from_secs(top.payment_timeout.unwrap_or(15 * 60)),
            payment_retries: top.payment_retries.unwrap_or(3),
            payment_retry_backoff: Duration::from_millis(
                top.payment_retry_backoff_ms.unwrap_or(200),
            ),
            jwt_secret: top.jwt_secret,
            token_ttl: Duration::from_secs(top.token_ttl_secs.unwrap_or(3600)),
            body_limit: top.body_limit_bytes.unwrap_or(64 * 1024),
            request_timeout: Duration::from_secs(top.request_timeout_secs.unwrap_or(30)),
            log_format: top.log_format.unwrap_or_default(),
            durability: top.durability.unwrap_or_default(),
            bootstrap_admin,
            auth: AuthSettings {
                per_address_per_minute: top.auth_rate_per_address.unwrap_or(30),
                per_account_per_minute: top.auth_rate_per_account.unwrap_or(10),
                lockout_after: top.login_lockout_after.unwrap_or(5),
                lockout_max: Duration::from_secs(top.login_lockout_max_secs.unwrap_or(15 * 60)),
                client_ip_header,
            },
            load: LoadSettings {
                password_hashers,
                password_queue: top.password_queue.unwrap_or(password_hashers * 64),
                password_queue_wait: Duration::from_millis(
                    top.password_queue_wait_ms.unwrap_or(2000),
                ),
                max_connections: top.max_connections.unwrap_or(4096).max(1),
                header_read_timeout: Duration::from_secs(
                    top.header_read_timeout_secs.unwrap_or(10).max(1),
                ),
                max_position_waits: top.max_position_waits.unwrap_or(1024).max(1),
            },
            instance: match top.instance.map(|i| i.trim().to_owned()) {
                Some(i) if i.is_empty() => None,
                Some(i) if !valid_instance(&i) => {
                    return Err(format!(
                        "ECOMMERCE_INSTANCE {i:?}: use 1 to 100 of A-Z a-z 0-9 . _ -"
                    ));
                }
                other => other,
            },
            lease_ttl: Duration::from_secs(top.lease_ttl_secs.unwrap_or(10).max(1)),
            mongodb_field_only_indexes: top.mongodb_field_only_indexes.unwrap_or(false),
        })
    }

    /// Defaults, then the file (if any), then `overrides` (environment and flags).
    pub fn load(file: Option<&Path>, overrides: Layer) -> Result<Settings, String> {
        let file = match file {
            Some(path) => Layer::from_file(path)?,
            None => Layer::default(),
        };
        Settings::resolve(overrides.over(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ecommerce.toml");
        std::fs::write(
            &file,
            "addr = \"0.0.0.0:9000\"\nbody_limit_bytes = 1024\ndurability = \"normal\"\n",
        )
        .unwrap();
        let overrides = Layer {
            addr: Some("127.0.0.1:7000".parse().unwrap()),
            ..Layer::default()
        };
        let settings = Settings::load(Some(&file), overrides).unwrap();
        assert_eq!(
            settings.addr.port(),
            7000,
            "flags and env win over the file"
        );
        assert_eq!(settings.body_limit, 1024, "the file wins over defaults");
        assert_eq!(settings.durability, Durability::Normal);
        assert_eq!(settings.request_timeout, Duration::from_secs(30), "default");
    }

    #[test]
    fn unknown_keys_and_half_an_admin_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "adr = \"x\"\n").unwrap();
        assert!(Settings::load(Some(&file), Layer::default()).is_err());
        let half = Layer {
            admin_email: Some("a@example.com".into()),
            ..Layer::default()
        };
        assert!(Settings::resolve(half).is_err());
    }

    #[test]
    fn secrets_in_settings_do_not_print() {
        let settings = Settings::resolve(Layer {
            jwt_secret: Some(Secret::new("s".repeat(40))),
            ..Layer::default()
        })
        .unwrap();
        assert!(!format!("{settings:?}").contains("ssss"));
    }
}
