//! The console's incident and shadow-run pages over plain HTTP on every backend: a quality
//! manager opens, classifies and reports an incident from the forms (the MIR XML downloaded
//! from the page validates against the official XSD), regulatory affairs records the
//! submission but may not classify, ML users do not reach incidents, forged forms change
//! nothing; the ML team starts a shadow run from the form, follows it to its dossier and
//! promotes the candidate (needs `ORT_DYLIB_PATH`, as the other shadow tests).

use serde_json::json;
use vigil::domain::Role;
use vigil::service::admin::{Actor, add_model, add_user};
use vigil::storage::shadow::ModelRole;

use crate::console_support::{csrf_of, no_redirects, sign_in};
use crate::incidents::{device, initial_fields, xmllint};
use crate::shadow_api::{archive_everything, file, run_jobs, upload};
use crate::support::{
    TestApp, databases, liver_schema, settings_for, spawn_app, spawn_app_with, test_now,
};

/// A signed-in console user: session cookie and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    pub async fn start(app: &TestApp, token: &str) -> Self {
        let (cookie, csrf) = sign_in(app, token).await;
        Self { cookie, csrf }
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> (u16, String) {
        let res = no_redirects()
            .get(format!("{}{path}", app.base))
            .header("Cookie", format!("vigil_session={}", self.cookie))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Post a form with this session's CSRF token; returns status and `Location` or body.
    pub async fn post(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(app, path, &fields).await
    }

    pub async fn post_raw(
        &self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let res = no_redirects()
            .post(format!("{}{path}", app.base))
            .header("Cookie", format!("vigil_session={}", self.cookie))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        match location {
            Some(l) => (status, l),
            None => (status, res.text().await.unwrap()),
        }
    }
}

async fn register_device(app: &TestApp) {
    // The register is regulatory affairs' (admin manages users, not devices).
    let actor = Actor("admin:test".into());
    let regulatory = add_user(
        &*app.store,
        &actor,
        "ra-devices",
        Role::Regulatory,
        test_now(),
    )
    .unwrap()
    .1;
    let (s, body) = app.post("/api/v1/devices", &regulatory, &device()).await;
    assert_eq!(s, 201, "{body}");
    let sw = json!({"model_id": "liver-seg@2.3.0", "from": "2025-03-01"});
    let path = "/api/v1/devices/++EVIGILLIVERSEG01/software";
    let (s, body) = app.post(path, &regulatory, &sw).await;
    assert_eq!(s, 201, "{body}");
}

/// Open, classify and report an incident as the quality manager; returns its page path.
async fn quality_manager_flow(app: &TestApp, qm: &Session) -> String {
    let open = [
        ("model_id", "liver-seg@2.3.0"),
        ("title", "Liver under-segmented after scanner update"),
        (
            "description",
            "Segmentation missed the left lobe on three studies; reported by site A.",
        ),
        ("reporting_country", "de"),
    ];
    let (s, to) = qm.post(app, "/console/incidents", &open).await;
    assert_eq!(s, 303, "{to}");
    assert!(to.ends_with("?done=opened"), "{to}");
    let page = to.trim_end_matches("?done=opened").to_string();
    let (_, list) = qm.get(app, "/console/incidents").await;
    assert!(list.contains("Liver under-segmented") && list.contains("awaiting classification"));

    // A forged classification (no token) is refused and the clock stays unclassified.
    let forged = [("class", "death"), ("reason", "x")];
    let (s, body) = qm.post_raw(app, &format!("{page}/classify"), &forged).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("csrf_refused"));
    let (s, body) = qm
        .post(
            app,
            &format!("{page}/classify"),
            &[("class", "deadly"), ("reason", "x")],
        )
        .await;
    assert_eq!(s, 422, "a bad class names the field");
    assert!(body.contains("class must be"), "{body}");

    let classify = [
        ("class", "other_reportable"),
        ("reason", "Possible serious deterioration; reportable."),
    ];
    let (s, to) = qm.post(app, &format!("{page}/classify"), &classify).await;
    assert_eq!((s, to.ends_with("?done=classified")), (303, true), "{to}");
    let (_, html) = qm.get(app, &page).await;
    // Day 0 is 2026-11-20 (the test clock); 15 days later falls in December.
    assert!(html.contains("Due 2026-12-"), "{html}");
    assert!(html.contains("other reportable"));

    let fields = initial_fields().to_string();
    let report = [("stage", "initial"), ("fields", fields.as_str())];
    let (s, to) = qm.post(app, &format!("{page}/reports"), &report).await;
    assert_eq!((s, to.ends_with("?done=report")), (303, true), "{to}");
    page
}

