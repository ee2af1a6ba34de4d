//! Support for the console tests: an alert with a stream of findings (so the alert page has a
//! chart and figures), sign-in over plain HTTP with the session cookie, and a headless
//! Chromium driven over WebDriver (Debian `chromium` + `chromium-driver`; `.ci/run` installs
//! them) with screenshots saved under the target directory.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use chrono::Duration;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;
use sha2::{Digest, Sha256};
use vigil::alerting::alert::Alert;
use vigil::alerting::rules::Signal;
use vigil::domain::audit::AuditDraft;
use vigil::monitoring::findings::{Finding, FindingStatus, WindowKind};
use vigil::monitoring::plan::{AlertPolicy, Severity};
use vigil::service::alerts::{SignalReport, apply_signal};
use vigil::storage::{EvaluationJob, MonitorCursor, NewPlan, Store, StoredBaseline, StoredFinding};

use crate::support::{TestApp, test_now};

pub const MODEL_ID: &str = "liver-seg@2.3.0";

/// Open a mean-Dice alert on `site=site-a` with 30 daily points and a rolling finding.
pub fn alert_with_findings(store: &dyn Store) -> Alert {
    let report = SignalReport {
        model: MODEL_ID.into(),
        rule: "mean_dice:liver".into(),
        stratum: "site=site-a".into(),
        title: "Mean Dice below the acceptance limit".into(),
        summary: "Mean Dice 0.884 (95% CI 0.871–0.897) below 0.90 over 28 days, n = 140.".into(),
        evidence: None,
        signal: Signal {
            crossing: true,
            severity: Severity::High,
            at: test_now(),
        },
    };
    let alert = apply_signal(store, &report, &AlertPolicy::default())
        .unwrap()
        .1
        .unwrap();
    seed_findings(store);
    alert
}

/// An evaluation with 30 daily mean-Dice points drifting down and one rolling signal.
fn seed_findings(store: &dyn Store) {
    let today = test_now().date_naive();
    let job = EvaluationJob {
        id: "eval-1".into(),
        model: "liver-seg".into(),
        trigger: "request".into(),
        requested_by: "user:qm1".into(),
        requested_at: test_now(),
        as_of: today,
        status: "done".into(),
        runner: None,
        lease_until: None,
        started_at: None,
        finished_at: None,
        summary: None,
        error: None,
    };
    store.enqueue_evaluation(&job).unwrap();
    let finding = |seq: i64, kind, start, days: i64, est: f64| {
        let mut f = Finding::new(
            "site=site-a",
            (kind, start, start + Duration::days(days)),
            "mean_dice:liver".into(),
            "t_interval",
            20,
            hex::encode(Sha256::digest(seq.to_string())),
        );
        (f.status, f.estimate) = (FindingStatus::Ok, Some(est));
        StoredFinding {
            evaluation_id: "eval-1".into(),
            seq,
            model_id: MODEL_ID.into(),
            plan_version: 2,
            baseline_id: "b7d0c3a1e5f24c6b8a9d".into(),
            finding: f,
            created_at: test_now(),
        }
    };
    let mut all: Vec<StoredFinding> = (0..30)
        .map(|i| {
            let est = 0.935 - 0.0018 * f64::from(i) + 0.004 * f64::from(i % 3);
            finding(
                i64::from(i),
                WindowKind::Day,
                today - Duration::days(30 - i64::from(i)),
                1,
                est,
            )
        })
        .collect();
    let mut rolling = finding(
        30,
        WindowKind::Rolling,
        today - Duration::days(28),
        28,
        0.884,
    );
    let f = &mut rolling.finding;
    (f.status, f.n, f.statistic, f.p_value) =
        (FindingStatus::Signal, 140, Some(-2.41), Some(0.0087));
    (f.ci_low, f.ci_high, f.limit) = (Some(0.871), Some(0.897), Some(0.90));
    all.push(rolling);
    let cursor = MonitorCursor {
        model_id: MODEL_ID.into(),
        through: today,
        baseline_id: "b7d0c3a1e5f24c6b8a9d".into(),
        plan_version: 2,
        state: "{}".into(),
        updated_at: test_now(),
    };
    store.save_progress(&all, &cursor).unwrap();
}

const PLAN_V1: &str = "model = \"liver-seg\"\n\n[windows]\ntumbling_days = 7\nrolling_days = 28\nfdr_q = 0.05\n\n[[quality]]\nindicator = \"mean_dice\"\nlabel = \"liver\"\nlimit = 0.90\n";

