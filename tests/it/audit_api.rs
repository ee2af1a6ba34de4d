//! The audit checkpoint a running service gives an external monitor: `GET
//! /api/v1/audit/checkpoint` signs the trail's head under the configured key (it verifies
//! against the stored trail, and no longer once the newest entry is deleted), the metrics show
//! its entry count, ml may not read it, and without a key the route says which setting is
//! missing.

use vigil::config::Secret;
use vigil::domain::audit_checkpoint::Checkpoint;

use crate::cli::tamper;
use crate::support::{databases, settings_for, spawn_app, spawn_app_with};

#[actix_web::test]
async fn the_checkpoint_route_signs_the_head_and_catches_truncation() {
    for db in databases() {
        let mut settings = settings_for(&db);
        settings.audit_checkpoint_key = Secret::new("checkpoint-key");
        let app = spawn_app_with(&db, settings).await;
        let (status, body) = app.get("/api/v1/audit/checkpoint", &app.quality).await;
        assert_eq!(status, 200, "{}: {body}", app.label);
        let cp: Checkpoint = serde_json::from_value(body).unwrap();
        let trail = app.store.audit_entries().unwrap();
        assert_eq!(cp.entries as usize, trail.len());
        cp.check(&trail, b"checkpoint-key").unwrap();
        assert!(cp.check(&trail, b"another-key").is_err());
        let (status, _) = app.get("/api/v1/audit/checkpoint", &app.ml).await;
        assert_eq!(status, 403);
        let metrics = app
            .client
            .get(format!("{}/metrics", app.base))
            .bearer_auth("metrics-secret")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let line = format!("vigil_audit_checkpoint_entries {}", trail.len());
        assert!(metrics.contains(&line), "{metrics}");
        let newest = trail.last().unwrap().seq;
        tamper(&db, &format!("DELETE FROM audit_log WHERE seq = {newest}"));
        let truncated = app.store.audit_entries().unwrap();
        assert_eq!(truncated.len() + 1, trail.len(), "{}", app.label);
        let why = cp.check(&truncated, b"checkpoint-key").unwrap_err();
        assert!(why.contains("deleted"), "{why}");
    }
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let (status, body) = app.get("/api/v1/audit/checkpoint", &app.admin).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("audit_checkpoint_key")
    );
}
