//! The Art. 88 trend report as a PDF, on both backends: a device runs liver-seg, its plan
//! declares a trend section, a week with far more rejections than declared makes the
//! evaluation draft a trend report whose PDF (pdftotext, pdftoppm) holds the headings, the
//! signal table (class, IMDRF code, observed / denominator, expected rate and its source,
//! method, alpha, p-value), the daily series and the MISSING manufacturer fields under a DRAFT
//! marking; a regulatory user approves it like a PSUR; `POST /api/v1/reports {kind: trend}`
//! produces the same kind of document over a requested period with the narrative drafts; two
//! generations differ only in their generation time. A class named with 120 characters and no
//! space wraps inside Table T1's first column, and its report's long reference stays on a line
//! of the page header above the data fingerprint (`pdftotext -bbox`: no word runs past the
//! margins or into another).

use serde_json::{Value, json};

use vigil::reports::Period;
use vigil::service::trend_report::requested_document;

use crate::incidents::device;
use crate::pdf_layout;
use crate::reports::{Rapp, pdf_text};
use crate::support::{databases, event, review};
use crate::trend::PLAN;

/// A class of 120 characters without a space, counting what `rejected_contours` counts: it
/// signals too, and its report's reference (`TREND-<device>-<class>-<day>`) is 156 characters.
const LONG_CLASS: &str = "rejected_contours_of_the_portal_venous_phase_after_manual_review_because_the_caudate_lobe_was_missed_near_the_hilum_abcd";

/// The trend plan of `trend.rs` and the long class.
fn plan() -> String {
    format!(
        "{PLAN}\n[[trend.classes]]\nname = \"{LONG_CLASS}\"\nimdrf_codes = [\"A1103\"]\n\
         counts = \"review_outcome:rejected\"\nexpected_rate = 0.02\nrate_source = \"IFU claim 4.3\"\n"
    )
}

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
        .body(plan())
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
    // The rate and its source wrap inside their cell, between the two `Expected` headers.
    let pages = pdf_layout::pages(&pdf);
    let table = pdf_layout::table_words(&pages, "T1:");
    let expected: Vec<_> = table.iter().filter(|w| w.text == "Expected").collect();
    let (left, right) = (expected[0].x_min, expected[1].x_min);
    let below = table.iter().find(|w| w.text == "(source)").unwrap().y_max;
    let note = table.iter().find(|w| w.text == "One-sided").unwrap().y_min;
    let cell: Vec<_> = table
        .iter()
        .copied()
        .filter(|w| w.y_min > below && w.y_max < note && w.x_min >= left - 0.5 && w.x_max <= right)
        .collect();
    assert_eq!(
        pdf_layout::text_of(&cell, " "),
        "0.02 (validation study VS-12, table 4 (2.0 % rejected))"
    );
    // The report's row, as a PSUR's: the JSON rendering of the same document.
    let (s, got) = app
        .call("GET", &format!("/api/v1/reports/{id}"), &app.quality, None)
        .await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["report"]["kind"], "trend", "{got}");
    assert_eq!(got["report"]["pdf_sha256"], sha.as_str());
    long_class_layout(app, &run).await;
    id
}

/// The long class's drafted report: its name wraps inside Table T1's first column, and its
/// reference in the page header stays on a line above the data fingerprint. No word of any
/// page runs past the 18 mm side margins or into another word.
async fn long_class_layout(app: &Rapp, run: &Value) {
    let record = run["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["class_name"] == LONG_CLASS)
        .unwrap_or_else(|| panic!("no report of the long class: {run}"));
    let id = record["id"].as_str().unwrap();
    let (s, pdf, _) = app.bytes(&format!("/api/v1/trend-reports/{id}/pdf")).await;
    assert_eq!(s, 200);
    let pages = pdf_layout::pages(&pdf);
    pdf_layout::assert_words_apart_and_inside(&pages, 18.0 * 72.0 / 25.4);
    let joined = |words: &[&pdf_layout::Word]| pdf_layout::text_of(words, "");
    // Page 2's header (above the 24 mm top margin): the whole reference, then the mark.
    let header: Vec<_> = pages[1].words.iter().filter(|w| w.y_max < 68.0).collect();
    let draft = header
        .iter()
        .find(|h| h.text == "DRAFT")
        .expect("the mark in the header");
    let (mark, reference): (Vec<_>, Vec<_>) = header
        .iter()
        .copied()
        .partition(|w| w.y_min >= draft.y_min - 0.5);
    let reference_text = format!("TREND-{DEVICE}-{LONG_CLASS}-2026-11-19v1");
    assert_eq!(joined(&reference), reference_text, "{header:?}");
    let (_, rendered, _) = app.bytes(&format!("/api/v1/reports/{id}/json")).await;
    let rendered: Value = serde_json::from_slice(&rendered).unwrap();
    let fingerprint = rendered["data_fingerprint"].as_str().unwrap();
    let mark_text = format!("DRAFT-generatedfromdatafingerprint{fingerprint}");
    assert_eq!(joined(&mark), mark_text, "{header:?}");
    let lowest = reference.iter().map(|w| w.y_max).fold(0.0, f64::max);
    assert!(mark.iter().all(|w| w.y_min >= lowest - 0.5), "{header:?}");
    // Table T1: the class column holds the whole name, left of the IMDRF codes column.
    let table = pdf_layout::table_words(&pages, "T1:");
    let imdrf = table.iter().find(|w| w.text == "IMDRF").unwrap().x_min;
    let first_column: Vec<_> = table.iter().copied().filter(|w| w.x_max <= imdrf).collect();
    let class_text = joined(&first_column);
    assert!(class_text.contains(LONG_CLASS), "{class_text}");
    let pieces = table
        .iter()
        .filter(|w| w.text.len() > 3 && LONG_CLASS.contains(&w.text));
    assert!(
        pieces.clone().count() > 1,
        "the long class name did not wrap"
    );
    assert!(pieces.clone().all(|w| w.x_max <= imdrf), "{table:?}");
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
