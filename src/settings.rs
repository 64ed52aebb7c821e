//! From the command line and the environment to [`Settings`]: flags and variables form the
//! top layer, over the optional file, over the defaults.

use crate::cli::{Global, ServeArgs};
use anyhow::{Context, Result, anyhow};
use infra::auth::Secret;
use infra::config::{Layer, Settings};

fn secret(variable: &str) -> Option<Secret> {
    std::env::var(variable)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

/// The layer every subcommand shares.
pub fn global_layer(global: &Global) -> Layer {
    Layer {
        data_dir: global.data_dir.clone(),
        event_store: global.event_store.clone(),
        read_store: global.read_store.clone(),
        mongodb_field_only_indexes: global.mongodb_field_only_indexes,
        jwt_secret: secret("ECOMMERCE_JWT_SECRET"),
        ..Layer::default()
    }
}

/// Settings for a subcommand that only needs the shared options.
pub fn load(global: &Global) -> Result<Settings> {
    Settings::load(global.config.as_deref(), global_layer(global)).map_err(|e| anyhow!(e))
}

/// Settings for `serve`.
pub fn load_serve(global: &Global, args: &ServeArgs) -> Result<Settings> {
    let layer = Layer {
        addr: args.addr,
        token_ttl_secs: args.token_ttl_secs,
        body_limit_bytes: args.body_limit_bytes,
        request_timeout_secs: args.request_timeout_secs,
        log_format: args
            .log_format
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: String| anyhow!(e))
            .context("--log-format")?,
        durability: args
            .durability
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: String| anyhow!(e))
            .context("--durability")?,
        min_position_wait_ms: args.min_position_wait_ms,
        payment_timeout: args.payment_timeout,
        payment_retries: args.payment_retries,
        payment_retry_backoff_ms: args.payment_retry_backoff_ms,
        admin_email: args.admin_email.clone(),
        admin_password: secret("ECOMMERCE_ADMIN_PASSWORD"),
        auth_rate_per_address: args.auth_rate_per_address,
        auth_rate_per_account: args.auth_rate_per_account,
        login_lockout_after: args.login_lockout_after,
        login_lockout_max_secs: args.login_lockout_max_secs,
        client_ip_header: args.client_ip_header.clone(),
        password_hashers: args.password_hashers,
        password_queue: args.password_queue,
        password_queue_wait_ms: args.password_queue_wait_ms,
        max_connections: args.max_connections,
        header_read_timeout_secs: args.header_read_timeout_secs,
        max_position_waits: args.max_position_waits,
        instance: args.instance.clone(),
        lease_ttl_secs: args.lease_ttl_secs,
        ..global_layer(global)
    };
    Settings::load(global.config.as_deref(), layer).map_err(|e| anyhow!(e))
}
