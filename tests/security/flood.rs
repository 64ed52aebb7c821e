//! A flood of anonymous sign-ins against the real binary: each Argon2id check holds about
//! 19 MiB, so unbounded they took the server from 25 MB to 4 GB. The peak resident memory
//! (`VmHWM` in `/proc/PID/status`) must stay under 300 MB, and every answer must be a
//! refusal the client can act on.

use crate::binary::Server;
use serde_json::json;

/// The most a login flood may take the server to, in KiB.
const PEAK_KIB: u64 = 300 * 1024;

/// A field of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_wrong_logins_stay_under_300_mb() {
    let dir = tempfile::tempdir().unwrap();
    // The rate limits are off here, so that every request reaches the hashing pool: this is
    // the bound on the hashes themselves.
    let server = Server::start(
        dir.path(),
        &dir.path().join("serve.log"),
        &[
            ("ECOMMERCE_AUTH_RATE_PER_ADDRESS", "0"),
            ("ECOMMERCE_AUTH_RATE_PER_ACCOUNT", "0"),
            ("ECOMMERCE_LOGIN_LOCKOUT_AFTER", "0"),
            // Two hashers whatever the machine: the bound is per hasher.
            ("ECOMMERCE_PASSWORD_HASHERS", "2"),
        ],
    );
    server
        .register("ann@example.com", "ann's own password")
        .await;
    let pid = server.child.id();
    let client = reqwest::Client::new();
    let logins = (0..200).map(|n| {
        let client = client.clone();
        let url = format!("{}/api/auth/login", server.base);
        // Half for a known account, half for unknown ones (checked against a decoy hash).
        let email = if n % 2 == 0 {
            "ann@example.com".to_owned()
        } else {
            format!("nobody{n}@example.com")
        };
        async move {
            let answer = client
                .post(url)
                .json(&json!({"email": email, "password": format!("wrong guess {n}")}))
                .send()
                .await
                .unwrap();
            let retry = answer.headers().contains_key("retry-after");
            (answer.status().as_u16(), retry)
        }
    });
    let answers = futures_util::future::join_all(logins).await;
    let peak = status_kib(pid, "VmHWM:");
    let mut counts = std::collections::BTreeMap::new();
    for (status, retry) in &answers {
        *counts.entry(*status).or_insert(0) += 1;
        assert!(
            *status == 401 || (*status == 503 && *retry),
            "{status} (Retry-After: {retry})"
        );
    }
    assert!(counts.contains_key(&401), "{counts:?}");
    assert!(
        peak < PEAK_KIB,
        "peak RSS {} MiB during the flood ({counts:?})",
        peak / 1024
    );
    // Still serving, and signs in the right password.
    assert_eq!(
        server
            .login("ann@example.com", "ann's own password")
            .await
            .0,
        200
    );
    server.stop();
}
