//! README's examples as written: the first session's commands run through a shell with the
//! built `vigil` on PATH, then the server on the same database takes README's event and review
//! JSON with the printed site key and the example plans in `deploy/plans/` with the printed
//! user token; and the reference plan sets every key a plan has.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use vigil::app::Application;
use vigil::monitoring::plan::PmsPlan;
use vigil::service::{Clock, FixedClock};

use crate::support::{TestDb, databases, settings_for, test_now};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn readme() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap()
}

/// The code blocks of `lang` that follow the first line containing `marker`.
fn blocks_after(text: &str, marker: &str, lang: &str) -> Vec<String> {
    let rest = &text[text.find(marker).expect(marker)..];
    rest.split(&format!("```{lang}\n"))
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

/// Run README's first session up to `vigil serve` (which would not return) through bash, with
/// the test's `vigil` first on PATH; `cargo install` is what put it there.
fn first_session(db: &TestDb) -> String {
    let block = blocks_after(&readme(), "A first session", "sh").remove(0);
    let script: String = block
        .split("\nvigil serve")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("cargo install"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("vigil plan set"), "{script}");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_vigil")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(ROOT)
        .env("PATH", path)
        .env("DATABASE_URL", &db.url)
        .env_remove("VIGIL_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}: {stdout}\n{}",
        db.label,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn word_starting(text: &str, prefix: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("{prefix} in {text}"))
        .to_string()
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[actix_web::test]
async fn readme_first_session_event_review_and_plans_work_as_written() {
    for db in databases() {
        let printed = first_session(&db);
        let (site_key, token) = (
            word_starting(&printed, "vsk_"),
            word_starting(&printed, "vut_"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let clock = Arc::new(FixedClock::at(test_now())) as Arc<dyn Clock>;
        let app = Application::build_with(settings_for(&db), listener, clock).unwrap();
        let handle = app.handle.clone();
        actix_web::rt::spawn(app.server);
        let client = reqwest::Client::new();
        let examples = blocks_after(&readme(), "An event (a test posts", "json");
        let event: Value = serde_json::from_str(&examples[0]).unwrap();
        let review: Value = serde_json::from_str(&examples[1]).unwrap();
        for (path, body) in [
            ("/api/v1/events", json!({"events": [event]})),
            ("/api/v1/reviews", json!({"reviews": [review]})),
        ] {
            let req = client.post(format!("{base}{path}")).bearer_auth(&site_key);
            let (status, answer) = send(req.json(&body)).await;
            assert_eq!(status, 200, "{}: {path}: {answer}", db.label);
            assert_eq!(answer["accepted"], 1, "{path}");
        }
        // The session uploaded minimal.toml as version 1; reference.toml becomes version 2.
        let plan = std::fs::read_to_string(Path::new(ROOT).join("deploy/plans/reference.toml"));
        let req = client
            .put(format!("{base}/api/v1/models/liver-seg/plan"))
            .bearer_auth(&token)
            .header("content-type", "application/toml")
            .body(plan.unwrap());
        let (status, answer) = send(req).await;
        assert_eq!(status, 201, "{}: {answer}", db.label);
        assert_eq!(answer["plan"]["version"], 2);
        handle.stop(false).await;
    }
}

/// Key paths of a TOML value; array elements share one path, so the paths of an array of
/// tables are the union over its elements (each quality indicator has its own keys).
fn key_paths(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let path = format!("{prefix}.{k}");
                out.insert(path.clone());
                key_paths(v, &path, out);
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|v| key_paths(v, prefix, out)),
        _ => {}
    }
}

#[test]
fn the_reference_plan_sets_every_key() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("deploy/plans/reference.toml"));
    let text = text.unwrap();
    let declared = ["hu_mean", "vol_ml", "latency_ms", "scanner"].map(String::from);
    let plan = PmsPlan::parse(&text, &declared).unwrap();
    // Every key the parsed plan holds (defaults filled in) must be written in the file.
    let (mut written, mut known) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&toml::from_str(&text).unwrap(), "", &mut written);
    key_paths(&toml::Value::try_from(&plan).unwrap(), "", &mut known);
    assert_eq!(written, known);
    let minimal = std::fs::read_to_string(Path::new(ROOT).join("deploy/plans/minimal.toml"));
    PmsPlan::parse(&minimal.unwrap(), &declared).unwrap();
}
