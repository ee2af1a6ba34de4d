//! The Art. 88 trend report as a PDF, on both backends: a device runs liver-seg, its plan
//! declares a trend section, a week with far more rejections than declared makes the
//! evaluation draft a trend report whose PDF (pdftotext, pdftoppm) holds the headings, the
//! signal table (class, IMDRF code, observed / denominator, expected rate and its source,
//! method, alpha, p-value), the daily series and the MISSING manufacturer fields under a DRAFT
//! marking; a regulatory user approves it like a PSUR; `POST /api/v1/reports {kind: trend}`
//! produces the same kind of document over a requested period with the narrative drafts; two
//! generations differ only in their generation time.

use serde_json::{Value, json};

use vigil::reports::Period;
use vigil::service::trend_report::requested_document;

use crate::incidents::device;
use crate::reports::{Rapp, pdf_text};
use crate::support::{databases, event, review};

const PLAN: &str = r#"model = "liver-seg"

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
rate_source = "validation study VS-12"

[[trend.classes]]
name = "clinically_relevant_corrections"
imdrf_codes = ["A110303"]
counts = "review_severity:clinically_relevant"
expected_rate = 0.2
rate_source = "IFU claim 4.2"
"#;

const DEVICE: &str = "++EVIGILLIVERSEG01";

/// The device with liver-seg 2.3.0, the plan, and 7 days x 20 reviewed events, 5 rejected a day.
async fn seed(app: &Rapp) {
    let (s, b) = app
        .call("POST", "/api/v1/devices", &app.regulatory, Some(&device()))
        .await;
    assert_eq!(s, 201, "{b}");
    let sw = json!({"model_id": "liver-seg@2.3.0", "from": "2025-03-01"});
    let path = format!("/api/v1/devices/{DEVICE}/software");
    assert_eq!(
        app.call("POST", &path, &app.regulatory, Some(&sw)).await.0,
        201
    );
    let res = reqwest::Client::new()
        .put(format!("{}/api/v1/models/liver-seg/plan", app.base))
        .bearer_auth(&app.quality)
        .header("content-type", "application/toml")
        .body(PLAN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    for day in 0..7u32 {
        let date = format!("2026-11-{:02}", 13 + day);
        let events: Vec<Value> = (0..20)
            .map(|i| {
                let mut e = event(day * 100 + i);
                e["occurred_at"] = json!(format!("{date}T08:30:00Z"));
                e
            })
            .collect();
        let body = json!({"events": events});
        let (s, b) = app
            .call("POST", "/api/v1/events", &app.site_a, Some(&body))
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
        let body = json!({"reviews": reviews});
        let (s, b) = app
            .call("POST", "/api/v1/reviews", &app.site_a, Some(&body))
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

fn assert_has(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "{n:?} missing from the PDF text:\n{text}");
    }
}

async fn drafted_pdf(app: &Rapp) -> String {
    let eval = json!({"as_of": "2026-11-19"});
    let path = "/api/v1/models/liver-seg/trend-evaluations";
    let (s, run) = app.call("POST", path, &app.quality, Some(&eval)).await;
    assert_eq!(s, 200, "{run}");
    let record = &run["reports"][0];
    let id = record["id"].as_str().unwrap().to_string();
    let sha = record["pdf_sha256"].as_str().unwrap().to_string();
    assert_eq!(sha.len(), 64, "{run}");
    let (_, doc) = app
        .call(
            "GET",
            &format!("/api/v1/trend-reports/{id}"),
            &app.quality,
            None,
        )
        .await;
    assert_eq!(doc["pdf"]["sha256"], sha.as_str(), "{doc}");
    let (_, rendered, _) = app.bytes(&format!("/api/v1/reports/{id}/json")).await;
    let rendered: Value = serde_json::from_slice(&rendered).unwrap();
    let daily = &rendered["sections"][2]["subsections"][0]["blocks"][0];
    assert_eq!(
        daily["rows"][0],
        json!(["2026-11-13", "20", "5", "0.2500"]),
        "{daily}"
    );
    assert_eq!(daily["provenance"]["filters"]["class"], "rejected_contours");
    let (s, pdf, header) = app.bytes(&format!("/api/v1/trend-reports/{id}/pdf")).await;
    assert_eq!((s, header.as_str()), (200, sha.as_str()));
    let text = pdf_text(&pdf);
    for (n, title) in vigil::reports::trend::TREND_SECTIONS.iter().enumerate() {
        assert_has(&text, &[&format!("{} {title}", n + 1)]);
    }
    // scipy.stats.binomtest(35, 140, 0.02, alternative='greater').pvalue = 5.2756e-28.
    assert_has(
        &text,
        &[
            "DRAFT - generated from data fingerprint",
            "Table T1: Trend signal per event class",
            "rejected_contours",
            "A1103",
            "35 / 140",
            "0.02 (validation study VS-12)",
            "binomial",
            "0.05",
            "5.276e-28",
            "Table T2.1: Daily series of rejected_contours",
            "Figure T1: Observed daily rate of rejected_contours",
            "MISSING: root_cause",
            "MISSING: risk_reduction",
            "MISSING: benefit_risk",
            "LiverSeg AI (Basic UDI-DI ++EVIGILLIVERSEG01)",
            &format!("TREND-{DEVICE}-rejected_contours-2026-11-19"),
        ],
    );
    // The report's row, as a PSUR's: the JSON rendering of the same document.
    let (s, got) = app
        .call("GET", &format!("/api/v1/reports/{id}"), &app.quality, None)
        .await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["report"]["kind"], "trend", "{got}");
    assert_eq!(got["report"]["pdf_sha256"], sha.as_str());
    id
}

