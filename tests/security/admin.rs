//! The first admin: creating one never elevates an account someone else registered, start-up
//! never grants a role, and promoting an account is an explicit, recorded operator step.

use crate::binary::{Server, run};
use serde_json::{Value, json};

const OPERATOR: &str = "the operator's own password";
const ATTACKER: &str = "the attacker's password";

/// The user events of `id`, as `log read` prints them.
fn user_events(dir: &std::path::Path, id: &str) -> Vec<Value> {
    let stream = format!("user-{id}");
    let output = run(dir, &["log", "read", "--stream", &stream], &[]);
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn create_admin_refuses_an_account_someone_else_registered() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let server = Server::start(dir.path(), &log, &[]);
    server.register("ops@example.com", ATTACKER).await;
    server.stop();

    let output = run(
        dir.path(),
        &["users", "create-admin", "--email", "ops@example.com"],
        &[("ECOMMERCE_ADMIN_PASSWORD", OPERATOR)],
    );
    assert!(!output.status.success(), "create-admin elevated it");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("already exists") && stderr.contains("grant-role"),
        "{stderr}"
    );

    let server = Server::start(dir.path(), &log, &[]);
    let (_, attacker) = server.login("ops@example.com", ATTACKER).await;
    assert_eq!(
        server.admin_status(&attacker.unwrap()).await,
        403,
        "the registrant is no admin"
    );
    assert_eq!(server.login("ops@example.com", OPERATOR).await.0, 401);
    server.stop();
}

#[tokio::test]
async fn serve_neither_elevates_an_existing_account_nor_re_grants_a_demoted_admin() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let configured = [
        ("ECOMMERCE_ADMIN_EMAIL", "boss@example.com"),
        ("ECOMMERCE_ADMIN_PASSWORD", OPERATOR),
    ];
    // Someone registers the configured admin's email before the first start.
    let server = Server::start(dir.path(), &log, &[]);
    let squatter = server.register("boss@example.com", ATTACKER).await;
    server.stop();
    let server = Server::start(dir.path(), &log, &configured);
    let (_, token) = server.login("boss@example.com", ATTACKER).await;
    assert_eq!(server.admin_status(&token.unwrap()).await, 403);
    assert_eq!(server.login("boss@example.com", OPERATOR).await.0, 401);
    server.stop();
    let warned = std::fs::read_to_string(&log).unwrap();
    assert!(
        warned.contains("left it unchanged") || warned.contains("left unchanged"),
        "{warned}"
    );
    assert!(
        user_events(dir.path(), &squatter)
            .iter()
            .all(|e| e["event_type"] != "UserRolesChanged"),
        "no role was granted"
    );

    // A configured admin that another admin demoted stays demoted across restarts.
    let other = tempfile::tempdir().unwrap();
    let log = other.path().join("serve.log");
    let server = Server::start(other.path(), &log, &configured);
    let (_, boss) = server.login("boss@example.com", OPERATOR).await;
    let boss = boss.unwrap();
    assert_eq!(
        server.admin_status(&boss).await,
        201,
        "the configured admin"
    );
    let ann = server
        .register("ann@example.com", "ann's own password")
        .await;
    server.stop();
    let granted = run(
        other.path(),
        &[
            "users",
            "grant-role",
            "--email",
            "ann@example.com",
            "--role",
            "admin",
        ],
        &[],
    );
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    let server = Server::start(other.path(), &log, &configured);
    let (_, ann_token) = server.login("ann@example.com", "ann's own password").await;
    let ann_token = ann_token.unwrap();
    let (_, me) = server
        .send(
            reqwest::Method::GET,
            "/api/users/me",
            Some(&boss),
            None,
            &[],
        )
        .await;
    let boss_id = me["id"].as_str().unwrap().to_owned();
    let demote = server
        .send(
            reqwest::Method::PUT,
            &format!("/api/users/{boss_id}/roles"),
            Some(&ann_token),
            Some(json!({"roles": ["customer"]})),
            &[],
        )
        .await;
    assert_eq!(demote.0, 200, "{}", demote.1);
    server.stop();
    let server = Server::start(other.path(), &log, &configured);
    let (_, boss) = server.login("boss@example.com", OPERATOR).await;
    assert_eq!(
        server.admin_status(&boss.unwrap()).await,
        403,
        "start-up re-granted admin to a demoted account"
    );
    server.stop();
    let _ = ann;
}

#[tokio::test]
async fn grant_role_promotes_an_existing_account_and_records_who_did_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let server = Server::start(dir.path(), &log, &[]);
    let id = server
        .register("audrey@example.com", "audrey's password")
        .await;
    server.stop();
    let bad_role = run(
        dir.path(),
        &[
            "users",
            "grant-role",
            "--email",
            "audrey@example.com",
            "--role",
            "root",
        ],
        &[],
    );
    assert!(!bad_role.status.success());
    let unknown = run(
        dir.path(),
        &[
            "users",
            "grant-role",
            "--email",
            "nobody@example.com",
            "--role",
            "auditor",
        ],
        &[],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account"));
    let granted = run(
        dir.path(),
        &[
            "users",
            "grant-role",
            "--email",
            "audrey@example.com",
            "--role",
            "auditor",
            "--by",
            "operator:alice",
        ],
        &[],
    );
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    let events = user_events(dir.path(), &id);
    let change = events
        .iter()
        .find(|e| e["event_type"] == "UserRolesChanged")
        .expect("a roles change in the log");
    assert_eq!(change["metadata"]["user_id"], "operator:alice");
    assert_eq!(change["payload"]["roles"], json!(["customer", "auditor"]));
    let again = run(
        dir.path(),
        &[
            "users",
            "grant-role",
            "--email",
            "audrey@example.com",
            "--role",
            "auditor",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("already holds"));
    assert_eq!(
        user_events(dir.path(), &id).len(),
        events.len(),
        "nothing appended"
    );
}
