//! The optional HTTPS listener with self-signed certificates (rcgen): it serves the
//! configured certificate, picks up a renewed one on SIGHUP without a restart, refuses to
//! start on a certificate file it cannot read (naming the setting), and every response
//! carries the security headers; CORS answers only configured origins.

use std::net::SocketAddr;
use std::path::Path;

use crate::support::{databases, settings_for, spawn_app_with, sqlite_db};

struct Pair {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn self_signed() -> Pair {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    Pair {
        cert_pem: ck.cert.pem(),
        key_pem: ck.key_pair.serialize_pem(),
        der: ck.cert.der().to_vec(),
    }
}

fn install(dir: &Path, p: &Pair) {
    std::fs::write(dir.join("cert.pem"), &p.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &p.key_pem).unwrap();
}

/// A new client (no pooled connection, no cached TLS session to resume) that trusts both
/// certificates, so its first request shows which certificate the server presents now.
fn client(port: u16, trust: &[&Pair]) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)));
    for p in trust {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(p.cert_pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

async fn presented(c: &reqwest::Client, port: u16) -> (Vec<u8>, reqwest::header::HeaderMap) {
    let res = c
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let info = res.extensions().get::<reqwest::tls::TlsInfo>().unwrap();
    (
        info.peer_certificate().unwrap().to_vec(),
        res.headers().clone(),
    )
}

#[actix_web::test]
async fn https_serves_the_certificate_and_reloads_it_on_sighup() {
    let db = sqlite_db();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (self_signed(), self_signed());
    install(dir.path(), &a);
    let mut settings = settings_for(&db);
    settings.tls_cert_path = dir.path().join("cert.pem").display().to_string();
    settings.tls_key_path = dir.path().join("key.pem").display().to_string();
    let app = spawn_app_with(&db, settings).await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let (der, headers) = presented(&client(port, &[&a, &b]), port).await;
    assert_eq!(der, a.der);
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));

    install(dir.path(), &b);
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut now = vec![];
    for _ in 0..200 {
        now = presented(&client(port, &[&a, &b]), port).await.0;
        if now == b.der {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(now, b.der, "the renewed certificate is served after SIGHUP");
}

#[actix_web::test]
async fn unreadable_certificate_stops_start_up_naming_the_setting() {
    let db = sqlite_db();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.pem"), self_signed().key_pem).unwrap();
    let mut settings = settings_for(&db);
    settings.tls_cert_path = dir.path().join("missing.pem").display().to_string();
    settings.tls_key_path = dir.path().join("key.pem").display().to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let clock = std::sync::Arc::new(vigil::service::SystemClock);
    let err = vigil::app::Application::build_with(settings, listener, clock)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("tls_cert_path"), "{err}");
}

#[actix_web::test]
async fn security_headers_always_and_cors_only_for_configured_origins() {
    for db in databases() {
        let plain = crate::support::spawn_app(&db).await;
        let res = plain
            .client
            .get(format!("{}/healthz", plain.base))
            .header("Origin", "https://console.example.org")
            .send()
            .await
            .unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS on plain HTTP"
        );
        assert!(
            !h.contains_key("access-control-allow-origin"),
            "CORS off by default"
        );

        // A fresh database: the helper seeds the same sites again.
        let db2 = match std::env::var("TEST_DATABASE_URL") {
            Ok(base) if db.label == "postgres" => crate::support::postgres_db(&base),
            _ => sqlite_db(),
        };
        let mut settings = settings_for(&db2);
        settings.cors_allowed_origins = vec!["https://console.example.org".into()];
        let app = spawn_app_with(&db2, settings).await;
        let preflight = app
            .client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/v1/alerts", app.base),
            )
            .header("Origin", "https://console.example.org")
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{}", preflight.status());
        assert_eq!(
            preflight.headers()["access-control-allow-origin"],
            "https://console.example.org"
        );
        let other = app
            .client
            .get(format!("{}/healthz", app.base))
            .header("Origin", "https://elsewhere.example")
            .send()
            .await
            .unwrap();
        assert!(!other.headers().contains_key("access-control-allow-origin"));
    }
}
