//! Process behaviour a newcomer meets in the first hour: `migrate` lists what it applied, a
//! first start on a fresh SQLite file logs no ERROR, SIGINT stops the server gracefully with
//! "stopped" as the last line, an unreachable database fails with its address and the likely
//! cause, `public_url` defaults to the address bound, and a refused `/metrics` names the
//! setting that opens it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;

use vigil::app::Application;
use vigil::config::Secret;
use vigil::service::{Clock, SystemClock};

use crate::cli::vigil;
use crate::support::{databases, settings_for, sqlite_db};

#[test]
fn migrate_lists_the_migrations_it_applied() {
    for db in databases() {
        let first = vigil(&db, &["migrate"]);
        let text = String::from_utf8_lossy(&first.stdout).into_owned();
        assert!(first.status.success(), "{}", db.label);
        // The folder names under migrations/, as a person finds them there.
        let folders = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>();
        assert!(folders.len() >= 8);
        for folder in &folders {
            assert!(
                text.contains(&format!("  {folder}\n")),
                "{folder} in {text}"
            );
        }
        assert!(text.starts_with(&format!("applied {} migration(s):", folders.len())));
        let again = vigil(&db, &["migrate"]);
        assert_eq!(
            String::from_utf8_lossy(&again.stdout),
            "database is up to date: no pending migrations\n"
        );
    }
}

/// Start `vigil serve` on a fresh SQLite file and port 0, wait until it serves, send SIGINT.
#[test]
fn first_start_logs_no_error_and_sigint_stops_gracefully() {
    let db = sqlite_db();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &db.url)
        .env("VIGIL_LOG_FORMAT", "json")
        .env("VIGIL_EVALUATION_INTERVAL_S", "0")
        .env_remove("VIGIL_CONFIG")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("vigil serving") {
            break;
        }
    }
    let serving: serde_json::Value = serde_json::from_str(seen.last().unwrap()).unwrap();
    let public_url = serving["public_url"].as_str().unwrap().to_string();
    let port = public_url.rsplit(':').next().unwrap();
    assert!(
        public_url.starts_with("http://127.0.0.1:") && port != "0",
        "{public_url}"
    );
    // The server answers at the URL it will put into e-mails. The whole exchange ends before
    // SIGINT: a connection still waiting in the accept queue during shutdown makes actix log
    // "No workers" at ERROR, a race of the test, not of a first start.
    let mut health = std::net::TcpStream::connect(public_url.trim_start_matches("http://"))
        .unwrap_or_else(|e| panic!("{public_url}: {e}"));
    health
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    health.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 200"), "{public_url}: {answer}");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    seen.extend(lines.map(|l| l.unwrap()));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{seen:#?}");
    let levels: Vec<serde_json::Value> = seen
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        levels.iter().all(|l| l["level"] != "ERROR"),
        "no ERROR on a first start: {seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.contains("SIGINT") && l.contains("finishing in-flight requests")),
        "{seen:#?}"
    );
    assert!(seen.last().unwrap().contains("vigil stopped"), "{seen:#?}");
}

#[test]
fn an_unreachable_database_is_named_with_the_likely_cause() {
    // A port nothing listens on: bind one, then close it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("migrate")
        .env(
            "DATABASE_URL",
            format!("postgres://vigil:s3cret@127.0.0.1:{port}/vigil"),
        )
        .env_remove("VIGIL_CONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(&format!("postgres://127.0.0.1:{port}/vigil")),
        "{err}"
    );
    assert!(err.contains("is it running"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    if let Ok(base) = std::env::var("TEST_DATABASE_URL") {
        // The server answers, but the database does not exist.
        let server = base.split('?').next().unwrap().rsplit_once('/').unwrap().0;
        let missing = format!("{server}/vigil_missing_{}", uuid::Uuid::new_v4().simple());
        let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("migrate")
            .env("DATABASE_URL", &missing)
            .env_remove("VIGIL_CONFIG")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("no such database"), "{err}");
    }
}

#[actix_web::test]
async fn public_url_defaults_to_the_bound_address_and_metrics_401_names_the_setting() {
    for db in databases() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut settings = settings_for(&db);
        settings.public_url = String::new();
        settings.metrics_token = Secret::default();
        let app =
            Application::build_with(settings, listener, Arc::new(SystemClock) as Arc<dyn Clock>)
                .unwrap();
        assert_eq!(
            app.state.settings.public_url,
            format!("http://127.0.0.1:{port}")
        );
        let handle = app.handle.clone();
        actix_web::rt::spawn(app.server);
        let res = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("metrics_token") && message.contains("metrics_open"),
            "{message}"
        );
        handle.stop(false).await;
    }
}
