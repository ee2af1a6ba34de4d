//! Art. 88 trend reporting through the API on both backends: a plan with a `[trend]` section is
//! uploaded (versioned like the rest of the plan), a week of reviews with far more rejections
//! than the declared rate is posted, and the trend evaluation opens the class's alert and drafts
//! one trend report whose JSON carries the signal and its provenance and whose `mtrType` XML
//! validates against the EUDAMED DTX schema with xmllint; evaluating the same day again drafts
//! nothing new, an in-control class drafts nothing, and a plan without the section is refused.

use serde_json::{Value, json};

use vigil::service::FixedClock;
use vigil::service::evaluation::{EvaluatorEnv, run_queued};

use crate::support::{TestApp, databases, event, review, settings_for, spawn_app_with, test_now};

/// The liver-seg plan with a `[trend]` section of two classes (also behind `trend_pdf.rs`).
pub(crate) const PLAN: &str = r#"model = "liver-seg"

[trend]
observation_days = 7
method = "binomial"
alpha = 0.05
min_events = 3
denominator = "reviews"

[[trend.classes]]
name = "rejected_contours"
imdrf_codes = ["A1103"]
counts = "review_outcome:rejected"
expected_rate = 0.02
rate_source = "validation study VS-12, table 4 (2.0 % rejected)"

[[trend.classes]]
name = "clinically_relevant_corrections"
imdrf_codes = ["A110303"]
counts = "review_severity:clinically_relevant"
expected_rate = 0.2
rate_source = "IFU claim 4.2"
"#;

