//! The alert webhook: an alert queued for the webhook reaches a real HTTP receiver with a
//! verifiable HMAC signature; while the receiver is down it stays queued and is delivered
//! once, when it is back.

use std::sync::Arc;

use chrono::Duration;
use serde_json::Value;
use vigil::alerting::email::Reason;
use vigil::alerting::smtp::DirMailer;
use vigil::alerting::webhook::{Courier, alert_webhook_message};
use vigil::service::notify::{DispatchReport, dispatch_due};
use vigil::service::retraining::sign;
use vigil::storage::Store;

use crate::email::{free_port, open_alert};
use crate::retraining::start_receiver_on;
use crate::support::{databases, spawn_app, test_now};

/// Dispatch on the blocking pool, as the server's dispatcher does; the test runtime stays
/// free to run the receiver.
async fn dispatch(
    store: Arc<dyn Store>,
    courier: Arc<Courier>,
    at: chrono::DateTime<chrono::Utc>,
) -> DispatchReport {
    actix_web::web::block(move || dispatch_due(&*store, &*courier, at).unwrap())
        .await
        .unwrap()
}

#[actix_web::test]
async fn alert_reaches_the_webhook_signed_and_survives_an_outage() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let alert = open_alert(&*app.store);
        let mail_dir = tempfile::tempdir().unwrap();
        let mailer = DirMailer::new(mail_dir.path().to_path_buf(), "vigil@localhost".into());
        let courier = Arc::new(Courier::new(Box::new(mailer), "alert-secret"));

        // Receiver down: nothing listens on its port yet.
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/hook");
        let m = alert_webhook_message(&alert, Reason::Opened, &url, "http://vigil", test_now());
        assert!(app.store.enqueue_message(&m).unwrap());
        let again = alert_webhook_message(&alert, Reason::Opened, &url, "http://vigil", test_now());
        assert!(
            !app.store.enqueue_message(&again).unwrap(),
            "queued once per alert and reason"
        );
        let r = dispatch(app.store.clone(), courier.clone(), test_now()).await;
        assert_eq!((r.sent, r.failed), (0, 1), "{}", db.label);
        let r = dispatch(
            app.store.clone(),
            courier.clone(),
            test_now() + Duration::seconds(10),
        )
        .await;
        assert_eq!((r.sent, r.failed), (0, 0), "backing off");
        // The receiver comes up: the message is delivered once, and only once.
        let (_, received) = start_receiver_on(port);
        let r = dispatch(
            app.store.clone(),
            courier.clone(),
            test_now() + Duration::seconds(31),
        )
        .await;
        assert_eq!((r.sent, r.failed), (1, 0), "{}", db.label);
        let r = dispatch(
            app.store.clone(),
            courier.clone(),
            test_now() + Duration::hours(2),
        )
        .await;
        assert_eq!((r.sent, r.failed), (0, 0));
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        let (body, signature) = &got[0];
        assert_eq!(signature, &sign("alert-secret", body.as_bytes()));
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["event"], "alert.opened");
        assert_eq!(v["alert"]["id"], alert.id.as_str());
        assert_eq!(v["alert"]["rule"], "quality:mean_dice:liver");
        let link = v["link"].as_str().unwrap();
        assert!(
            link.ends_with(&format!("/console/alerts/{}", alert.id)),
            "{link}"
        );
        assert!(
            v["api"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/v1/alerts/{}", alert.id))
        );
        // Nothing went to the mail directory: webhook messages never become e-mails.
        assert_eq!(
            std::fs::read_dir(mail_dir.path())
                .map(|d| d.count())
                .unwrap_or(0),
            0
        );
        let stored = app.store.outbox_messages().unwrap();
        assert_eq!(stored.iter().filter(|m| m.sent_at.is_some()).count(), 1);
        assert!(
            stored
                .iter()
                .all(|m| m.channel == vigil::alerting::outbox::Channel::Webhook)
        );
    }
}
