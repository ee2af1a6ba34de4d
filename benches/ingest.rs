//! Ingest throughput benchmark (run: `cargo bench --bench ingest`).
//!
//! Events per second through `POST /api/v1/events` (batches of 500, several concurrent
//! clients, the real server in-process on loopback) into SQLite and PostgreSQL, measured beside
//! the raw rate of loading the very same rows with `sqlite3 .import` and `psql \copy` into the
//! same table with the same indexes. Prints rates, ratios and p50/p99 batch latency.
//! Environment: BENCH_EVENTS (default 100000), BENCH_CLIENTS (4), BENCH_BATCH (500),
//! BENCH_PG_URL (default TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test; set
//! to "none" to skip). Every batch must answer 200: a 5xx (e.g. a lock timeout) aborts the run.

use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};
use vigil::app::Application;
use vigil::config::{Secret, Settings};
use vigil::domain::model::{FeatureKind, FeatureSchema, FeatureSpec};
use vigil::service::SystemClock;
use vigil::service::admin::{Actor, add_model, add_site};
use vigil::storage::Store;
use vigil::storage::diesel::DieselStore;

/// Events per request (`BENCH_BATCH`, default 500).
fn batch_size() -> u32 {
    env_or("BENCH_BATCH", 500u32).max(1)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn schema() -> FeatureSchema {
    let f = |name: &str, kind, min, max| FeatureSpec {
        name: name.into(),
        kind,
        min,
        max,
        unit: None,
    };
    FeatureSchema {
        features: vec![
            f("hu_mean", FeatureKind::Input, -1024.0, 3071.0),
            f("snr_db", FeatureKind::Input, -20.0, 100.0),
            f("vol_ml", FeatureKind::Output, 0.0, 10_000.0),
            f("confidence", FeatureKind::Output, 0.0, 1.0),
        ],
    }
}

fn event(n: u32) -> Value {
    json!({
        "event_id": format!("00000000-0000-4000-8000-{n:012}"),
        "model": "liver-seg", "model_version": "2.3.0",
        "occurred_at": format!("2026-11-{:02}T08:30:00Z", 1 + n % 25),
        "case_ref": format!("{n:064x}"),
        "modality": "CT",
        "scanner": {"manufacturer": "SIEMENS", "model": "SOMATOM Force"},
        "acquisition": {"slice_thickness_mm": 1.0, "pixel_spacing_mm": 0.7, "kvp": 120.0, "contrast": true},
        "demographics": {"age_band": "60-69", "sex": "F"},
        "input_features": {"hu_mean": 40.0 + f64::from(n % 17), "snr_db": 21.5},
        "output": {"status": "ok", "latency_ms": 850.0, "features": {"vol_ml": 1500.0, "confidence": 0.93}}
    })
}

/// The row the server stores for `event(n)`, as CSV in table column order.
fn csv_row(n: u32) -> String {
    let day = format!("2026-11-{:02}", 1 + n % 25);
    let input = format!(
        "{{\"\"hu_mean\"\":{:?},\"\"snr_db\"\":21.5}}",
        40.0 + f64::from(n % 17)
    );
    format!(
        "00000000-0000-4000-8000-{n:012},site-a,liver-seg@2.3.0,{day} 08:30:00,{day},2026-11-26 00:00:00,{n:064x},CT,SIEMENS,SOMATOM Force,1.0,0.7,120.0,,1,60-69,F,\"{input}\",ok,850.0,\"{{\"\"confidence\"\":0.93,\"\"vol_ml\"\":1500.0}}\",{:064x}\n",
        n as u64 * 7919
    )
}

struct Run {
    events_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn seed(store: &dyn Store) {
    let actor = Actor("bench".into());
    let now = Utc::now();
    let _ = add_site(store, &actor, "site-a", "Bench site", "DE", now)
        .expect("site")
        .1;
    add_model(store, &actor, "liver-seg", "2.3.0", schema(), now).expect("model");
}

async fn api_run(url: &str, events: u32, clients: u32) -> Run {
    let settings = Settings {
        database_url: Secret::new(url),
        pool_size: 8,
        workers: 2,
        rate_limit_per_second: 1_000_000,
        rate_limit_burst: 1_000_000,
        ..Settings::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build_with(settings, listener, Arc::new(SystemClock)).expect("app");
    let store = app.state.store.clone();
    let actor = Actor("bench".into());
    let (_, key) =
        add_site(&*store, &actor, "site-a", "Bench site", "DE", Utc::now()).expect("site");
    add_model(&*store, &actor, "liver-seg", "2.3.0", schema(), Utc::now()).expect("model");
    let base = format!("http://127.0.0.1:{}/api/v1/events", app.port);
    let handle = app.handle.clone();
    actix_web::rt::spawn(app.server);
    // Bodies are serialised before the clock starts: the client's JSON encoding is not the
    // server's work, and `\copy` is likewise timed on a CSV written beforehand.
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..events.div_ceil(batch_size()))
            .map(|b| {
                let first = b * batch_size();
                let items: Vec<Value> = (first..(first + batch_size()).min(events))
                    .map(event)
                    .collect();
                serde_json::to_vec(&json!({"events": items})).expect("json")
            })
            .collect(),
    );
    let next = Arc::new(AtomicU32::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, base, key, bodies) = (next.clone(), base.clone(), key.clone(), bodies.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let client = reqwest::Client::new();
            let mut lat = Vec::new();
            loop {
                let b = next.fetch_add(1, Ordering::SeqCst) as usize;
                let Some(body) = bodies.get(b) else {
                    return lat;
                };
                let t = Instant::now();
                let res = client
                    .post(&base)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("post");
                assert_eq!(res.status().as_u16(), 200, "{:?}", res.text().await);
                lat.push(t.elapsed());
            }
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("client"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    handle.stop(true).await;
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
    Run {
        events_per_s: f64::from(events) / elapsed,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    }
}

fn write_csv(events: u32) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut f = tempfile::NamedTempFile::new().expect("csv");
    let mut w = std::io::BufWriter::new(f.as_file_mut());
    for n in 0..events {
        w.write_all(csv_row(n).as_bytes()).expect("write");
    }
    drop(w);
    f
}

fn raw_sqlite(events: u32, csv: &std::path::Path) -> f64 {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("raw.db");
    let store = DieselStore::open(&format!("sqlite://{}", path.display()), 1, 5000).expect("db");
    store.run_migrations().expect("migrate");
    seed(&store);
    drop(store);
    let t = Instant::now();
    let st = Command::new("sqlite3")
        .arg(&path)
        .arg(format!(".import --csv {} events", csv.display()))
        .status()
        .expect("sqlite3 (apt-get install sqlite3)");
    assert!(st.success());
    f64::from(events) / t.elapsed().as_secs_f64()
}

fn pg_schema(base: &str) -> String {
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut c = PgConnection::establish(base).expect("pg");
    c.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

fn raw_postgres(url: &str, events: u32, csv: &std::path::Path) -> f64 {
    let store = DieselStore::open(url, 1, 5000).expect("db");
    store.run_migrations().expect("migrate");
    seed(&store);
    drop(store);
    let t = Instant::now();
    let st = Command::new("psql")
        .arg(url)
        .arg("-qc")
        .arg(format!(
            "\\copy events FROM '{}' WITH (FORMAT csv)",
            csv.display()
        ))
        .status()
        .expect("psql");
    assert!(st.success());
    f64::from(events) / t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The run with the median rate (its latencies are reported with it).
fn median_run(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.events_per_s.total_cmp(&b.events_per_s));
    runs.swap_remove(runs.len() / 2)
}

fn report(name: &str, api: &Run, raw: f64, raw_name: &str) {
    println!(
        "{name:<10} API {:>9.0} events/s  p50 {:>6.1} ms  p99 {:>6.1} ms | {raw_name} {:>9.0} rows/s | API/raw = {:.2}",
        api.events_per_s,
        api.p50_ms,
        api.p99_ms,
        raw,
        api.events_per_s / raw
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and `cargo test --benches` probe with this.
    }
    let events: u32 = env_or("BENCH_EVENTS", 100_000);
    let clients: u32 = env_or("BENCH_CLIENTS", 4);
    let pg = std::env::var("BENCH_PG_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let batch = batch_size();
    println!("ingest benchmark: {events} events, batches of {batch}, {clients} concurrent clients");
    let repeats: usize = env_or("BENCH_REPEATS", 3);
    println!("(medians of {repeats} runs, each into a fresh database)");
    let csv = write_csv(events);
    let system = actix_web::rt::System::new();
    let dir = tempfile::tempdir().expect("dir");
    let mut api_runs = Vec::new();
    let mut raw_runs = Vec::new();
    for i in 0..repeats {
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("api{i}.db")).display()
        );
        api_runs.push(system.block_on(api_run(&url, events, clients)));
        raw_runs.push(raw_sqlite(events, csv.path()));
    }
    report(
        "sqlite",
        &median_run(api_runs),
        median(raw_runs),
        "sqlite3 .import",
    );
    if pg != "none" {
        let (mut api_runs, mut raw_runs) = (Vec::new(), Vec::new());
        for _ in 0..repeats {
            api_runs.push(system.block_on(api_run(&pg_schema(&pg), events, clients)));
            raw_runs.push(raw_postgres(&pg_schema(&pg), events, csv.path()));
        }
        report(
            "postgres",
            &median_run(api_runs),
            median(raw_runs),
            "psql \\copy",
        );
    }
}
