//! `vigil report psur|pms --device D --from DAY --to DAY --out FILE.pdf`: check the period,
//! queue a `report` job and run it in this process with a progress bar (the same job the
//! server runs), then write the PDF (and the JSON beside it, `FILE.json`). The report is also
//! stored in the database and blob store like one requested through the API, audited as
//! `cli:<operator>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::open_store;
use crate::blobs::{BlobKey, BlobStore, DirBlobStore};
use crate::config::Settings;
use crate::reports::{Period, ReportKind};
use crate::service::SystemClock;
use crate::service::reports::{ReportRequest, request_report};
use crate::storage::Store;

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// A periodic safety update report (class IIa, IIb, III; MDCG 2022-21).
    Psur(ReportArgs),
    /// A post-market surveillance report (class I, Art. 85).
    Pms(ReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The device's Basic UDI-DI.
    #[arg(long)]
    pub device: String,
    /// First day of the data period (YYYY-MM-DD): the certificate date or an anniversary.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day of the data period (YYYY-MM-DD), included.
    #[arg(long)]
    pub to: NaiveDate,
    /// Where to write the PDF; the JSON goes beside it with the extension `.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(4);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn write_blob(blobs: &dyn BlobStore, key: &str, path: &Path) -> Result<(), String> {
    let k = BlobKey::parse(key).map_err(|e| format!("internal_error: {e}"))?;
    let bytes = blobs.get(&k).map_err(|e| format!("internal_error: {e}"))?;
    std::fs::write(path, bytes).map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}

fn generate(settings: &Settings, kind: ReportKind, a: &ReportArgs) -> Result<(), (i32, String)> {
    let runtime = |m: String| (1, m);
    let store: Arc<dyn Store> =
        Arc::new(open_store(settings).map_err(|e| runtime(format!("error: database: {e}")))?);
    let mut state = crate::http::AppState::new(
        store.clone(),
        Arc::new(settings.clone()),
        Arc::new(SystemClock),
    );
    state.blobs = Arc::new(DirBlobStore::new(&settings.blob_dir));
    state.jobs = Arc::new(crate::app::job_registry(&state));
    let request = ReportRequest {
        kind,
        device: a.device.clone(),
        period: Period {
            from: a.from,
            to: a.to,
        },
    };
    let actor = crate::commands::admin::actor();
    let job =
        request_report(&*store, &state.jobs, &request, (&actor, Utc::now())).map_err(|e| {
            let code = if matches!(e, crate::service::reports::ReportError::Store(_)) {
                1
            } else {
                2
            };
            (code, format!("error: {e}"))
        })?;
    let blobs = state.blobs.clone();
    let worker = std::thread::spawn(move || state.runner("cli").run_until_idle());
    let progress = bar(a.quiet);
    while !worker.is_finished() {
        if let Ok(Some(j)) = store.job(&job.id) {
            progress.set_position(j.progress.done.max(0) as u64);
            progress.set_message(j.progress.message.unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    progress.finish_and_clear();
    let done = store
        .job(&job.id)
        .map_err(|e| runtime(format!("error: {e}")))?;
    let record = store
        .report(&job.id)
        .map_err(|e| runtime(format!("error: {e}")))?;
    let Some(r) = record else {
        let why = done
            .and_then(|j| j.error)
            .unwrap_or_else(|| "the job did not finish".into());
        return Err(runtime(format!("error: report {} failed: {why}", job.id)));
    };
    write_blob(&*blobs, &r.pdf_sha256, &a.out).map_err(runtime)?;
    write_blob(&*blobs, &r.json_sha256, &a.out.with_extension("json")).map_err(runtime)?;
    println!(
        "report {} ({} {} v{}, {}): PDF sha256 {}, JSON sha256 {}, data fingerprint {}; missing narratives: {}",
        r.id,
        r.reference,
        r.period.label(),
        r.version,
        if r.approval.is_some() {
            "approved"
        } else {
            "draft"
        },
        r.pdf_sha256,
        r.json_sha256,
        r.data_fingerprint,
        if r.missing_narratives.is_empty() {
            "none".to_string()
        } else {
            r.missing_narratives.join(", ")
        }
    );
    Ok(())
}

/// Run `vigil report ...` and return the exit code.
pub fn run(settings: &Settings, cmd: ReportCommand) -> i32 {
    let (kind, args) = match &cmd {
        ReportCommand::Psur(a) => (ReportKind::Psur, a),
        ReportCommand::Pms(a) => (ReportKind::Pms, a),
    };
    match generate(settings, kind, args) {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("{message}");
            code
        }
    }
}
