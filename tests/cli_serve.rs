//! `ecommerce serve` and `ecommerce users create-admin` as a user runs them.

// A failed step aborts the test with its message; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn ecommerce(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecommerce"));
    command
        .env("ECOMMERCE_DATA_DIR", data_dir)
        .env_remove("ECOMMERCE_ADMIN_PASSWORD")
        .env_remove("ECOMMERCE_ADMIN_EMAIL")
        .env_remove("ECOMMERCE_JWT_SECRET")
        .env("ECOMMERCE_DURABILITY", "normal");
    command
}

/// Starts `serve` on a free port; returns the child and its base URL.
fn serve(data_dir: &Path, envs: &[(&str, &str)]) -> (Child, String) {
    let mut child = ecommerce(data_dir)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, base)
}

async fn login(base: &str, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_the_admin_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ecommerce(dir.path())
        .args(["users", "create-admin", "--email", "Boss@Example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long admin password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("created admin"));
    // Running it again with the same password is harmless; with another it is refused.
    let again = ecommerce(dir.path())
        .args(["users", "create-admin", "--email", "boss@example.com"])
        .env("ECOMMERCE_ADMIN_PASSWORD", "a long admin password")
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already an admin"));
    let other = ecommerce(dir.path())
        .args(["users", "create-admin", "--email", "boss@example.com"])
        .env("ECOMMERCE_ADMIN_PASSWORD", "another admin password")
        .output()
        .unwrap();
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("already exists"));

    let (mut server, base) = serve(dir.path(), &[]);
    let answer = login(&base, "boss@example.com", "a long admin password").await;
    assert_eq!(answer.status(), 200);
    let token: Value = answer.json().await.unwrap();
    let roles = reqwest::Client::new()
        .post(format!("{base}/api/products"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .json(&json!({"sku": "A-1", "name": "A", "category": "c",
                      "price": {"amount": 1, "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(roles.status(), 201);
    assert!(terminate(&mut server).success());
}

#[test]
fn create_admin_without_a_password_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = ecommerce(dir.path())
        .args(["users", "create-admin", "--email", "boss@example.com"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no password"));
    let short = ecommerce(dir.path())
        .args(["users", "create-admin", "--email", "boss@example.com"])
        .env("ECOMMERCE_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    let stats = ecommerce(dir.path())
        .args(["log", "stats", "--json"])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["events"], 0);
}

#[tokio::test]
async fn serve_creates_the_configured_admin_keeps_a_private_secret_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let admin = [
        ("ECOMMERCE_ADMIN_EMAIL", "admin@example.com"),
        ("ECOMMERCE_ADMIN_PASSWORD", "admin password 1"),
    ];
    let (mut server, base) = serve(dir.path(), &admin);
    assert_eq!(
        login(&base, "admin@example.com", "admin password 1")
            .await
            .status(),
        200
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let secret = std::fs::metadata(dir.path().join("jwt-secret")).unwrap();
        assert_eq!(secret.permissions().mode() & 0o777, 0o600);
    }
    // A registration in flight when SIGTERM arrives still completes: its headers and half of
    // its body are sent before the signal, the rest after.
    let body = br#"{"email": "late@example.com", "password": "late password", "name": "Late"}"#;
    let host = base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&host).unwrap();
    write!(
        stream,
        "POST /api/users HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..20]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(&body[20..]).unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = server.wait().unwrap();
    assert!(status.success(), "serve exited with {status}");
}

#[test]
fn a_bad_setting_is_a_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = ecommerce(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("ECOMMERCE_JWT_SECRET", "too short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 32 bytes"));
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "adress = \"x\"\n").unwrap();
    let output = ecommerce(dir.path())
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("adress"));
}
