//! Durability: SIGKILL the real server in the middle of a concurrent load run; every event it
//! answered 200 for must be in the database afterwards, on every backend.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use vigil::storage::IngestStore;
use vigil::storage::diesel::DieselStore;

use crate::cli::{add_site, vigil};
use crate::support::{TestDb, databases, event};

const CLIENTS: u32 = 4;
const BATCH: u32 = 100;
const KILL_AFTER_ACKED_BATCHES: usize = 12;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(db: &TestDb, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &db.url)
        .env("VIGIL_RATE_LIMIT_PER_SECOND", "100000")
        .env("VIGIL_RATE_LIMIT_BURST", "100000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("server did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_no_acknowledged_event() {
    for db in databases() {
        let key = add_site(&db, "site-a");
        let model = vigil(
            &db,
            &[
                "model",
                "add",
                "liver-seg",
                "2.3.0",
                "--feature",
                "hu_mean:input:-1024:3071",
                "--feature",
                "snr_db:input:-20:100",
                "--feature",
                "vol_ml:output:0:10000",
                "--feature",
                "confidence:output:0:1",
            ],
        );
        assert!(model.status.success());
        let port = free_port();
        let mut server = start_server(&db, port);
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        wait_ready(&client, &base).await;
        let acked: Arc<Mutex<Vec<String>>> = Arc::default();
        let acked_batches = Arc::new(Mutex::new(0usize));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (client, base, key) = (client.clone(), base.clone(), key.clone());
            let (acked, acked_batches, stop) = (acked.clone(), acked_batches.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                for b in 0..10_000u32 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let first = (c * 10_000 + b) * BATCH;
                    let items: Vec<_> = (first..first + BATCH).map(event).collect();
                    let ids: Vec<String> = items
                        .iter()
                        .map(|e| e["event_id"].as_str().unwrap().to_string())
                        .collect();
                    let res = client
                        .post(format!("{base}/api/v1/events"))
                        .bearer_auth(&key)
                        .json(&json!({"events": items}))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status().as_u16() == 200 => {
                            acked.lock().unwrap().extend(ids);
                            *acked_batches.lock().unwrap() += 1;
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
            }));
        }
        while *acked_batches.lock().unwrap() < KILL_AFTER_ACKED_BATCHES {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        server.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix.
        let _ = server.wait();
        stop.store(true, Ordering::SeqCst);
        for t in tasks {
            t.await.unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(acked.len() >= KILL_AFTER_ACKED_BATCHES * BATCH as usize);
        let store = DieselStore::open(&db.url, 1, 5_000).unwrap();
        let found = store.event_owners(&acked).unwrap();
        assert_eq!(
            found.len(),
            acked.len(),
            "{}: acknowledged events lost after SIGKILL",
            db.label
        );
    }
}
