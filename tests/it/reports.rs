//! MDR documents end to end through HTTP on every backend: a regulatory user enters a
//! narrative, requests a PSUR for a device and its first certificate year, the job runs, the
//! PDF (checked with pdftotext and pdftoppm) and the JSON hold the ten Annex I sections, Tables
//! 1-8 and MISSING narratives; approval removes the DRAFT marking; periods that overlap, leave
//! a gap or are not aligned are refused naming the field; a class I device gets a PMS report;
//! two generations from the same data give the same JSON (but the time) and PDF bytes.

use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil::app::Application;
use vigil::domain::Role;
use vigil::http::AppState;
use vigil::reports::{ReportKind, assemble};
use vigil::service::admin::{Actor, add_model, add_site, add_user};
use vigil::service::reports::{ReportRequest, gather};
use vigil::service::{Clock, FixedClock};

use crate::incidents::device;
use crate::support::{TestDb, databases, event, liver_schema, review, settings_for, test_now};

pub(crate) struct Rapp {
    pub(crate) state: AppState,
    pub(crate) base: String,
    client: reqwest::Client,
    pub(crate) site_a: String,
    pub(crate) site_b: String,
    pub(crate) regulatory: String,
    pub(crate) quality: String,
    _handle: actix_web::dev::ServerHandle,
    _blobs: tempfile::TempDir,
}

