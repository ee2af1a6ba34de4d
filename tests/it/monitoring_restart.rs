//! The plan's CUSUM head start and restart end to end, on every backend: a persistent shift at
//! one site, evaluated through the API, alarms again after each restart, at zero or at the
//! head start as the plan says, and keeps one alert open. The expected chart path is computed
//! by numpy from the findings' daily means and the baseline's own data (not by our chart code).

use std::io::Write;
use std::process::{Command, Stdio};

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::monitoring_support::{Day, evaluate_via_api, post_day, put_text, reference_csv};
use crate::support::{databases, spawn_app};

fn plan(reset_to: &str) -> String {
    format!(
        r#"model = "liver-seg"
[windows]
tumbling_days = 7
rolling_days = 28
min_samples = 30
strata = ["site"]
[[features]]
name = "hu_mean"
[sequential]
chart = "cusum"
arl0 = 2000.0
shift_sd = 2.5
head_start = 0.5
reset_to = "{reset_to}"
"#
    )
}

/// The two-sided FIR CUSUM in numpy: z from the day's mean against the reference's mean and
/// population SD, k = shift_sd / 2, both sums from h/2, strict alarms, restart after each.
const NUMPY: &str = r#"
import io, json, sys
import numpy as np
inp = json.load(sys.stdin)
ref = np.loadtxt(io.StringIO(inp["csv"]), delimiter=",", skiprows=1)[:, 0]
mu0, sd0 = ref.mean(), ref.std()
k = 2.5 / 2
cp = cm = None
ep = em = 0.0
sig = False
out = []
for d in inp["days"]:
    h = d["h"]
    if cp is None:
        cp = cm = 0.5 * h
    z = (d["mean"] - mu0) / (sd0 / np.sqrt(d["n"]))
    cp = max(0.0, cp + z - k)
    cm = max(0.0, cm - z - k)
    ep = max(0.0, ep + z - k)
    em = max(0.0, em - z - k)
    stat = max(cp, cm)
    alarm = bool(stat > h)
    # Signalling from an alarm until the sums without restarts or head start are back at 0.
    sig = bool(alarm or (sig and max(ep, em) > 0.0))
    if alarm:
        cp = cm = (0.5 * h if inp["reset_to"] == "head_start" else 0.0)
    out.append({"stat": stat, "alarm": alarm, "signal": sig})
print(json.dumps(out))
"#;

fn numpy_path(csv: &str, days: &[Value], reset_to: &str) -> Vec<(f64, bool, bool)> {
    let python = std::env::var("VIGIL_TEST_PYTHON")
        .expect("VIGIL_TEST_PYTHON names the test venv's python (scripts/test sets it)");
    let mut child = Command::new(python)
        .args(["-c", NUMPY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({"csv": csv, "days": days, "reset_to": reset_to});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let path: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    path.iter()
        .map(|p| {
            (
                p["stat"].as_f64().unwrap(),
                p["alarm"].as_bool().unwrap(),
                p["signal"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_persistent_shift_alarms_again_after_each_restart_as_the_plan_says() {
    let first = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
    let shift_from = first + Duration::days(4);
    let csv = reference_csv(1000);
    // A fresh database of each backend for each restart.
    for (zero_db, head_db) in databases().into_iter().zip(databases()) {
        let mut alarm_days = Vec::new();
        for (reset_to, db) in [("zero", &zero_db), ("head_start", &head_db)] {
            let app = spawn_app(db).await;
            let path = "/api/v1/models/liver-seg/plan";
            let (s, body) =
                put_text(&app, path, &app.quality, "application/toml", plan(reset_to)).await;
            assert_eq!(s, 201, "{body}");
            let path = "/api/v1/models/liver-seg/versions/2.3.0/baseline";
            let (s, body) = put_text(&app, path, &app.ml, "text/csv", csv.clone()).await;
            assert_eq!(s, 201, "{body}");
            // 16 days of 30 cases; from the fifth day hu_mean is 0.5 SD higher (about 2.7
            // standard errors of the daily mean, against k = 1.25).
            for i in 0..16 {
                let date = first + Duration::days(i);
                let day = Day {
                    date,
                    site: 1,
                    n: 30,
                    reviews: 0,
                    hu_shift: if date >= shift_from { 5.0 } else { 0.0 },
                    dice_drop: 0.0,
                };
                post_day(&app, &app.site_key, &day).await;
            }
            let done = evaluate_via_api(&app).await;
            assert_eq!(done["status"], "done", "{}: {done}", db.label);

            let (_, found) = app
                .get(
                    "/api/v1/findings?stratum=site%3Dsite-a&window=day&rule=drift:hu_mean",
                    &app.quality,
                )
                .await;
            let found = found["items"].as_array().unwrap();
            assert_eq!(found.len(), 16, "{}: {found:?}", db.label);
            let days: Vec<Value> = found
                .iter()
                .map(|f| json!({"mean": f["estimate"], "n": f["n"], "h": f["limit"]}))
                .collect();
            let want = numpy_path(&csv, &days, reset_to);
            let mut alarms = Vec::new();
            for (i, (f, (stat, alarm, signal))) in found.iter().zip(&want).enumerate() {
                let got = f["statistic"].as_f64().unwrap();
                assert!(
                    (got - stat).abs() <= 1e-6 * stat.max(1.0),
                    "{} {reset_to} day {i}: {got} vs numpy {stat}",
                    db.label
                );
                assert_eq!(
                    f["status"] == "signal",
                    *signal,
                    "{} {reset_to} day {i}",
                    db.label
                );
                let note = f["note"].as_str().unwrap();
                assert_eq!(note.starts_with("alarm "), *alarm, "{i}: {note}");
                assert!(
                    note.contains("head start 0.5 h")
                        && note.contains(&format!(
                            "restarting at {} after an alarm",
                            if reset_to == "zero" {
                                "zero"
                            } else {
                                "the head start"
                            }
                        )),
                    "{note}"
                );
                if *alarm {
                    alarms.push(i);
                }
            }
            // The shift re-signals after the restart: more than one alarm, all after it began,
            // and the stream keeps signalling from the first on (the shift lasts).
            assert!(alarms.len() >= 2, "{} {reset_to}: {alarms:?}", db.label);
            assert!(alarms[0] >= 4, "{} {reset_to}: {alarms:?}", db.label);
            let signalling: Vec<bool> = found.iter().map(|f| f["status"] == "signal").collect();
            assert!(
                signalling[alarms[0]..].iter().all(|s| *s),
                "{} {reset_to}: {signalling:?}",
                db.label
            );
            assert!(
                found[alarms[1]]["note"]
                    .as_str()
                    .unwrap()
                    .starts_with("alarm 2:"),
                "{}",
                db.label
            );
            // One shift, one alert, however often the chart restarted.
            let (_, alerts) = app
                .get("/api/v1/alerts?model=liver-seg@2.3.0", &app.quality)
                .await;
            let drift: Vec<&Value> = alerts["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["rule"] == "drift:hu_mean" && a["stratum"] == "site=site-a")
                .collect();
            assert_eq!(drift.len(), 1, "{} {reset_to}: {alerts}", db.label);
            alarm_days.push(alarms);
        }
        // The same data: a restart at the head start alarms more often than one at zero.
        assert!(
            alarm_days[1].len() > alarm_days[0].len(),
            "{}: {alarm_days:?}",
            zero_db.label
        );
    }
}
