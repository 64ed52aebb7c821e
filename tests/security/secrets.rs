//! After a scripted run of the real binary (registration, sign-in, a password change and a
//! checkout, with `Idempotency-Key`s, logging at debug level), no stored file and no log line
//! holds a password, a fast hash that would test a password guess (SHA-256 of the password,
//! of the body, or the plain request hash the log used to keep), or an access token. The
//! data folder is the owner's only.

use crate::binary::Server;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

const ADMIN_PASSWORD: &str = "admin's own password";
const FIRST: &str = "ann's first password";
const SECOND: &str = "ann's second password";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The plain request hash keyed commands used to store: SHA-256(method ‖ path ‖ SHA-256(body)).
fn plain_request_hash(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(Sha256::digest(body));
    hasher.finalize().to_vec()
}

/// Sends raw JSON bytes; returns the status and the answer.
async fn raw(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: &[u8],
    key: &str,
) -> (u16, Value) {
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.base))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_vec());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Every byte pattern that must appear nowhere, with what it is.
struct Needles(Vec<(String, Vec<u8>)>);

impl Needles {
    fn add(&mut self, what: &str, bytes: &[u8]) {
        self.0.push((what.to_owned(), bytes.to_vec()));
    }

    /// A secret as text, and a digest both raw and in hex.
    fn digest(&mut self, what: &str, digest: &[u8]) {
        self.add(&format!("{what} (raw)"), digest);
        self.add(&format!("{what} (hex)"), hex(digest).as_bytes());
    }

    fn assert_absent(&self, file: &Path) {
        let content = std::fs::read(file).unwrap();
        for (what, needle) in &self.0 {
            assert!(
                !content
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice()),
                "{} holds {what}",
                file.display()
            );
        }
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stored_file_or_log_holds_a_password_a_fast_hash_of_one_or_a_token() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let log = root.path().join("serve.log");
    let server = Server::start(
        &data,
        &log,
        &[
            ("ECOMMERCE_ADMIN_EMAIL", "admin@example.com"),
            ("ECOMMERCE_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("RUST_LOG", "debug"),
        ],
    );
    let mut needles = Needles(Vec::new());
    let (_, admin) = server.login("admin@example.com", ADMIN_PASSWORD).await;
    let admin = admin.unwrap();

    let register = serde_json::to_vec(
        &json!({"email": "ann@example.com", "password": FIRST, "name": "Ann Lee"}),
    )
    .unwrap();
    let (status, _) = raw(
        &server,
        reqwest::Method::POST,
        "/api/users",
        None,
        &register,
        "reg-1",
    )
    .await;
    assert_eq!(status, 201);
    let (_, first_token) = server.login("ann@example.com", FIRST).await;
    let first_token = first_token.unwrap();
    let change =
        serde_json::to_vec(&json!({"password": {"current": FIRST, "new": SECOND}})).unwrap();
    let (status, body) = raw(
        &server,
        reqwest::Method::PATCH,
        "/api/users/me",
        Some(&first_token),
        &change,
        "pw-1",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, ann) = server.login("ann@example.com", SECOND).await;
    let ann = ann.unwrap();

    let sku = json!({"sku": "MUG-1", "name": "Mug", "category": "kitchen",
                     "price": {"amount": 1299, "currency": "EUR"}, "initial_stock": 5});
    let (_, product) = server.post("/api/products", Some(&admin), sku).await;
    let (_, cart) = server.post("/api/carts", Some(&ann), json!({})).await;
    let cart = cart["id"].as_str().unwrap().to_owned();
    let item = json!({"product_id": product["id"], "quantity": 1});
    server
        .post(&format!("/api/carts/{cart}/items"), Some(&ann), item)
        .await;
    let checkout = serde_json::to_vec(&json!({
        "shipping_address": {"name": "Ann Lee", "line1": "Main St 1", "city": "Berlin",
                             "postal_code": "10115", "country": "DE"},
        "payment_method": "pm_card_ok"}))
    .unwrap();
    let path = format!("/api/carts/{cart}/checkout");
    let (status, order) = raw(
        &server,
        reqwest::Method::POST,
        &path,
        Some(&ann),
        &checkout,
        "co-1",
    )
    .await;
    assert_eq!(status, 202, "{order}");
    let order = order["order_id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, view) = server
            .send(
                reqwest::Method::GET,
                &format!("/api/orders/{order}"),
                Some(&ann),
                None,
                &[],
            )
            .await;
        if view["status"] == "paid" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never paid: {view}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.stop();

    for (what, password) in [
        ("the admin password", ADMIN_PASSWORD),
        ("ann's first password", FIRST),
        ("ann's second password", SECOND),
    ] {
        needles.add(what, password.as_bytes());
        needles.digest(
            &format!("SHA-256 of {what}"),
            &Sha256::digest(password.as_bytes()),
        );
    }
    for (what, method, path, body) in [
        ("the registration", "POST", "/api/users", &register),
        ("the password change", "PATCH", "/api/users/me", &change),
    ] {
        needles.digest(&format!("SHA-256 of {what}'s body"), &Sha256::digest(body));
        needles.digest(
            &format!("the plain request hash of {what}"),
            &plain_request_hash(method, path, body),
        );
    }
    for (what, token) in [
        ("the admin's token", &admin),
        ("ann's first token", &first_token),
        ("ann's token", &ann),
    ] {
        needles.add(what, token.as_bytes());
        // The signature alone would be enough to replay nothing, but nothing of it belongs
        // in a file either.
        needles.add(
            &format!("{what}'s signature"),
            token.rsplit('.').next().unwrap().as_bytes(),
        );
    }

    let mut scanned = 0;
    for entry in std::fs::read_dir(&data).unwrap() {
        let file = entry.unwrap().path();
        needles.assert_absent(&file);
        #[cfg(unix)]
        assert_eq!(mode(&file), 0o600, "{} is not owner-only", file.display());
        scanned += 1;
    }
    assert!(
        scanned >= 4,
        "events.db, read.db, their WALs, jwt-secret: {scanned}"
    );
    needles.assert_absent(&log);
    assert!(
        std::fs::metadata(&log).unwrap().len() > 0,
        "the log is empty"
    );
    #[cfg(unix)]
    assert_eq!(mode(&data), 0o700, "the data folder is not owner-only");
}
