//! The command-line grammar. Every option also reads its `ECOMMERCE_*` variable; secrets
//! (`ECOMMERCE_JWT_SECRET`, `ECOMMERCE_ADMIN_PASSWORD`) are read from the environment only,
//! so they never appear in a process list.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// An event-sourced e-commerce backend.
#[derive(Debug, Parser)]
#[command(name = "ecommerce", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Folder of the embedded stores [default: ./data].
    #[arg(long, global = true, env = "ECOMMERCE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML settings file, applied under the environment and the flags.
    #[arg(long, global = true, env = "ECOMMERCE_CONFIG")]
    pub config: Option<PathBuf>,
    /// The event store: `postgres://...`, `kurrentdb://...` (or `esdb://...`),
    /// `sqlite:PATH`; unset, the embedded SQLite file `events.db` in the data folder.
    #[arg(long, global = true, env = "ECOMMERCE_EVENT_STORE")]
    pub event_store: Option<String>,
    /// The read store: `mongodb://...`; unset, the embedded SQLite file `read.db` in the data
    /// folder.
    #[arg(long, global = true, env = "ECOMMERCE_READ_STORE")]
    pub read_store: Option<String>,
    /// Index MongoDB read models by field alone, for a server that cannot index `_id` beside
    /// another key (nx-27017) [default: false].
    #[arg(long, global = true, env = "ECOMMERCE_MONGODB_FIELD_ONLY_INDEXES",
          num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub mongodb_field_only_indexes: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the shop: every service in one process, on the embedded stores by default.
    Serve(Box<ServeArgs>),
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Inspect the event log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Operate the projections: status, rebuilds, parked events.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Audit from the event log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// `ecommerce serve`: every service in one process, or one of them (a mode). The options
/// below apply to every mode and may come before or after it.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Run one service alone; without a mode, every service runs in this process.
    #[command(subcommand)]
    pub mode: Option<ServeMode>,
    /// Listen address [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "ECOMMERCE_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Access token lifetime in seconds [default: 3600].
    #[arg(long, global = true, env = "ECOMMERCE_TOKEN_TTL_SECS")]
    pub token_ttl_secs: Option<u64>,
    /// Largest accepted request body in bytes [default: 65536].
    #[arg(long, global = true, env = "ECOMMERCE_BODY_LIMIT_BYTES")]
    pub body_limit_bytes: Option<usize>,
    /// Longest a request may take, in seconds [default: 30].
    #[arg(long, global = true, env = "ECOMMERCE_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Log format: text or json [default: text].
    #[arg(long, global = true, env = "ECOMMERCE_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// SQLite commit durability: full or normal [default: full].
    #[arg(long, global = true, env = "ECOMMERCE_DURABILITY")]
    pub durability: Option<String>,
    /// The longest a query waits for X-Min-Position, in milliseconds [default: 5000].
    #[arg(long, global = true, env = "ECOMMERCE_MIN_POSITION_WAIT_MS")]
    pub min_position_wait_ms: Option<u64>,
    /// How long an order may wait for payment before it is cancelled, in seconds [default: 900].
    #[arg(long, global = true, env = "ECOMMERCE_PAYMENT_TIMEOUT")]
    pub payment_timeout: Option<u64>,
    /// Payment provider attempts after the first, on transient failures [default: 3].
    #[arg(long, global = true, env = "ECOMMERCE_PAYMENT_RETRIES")]
    pub payment_retries: Option<u32>,
    /// The first pause between provider attempts, in milliseconds, doubling [default: 200].
    #[arg(long, global = true, env = "ECOMMERCE_PAYMENT_RETRY_BACKOFF_MS")]
    pub payment_retry_backoff_ms: Option<u64>,
    /// Create this admin at start if no account has the email (password from
    /// ECOMMERCE_ADMIN_PASSWORD); an existing account is never changed.
    #[arg(long, global = true, env = "ECOMMERCE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Sign-ins and registrations a minute from one client address, 0 for no limit [default: 30].
    #[arg(long, global = true, env = "ECOMMERCE_AUTH_RATE_PER_ADDRESS")]
    pub auth_rate_per_address: Option<u32>,
    /// Sign-ins and registrations a minute for one email, 0 for no limit [default: 10].
    #[arg(long, global = true, env = "ECOMMERCE_AUTH_RATE_PER_ACCOUNT")]
    pub auth_rate_per_account: Option<u32>,
    /// Failed sign-ins in a row before an account's sign-in is locked, 0 for never [default: 5].
    #[arg(long, global = true, env = "ECOMMERCE_LOGIN_LOCKOUT_AFTER")]
    pub login_lockout_after: Option<u32>,
    /// The longest sign-in lockout, in seconds [default: 900].
    #[arg(long, global = true, env = "ECOMMERCE_LOGIN_LOCKOUT_MAX_SECS")]
    pub login_lockout_max_secs: Option<u64>,
    /// The header a trusted reverse proxy puts the client's address in (x-forwarded-for,
    /// x-real-ip) [default: none, the TCP peer].
    #[arg(long, global = true, env = "ECOMMERCE_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Argon2id hashes at once [default: the number of cores].
    #[arg(long, global = true, env = "ECOMMERCE_PASSWORD_HASHERS")]
    pub password_hashers: Option<usize>,
    /// Argon2id hashes that may wait [default: 64 per hasher].
    #[arg(long, global = true, env = "ECOMMERCE_PASSWORD_QUEUE")]
    pub password_queue: Option<usize>,
    /// The longest an Argon2id hash waits for its turn, in milliseconds [default: 2000].
    #[arg(long, global = true, env = "ECOMMERCE_PASSWORD_QUEUE_WAIT_MS")]
    pub password_queue_wait_ms: Option<u64>,
    /// Open client connections at most [default: 4096].
    #[arg(long, global = true, env = "ECOMMERCE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// The longest a client may take to send its request headers, in seconds [default: 10].
    #[arg(long, global = true, env = "ECOMMERCE_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// Queries waiting for X-Min-Position at once [default: 1024].
    #[arg(long, global = true, env = "ECOMMERCE_MAX_POSITION_WAITS")]
    pub max_position_waits: Option<usize>,
    /// This process's name in leases: stable across restarts, unique among running
    /// processes [default: HOST-MODE-<data folder tag>].
    #[arg(long, global = true, env = "ECOMMERCE_INSTANCE")]
    pub instance: Option<String>,
    /// How long a projector's or the checkout's lease lasts without renewal, in seconds; a
    /// standby takes over a dead worker's within it [default: 10].
    #[arg(long, global = true, env = "ECOMMERCE_LEASE_TTL_SECS")]
    pub lease_ttl_secs: Option<u64>,
}