/// Two plan versions (v2 tightens the FDR level) and a frozen baseline for the model page.
pub fn seed_plans_and_baseline(store: &dyn Store) {
    let audit = AuditDraft {
        actor: "user:qm1".into(),
        action: "plan.set".into(),
        target: "liver-seg".into(),
        details: "{}".into(),
    };
    for body in [
        PLAN_V1.to_string(),
        PLAN_V1.replace("fdr_q = 0.05", "fdr_q = 0.01"),
    ] {
        let plan = NewPlan {
            model: "liver-seg".into(),
            body_sha256: format!("{:064x}", body.len()),
            body,
            created_at: test_now(),
            created_by: "user:qm1".into(),
        };
        store.append_plan(&plan, &audit).unwrap();
    }
    let baseline = StoredBaseline {
        id: "b7d0c3a1e5f24c6b8a9d".into(),
        model_id: MODEL_ID.into(),
        source: "freeze:first_days=28".into(),
        rows: 2_800,
        body: "{}".into(),
        body_sha256: "9".repeat(64),
        created_at: test_now(),
        created_by: "user:ml1".into(),
    };
    store.insert_baseline(&baseline, &audit).unwrap();
}

/// A plain HTTP client that does not follow redirects (the tests look at them).
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of cookie `name` in a response's `Set-Cookie` headers, with the whole header.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| {
            let value = h
                .strip_prefix(&format!("{name}="))?
                .split(';')
                .next()?
                .to_string();
            Some((value, h.to_string()))
        })
}

/// The value of the hidden `csrf` input of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// Sign in over HTTP; returns the session cookie value and the session's CSRF token.
pub async fn sign_in(app: &TestApp, token: &str) -> (String, String) {
    let http = no_redirects();
    let page = http
        .get(format!("{}/console/login", app.base))
        .send()
        .await
        .unwrap();
    let (nonce, _) = set_cookie(&page, "vigil_login").expect("login cookie");
    let html = page.text().await.unwrap();
    let res = http
        .post(format!("{}/console/login", app.base))
        .header("Cookie", format!("vigil_login={nonce}"))
        .form(&[
            ("token", token),
            ("csrf", &csrf_of(&html)),
            ("next", "/console"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "sign-in answers a redirect");
    let (session, _) = set_cookie(&res, "vigil_session").expect("session cookie");
    let fleet = http
        .get(format!("{}/console", app.base))
        .header("Cookie", format!("vigil_session={session}"))
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&fleet.text().await.unwrap());
    (session, csrf)
}

/// Where screenshots go: `<target>/console-screenshots/<backend>/`.
pub fn screenshot_dir(label: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("console-screenshots").join(label);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A headless Chromium behind its own chromedriver, with a fresh profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Self {
        let port = crate::email::free_port();
        let driver_bin =
            std::env::var("VIGIL_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        // A time zone other than UTC, so the tests see times converted for the reader.
        let mut driver = Command::new(&driver_bin)
            .env("TZ", "Europe/Berlin").arg(format!("--port={port}"))
            .stdout(Stdio::null()).stderr(Stdio::null()).spawn()
            .expect("chromedriver is needed for the console tests (apt-get install chromium chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let mut ready = false;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                ready = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if !ready {
            let _ = driver.kill();
            panic!("chromedriver did not start on port {port}");
        }
        let binary =
            std::env::var("VIGIL_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": binary, "args": args}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Resize the window to `width` and the page's full height, and save a screenshot as
    /// `<name>-<width>.png`.
    pub async fn shoot(&self, dir: &std::path::Path, name: &str, width: u32) -> PathBuf {
        self.client.set_window_size(width, 900).await.unwrap();
        let h = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .unwrap();
        let h = h.as_u64().unwrap_or(900).clamp(600, 4000) as u32;
        self.client.set_window_size(width, h + 140).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        self.client.set_window_size(width, 900).await.unwrap();
        let path = dir.join(format!("{name}-{width}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Click `css` (a submit button) and wait until the next page has loaded: the old body is
    /// marked first, so the wait cannot mistake the old page for the new one.
    pub async fn submit(&self, css: &str) {
        self.client
            .execute("document.body.setAttribute('data-old', '');", vec![])
            .await
            .unwrap();
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
        self.client
            .wait()
            .for_element(fantoccini::Locator::Css("body:not([data-old]) footer"))
            .await
            .unwrap();
    }

    /// Whether the page fits the window's width (no sideways scrolling of the whole page).
    pub async fn fits_width(&self) -> bool {
        let v = self
            .client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
                vec![],
            )
            .await
            .unwrap();
        v.as_bool().unwrap_or(false)
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