async fn approval(app: &Rapp, id: &str) {
    let path = format!("/api/v1/reports/{id}/approve");
    assert_eq!(app.call("POST", &path, &app.quality, None).await.0, 403);
    let (s, r) = app.call("POST", &path, &app.regulatory, None).await;
    assert_eq!(s, 200, "{r}");
    let (_, pdf, _) = app.bytes(&format!("/api/v1/trend-reports/{id}/pdf")).await;
    let text = pdf_text(&pdf);
    assert!(
        !text.contains("DRAFT"),
        "approved trend PDF still marked DRAFT"
    );
    assert_has(&text, &["Approved by user:ra1", "35 / 140"]);
    let (_, draft, _) = app
        .bytes(&format!("/api/v1/trend-reports/{id}/pdf?draft=true"))
        .await;
    assert!(pdf_text(&draft).contains("DRAFT - generated"));
}

async fn requested(app: &Rapp) {
    let narratives = format!("/api/v1/reports/narratives/{DEVICE}/trend/2026-11-13/2026-11-19");
    let body = json!({"fields": {"root_cause": "Contrast phase mismatch at one site."}});
    let (s, b) = app
        .call("PUT", &narratives, &app.regulatory, Some(&body))
        .await;
    assert_eq!(s, 200, "{b}");
    let request = json!({"kind": "trend", "device": DEVICE, "period": {"from": "2026-11-13", "to": "2026-11-19"}});
    let (s, job) = app
        .call("POST", "/api/v1/reports", &app.regulatory, Some(&request))
        .await;
    assert_eq!(s, 202, "{job}");
    let backwards = json!({"kind": "trend", "device": DEVICE, "period": {"from": "2026-11-19", "to": "2026-11-13"}});
    let (s, b) = app
        .call("POST", "/api/v1/reports", &app.regulatory, Some(&backwards))
        .await;
    assert_eq!(
        (s, b["details"][0]["path"].as_str()),
        (422, Some("period.to")),
        "{b}"
    );
    app.run_jobs().await;
    let id = job["id"].as_str().unwrap();
    let (_, got) = app
        .call(
            "GET",
            &format!("/api/v1/reports/{id}"),
            &app.regulatory,
            None,
        )
        .await;
    assert_eq!(got["job"]["state"], "succeeded", "{got}");
    let (s, pdf, _) = app.bytes(&format!("/api/v1/reports/{id}/pdf")).await;
    assert_eq!(s, 200);
    let text = pdf_text(&pdf);
    assert_has(
        &text,
        &[
            "Table T1: Trend signal per event class",
            "35 / 140",
            "clinically_relevant_corrections",
            "0 / 140",
            "0.2 (IFU claim 4.2)",
            "Contrast phase mismatch at one site.",
            "MISSING: risk_reduction",
            &format!("TREND-{DEVICE}-2026-11-19"),
        ],
    );
    assert!(!text.contains("MISSING: root_cause"));
}

async fn determinism(app: &Rapp) {
    let store = app.state.store.clone();
    let (one, two) = tokio::task::spawn_blocking(move || {
        let d = store.device(DEVICE).unwrap().unwrap();
        let period = Period {
            from: "2026-11-13".parse().unwrap(),
            to: "2026-11-19".parse().unwrap(),
        };
        let at = |t: &str| t.parse().unwrap();
        (
            requested_document(&*store, &d, period, at("2026-11-20T12:00:00Z")).unwrap(),
            requested_document(&*store, &d, period, at("2026-11-21T08:00:00Z")).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(one.data_fingerprint, two.data_fingerprint);
    assert_ne!(one.generated_at, two.generated_at);
    let mut same_time = two.clone();
    same_time.generated_at = one.generated_at;
    assert_eq!(one, same_time);
    let a = vigil::rendering::render_pdf(&one).unwrap();
    assert_eq!(a, vigil::rendering::render_pdf(&same_time).unwrap());
    assert_ne!(a, vigil::rendering::render_pdf(&two).unwrap());
}

#[actix_web::test]
async fn trend_reports_render_as_pdf_and_are_approved_like_a_psur() {
    for db in databases() {
        let app = Rapp::spawn(&db).await;
        seed(&app).await;
        let id = drafted_pdf(&app).await;
        approval(&app, &id).await;
        requested(&app).await;
        determinism(&app).await;
    }
}
