//! The console's report pages over plain HTTP on every backend: regulatory affairs requests a
//! PSUR from the form, the job runs, the report is listed, its PDF downloads under the console
//! session (no bearer token), the narrative drafts are saved from their form, and the report
//! is approved; quality reads but may not request or approve; forged forms change nothing.

use serde_json::json;
use vigil::domain::Role;
use vigil::service::admin::{Actor, add_user};
use vigil::storage::jobs::JobFilter;

use crate::console_pages::Session;
use crate::console_support::no_redirects;
use crate::incidents::device;
use crate::shadow_api::run_jobs;
use crate::support::{TestApp, databases, settings_for, spawn_app_with, test_now};

/// A class IIb device certified 2025-11-20, running liver-seg 2.3.0.
async fn register_device(app: &TestApp, token: &str) {
    let mut d = device();
    d["mdr_class"] = json!("IIb");
    d["first_available"] = json!("2025-11-20");
    let (s, body) = app.post("/api/v1/devices", token, &d).await;
    assert_eq!(s, 201, "{body}");
    let sw = json!({"model_id": "liver-seg@2.3.0", "from": "2025-11-20"});
    let path = "/api/v1/devices/++EVIGILLIVERSEG01/software";
    let (s, body) = app.post(path, token, &sw).await;
    assert_eq!(s, 201, "{body}");
}

/// Status, content type and bytes of a console download.
async fn download(app: &TestApp, session: &Session, path: &str) -> (u16, String, Vec<u8>) {
    let res = no_redirects()
        .get(format!("{}{path}", app.base))
        .header("Cookie", format!("vigil_session={}", session.cookie))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, res.bytes().await.unwrap().to_vec())
}

const PSUR: [(&str, &str); 4] = [
    ("device", "++EVIGILLIVERSEG01"),
    ("kind", "psur"),
    ("from", "2025-11-20"),
    ("to", "2026-11-19"),
];

/// Refusals before anything is queued: quality's role, a forged form, a bad kind.
async fn refusals(app: &TestApp, ra: &Session, qm: &Session) {
    let (s, list) = qm.get(app, "/console/reports").await;
    assert_eq!(s, 200);
    assert!(list.contains("No reports yet") && !list.contains("id=\"request-report\""));
    assert_eq!(qm.post(app, "/console/reports", &PSUR).await.0, 403);
    let (s, body) = ra.post_raw(app, "/console/reports", &PSUR).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("csrf_refused"));
    let bad = [PSUR[0], ("kind", "trend"), PSUR[2], PSUR[3]];
    let (s, body) = ra.post(app, "/console/reports", &bad).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("kind: choose psur or pms"), "{body}");
    let gap = [PSUR[0], PSUR[1], ("from", "2026-01-01"), PSUR[3]];
    let (s, body) = ra.post(app, "/console/reports", &gap).await;
    assert_eq!(
        s, 422,
        "a period not starting on the certificate date: {body}"
    );
    assert!(body.contains("report_period_invalid"), "{body}");
    let filter = JobFilter {
        kind: Some("report".into()),
        state: None,
        subject: None,
        limit: 10,
        after: None,
    };
    assert!(
        app.store.jobs(&filter).unwrap().is_empty(),
        "nothing queued"
    );
}

#[actix_web::test]
async fn a_psur_is_requested_downloaded_and_approved_from_the_console() {
    if !cfg!(feature = "pdf") {
        eprintln!("built without the pdf feature: skipping");
        return;
    }
    for db in databases() {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.blob_dir = blob_dir.path().to_string_lossy().into_owned();
        let app = spawn_app_with(&db, settings).await;
        let actor = Actor("cli:test".into());
        let ra_token = add_user(&*app.store, &actor, "ra1", Role::Regulatory, test_now())
            .unwrap()
            .1;
        register_device(&app, &ra_token).await;
        let (ra, qm) = (
            Session::start(&app, &ra_token).await,
            Session::start(&app, &app.quality).await,
        );
        refusals(&app, &ra, &qm).await;

        let (s, page) = ra.post(&app, "/console/reports", &PSUR).await;
        assert_eq!(s, 303, "{page}");
        let (_, html) = ra.get(&app, &page).await;
        assert!(html.contains("id=\"report-progress\""), "{html}");
        run_jobs(&app, blob_dir.path(), &db).await;

        let (_, list) = qm.get(&app, "/console/reports").await;
        assert!(list.contains("PSUR") && list.contains(">draft<"), "{list}");
        assert!(list.contains(&format!("{page}/pdf")), "{list}");
        let (s, ctype, pdf) = download(&app, &qm, &format!("{page}/pdf")).await;
        assert_eq!((s, ctype.as_str()), (200, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        let (s, _, doc) = download(&app, &qm, &format!("{page}/json")).await;
        assert_eq!(s, 200);
        let doc: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        assert!(doc.is_object());

        narratives(&app, &ra, &qm, &page).await;

        // Quality reads the report but may not approve; regulatory approves once.
        let (_, html) = qm.get(&app, &page).await;
        assert!(html.contains("Draft (the PDF") && !html.contains("id=\"approve\""));
        assert_eq!(qm.post(&app, &format!("{page}/approve"), &[]).await.0, 403);
        let forged = ra.post_raw(&app, &format!("{page}/approve"), &[]).await;
        assert_eq!(forged.0, 403);
        let (s, to) = ra.post(&app, &format!("{page}/approve"), &[]).await;
        assert_eq!((s, to.as_str()), (303, page.as_str()), "{}", db.label);
        let (_, html) = ra.get(&app, &page).await;
        assert!(
            html.contains("Approved") && html.contains("by user:ra1"),
            "{html}"
        );
        assert_eq!(ra.post(&app, &format!("{page}/approve"), &[]).await.0, 409);
        let (s, _, approved) = download(&app, &ra, &format!("{page}/pdf")).await;
        assert!(s == 200 && approved.starts_with(b"%PDF") && approved != pdf);
    }
}

/// Narrative drafts: the report page links them; regulatory saves one, quality reads it.
async fn narratives(app: &TestApp, ra: &Session, qm: &Session, report: &str) {
    let path = "/console/reports/narratives/++EVIGILLIVERSEG01/psur/2025-11-20/2026-11-19";
    let (_, html) = ra.get(app, report).await;
    assert!(
        html.contains(path) && html.contains("id=\"missing\""),
        "{html}"
    );
    let text = "No new risks identified in the period.";
    let field = [("field.executive_summary", text)];
    assert_eq!(qm.post(app, path, &field).await.0, 403);
    let (s, to) = ra.post(app, path, &field).await;
    assert_eq!((s, to.as_str()), (303, path));
    let (s, html) = qm.get(app, path).await;
    assert!(s == 200 && html.contains(text) && !html.contains("save-narratives"));
    let unknown = [("field.horoscope", "x")];
    let (s, body) = ra.post(app, path, &unknown).await;
    assert_eq!(s, 422, "{body}");
}
