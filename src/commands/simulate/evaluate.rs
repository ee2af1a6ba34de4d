//! `vigil simulate --evaluate`: replay the fleet in this process with the clock (ingest each
//! day, freeze the baseline after go-live, run the daily evaluation after midnight) and
//! report, per injected change, the detection delay, and for unchanged streams the false
//! alarms per stream-year. Uses its own database (a temporary SQLite file unless
//! `--database` names one), never the configured one.

use std::io::IsTerminal;

use serde_json::json;

use super::{SimError, SimulateArgs, fleet_of, progress_bar, read};
use crate::service::replay::{DayTraffic, ReplaySetup, replay};
use crate::simulator::demo::{DEFAULT_PLAN, MODEL_NAME, MODEL_VERSION, schema};
use crate::simulator::detection::{DetectionReport, RaisedAlert, analyse, median_delay};
use crate::storage::diesel::DieselStore;

/// Options of the replay mode.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReplayOptions {
    /// Replay in-process with the clock and report detection delays and false alarms
    /// instead of posting to a target.
    #[arg(long)]
    pub evaluate: bool,
    /// Database of the replay (default: a temporary SQLite file, removed afterwards).
    #[arg(long, value_name = "URL", requires = "evaluate")]
    pub database: Option<String>,
    /// Days after go-live frozen as the baseline before monitoring starts.
    #[arg(long, default_value_t = 28, requires = "evaluate")]
    pub freeze_days: u32,
    /// Print the report as JSON.
    #[arg(long, requires = "evaluate")]
    pub json: bool,
}

/// Replay and analyse; the library entry point behind `--evaluate`.
pub fn evaluate(args: &SimulateArgs, progress: bool) -> Result<DetectionReport, SimError> {
    let fleet = fleet_of(args)?;
    let o = &args.replay;
    if o.freeze_days == 0 || o.freeze_days >= args.days {
        return Err(SimError::Usage("need 0 < --freeze-days < --days".into()));
    }
    let plan = match &args.plan {
        Some(path) => read(path, "plan")?,
        None => DEFAULT_PLAN.to_string(),
    };
    let temp =
        std::env::temp_dir().join(format!("vigil-replay-{}.db", uuid::Uuid::new_v4().simple()));
    let url = o
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", temp.display()));
    let store = DieselStore::open(&url, 4, 30_000).map_err(|e| SimError::Usage(e.to_string()))?;
    store
        .run_migrations()
        .map_err(|e| SimError::Usage(e.to_string()))?;
    let setup = ReplaySetup {
        model: MODEL_NAME.into(),
        version: MODEL_VERSION.into(),
        schema: schema(),
        plan,
        sites: fleet
            .sites()
            .iter()
            .map(|s| (s.id.clone(), s.name.clone(), s.country.clone()))
            .collect(),
        start: fleet.date(0),
        days: args.days,
        freeze_days: o.freeze_days,
    };
    let terminal = std::io::stderr().is_terminal();
    let bar = progress_bar(u64::from(args.days), "days replayed", progress && terminal);
    // Off a terminal (CI logs, `nohup`), a line per tenth of the run instead of the bar.
    let mut lines = (progress && !terminal).then(|| LineProgress::new(args.days));
    let traffic = |day: u32| {
        fleet
            .day(day)
            .into_iter()
            .map(|sd| DayTraffic {
                site: sd.site as usize - 1,
                events: sd
                    .events
                    .iter()
                    .filter_map(|e| serde_json::to_value(e).ok())
                    .collect(),
                reviews: sd
                    .reviews
                    .iter()
                    .filter_map(|r| serde_json::to_value(r).ok())
                    .collect(),
            })
            .collect()
    };
    // Trend drafts (a plan with a [trend] section) go beside the replay's database.
    let blob_dir = temp.with_extension("blobs");
    let blobs = crate::blobs::DirBlobStore::new(&blob_dir);
    let result = replay(&store, &blobs, &setup, traffic, |_| {
        bar.inc(1);
        if let Some(lines) = lines.as_mut() {
            lines.tick();
        }
    });
    bar.finish_and_clear();
    drop(store);
    if o.database.is_none() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
        }
    }
    let _ = std::fs::remove_dir_all(&blob_dir);
    let log = result.map_err(SimError::Transport)?;
    let alerts: Vec<RaisedAlert> = log
        .alerts
        .iter()
        .map(|a| RaisedAlert {
            stratum: a.stratum.clone(),
            rule: a.rule.clone(),
            day: a.opened_at.date_naive() - chrono::Duration::days(1),
        })
        .collect();
    Ok(analyse(
        &fleet.scenario().changes,
        fleet.date(0),
        &alerts,
        &log.streams,
        (log.monitored_from, log.monitored_to),
    ))
}

/// Progress as plain lines on stderr: one each time another tenth of the days is done.
struct LineProgress {
    done: u32,
    total: u32,
    started: std::time::Instant,
}

impl LineProgress {
    fn new(total: u32) -> Self {
        Self {
            done: 0,
            total,
            started: std::time::Instant::now(),
        }
    }

    fn tick(&mut self) {
        self.done += 1;
        let tenth = |d: u32| u64::from(d) * 10 / u64::from(self.total.max(1));
        if tenth(self.done) > tenth(self.done - 1) {
            eprintln!(
                "replay: {}/{} days ({}%), {:.0} s",
                self.done,
                self.total,
                u64::from(self.done) * 100 / u64::from(self.total.max(1)),
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}

/// The report for people.
pub fn render(args: &SimulateArgs, r: &DetectionReport) -> String {
    let mut out = format!(
        "replayed {} sites x {} days (seed {}), baseline frozen from the first {} days\n\n",
        args.sites, args.days, args.seed, args.replay.freeze_days
    );
    if r.detections.is_empty() {
        out.push_str("no injected change in this run (see --scenario)\n");
    } else {
        out.push_str("injected change            site          from        detected after\n");
    }
    for d in &r.detections {
        let delay = d.delay_days.map_or("not detected".to_string(), |v| {
            format!("{v} days ({})", d.rule.as_deref().unwrap_or(""))
        });
        out.push_str(&format!(
            "{:<26} {:<13} {}  {delay}\n",
            d.kind, d.site, d.from
        ));
    }
    for kind in ["intensity_shift", "dice_drop", "protocol_change"] {
        if let Some(m) = median_delay(r, kind) {
            out.push_str(&format!("median delay, {kind}: {m} days\n"));
        }
    }
    let f = &r.false_alarms;
    let by_rule: Vec<String> = f.by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    out.push_str(&format!(
        "\nunchanged site streams: {} ({:.1} stream-years); false alarms: {} = {:.3} per stream-year{}\n",
        f.streams,
        f.stream_years,
        f.alarms,
        f.per_stream_year,
        if by_rule.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_rule.join(", "))
        }
    ));
    out
}

pub fn run(args: &SimulateArgs) -> i32 {
    match evaluate(args, true) {
        Ok(report) => {
            if args.replay.json {
                let medians: serde_json::Map<String, serde_json::Value> =
                    ["intensity_shift", "dice_drop", "protocol_change"]
                        .iter()
                        .map(|k| (k.to_string(), json!(median_delay(&report, k))))
                        .collect();
                println!(
                    "{}",
                    json!({"report": report, "median_delay_days": medians})
                );
            } else {
                print!("{}", render(args, &report));
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
