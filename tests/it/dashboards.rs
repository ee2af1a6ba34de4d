//! The Grafana dashboards proven against the real thing: their JSON has the structure a
//! current Grafana (schema 39) loads and refers only to the provisioned data sources; then
//! a running Vigil is fed a simulated fleet and evaluated, a real Prometheus (Debian's
//! `prometheus`, on loopback, scraping every second) scrapes it, and every PromQL query of
//! every panel must parse and return data through Prometheus's HTTP API, while every SQL
//! panel's query must run against the database views and return rows (PostgreSQL when
//! `TEST_DATABASE_URL` is set).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::{Value, json};
use vigil::app::Application;
use vigil::commands::simulate::{SimulateArgs, simulate};
use vigil::domain::Role;
use vigil::service::admin::{Actor, add_user};
use vigil::service::{Clock, FixedClock};

use crate::email::free_port;
use crate::support::{TestDb, databases, event, settings_for};

const PROM_UID: &str = "vigil-prometheus";
const SQL_UID: &str = "vigil-postgres";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn dashboards() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo("dashboards")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            out.push((name, serde_json::from_str(&text).unwrap()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// (dashboard, panel title, data source uid, query text) for every target of every panel.
fn queries() -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for (name, d) in dashboards() {
        for p in d["panels"].as_array().unwrap() {
            for t in p["targets"].as_array().unwrap() {
                let uid = t["datasource"]["uid"].as_str().unwrap().to_string();
                let q = t["expr"].as_str().or(t["rawSql"].as_str()).unwrap();
                out.push((
                    name.clone(),
                    p["title"].as_str().unwrap().into(),
                    uid,
                    q.into(),
                ));
            }
        }
    }
    out
}

#[test]
fn dashboards_have_grafana_structure_and_known_data_sources() {
    let prov: Value = serde_norway::from_str(
        &std::fs::read_to_string(repo("dashboards/provisioning/datasources/vigil.yml")).unwrap(),
    )
    .unwrap();
    let uids: BTreeSet<&str> = prov["datasources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, BTreeSet::from([PROM_UID, SQL_UID]));
    let boards = dashboards();
    let want = [
        "alerts-incidents.json",
        "drift.json",
        "fleet-overview.json",
        "model-quality.json",
        "service-health.json",
        "site-drilldown.json",
    ];
    assert_eq!(
        boards.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(),
        want
    );
    let mut board_uids = BTreeSet::new();
    for (name, d) in &boards {
        assert!(d["schemaVersion"].as_i64().unwrap() >= 39, "{name}");
        assert!(board_uids.insert(d["uid"].as_str().unwrap()), "{name}: uid");
        assert!(!d["title"].as_str().unwrap().is_empty());
        let mut ids = BTreeSet::new();
        for p in d["panels"].as_array().unwrap() {
            assert!(ids.insert(p["id"].as_i64().unwrap()), "{name}: panel ids");
            let g = &p["gridPos"];
            assert!(
                g["x"].as_i64().unwrap() + g["w"].as_i64().unwrap() <= 24,
                "{name}"
            );
            assert!(g["h"].as_i64().unwrap() > 0);
            let ty = p["type"].as_str().unwrap();
            assert!(
                ["timeseries", "stat", "table", "heatmap"].contains(&ty),
                "{name}: {ty}"
            );
            for t in p["targets"].as_array().unwrap() {
                let uid = t["datasource"]["uid"].as_str().unwrap();
                assert!(uids.contains(uid), "{name}: unknown data source {uid}");
                let field = if uid == PROM_UID { "expr" } else { "rawSql" };
                assert!(t[field].as_str().is_some_and(|q| !q.is_empty()), "{name}");
                assert!(t["refId"].is_string());
            }
        }
        for v in d["templating"]["list"].as_array().unwrap() {
            assert!(uids.contains(v["datasource"]["uid"].as_str().unwrap()));
        }
    }
}

/// A Prometheus process on loopback, stopped on drop.
struct Prometheus {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(vigil_port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        let rules = repo("deploy/prometheus/rules.yml");
        std::fs::write(
            &config,
            format!(
                "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
                 rule_files: [{rules:?}]\n\
                 scrape_configs:\n  - job_name: vigil\n    authorization: {{credentials: metrics-secret}}\n    \
                 static_configs: [{{targets: [\"127.0.0.1:{vigil_port}\"]}}]\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new(std::env::var("PROMETHEUS").unwrap_or("prometheus".into()))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (apt-get install prometheus) is needed for the dashboard test");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// An instant query; Err carries Prometheus's error (a parse error fails at once).
    async fn query(&self, client: &reqwest::Client, q: &str) -> Result<Vec<Value>, String> {
        let res = client
            .get(format!("{}/api/v1/query", self.base))
            .query(&[("query", q)])
            .send()
            .await
            .map_err(|e| format!("unreachable: {e}"))?;
        let body: Value = res.json().await.map_err(|e| e.to_string())?;
        if body["status"] != "success" {
            return Err(format!("refused: {body}"));
        }
        Ok(body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

/// Vigil on a clock near the real time (Prometheus compares timestamps with its own now).
async fn spawn_live(db: &TestDb) -> (u16, [String; 4]) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let app = Application::build_with(settings_for(db), listener, clock as Arc<dyn Clock>)
        .expect("app builds");
    let store = app.state.store.clone();
    let port = app.port;
    actix_web::rt::spawn(app.server);
    let actor = Actor("cli:test".into());
    let (now, s) = (Utc::now(), &*store);
    let admin = add_user(s, &actor, "admin1", Role::Admin, now).unwrap().1;
    let quality = add_user(s, &actor, "qm1", Role::Quality, now).unwrap().1;
    let ml = add_user(s, &actor, "ml1", Role::Ml, now).unwrap().1;
    let regulatory = add_user(s, &actor, "ra1", Role::Regulatory, now).unwrap().1;
    (port, [admin, quality, ml, regulatory])
}

async fn feed_and_evaluate(port: u16, [admin, quality, ml, regulatory]: &[String; 4]) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(
        &scenario,
        "[fleet]\ncases_per_day = 40\nreview_rate = 0.3\n[[changes]]\nkind = \"intensity_shift\"\n\
         site = 2\nfrom_day = 28\nshift_sd = 1.0\n",
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let args = SimulateArgs {
        sites: 3,
        days: 40,
        seed: 5,
        scenario: Some(scenario),
        target: Some(base.clone()),
        token: Some(admin.clone()),
        quality_token: Some(quality.clone()),
        ml_token: Some(ml.clone()),
        start: Some(Utc::now().date_naive() - chrono::Duration::days(40)),
        batch: 500,
        concurrency: 2,
        no_baseline: false,
        allow_existing_model: false,
        reference_cases: 1000,
        plan: None,
        replay: Default::default(),
    };
    simulate(&args, false).await.unwrap();
    let client = reqwest::Client::new();
    let job: Value = client
        .post(format!("{base}/api/v1/evaluations"))
        .bearer_auth(quality)
        .json(&json!({"model": "liver-seg"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("{base}/api/v1/evaluations/{}", job["id"].as_str().unwrap());
    for _ in 0..2400 {
        let j: Value = client
            .get(&path)
            .bearer_auth(quality)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if j["status"] == "done" {
            let incident = escalate_first_alert(&client, &base, quality).await;
            return report_incident(&client, &base, regulatory, &incident).await;
        }
        assert_ne!(j["status"], "failed", "{j}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("evaluation did not finish");
}

/// Escalate the newest alert (which opens its incident) and classify the incident, so that
/// the vigilance deadline panel has a clock to show; returns the incident's id.
async fn escalate_first_alert(client: &reqwest::Client, base: &str, quality: &str) -> String {
    let call = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(quality)
            .json(&body)
            .send()
    };
    let alerts: Value = client
        .get(format!("{base}/api/v1/alerts"))
        .bearer_auth(quality)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = alerts["items"][0]["id"]
        .as_str()
        .expect("the drift raised an alert");
    let esc: Value = call(
        &format!("/api/v1/alerts/{id}/escalate"),
        json!({"reporting_country": "DE"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let incident = esc["incident"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{esc}"));
    let class = json!({"class": "other_reportable", "reason": "input drift may affect volumes"});
    let res = call(&format!("/api/v1/incidents/{incident}/classify"), class)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    incident.to_string()
}

/// Register the device with the incident's software version, generate the initial report
/// (with IMDRF codes) and record its submission today, so that the incident panels (stages,
/// clocks, codes per device, time to report) have rows to show.
async fn report_incident(client: &reqwest::Client, base: &str, regulatory: &str, id: &str) {
    let call = async |path: &str, body: Value| {
        let res = client
            .post(format!("{base}{path}"))
            .bearer_auth(regulatory)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    };
    let incident: Value = client
        .get(format!("{base}/api/v1/incidents/{id}"))
        .bearer_auth(regulatory)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, body) = call("/api/v1/devices", crate::incidents::device()).await;
    assert_eq!(status, 201, "{body}");
    let software = json!({"model_id": incident["model_id"], "from": "2025-03-01"});
    let (status, body) = call("/api/v1/devices/++EVIGILLIVERSEG01/software", software).await;
    assert_eq!(status, 201, "{body}");
    let initial = json!({"stage": "initial", "fields": crate::incidents::initial_fields()});
    let (status, body) = call(&format!("/api/v1/incidents/{id}/reports"), initial).await;
    assert_eq!(status, 201, "{body}");
    let today = Utc::now().date_naive();
    let sub = json!({"submitted_on": today, "authority": "BfArM", "reference": "DE-2026-4711"});
    let path = format!("/api/v1/incidents/{id}/reports/1/submission");
    let (status, body) = call(&path, sub).await;
    assert_eq!(status, 200, "{body}");
}

/// Grafana's variables and macros, replaced as Grafana would for one choice.
fn expand(q: &str, site: &str) -> String {
    q.replace("$__rate_interval", "30s")
        .replace("$__range", "5m")
        .replace("$site", site)
        .replace("$model", "liver-seg")
        .replace("$label", "liver")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn sql_rows(url: &str, q: &str) -> Result<i64, String> {
    let wrapped = format!("SELECT COUNT(*) AS n FROM ({q}) AS panel");
    let r = if let Some(path) = url.strip_prefix("sqlite://") {
        let mut c = SqliteConnection::establish(path).map_err(|e| e.to_string())?;
        diesel::sql_query(wrapped).get_result::<Count>(&mut c)
    } else {
        let mut c = PgConnection::establish(url).map_err(|e| e.to_string())?;
        diesel::sql_query(wrapped).get_result::<Count>(&mut c)
    };
    r.map(|c| c.n).map_err(|e| e.to_string())
}

/// One batch refused at `site` (the fleet-overview and site panels chart refusals).
async fn post_refused_batch(client: &reqwest::Client, port: u16, admin: &str, site: &str) {
    let key: Value = client
        .post(format!("http://127.0.0.1:{port}/api/v1/sites/{site}/key"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut bad = event(1);
    bad["input_features"] = json!({"no_such_feature": 1.0});
    let refused = client
        .post(format!("http://127.0.0.1:{port}/api/v1/events"))
        .bearer_auth(key["api_key"].as_str().unwrap())
        .json(&json!({"events": [bad]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
}

/// The query's result once a series appears (scrapes arrive every second; up to 30 s), or
/// Prometheus's refusal at once.
async fn promql_result(
    prom: &Prometheus,
    client: &reqwest::Client,
    q: &str,
) -> Result<usize, String> {
    let mut last = Ok(vec![]);
    for _ in 0..120 {
        last = prom.query(client, q).await;
        match &last {
            Ok(v) if !v.is_empty() => break,
            Err(e) if e.starts_with("refused") => break,
            _ => actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await,
        }
    }
    last.map(|v| v.len())
}

#[actix_web::test]
async fn every_panel_query_returns_data_from_real_prometheus_and_the_views() {
    // PostgreSQL is what Grafana reads in production; SQLite when no server is configured.
    let db = databases().pop().unwrap();
    let (port, tokens) = spawn_live(&db).await;
    let client = reqwest::Client::new();
    feed_and_evaluate(port, &tokens).await;
    let prom = Prometheus::start(port);
    let site = "sim-site-01";
    post_refused_batch(&client, port, &tokens[0], site).await;
    let mut checked = (0, 0);
    for (board, title, uid, q) in queries() {
        let q = expand(&q, site);
        let rows = if uid == SQL_UID {
            checked.1 += 1;
            sql_rows(&db.url, &q).map(|n| n as usize)
        } else {
            checked.0 += 1;
            promql_result(&prom, &client, &q).await
        };
        match rows {
            Ok(n) => assert!(n > 0, "{board} / {title}: no data\n{q}"),
            Err(e) => panic!("{board} / {title}: {e}\n{q}"),
        }
    }
    assert!(checked.0 >= 30 && checked.1 >= 8, "{checked:?}");
}
