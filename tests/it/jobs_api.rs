//! The generic job API on every backend: list with filters, show one, cancel (admin or the
//! requester; 409 once ended), refused filters.

use serde_json::json;
use vigil::storage::jobs::{JobStore, NewJob};

use crate::support::{databases, spawn_app, test_now};

fn job(kind: &str, by: &str) -> NewJob {
    NewJob {
        id: uuid::Uuid::new_v4().to_string(),
        kind: kind.into(),
        subject: Some("liver-seg".into()),
        payload: json!({"model": "liver-seg"}),
        requested_by: by.into(),
        created_at: test_now(),
        max_attempts: 3,
        unique_queued: false,
    }
}

#[actix_web::test]
async fn jobs_are_listed_shown_and_cancelled_through_the_api() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store: &dyn JobStore = &*app.store;
        let mine = store.enqueue_job(&job("report", "user:qm1")).unwrap();
        let other = store.enqueue_job(&job("shadow_run", "user:ml1")).unwrap();

        let (s, all) = app.get("/api/v1/jobs", &app.quality).await;
        assert_eq!(s, 200, "{all}");
        assert_eq!(all.as_array().unwrap().len(), 2, "{}", db.label);
        let (_, reports) = app
            .get("/api/v1/jobs?kind=report&state=queued", &app.ml)
            .await;
        assert_eq!(reports.as_array().unwrap().len(), 1);
        assert_eq!(reports[0]["id"], mine.id.as_str());
        assert_eq!(reports[0]["state"], "queued");
        assert_eq!(
            reports[0]["progress"],
            json!({"done": 0, "total": 0, "message": null})
        );
        let (s, bad) = app.get("/api/v1/jobs?state=done", &app.quality).await;
        assert_eq!(
            (s, bad["code"].as_str()),
            (422, Some("validation_failed")),
            "{bad}"
        );
        assert_eq!(bad["details"][0]["path"], "state");

        let (s, one) = app
            .get(&format!("/api/v1/jobs/{}", other.id), &app.quality)
            .await;
        assert_eq!((s, one["kind"].as_str()), (200, Some("shadow_run")));
        let (s, _) = app.get("/api/v1/jobs/nope", &app.quality).await;
        assert_eq!(s, 404);
        let (s, _) = app.get("/api/v1/jobs", &app.site_key).await;
        assert_eq!(s, 403);

        // Only the requester or an admin cancels.
        let cancel = |id: &str| format!("/api/v1/jobs/{id}/cancel");
        let (s, _) = app.post(&cancel(&other.id), &app.quality, &json!({})).await;
        assert_eq!(s, 403, "{}", db.label);
        let (s, c) = app.post(&cancel(&mine.id), &app.quality, &json!({})).await;
        assert_eq!((s, c["state"].as_str()), (200, Some("cancelled")), "{c}");
        let (s, c) = app.post(&cancel(&other.id), &app.admin, &json!({})).await;
        assert_eq!((s, c["state"].as_str()), (200, Some("cancelled")));
        let (s, c) = app.post(&cancel(&other.id), &app.admin, &json!({})).await;
        assert_eq!((s, c["code"].as_str()), (409, Some("conflict")), "{c}");
    }
}
