//! `vigil serve --demo`: against a server on the real clock, the demo feeds its fleet through
//! the API and evaluates it, so the newcomer finds findings, alerts for both injected changes
//! and queued e-mails.

use std::net::TcpListener;
use std::sync::Arc;

use vigil::app::Application;
use vigil::commands::demo::run_demo;
use vigil::service::{Clock, SystemClock};
use vigil::storage::{AlertFilter, FindingQuery};

use crate::support::{settings_for, sqlite_db};

#[actix_web::test]
async fn the_demo_fleet_yields_findings_alerts_and_emails() {
    let db = sqlite_db();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = Application::build_with(
        settings_for(&db),
        listener,
        Arc::new(SystemClock) as Arc<dyn Clock>,
    )
    .unwrap();
    let state = app.state.clone();
    actix_web::rt::spawn(app.server);
    run_demo(state.clone(), addr).await;
    let store = &*state.store;
    let alerts = store
        .alerts(&AlertFilter {
            state: None,
            model: Some("liver-seg".into()),
            limit: 1000,
            after: None,
        })
        .unwrap();
    let has = |rule: &str, stratum: &str| {
        alerts
            .iter()
            .any(|a| a.rule == rule && a.stratum == stratum)
    };
    assert!(has("mean_dice:liver", "site=sim-site-02"), "{alerts:?}");
    assert!(has("drift:hu_mean", "site=sim-site-03"), "{alerts:?}");
    let findings = store
        .findings(&FindingQuery {
            model_id: Some("liver-seg@1.0.0".into()),
            limit: 10,
            ..FindingQuery::default()
        })
        .unwrap();
    assert_eq!(findings.len(), 10);
    assert_eq!(store.outbox_messages().unwrap().len(), alerts.len());
}