/// One service of the shop, run alone (split mode). Every mode needs ECOMMERCE_JWT_SECRET,
/// shared by all processes of the shop, and serves /health/live, /health/ready (the stores it
/// uses) and /metrics on its own --addr.
#[derive(Debug, Subcommand)]
pub enum ServeMode {
    /// The command routes of some domains: no projector, no checkout worker.
    Commands {
        /// Comma-separated: products, users (with sign-in), carts, orders, payments,
        /// shipments [default: all].
        #[arg(long, value_delimiter = ',')]
        domains: Vec<command_services::app::Domain>,
    },
    /// The GET routes of some read models, and the projection operations: it reads what
    /// projectors elsewhere keep, and runs none.
    Query {
        /// Comma-separated: catalog, carts, orders, payments, shipments, users, reporting,
        /// audit [default: all].
        #[arg(long, value_delimiter = ',')]
        models: Vec<query_api::Model>,
    },
    /// Projector workers only.
    Projector {
        /// Comma-separated projection names (see `ecommerce projections status`)
        /// [default: all].
        #[arg(long, value_delimiter = ',')]
        projections: Vec<String>,
    },
    /// The checkout process only.
    Checkout,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a new admin account. The password is read from ECOMMERCE_ADMIN_PASSWORD, or else
    /// from standard input; never from an argument. An existing account is refused (unless it
    /// is already an admin with that very password): promote one with `grant-role`.
    CreateAdmin {
        /// The admin's email.
        #[arg(long)]
        email: String,
    },
    /// Give an existing account a role (admin, auditor, customer). Recorded in the log with
    /// who did it.
    GrantRole {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// The role to add.
        #[arg(long)]
        role: String,
        /// Who grants it, for the log [default: operator:$USER].
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Events, streams, head position and size.
    Stats {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print events as JSON lines, from the global log or from one stream.
    Read {
        /// Only this stream (such as `order-<uuid>`); `--from` is then a stream version.
        #[arg(long)]
        stream: Option<String>,
        /// First global position (or stream version) to print.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Print at most this many events.
        #[arg(long)]
        limit: Option<usize>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Each projection's version, position, the head of the log, lag and state.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Build the next version of a projection beside the live one, then switch readers to
    /// it and drop the old one. An interrupted rebuild resumes where it stopped.
    Rebuild {
        /// The projection, such as `catalog` (see `status`).
        name: String,
    },
    /// Try a parked projection's event again (after a fix).
    Retry {
        /// The projection.
        name: String,
    },
    /// Skip the event a projection is parked at; the skip is recorded in the log.
    Skip {
        /// The projection.
        name: String,
        /// The parked event's position (see `status`).
        position: u64,
        /// Why it is skipped (recorded with the skip).
        #[arg(long)]
        reason: String,
        /// Who skips it [default: operator:$USER].
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// An order's events (with its payment's, its shipment's and its stock reservations'), in
    /// log order, then its state replayed from the log.
    Order {
        /// The order id.
        id: String,
        /// The state as of this time (RFC 3339, such as 2026-11-29T10:00:00Z), after the events
        /// recorded until then.
        #[arg(long, conflicts_with = "version")]
        at: Option<String>,
        /// The state right after this version of the order stream, after the events until then.
        #[arg(long)]
        version: Option<u64>,
        /// Print one JSON object (`events`, `state`) instead of tables.
        #[arg(long)]
        json: bool,
    },
}
