//! A full disk under a running SQLite service: the SQLite file lives on a small tmpfs the
//! test mounts (root only: CI runs as root; elsewhere the test says it skipped), a filler
//! file takes the rest of the space, and then writes answer 503 `service_unavailable`
//! (never 500), `/readyz` says not ready, what was accepted stays readable, and once the
//! filler is removed the same process takes writes and is ready again. PostgreSQL's disk
//! is the server's, shared by every test: its out-of-space errors are classified by the
//! same rule (`storage::readiness::refuses_writes`, unit-tested), not filled here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{TestDb, event, external_db, settings_for, spawn_app_with};

/// A mounted tmpfs, unmounted (lazily) when dropped.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Mount a tmpfs of `size` on `dir`, or say why not (`None`: the test skips).
fn mount_tmpfs(dir: &Path, size: &str) -> Option<Tmpfs> {
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(Tmpfs(dir.to_path_buf())),
        Ok(o) => {
            eprintln!(
                "SKIPPED disk-full test: cannot mount a tmpfs (needs root): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("SKIPPED disk-full test: no mount command: {e}");
            None
        }
    }
}

/// Write zeros to `file` until the filesystem has no room left.
fn fill(file: &Path) {
    let mut f = std::fs::File::create(file).expect("filler");
    let chunk = vec![0u8; 16 * 1024];
    while f.write_all(&chunk).is_ok() {}
    // The last partial chunk: fill byte by byte what is left.
    while f.write_all(&[0]).is_ok() {}
    let _ = f.sync_all();
}

fn batch(first: u32, n: u32) -> Value {
    json!({"events": (first..first + n).map(event).collect::<Vec<_>>()})
}

#[actix_web::test]
async fn a_full_disk_gives_503_not_ready_and_recovers_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(_mount) = mount_tmpfs(dir.path(), "24m") else {
        return;
    };
    let db: TestDb = external_db(
        format!("sqlite://{}", dir.path().join("vigil.db").display()),
        "sqlite",
    );
    let mut settings = settings_for(&db);
    settings.rate_limit_per_second = 10_000;
    settings.rate_limit_burst = 10_000;
    let app = spawn_app_with(&db, settings).await;
    let (s, body) = app
        .post("/api/v1/events", &app.site_key, &batch(0, 50))
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = app.get("/readyz", "").await;
    assert_eq!(s, 200, "ready before the disk fills");

    let filler = dir.path().join("filler");
    fill(&filler);
    // SQLite may still fit a few writes into space its write-ahead log holds; keep writing
    // until one is refused: every refusal must be a 503 with the stable code.
    let mut accepted = 50;
    let mut refused = None;
    for i in 1..400u32 {
        let (s, body) = app
            .post("/api/v1/events", &app.site_key, &batch(i * 100, 100))
            .await;
        match s {
            200 => accepted += 100,
            _ => {
                refused = Some((s, body));
                break;
            }
        }
    }
    let (s, body) = refused.expect("a write is refused once the disk is full");
    assert_eq!(s, 503, "a full disk is 503, not 500: {body}");
    assert_eq!(body["code"], "service_unavailable", "{body}");
    let (s, body) = app.get("/readyz", "").await;
    assert_eq!(s, 503, "not ready while the disk is full: {body}");
    assert_eq!(body["code"], "service_unavailable", "{body}");
    // What was accepted is still there and readable.
    assert_eq!(app.stored_events().await, accepted);

    std::fs::remove_file(&filler).expect("free the space");
    let (s, body) = app.get("/readyz", "").await;
    assert_eq!(s, 200, "ready again once space is back: {body}");
    let (s, body) = app
        .post("/api/v1/events", &app.site_key, &batch(900_000, 100))
        .await;
    assert_eq!(s, 200, "writes again without a restart: {body}");
    assert_eq!(app.stored_events().await, accepted + 100);
}
