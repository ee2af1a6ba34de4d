//! The vigilance deadline gauge, read at scrape time: for each open reporting clock the
//! earliest deadline as Unix time (the end of the due day, UTC), labelled by report kind
//! (`initial` for the legal 2/10/15-day clock, `follow_up` for the next report a submitted
//! report announced) and device (Basic UDI-DI, `unregistered` when the model version belongs
//! to none). Incident ids are not labels: one series per (kind, device) keeps the cardinality
//! bounded by the device register, and an alert on it needs only the earliest date.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use prometheus::{GaugeVec, Opts, Registry};

use super::telemetry::register;
use crate::service::deadline_warnings::next_follow_up;
use crate::service::incidents::view_of;
use crate::service::vigilance::{Vigilance, VigilanceError};
use crate::vigilance::deadline::ClockState;

pub struct VigilanceGauges {
    deadline: GaugeVec,
}

impl VigilanceGauges {
    pub fn new(r: &Registry) -> Self {
        let opts = Opts::new(
            "vigil_vigilance_deadline_timestamp_seconds",
            "Earliest open vigilance reporting deadline (end of the due day, Unix time) by \
             report kind (initial, follow_up) and device (Basic UDI-DI)",
        );
        let gauge = GaugeVec::new(opts, &["kind", "device"]).expect("metric definition");
        Self {
            deadline: register(r, gauge),
        }
    }

    /// Replace the gauge with the open deadlines now; keeps the last values when the
    /// database cannot be read (the database error counter and /readyz show that).
    pub fn refresh(&self, v: &Vigilance, now: DateTime<Utc>) {
        match earliest_deadlines(v, now.date_naive()) {
            Ok(deadlines) => {
                self.deadline.reset();
                for ((kind, device), due) in deadlines {
                    self.deadline
                        .with_label_values(&[kind, device.as_str()])
                        .set(end_of_day(due));
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: vigilance deadlines unavailable"),
        }
    }
}

/// The earliest open due date per (kind, device).
fn earliest_deadlines(
    v: &Vigilance,
    today: NaiveDate,
) -> Result<BTreeMap<(&'static str, String), NaiveDate>, VigilanceError> {
    let mut out: BTreeMap<(&'static str, String), NaiveDate> = BTreeMap::new();
    for incident in v.incidents.incidents()? {
        let view = view_of(v, incident, today)?;
        let device = view
            .basic_udi_di
            .clone()
            .unwrap_or_else(|| "unregistered".into());
        let running = matches!(view.clock.state, ClockState::Due | ClockState::Overdue);
        let initial = view.clock.due.filter(|_| running);
        for (kind, due) in [("initial", initial), ("follow_up", next_follow_up(&view))] {
            if let Some(due) = due {
                let slot = out.entry((kind, device.clone())).or_insert(due);
                *slot = (*slot).min(due);
            }
        }
    }
    Ok(out)
}

fn end_of_day(day: NaiveDate) -> f64 {
    let next = (day + Duration::days(1)).and_time(chrono::NaiveTime::MIN);
    next.and_utc().timestamp() as f64
}
