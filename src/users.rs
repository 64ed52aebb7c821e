//! `ecommerce users create-admin`.

use anyhow::{Context, Result, anyhow};
use command_services::AppState;
use command_services::admin::{AdminOutcome, ensure_admin};
use infra::auth::{Tokens, jwt_secret};
use infra::config::Settings;
use std::io::BufRead;

/// The admin's password: `ECOMMERCE_ADMIN_PASSWORD`, or the first line of standard input.
fn password() -> Result<String> {
    if let Ok(password) = std::env::var("ECOMMERCE_ADMIN_PASSWORD")
        && !password.is_empty()
    {
        return Ok(password);
    }
    eprintln!("password (from standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(anyhow!(
            "no password: set ECOMMERCE_ADMIN_PASSWORD or pipe it in"
        ));
    }
    Ok(password)
}

pub async fn create_admin(settings: Settings, email: &str) -> Result<()> {
    let password = password()?;
    let store = ecommerce::stores::events(&settings, true).await?;
    let secret =
        jwt_secret(settings.jwt_secret.clone(), &settings.data_dir).map_err(|e| anyhow!(e))?;
    let state = AppState::new(
        store,
        Tokens::new(&secret, settings.token_ttl).map_err(|e| anyhow!(e))?,
    );
    let outcome = ensure_admin(&state, email, &password)
        .await
        .map_err(|e| anyhow!("cannot create the admin: {e}"))?;
    match outcome {
        AdminOutcome::Created(id) => println!("created admin {email} ({id})"),
        AdminOutcome::Promoted(id) => println!("{email} ({id}) is now an admin"),
        AdminOutcome::AlreadyAdmin(id) => println!("{email} ({id}) is already an admin"),
    }
    Ok(())
}