impl Rapp {
    pub(crate) async fn spawn(db: &TestDb) -> Self {
        let clock = Arc::new(FixedClock::at(test_now()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let blobs = tempfile::tempdir().unwrap();
        let mut settings = settings_for(db);
        settings.blob_dir = blobs.path().to_string_lossy().into_owned();
        let app = Application::build_with(settings, listener, clock as Arc<dyn Clock>).unwrap();
        let store = app.state.store.clone();
        actix_web::rt::spawn(app.server);
        let (actor, now) = (Actor("cli:test".into()), test_now());
        let site_a = add_site(&*store, &actor, "site-a", "A", "DE", now)
            .unwrap()
            .1;
        let site_b = add_site(&*store, &actor, "site-b", "B", "US", now)
            .unwrap()
            .1;
        let regulatory = add_user(&*store, &actor, "ra1", Role::Regulatory, now)
            .unwrap()
            .1;
        let quality = add_user(&*store, &actor, "qm1", Role::Quality, now)
            .unwrap()
            .1;
        add_model(&*store, &actor, "liver-seg", "2.3.0", liver_schema(), now).unwrap();
        add_model(&*store, &actor, "liver-seg", "2.4.0", liver_schema(), now).unwrap();
        Self {
            base: format!("http://127.0.0.1:{}", app.port),
            state: app.state,
            // No idle connections kept: a step that renders PDFs for longer than the server's
            // keep-alive would otherwise leave the next request on a closed connection.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            site_a,
            site_b,
            regulatory,
            quality,
            _handle: app.handle,
            _blobs: blobs,
        }
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.client.get(url),
            "PUT" => self.client.put(url),
            _ => self.client.post(url),
        };
        let req = req.bearer_auth(token);
        let req = match body {
            Some(b) => req.json(b),
            None => req,
        };
        let res = req.send().await.unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    pub(crate) async fn bytes(&self, path: &str) -> (u16, Vec<u8>, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.regulatory)
            .send()
            .await
            .unwrap();
        let sha = res
            .headers()
            .get("X-Content-SHA256")
            .map(|h| h.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            res.status().as_u16(),
            res.bytes().await.unwrap().to_vec(),
            sha,
        )
    }

    pub(crate) async fn run_jobs(&self) {
        let runner = self.state.runner("test");
        tokio::task::spawn_blocking(move || runner.run_until_idle().unwrap())
            .await
            .unwrap();
    }

    /// A class IIb device running liver-seg 2.3.0, certified 2025-11-20; events at two sites.
    async fn seed(&self) {
        let mut d = device();
        d["mdr_class"] = json!("IIb");
        d["first_available"] = json!("2025-11-20");
        assert_eq!(
            self.call("POST", "/api/v1/devices", &self.regulatory, Some(&d))
                .await
                .0,
            201
        );
        let sw = json!({"model_id": "liver-seg@2.3.0", "from": "2025-11-20"});
        let (s, b) = self
            .call(
                "POST",
                "/api/v1/devices/++EVIGILLIVERSEG01/software",
                &self.regulatory,
                Some(&sw),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let a: Vec<Value> = (1..=12).map(event).collect();
        let b: Vec<Value> = (13..=15).map(event).collect();
        assert_eq!(
            self.call(
                "POST",
                "/api/v1/events",
                &self.site_a,
                Some(&json!({"events": a}))
            )
            .await
            .0,
            200
        );
        assert_eq!(
            self.call(
                "POST",
                "/api/v1/events",
                &self.site_b,
                Some(&json!({"events": b}))
            )
            .await
            .0,
            200
        );
        let r: Vec<Value> = (1..=6).map(|n| review(n, n)).collect();
        assert_eq!(
            self.call(
                "POST",
                "/api/v1/reviews",
                &self.site_a,
                Some(&json!({"reviews": r}))
            )
            .await
            .0,
            200
        );
    }
}

const PSUR: &str = "/api/v1/reports/narratives/++EVIGILLIVERSEG01/psur/2025-11-20/2026-11-19";

fn psur_request(from: &str, to: &str) -> Value {
    json!({"kind": "psur", "device": "++EVIGILLIVERSEG01", "period": {"from": from, "to": to}})
}

pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, pdf).unwrap();
    // Kept as a test artefact to look at (target/report-artefacts/<first bytes of SHA-256>.pdf).
    let artefacts = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("report-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let name = hex::encode(&Sha256::digest(pdf)[..6]);
    std::fs::write(artefacts.join(format!("{name}.pdf")), pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext installed (poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = Command::new("pdftoppm")
        .args(["-png", "-r", "40", "-f", "1", "-l", "2"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm");
    assert!(
        png.status.success(),
        "{}",
        String::from_utf8_lossy(&png.stderr)
    );
    assert!(dir.path().join("page-01.png").exists() || dir.path().join("page-1.png").exists());
    // One space between words, whatever the layout put there.
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn refusals(app: &Rapp) {
    for (from, to, field) in [
        ("2025-12-01", "2026-11-30", "period.from"),
        ("2025-11-20", "2026-12-31", "period.to"),
        ("2026-11-20", "2027-11-19", "period.from"),
    ] {
        let (s, b) = app
            .call(
                "POST",
                "/api/v1/reports",
                &app.regulatory,
                Some(&psur_request(from, to)),
            )
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (422, Some("report_period_invalid")),
            "{b}"
        );
        assert_eq!(b["details"][0]["path"], field, "{b}");
    }
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/reports",
            &app.quality,
            Some(&psur_request("2025-11-20", "2026-11-19")),
        )
        .await;
    assert_eq!(s, 403);
    let bad = json!({"fields": {"executive_summary": "ok", "poem": "no"}});
    let (s, b) = app.call("PUT", PSUR, &app.regulatory, Some(&bad)).await;
    assert_eq!(
        (s, b["details"][0]["path"].as_str()),
        (422, Some("fields.poem")),
        "{b}"
    );
}

async fn psur_flow(app: &Rapp) -> String {
    let drafts =
        json!({"fields": {"executive_summary": "No new risk was identified in the first year."}});
    let (s, b) = app.call("PUT", PSUR, &app.regulatory, Some(&drafts)).await;
    assert_eq!(s, 200, "{b}");
    let (s, job) = app
        .call(
            "POST",
            "/api/v1/reports",
            &app.regulatory,
            Some(&psur_request("2025-11-20", "2026-11-19")),
        )
        .await;
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let (_, queued) = app
        .call("GET", &format!("/api/v1/reports/{id}"), &app.quality, None)
        .await;
    assert_eq!(queued["job"]["state"], "queued");
    assert!(queued["report"].is_null());
    app.run_jobs().await;
    let (s, got) = app
        .call(
            "GET",
            &format!("/api/v1/reports/{id}"),
            &app.regulatory,
            None,
        )
        .await;
    assert_eq!(
        (s, got["job"]["state"].as_str()),
        (200, Some("succeeded")),
        "{got}"
    );
    assert_eq!(got["links"]["pdf"], format!("/api/v1/reports/{id}/pdf"));
    let missing = got["report"]["missing_narratives"].as_array().unwrap();
    assert!(
        missing.iter().any(|m| m == "benefit_risk_statement"),
        "{got}"
    );
    assert!(!missing.iter().any(|m| m == "executive_summary"), "{got}");
    id
}

async fn check_documents(app: &Rapp, id: &str) {
    let (s, pdf, sha) = app.bytes(&format!("/api/v1/reports/{id}/pdf")).await;
    assert_eq!(s, 200);
    assert_eq!(sha.len(), 64);
    let text = pdf_text(&pdf);
    for (n, title) in vigil::reports::psur::PSUR_SECTIONS.iter().enumerate() {
        assert!(
            text.contains(&format!("{} {title}", n + 1)),
            "section {} {title} missing",
            n + 1
        );
    }
    for n in 1..=8 {
        assert!(text.contains(&format!("Table {n}:")), "Table {n} missing");
    }
    assert!(text.contains("DRAFT - generated from data fingerprint"));
    assert!(text.contains("MISSING: benefit_risk_statement"));
    assert!(text.contains("No new risk was identified"));
    let (s, json, _) = app.bytes(&format!("/api/v1/reports/{id}/json")).await;
    assert_eq!(s, 200);
    let doc: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(doc["sections"].as_array().unwrap().len(), 10);
    let t1 = &doc["sections"][4]["blocks"][0];
    assert_eq!(t1["id"], "table-1");
    // EEA+TR+XI: site-a (DE) 12 studies; worldwide adds site-b (US) 3.
    assert_eq!(t1["rows"][0][2], "12");
    assert_eq!(t1["rows"][1][2], "15");
    assert!(t1["provenance"]["data_fingerprint"].as_str().unwrap().len() == 64);
}

async fn approval(app: &Rapp, id: &str) {
    let path = format!("/api/v1/reports/{id}/approve");
    assert_eq!(app.call("POST", &path, &app.quality, None).await.0, 403);
    let (s, r) = app.call("POST", &path, &app.regulatory, None).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["approval"]["by"], "user:ra1");
    assert_eq!(app.call("POST", &path, &app.regulatory, None).await.0, 409);
    let (_, pdf, _) = app.bytes(&format!("/api/v1/reports/{id}/pdf")).await;
    let text = pdf_text(&pdf);
    assert!(!text.contains("DRAFT"), "approved PDF still marked DRAFT");
    assert!(text.contains("Approved by user:ra1"));
    let (_, draft, _) = app
        .bytes(&format!("/api/v1/reports/{id}/pdf?draft=true"))
        .await;
    assert!(pdf_text(&draft).contains("DRAFT - generated"));
}

async fn determinism(app: &Rapp) {
    let st = app.state.clone();
    let (a, b) = tokio::task::spawn_blocking(move || {
        let r = ReportRequest {
            kind: ReportKind::Psur,
            device: "++EVIGILLIVERSEG01".into(),
            period: vigil::reports::Period {
                from: "2025-11-20".parse().unwrap(),
                to: "2026-11-19".parse().unwrap(),
            },
        };
        let codes = &st.vigilance.codes;
        (
            gather(&*st.store, codes, &r).unwrap(),
            gather(&*st.store, codes, &r).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(a, b);
    let one = assemble(&a, "2026-11-20T12:00:00Z".parse().unwrap());
    let two = assemble(&b, "2026-11-21T08:00:00Z".parse().unwrap());
    let strip = |d: &vigil::reports::Document| {
        let mut v = serde_json::to_value(d).unwrap();
        v.as_object_mut().unwrap().remove("generated_at");
        v
    };
    assert_eq!(strip(&one), strip(&two));
    assert_eq!(one.data_fingerprint, two.data_fingerprint);
    #[cfg(feature = "pdf")]
    {
        let pdf = vigil::rendering::render_pdf(&one).unwrap();
        assert_eq!(pdf, vigil::rendering::render_pdf(&one).unwrap());
    }
}

async fn pms_flow(app: &Rapp) {
    let mut d = device();
    d["basic_udi_di"] = json!("++EVIGILPMS01");
    d["mdr_class"] = json!("I");
    d["notified_body"] = Value::Null;
    d["first_available"] = json!("2025-11-20");
    assert_eq!(
        app.call("POST", "/api/v1/devices", &app.regulatory, Some(&d))
            .await
            .0,
        201
    );
    let sw = json!({"model_id": "liver-seg@2.4.0", "from": "2025-11-20"});
    assert_eq!(
        app.call(
            "POST",
            "/api/v1/devices/++EVIGILPMS01/software",
            &app.regulatory,
            Some(&sw)
        )
        .await
        .0,
        201
    );
    let psur = json!({"kind": "psur", "device": "++EVIGILPMS01", "period": {"from": "2025-11-20", "to": "2026-11-19"}});
    let (s, b) = app
        .call("POST", "/api/v1/reports", &app.regulatory, Some(&psur))
        .await;
    assert_eq!(
        (s, b["details"][0]["path"].as_str()),
        (422, Some("kind")),
        "{b}"
    );
    let pms = json!({"kind": "pms", "device": "++EVIGILPMS01", "period": {"from": "2025-11-20", "to": "2026-11-19"}});
    let (s, job) = app
        .call("POST", "/api/v1/reports", &app.regulatory, Some(&pms))
        .await;
    assert_eq!(s, 202, "{job}");
    app.run_jobs().await;
    let id = job["id"].as_str().unwrap();
    let (_, pdf, _) = app.bytes(&format!("/api/v1/reports/{id}/pdf")).await;
    let text = pdf_text(&pdf);
    for title in vigil::reports::pms::PMS_SECTIONS {
        assert!(text.contains(title), "{title} missing");
    }
    assert!(text.contains("MISSING: summary"));
    assert!(text.contains("Table 1:"));
}

#[actix_web::test]
async fn reports_psur_and_pms_through_the_api() {
    for db in databases() {
        let app = Rapp::spawn(&db).await;
        app.seed().await;
        refusals(&app).await;
        determinism(&app).await;
        if !cfg!(feature = "pdf") {
            continue;
        }
        let id = psur_flow(&app).await;
        check_documents(&app, &id).await;
        approval(&app, &id).await;
        // The next period must follow this one: a second year after a gap is refused.
        let (s, b) = app
            .call(
                "POST",
                "/api/v1/reports",
                &app.regulatory,
                Some(&psur_request("2027-11-20", "2028-11-19")),
            )
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (422, Some("report_period_invalid")),
            "{b}"
        );
        assert!(b["message"].as_str().unwrap().contains("gap"), "{b}");
        pms_flow(&app).await;
    }
}
