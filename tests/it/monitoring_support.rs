//! Helpers of the monitoring tests: a plan, a validation set for the baseline, and days of
//! synthetic traffic (normal features, Beta-like Dice) posted through the real API.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use vigil::simulator::sample::normal;

use crate::support::TestApp;

pub const PLAN: &str = r#"model = "liver-seg"
[windows]
tumbling_days = 7
rolling_days = 28
min_samples = 30
fdr_q = 0.05
strata = ["site"]
[[features]]
name = "hu_mean"
[[features]]
name = "snr_db"
[[quality]]
indicator = "mean_dice"
label = "liver"
limit = 0.88
[[quality]]
indicator = "rejection_rate"
max = 0.2
[sequential]
chart = "cusum"
arl0 = 2000.0
shift_sd = 2.5
[alerts]
cooldown_hours = 24
clear_after = 3
[[alerts.recipients]]
severity = "medium"
emails = ["qm@example.org"]
"#;

/// The baseline's validation set: hu_mean N(50, 10), snr_db N(20, 3), Dice N(0.93, 0.02).
pub fn reference_csv(rows: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut out = String::from("hu_mean,snr_db,dice.liver\n");
    for _ in 0..rows {
        let (hu, snr) = (normal(&mut rng, 50.0, 10.0), normal(&mut rng, 20.0, 3.0));
        let dice = normal(&mut rng, 0.93, 0.02).min(1.0);
        out.push_str(&format!("{hu:.4},{snr:.4},{dice:.5}\n"));
    }
    out
}

/// One site's day: `n` events with `reviews` of them reviewed. `hu_shift` is added to
/// hu_mean, `dice_drop` taken off every Dice.
pub struct Day {
    pub date: NaiveDate,
    pub site: u32,
    pub n: u32,
    pub reviews: u32,
    pub hu_shift: f64,
    pub dice_drop: f64,
}

pub fn day_items(d: &Day) -> (Vec<Value>, Vec<Value>) {
    let day_no = (d.date - NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).num_days() as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(day_no * 1000 + u64::from(d.site));
    let mut events = Vec::new();
    let mut reviews = Vec::new();
    for i in 0..d.n {
        let id = day_no * 100_000 + u64::from(d.site) * 10_000 + u64::from(i);
        let at = Utc.from_utc_datetime(&d.date.and_hms_opt(8, 0, 0).unwrap())
            + Duration::seconds(i64::from(i) * 60);
        let hu = normal(&mut rng, 50.0, 10.0) + d.hu_shift;
        let snr = normal(&mut rng, 20.0, 3.0);
        events.push(json!({
            "event_id": format!("00000000-0000-4000-8000-{id:012}"),
            "model": "liver-seg", "model_version": "2.3.0",
            "occurred_at": at.to_rfc3339(),
            "case_ref": format!("{id:064x}"),
            "modality": "CT",
            "scanner": {"manufacturer": "SIEMENS", "model": "SOMATOM Force"},
            "acquisition": {"slice_thickness_mm": 1.0, "pixel_spacing_mm": 0.7},
            "input_features": {"hu_mean": hu, "snr_db": snr},
            "output": {"status": "ok", "latency_ms": 800.0, "features": {"vol_ml": 1500.0, "confidence": 0.9}}
        }));
        if i < d.reviews {
            let dice = (normal(&mut rng, 0.93, 0.02) - d.dice_drop).clamp(0.0, 1.0);
            let outcome = if dice < 0.85 { "edited" } else { "accepted" };
            reviews.push(json!({
                "review_id": format!("10000000-0000-4000-8000-{id:012}"),
                "event_id": format!("00000000-0000-4000-8000-{id:012}"),
                "reviewed_at": (at + Duration::hours(2)).to_rfc3339(),
                "outcome": outcome, "severity": "none",
                "metrics": {"liver": {"dice": dice}}
            }));
        }
    }
    (events, reviews)
}

pub async fn post_day(app: &TestApp, key: &str, d: &Day) {
    let (events, reviews) = day_items(d);
    let (s, body) = app
        .post("/api/v1/events", key, &json!({"events": events}))
        .await;
    assert_eq!(s, 200, "{body}");
    if !reviews.is_empty() {
        let (s, body) = app
            .post("/api/v1/reviews", key, &json!({"reviews": reviews}))
            .await;
        assert_eq!(s, 200, "{body}");
    }
}

pub async fn put_text(
    app: &TestApp,
    path: &str,
    token: &str,
    ctype: &str,
    body: String,
) -> (u16, Value) {
    let r = app
        .client
        .put(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn set_up_plan_and_baseline(app: &TestApp) {
    let (s, body) = put_text(
        app,
        "/api/v1/models/liver-seg/plan",
        &app.quality,
        "application/toml",
        PLAN.into(),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let path = "/api/v1/models/liver-seg/versions/2.3.0/baseline";
    let (s, body) = put_text(app, path, &app.ml, "text/csv", reference_csv(1000)).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["rows"], 1000);
}

/// Queue an evaluation through the API and wait for the background job to end.
pub async fn evaluate_via_api(app: &TestApp) -> Value {
    let (s, job) = app
        .post(
            "/api/v1/evaluations",
            &app.quality,
            &json!({"model": "liver-seg"}),
        )
        .await;
    assert_eq!(s, 202, "{job}");
    let path = format!("/api/v1/evaluations/{}", job["id"].as_str().unwrap());
    for _ in 0..1200 {
        let (_, j) = app.get(&path, &app.quality).await;
        if j["status"] == "done" || j["status"] == "failed" {
            return j;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("evaluation did not finish");
}
