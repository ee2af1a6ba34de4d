//! Alert e-mail over real SMTP: an SMTP sink on 127.0.0.1 (`smtp_sink.rs`, in-process, no
//! Python needed) receives the messages, and the tests read what arrived. Also the outage
//! case: while SMTP is down the outbox keeps the alert and retries with back-off, then delivers
//! it exactly once.

use std::process::Command;

use chrono::Duration;
use vigil::alerting::alert_chart::{AlertChart, ChartDay};
use vigil::alerting::email::Reason;
use vigil::alerting::rules::Signal;
use vigil::alerting::smtp::SmtpMailer;
use vigil::config::{Settings, SmtpSecurity};
use vigil::monitoring::plan::{AlertPolicy, Severity};
use vigil::service::alerts::{SignalReport, apply_signal};
use vigil::service::notify::{dispatch_due, enqueue_alert};

pub use crate::smtp_sink::SmtpSink;
use crate::support::{databases, spawn_app, test_now};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn smtp_settings(port: u16) -> Settings {
    Settings {
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_security: SmtpSecurity::None,
        ..Settings::default()
    }
}

fn chart() -> AlertChart {
    let start = test_now().date_naive() - Duration::days(10);
    let days = (0..10)
        .map(|i| ChartDay {
            day: start + Duration::days(i),
            value: Some(0.93 - 0.004 * i as f64),
            statistic: Some((i as f64 - 4.0).max(0.0)),
            signal: i >= 9,
        })
        .collect();
    AlertChart {
        title: "Mean Dice of liver shifted down (CUSUM) (site=site-a)".into(),
        unit: "Dice".into(),
        days,
        baseline: Some(0.93),
        acceptance_limit: Some(0.9),
        chart_name: "CUSUM".into(),
        chart_limit: Some(4.39),
        window: None,
    }
}

pub fn open_alert(store: &dyn vigil::storage::Store) -> vigil::alerting::alert::Alert {
    let report = SignalReport {
        model: "liver-seg".into(),
        rule: "quality:mean_dice:liver".into(),
        stratum: "site=site-a".into(),
        title: "Mean Dice below the acceptance limit".into(),
        summary: "Mean Dice 0.884 (95% CI 0.871-0.897) below 0.90 over 7 days, n=140".into(),
        evidence: None,
        signal: Signal {
            crossing: true,
            severity: Severity::High,
            at: test_now(),
        },
    };
    let policy = AlertPolicy::default();
    apply_signal(store, &report, &policy).unwrap().1.unwrap()
}

#[actix_web::test]
async fn alert_email_arrives_with_text_html_chart_and_link() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store = &*app.store;
        let alert = open_alert(store);
        let to = vec!["qm@example.org".to_string(), "prrc@example.org".to_string()];
        assert!(
            enqueue_alert(
                store,
                &alert,
                Reason::Opened,
                to.clone(),
                "https://vigil.example.org",
                Some(&chart()),
                test_now()
            )
            .unwrap()
        );
        assert!(
            !enqueue_alert(
                store,
                &alert,
                Reason::Opened,
                to,
                "https://vigil.example.org",
                None,
                test_now()
            )
            .unwrap(),
            "queued once"
        );
        let port = free_port();
        let sink = SmtpSink::start(port);
        let mailer = SmtpMailer::from_settings(&smtp_settings(port)).unwrap();
        let report = dispatch_due(store, &mailer, test_now()).unwrap();
        assert_eq!((report.sent, report.failed), (1, 0), "{}", app.label);
        let msgs = sink.messages();
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        assert!(
            m.contains(
                "Subject: [Vigil HIGH] Mean Dice below the acceptance limit - liver-seg\r\n"
            ),
            "the subject names the model once and repeats nothing: {m}"
        );
        let queued = &store.outbox_messages().unwrap()[0];
        assert!(
            m.contains(&format!("Message-ID: <{}@localhost>", queued.id)),
            "Message-ID from the outbox id and the sender's domain: {m}"
        );
        assert!(m.contains("qm@example.org") && m.contains("prrc@example.org"));
        for part in [
            "Content-Type: text/plain",
            "Content-Type: text/html",
            "Content-Type: image/png",
        ] {
            assert!(m.contains(part), "missing {part}");
        }
        assert!(
            m.contains(&format!(
                "https://vigil.example.org/console/alerts/{}",
                alert.id
            )),
            "link: {m}"
        );
        assert_eq!(
            dispatch_due(store, &mailer, test_now() + Duration::hours(2))
                .unwrap()
                .sent,
            0,
            "sent once"
        );
    }
}

#[actix_web::test]
async fn smtp_outage_loses_nothing_and_duplicates_nothing() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store = &*app.store;
        let alert = open_alert(store);
        enqueue_alert(
            store,
            &alert,
            Reason::Opened,
            vec!["qm@example.org".into()],
            "http://x",
            None,
            test_now(),
        )
        .unwrap();
        let port = free_port(); // nothing listens here yet: SMTP is down
        let mailer = SmtpMailer::from_settings(&smtp_settings(port)).unwrap();
        let r = dispatch_due(store, &mailer, test_now()).unwrap();
        assert_eq!((r.sent, r.failed), (0, 1));
        let queued = store.outbox_messages().unwrap();
        assert_eq!((queued[0].attempts, queued[0].sent_at), (1, None));
        assert_eq!(
            queued[0].next_attempt_at,
            test_now() + Duration::seconds(30)
        );
        assert!(queued[0].last_error.is_some());
        assert_eq!(
            dispatch_due(store, &mailer, test_now() + Duration::seconds(10)).unwrap(),
            Default::default(),
            "backing off"
        );
        let r = dispatch_due(store, &mailer, test_now() + Duration::seconds(31)).unwrap();
        assert_eq!((r.sent, r.failed), (0, 1), "still down");
        let sink = SmtpSink::start(port);
        let r = dispatch_due(store, &mailer, test_now() + Duration::seconds(200)).unwrap();
        assert_eq!((r.sent, r.failed), (1, 0), "{}", app.label);
        assert_eq!(
            dispatch_due(store, &mailer, test_now() + Duration::hours(5))
                .unwrap()
                .sent,
            0
        );
        assert_eq!(sink.messages().len(), 1, "delivered exactly once");
        assert_eq!(store.outbox_messages().unwrap()[0].attempts, 3);
    }
}

#[test]
fn test_email_command_reaches_the_smtp_server() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["alert", "test-email", "--to", "qm@example.org"])
        .env("VIGIL_SMTP_HOST", "127.0.0.1")
        .env("VIGIL_SMTP_PORT", port.to_string())
        .env("VIGIL_SMTP_SECURITY", "none")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].contains("Subject: [Vigil] test e-mail"));
    drop(sink);
    let down = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["alert", "test-email", "--to", "qm@example.org"])
        .env("VIGIL_SMTP_HOST", "127.0.0.1")
        .env("VIGIL_SMTP_PORT", free_port().to_string())
        .env("VIGIL_SMTP_SECURITY", "none")
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
}