async fn put_plan(app: &TestApp, text: &str) -> u16 {
    app.client
        .put(format!("{}/api/v1/models/liver-seg/plan", app.base))
        .bearer_auth(&app.quality)
        .header("content-type", "application/toml")
        .body(text.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// 7 days x 20 events, every event reviewed, 5 of 20 rejected each day (25 % against 2 %).
async fn post_week(app: &TestApp) {
    for day in 0..7u32 {
        let date = format!("2026-11-{:02}", 13 + day);
        let events: Vec<Value> = (0..20)
            .map(|i| {
                let mut e = event(day * 100 + i);
                e["occurred_at"] = json!(format!("{date}T08:30:00Z"));
                e
            })
            .collect();
        let (s, b) = app
            .post("/api/v1/events", &app.site_key, &json!({"events": events}))
            .await;
        assert_eq!(s, 200, "{b}");
        let reviews: Vec<Value> = (0..20)
            .map(|i| {
                let mut r = review(day * 100 + i, day * 100 + i);
                r["reviewed_at"] = json!(format!("{date}T10:00:00Z"));
                if i < 5 {
                    r["outcome"] = json!("rejected");
                }
                r
            })
            .collect();
        let (s, b) = app
            .post(
                "/api/v1/reviews",
                &app.site_key,
                &json!({"reviews": reviews}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

fn xmllint_mtr(xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mtr.xml");
    std::fs::write(&file, xml).unwrap();
    let schema = format!(
        "{}/tests/fixtures/eudamed/v1/vigilance-elements.xsd",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &schema])
        .arg(&file)
        .output()
        .expect("xmllint installed (apt package libxml2-utils)");
    assert!(
        out.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(&app.quality)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[actix_web::test]
async fn a_significant_increase_opens_an_alert_and_drafts_a_valid_trend_report() {
    for db in databases() {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.blob_dir = blob_dir.path().to_string_lossy().into_owned();
        let app = spawn_app_with(&db, settings).await;
        let eval = json!({"as_of": "2026-11-19"});
        let path = "/api/v1/models/liver-seg/trend-evaluations";
        assert_eq!(put_plan(&app, "model = \"liver-seg\"\n").await, 201);
        let (s, body) = app.post(path, &app.quality, &eval).await;
        assert_eq!(
            (s, body["code"].as_str()),
            (422, Some("validation_failed")),
            "{body}"
        );
        assert_eq!(put_plan(&app, PLAN).await, 201, "{}", app.label);
        post_week(&app).await;
        assert_eq!(app.post(path, &app.ml, &eval).await.0, 403);

        let (s, run) = app.post(path, &app.quality, &eval).await;
        assert_eq!(s, 200, "{}: {run}", app.label);
        let rejected = &run["signals"][0];
        assert_eq!(rejected["class"], "rejected_contours", "{run}");
        assert_eq!(
            (
                rejected["observed"].as_u64(),
                rejected["denominator"].as_u64()
            ),
            (Some(35), Some(140))
        );
        assert_eq!(rejected["significant"], true, "{run}");
        // scipy.stats.binomtest(35, 140, 0.02, alternative='greater').pvalue = 5.2756e-28.
        let p = rejected["p_value"].as_f64().unwrap();
        assert!(
            (p / 5.275_572_999_155_245_5e-28 - 1.0).abs() < 1e-9,
            "{run}"
        );
        // No review was clinically relevant: that class stays quiet.
        assert_eq!(run["signals"][1]["significant"], false, "{run}");
        let reports = run["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 1, "{run}");
        let alert_id = run["alerts"]["rejected_contours"].as_str().unwrap();
        assert_eq!(reports[0]["alert_id"], alert_id);
        let (_, alert) = app
            .get(&format!("/api/v1/alerts/{alert_id}"), &app.quality)
            .await;
        assert_eq!(alert["rule"], "trend:rejected_contours", "{alert}");

        let id = reports[0]["id"].as_str().unwrap();
        let (s, doc) = app
            .get(&format!("/api/v1/trend-reports/{id}"), &app.quality)
            .await;
        assert_eq!(s, 200, "{doc}");
        assert_eq!(
            doc["signal"]["rate_source"],
            "validation study VS-12, table 4 (2.0 % rejected)"
        );
        assert_eq!(doc["daily"].as_array().unwrap().len(), 7);
        assert_eq!(
            doc["to_be_written_by_the_manufacturer"]["root_cause_analysis"],
            "missing"
        );
        assert_eq!(
            doc["provenance"]["data_fingerprint"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
        let (s, xml) = get_text(&app, &format!("/api/v1/trend-reports/{id}/mtr.xml")).await;
        assert_eq!(s, 200, "{xml}");
        assert!(
            xml.contains("<imdrfCodeAnnexA ordinal=\"1\">A1103</imdrfCodeAnnexA>"),
            "{xml}"
        );
        assert!(xml.contains("<affectedEuExtendedCountries>DE</affectedEuExtendedCountries>"));
        xmllint_mtr(&xml);

        // The same day again: the alert is refreshed, no second report.
        let (_, again) = app.post(path, &app.quality, &eval).await;
        assert_eq!(again["reports"].as_array().unwrap().len(), 0, "{again}");
        assert_eq!(again["alerts"]["rejected_contours"], alert_id);
        let (_, list) = app
            .get("/api/v1/trend-reports?model=liver-seg", &app.quality)
            .await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        let (_, missing) = app.get("/api/v1/trend-reports/nope", &app.quality).await;
        assert_eq!(missing["code"], "not_found");
        scheduled_evaluation_runs_the_trend_section(&app, blob_dir.path(), 0).await;
    }
}

/// The daily evaluation job of 2026-11-20 evaluates the trend of the day before and reports
/// it in its summary with the ids of the reports it drafted (`drafted`: how many).
async fn scheduled_evaluation_runs_the_trend_section(
    app: &TestApp,
    blob_dir: &std::path::Path,
    drafted: usize,
) -> Value {
    let body = json!({"model": "liver-seg", "as_of": "2026-11-20"});
    let (s, b) = app.post("/api/v1/evaluations", &app.quality, &body).await;
    assert_eq!(s, 202, "{b}");
    let clock = FixedClock::at(test_now());
    // The evaluator writes drafts into the configured blob store, the one the API reads.
    let blobs = vigil::blobs::DirBlobStore::new(blob_dir);
    let env = EvaluatorEnv {
        store: &*app.store,
        clock: &clock,
        runner: "test",
        public_url: "http://vigil",
        webhook_url: "",
        blobs: &blobs,
    };
    for _ in 0..600 {
        let done = app.store.evaluations(Some("liver-seg"), 1).unwrap()[0].status == "done";
        if run_queued(&env).unwrap().is_empty() && done {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let job = app
        .store
        .evaluations(Some("liver-seg"), 1)
        .unwrap()
        .remove(0);
    let summary: Value = job.summary.clone().unwrap();
    assert_eq!(summary["trend"]["as_of"], "2026-11-19", "{summary}");
    assert_eq!(
        summary["trend"]["significant"],
        json!(["rejected_contours"]),
        "{summary}"
    );
    assert_eq!(
        summary["trend"]["reports"].as_array().map(Vec::len),
        Some(drafted),
        "{summary}"
    );
    summary
}

/// A draft written by the scheduled evaluation (not by the API call) lands in the configured
/// blob store: its `mtrType` XML is served by the API and validates.
#[actix_web::test]
async fn the_scheduled_evaluation_drafts_into_the_configured_blob_store() {
    for db in databases() {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.blob_dir = blob_dir.path().to_string_lossy().into_owned();
        let app = spawn_app_with(&db, settings).await;
        assert_eq!(put_plan(&app, PLAN).await, 201, "{}", app.label);
        post_week(&app).await;
        let summary = scheduled_evaluation_runs_the_trend_section(&app, blob_dir.path(), 1).await;
        let id = summary["trend"]["reports"][0].as_str().unwrap();
        let (s, xml) = get_text(&app, &format!("/api/v1/trend-reports/{id}/mtr.xml")).await;
        assert_eq!(s, 200, "{}: {xml}", app.label);
        xmllint_mtr(&xml);
    }
}
