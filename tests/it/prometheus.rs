//! Prometheus side of operations: a live `/metrics` scrape passes `promtool check metrics`
//! and carries the documented families with bounded labels, and the alert rules in
//! `deploy/prometheus/` pass `promtool check rules` and their unit tests. promtool comes
//! from Debian's `prometheus` package (`.ci/run` installs it).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::{databases, event, review, spawn_app};

/// The promtool binary (`PROMTOOL` overrides the one on PATH).
pub fn promtool() -> String {
    std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".into())
}

fn run_promtool(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new(promtool())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (apt-get install prometheus) is needed for the metrics tests");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn alert_rules_pass_promtool_check_and_their_unit_tests() {
    let (ok, out) = run_promtool(&["check", "rules", "deploy/prometheus/rules.yml"], None);
    assert!(ok, "{out}");
    let (ok, out) = run_promtool(&["test", "rules", "deploy/prometheus/rules_test.yml"], None);
    assert!(ok, "{out}");
}

#[actix_web::test]
async fn live_scrape_passes_promtool_with_bounded_labels() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let (s, _) = app
            .post(
                "/api/v1/events",
                &app.site_key,
                &json!({"events": [event(1), event(2)]}),
            )
            .await;
        assert_eq!(s, 200);
        let (s, _) = app
            .post(
                "/api/v1/reviews",
                &app.site_key,
                &json!({"reviews": [review(1, 1)]}),
            )
            .await;
        assert_eq!(s, 200);
        // A method outside the standard set, on a real route.
        let odd = reqwest::Method::from_bytes(b"PROPFIND").unwrap();
        let res = app
            .client
            .request(odd, format!("{}/api/v1/sites", app.base))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error());
        let text = app
            .client
            .get(format!("{}/metrics", app.base))
            .bearer_auth("metrics-secret")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (ok, out) = run_promtool(&["check", "metrics"], Some(&text));
        assert!(ok, "{}: promtool check metrics: {out}\n{text}", db.label);
        for want in [
            r#"vigil_ingest_items_total{kind="events",outcome="accepted",site="site-a"} 2"#,
            r#"vigil_ingest_items_total{kind="reviews",outcome="accepted",site="site-a"} 1"#,
            r#"vigil_db_pool_max_connections 4"#,
            r#"vigil_db_pool_connections{state="idle"}"#,
            r#"vigil_db_pool_connections{state="in_use"}"#,
            r#"method="other""#,
            r#"route="/api/v1/events""#,
            r#"vigil_site_last_contact_timestamp_seconds{site="site-a"}"#,
            r#"vigil_reviews_stored{outcome="edited"} 1"#,
            r#"vigil_outbox_oldest_pending_age_seconds 0"#,
            r#"vigil_evaluation_oldest_queued_age_seconds 0"#,
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
        ] {
            assert!(text.contains(want), "{}: missing {want}\n{text}", db.label);
        }
        assert!(
            !text.contains(r#"state="max""#),
            "the pool limit is its own gauge"
        );
        assert!(
            !text.contains(r#"vigil_site_last_contact_timestamp_seconds{site="site-b"}"#),
            "a site that never reported has no last-contact series"
        );
        assert!(
            !text.contains("00000000-0000-4000-8000") && !text.contains("PROPFIND"),
            "no ids and no free-form methods in labels"
        );
    }
}
