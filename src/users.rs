//! `ecommerce users create-admin` and `ecommerce users grant-role`.

use anyhow::{Context, Result, anyhow, bail};
use command_services::AppState;
use command_services::admin::{
    AdminOutcome, GrantOutcome, create_admin as create, grant_role as grant,
};
use domain::values::Role;
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

async fn state(settings: &Settings) -> Result<AppState> {
    let store = ecommerce::stores::events(settings, true).await?;
    let secret =
        jwt_secret(settings.jwt_secret.clone(), &settings.data_dir).map_err(|e| anyhow!(e))?;
    Ok(AppState::new(
        store,
        Tokens::new(&secret, settings.token_ttl).map_err(|e| anyhow!(e))?,
    ))
}

pub async fn create_admin(settings: Settings, email: &str) -> Result<()> {
    let password = password()?;
    let state = state(&settings).await?;
    let outcome = create(&state, email, &password)
        .await
        .map_err(|e| anyhow!("cannot create the admin: {e}"))?;
    match outcome {
        AdminOutcome::Created(id) => println!("created admin {email} ({id})"),
        AdminOutcome::AlreadyAdmin(id) => {
            println!("{email} ({id}) is already an admin with this password")
        }
        AdminOutcome::Exists(id) => bail!(
            "an account with the email {email} already exists ({id}); create-admin only \
             creates new accounts and left it unchanged. If you trust that account, promote \
             it with `ecommerce users grant-role --email {email} --role admin`"
        ),
    }
    Ok(())
}

pub async fn grant_role(
    settings: Settings,
    email: &str,
    role: &str,
    by: Option<String>,
) -> Result<()> {
    let role: Role = role
        .parse()
        .map_err(|e| anyhow!("--role: {e} (admin, auditor or customer)"))?;
    let who = by.unwrap_or_else(|| {
        format!(
            "operator:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        )
    });
    let state = state(&settings).await?;
    match grant(&state, email, role, &who)
        .await
        .map_err(|e| anyhow!("cannot grant the role: {e}"))?
    {
        GrantOutcome::Granted(id, outcome) => println!(
            "{email} ({id}) now holds the {} role (log position {}, by {who})",
            role.as_str(),
            outcome.position
        ),
        GrantOutcome::AlreadyHeld(id) => {
            println!("{email} ({id}) already holds the {} role", role.as_str())
        }
    }
    Ok(())
}