#[actix_web::test]
async fn incidents_are_opened_classified_reported_and_submitted_from_the_console() {
    for db in databases() {
        let app = spawn_app(&db).await;
        register_device(&app).await;
        let actor = Actor("cli:test".into());
        let (_, ra_token) =
            add_user(&*app.store, &actor, "ra1", Role::Regulatory, test_now()).unwrap();
        let qm = Session::start(&app, &app.quality).await;
        let page = quality_manager_flow(&app, &qm).await;

        let (_, html) = qm.get(&app, &page).await;
        let mir = format!("{page}/reports/1/mir.xml");
        assert!(html.contains(&format!("href=\"{mir}\"")), "{html}");
        let (s, xml) = qm.get(&app, &mir).await;
        assert_eq!(s, 200, "{xml}");
        xmllint(&xml, "Initial");

        // Regulatory affairs records the submission but may not classify.
        let ra = Session::start(&app, &ra_token).await;
        let (s, _) = ra
            .post(
                &app,
                &format!("{page}/classify"),
                &[("class", "death"), ("reason", "r")],
            )
            .await;
        assert_eq!(s, 403, "{}: regulatory may not classify", db.label);
        let submission = [
            ("submitted_on", "2026-11-24"),
            ("authority", "BfArM"),
            ("reference", "DE-2026-4711"),
        ];
        let (s, to) = ra
            .post(&app, &format!("{page}/reports/1/submission"), &submission)
            .await;
        assert_eq!((s, to.ends_with("?done=submission")), (303, true), "{to}");
        let (_, html) = ra.get(&app, &page).await;
        assert!(
            html.contains("DE-2026-4711") && html.contains("reported"),
            "{html}"
        );
        assert!(
            !html.contains("id=\"act-classify\""),
            "no classify form for regulatory"
        );

        let ml = Session::start(&app, &app.ml).await;
        for path in ["/console/incidents", page.as_str(), mir.as_str()] {
            assert_eq!(ml.get(&app, path).await.0, 403, "ml on {path}");
        }
        let actions: Vec<(String, String)> = app
            .store
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| (e.action, e.actor))
            .collect();
        for (action, actor) in [
            ("incident.classify", "user:qm1"),
            ("incident.submission", "user:ra1"),
        ] {
            assert!(
                actions.contains(&(action.into(), actor.into())),
                "{action}: {actions:?}"
            );
        }
    }
}

#[actix_web::test]
async fn a_shadow_run_is_started_followed_and_promoted_from_the_console() {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("ORT_DYLIB_PATH is not set: skipping (see .ci/run)");
        return;
    }
    for db in databases() {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.blob_dir = blob_dir.path().to_string_lossy().into_owned();
        let app = spawn_app_with(&db, settings).await;
        seed_models_and_archive(&app).await;
        let ml = Session::start(&app, &app.ml).await;
        let (_, list) = ml.get(&app, "/console/shadow-runs").await;
        assert!(list.contains("No shadow runs yet") && list.contains("id=\"start-run\""));
        let profile = r#"{"name": "edge", "memory_limit_mib": 512, "latency_budget_ms": 5000}"#;
        let start = [
            ("model", "liver-seg"),
            ("candidate", "2.4.0"),
            ("metric", "dice"),
            ("margin", "0.05"),
            ("alpha", "0.05"),
            ("profile", profile),
        ];
        let (s, body) = ml
            .post(
                &app,
                "/console/shadow-runs",
                &[&start[..5], &[("profile", "{")][..]].concat(),
            )
            .await;
        assert_eq!(s, 422, "a broken profile names the field");
        assert!(body.contains("profile:"), "{body}");
        let (s, run) = ml.post(&app, "/console/shadow-runs", &start).await;
        assert_eq!(s, 303, "{run}");
        let (_, html) = ml.get(&app, &run).await;
        assert!(
            html.contains("0 of 12 cases") && html.contains("id=\"cancel-run\""),
            "{html}"
        );

        run_jobs(&app, blob_dir.path(), &db).await;
        let (_, html) = ml.get(&app, &run).await;
        assert!(
            html.contains("id=\"verdict\"") && html.contains(">passed<"),
            "{html}"
        );
        for part in [
            "id=\"strata\"",
            "id=\"budget\"",
            "id=\"cases\"",
            "id=\"promote\"",
        ] {
            assert!(html.contains(part), "{part} missing");
        }
        let (s, png) = ml.get(&app, &format!("{run}/chart.png")).await;
        assert_eq!((s, png.is_empty()), (200, false));

        // Quality reads the dossier but may not promote; the ML user promotes with the run.
        let qm = Session::start(&app, &app.quality).await;
        let (_, html) = qm.get(&app, &run).await;
        assert!(html.contains(">passed<") && !html.contains("id=\"promote\""));
        assert_eq!(qm.post(&app, &format!("{run}/promote"), &[]).await.0, 403);
        let (s, to) = ml.post(&app, &format!("{run}/promote"), &[]).await;
        assert_eq!((s, to.as_str()), (303, run.as_str()), "{}", db.label);
        let id = app
            .store
            .find_model("liver-seg", "2.4.0")
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(
            app.store.artifact(&id).unwrap().unwrap().role,
            ModelRole::Deployed
        );
        let (_, html) = ml.get(&app, &run).await;
        assert!(html.contains("The candidate is the deployed version"));
        let csrf = csrf_of(&html);
        assert_eq!(csrf, ml.csrf);
    }
}

/// Two artefacts (2.3.0 deployed by an admin override, 2.4.0 the better candidate) and the
/// 12 fixture cases archived, through the API.
pub async fn seed_models_and_archive(app: &TestApp) {
    let actor = Actor("cli:test".into());
    add_model(
        &*app.store,
        &actor,
        "liver-seg",
        "2.4.0",
        liver_schema(),
        test_now(),
    )
    .unwrap();
    let spec = file("spec.json");
    let (s, body) = upload(app, "2.3.0", "models/deployed.onnx", spec.clone()).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = upload(app, "2.4.0", "models/candidate_better.onnx", spec).await;
    assert_eq!(s, 200, "{body}");
    let reason = json!({"override_reason": "first deployment, validated in the clinical study"});
    let path = "/api/v1/models/liver-seg/versions/2.3.0/promote";
    let (s, body) = app.post(path, &app.admin, &reason).await;
    assert_eq!(s, 200, "{body}");
    archive_everything(app).await;
}
