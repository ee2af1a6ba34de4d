//! The alert rules, pure and clock-free: given the alert currently open for a (model, rule,
//! stratum), when the last one closed, and a new evaluation of the signal, decide what
//! happens. Deduplication: at most one open alert per (model, rule, stratum). Cool-down: a
//! signal that crosses again soon after an alert closed is suppressed, not re-alerted.
//! Hysteresis: an open alert resolves only after `clear_after` consecutive clear evaluations,
//! so a signal that flaps around its threshold does not spam quality managers.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::monitoring::plan::{AlertPolicy, Severity};

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Acknowledged,
    Resolved,
    /// Handed to an incident assessment (vigilance); only people close it.
    Escalated,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
            AlertState::Escalated => "escalated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AlertState::Open,
            AlertState::Acknowledged,
            AlertState::Resolved,
            AlertState::Escalated,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Open and acknowledged alerts still follow their signal.
    pub fn is_active(self) -> bool {
        matches!(self, AlertState::Open | AlertState::Acknowledged)
    }
}

/// What the rules need to know of the alert currently open for the signal's key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActiveAlert {
    pub state: AlertState,
    pub severity: Severity,
    pub clear_streak: u32,
}

/// One evaluation of a monitored signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Whether the signal crosses its plan threshold in this evaluation.
    pub crossing: bool,
    pub severity: Severity,
    pub at: DateTime<Utc>,
}

/// What to do with the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Open a new alert (and notify).
    Open,
    /// The open alert is still crossing: refresh it; `escalated_severity` when it got worse
    /// (notify again in that case).
    Refresh { raised_to: Option<Severity> },
    /// Clear evaluation, but not enough in a row yet.
    ClearTick { streak: u32 },
    /// Enough clear evaluations in a row: resolve automatically.
    AutoResolve,
    /// Crossing again within the cool-down after the last alert closed: record, do not alert.
    Suppressed,
    /// Nothing open and nothing crossing.
    Nothing,
}

/// Apply the rules. `active` is the alert open or acknowledged for the key (escalated
/// alerts are passed as `active` too: they absorb new crossings and never auto-resolve);
/// `last_closed` is when the most recent alert for the key was resolved.
pub fn decide(
    active: Option<ActiveAlert>,
    last_closed: Option<DateTime<Utc>>,
    signal: &Signal,
    policy: &AlertPolicy,
) -> Decision {
    match (active, signal.crossing) {
        (None, false) => Decision::Nothing,
        (None, true) => {
            let cooldown = Duration::hours(i64::from(policy.cooldown_hours));
            match last_closed {
                Some(t) if signal.at < t + cooldown => Decision::Suppressed,
                _ => Decision::Open,
            }
        }
        (Some(a), true) => {
            let raised_to = (signal.severity > a.severity).then_some(signal.severity);
            Decision::Refresh { raised_to }
        }
        (Some(a), false) if a.state == AlertState::Escalated => Decision::Nothing,
        (Some(a), false) => {
            let streak = a.clear_streak + 1;
            if streak >= policy.clear_after.max(1) {
                Decision::AutoResolve
            } else {
                Decision::ClearTick { streak }
            }
        }
    }
}

/// The lifecycle moves a person may make, and which states allow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Acknowledge,
    Resolve,
    Escalate,
}

/// The state after `t`, or `None` when the move is not allowed from `from`.
pub fn transition(from: AlertState, t: Transition) -> Option<AlertState> {
    use AlertState::*;
    match (from, t) {
        (Open, Transition::Acknowledge) => Some(Acknowledged),
        (Open | Acknowledged | Escalated, Transition::Resolve) => Some(Resolved),
        (Open | Acknowledged, Transition::Escalate) => Some(Escalated),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + h * 3600, 0).unwrap()
    }

    fn policy() -> AlertPolicy {
        AlertPolicy {
            cooldown_hours: 24,
            clear_after: 2,
            daily_digest: false,
            silent_after_days: 3,
            recipients: vec![],
        }
    }

    fn signal(crossing: bool, h: i64) -> Signal {
        Signal {
            crossing,
            severity: Severity::High,
            at: at(h),
        }
    }

    /// Drive a sequence of evaluations through the rules as the service would.
    fn run(seq: &[bool]) -> Vec<Decision> {
        let (mut active, mut closed, mut out) = (None::<ActiveAlert>, None, vec![]);
        for (h, &crossing) in seq.iter().enumerate() {
            let s = signal(crossing, h as i64 * 24);
            let d = decide(active, closed, &s, &policy());
            match d {
                Decision::Open => {
                    active = Some(ActiveAlert {
                        state: AlertState::Open,
                        severity: s.severity,
                        clear_streak: 0,
                    })
                }
                Decision::Refresh { .. } => active.as_mut().unwrap().clear_streak = 0,
                Decision::ClearTick { streak } => active.as_mut().unwrap().clear_streak = streak,
                Decision::AutoResolve => {
                    active = None;
                    closed = Some(s.at);
                }
                Decision::Suppressed | Decision::Nothing => {}
            }
            out.push(d);
        }
        out
    }

    #[test]
    fn a_flapping_signal_opens_one_alert() {
        let d = run(&[true, false, true, false, true, true]);
        assert_eq!(
            d.iter().filter(|d| **d == Decision::Open).count(),
            1,
            "{d:?}"
        );
        assert!(!d.contains(&Decision::AutoResolve));
    }

    #[test]
    fn two_clear_evaluations_resolve_and_a_later_crossing_reopens() {
        let d = run(&[true, false, false, false, true]);
        assert_eq!(d[2], Decision::AutoResolve);
        assert_eq!(
            d[4],
            Decision::Open,
            "two days after closing, beyond the cool-down"
        );
    }

    #[test]
    fn crossing_within_cooldown_is_suppressed() {
        let closed = Some(at(0));
        assert_eq!(
            decide(None, closed, &signal(true, 23), &policy()),
            Decision::Suppressed
        );
        assert_eq!(
            decide(None, closed, &signal(true, 24), &policy()),
            Decision::Open
        );
    }

    #[test]
    fn worse_severity_is_raised_and_escalated_alerts_never_auto_resolve() {
        let a = ActiveAlert {
            state: AlertState::Open,
            severity: Severity::Medium,
            clear_streak: 0,
        };
        assert_eq!(
            decide(Some(a), None, &signal(true, 1), &policy()),
            Decision::Refresh {
                raised_to: Some(Severity::High)
            }
        );
        let e = ActiveAlert {
            state: AlertState::Escalated,
            severity: Severity::High,
            clear_streak: 5,
        };
        assert_eq!(
            decide(Some(e), None, &signal(false, 1), &policy()),
            Decision::Nothing
        );
    }

    #[test]
    fn lifecycle_moves_are_checked() {
        use AlertState::*;
        assert_eq!(
            transition(Open, Transition::Acknowledge),
            Some(Acknowledged)
        );
        assert_eq!(transition(Acknowledged, Transition::Acknowledge), None);
        assert_eq!(
            transition(Acknowledged, Transition::Escalate),
            Some(Escalated)
        );
        assert_eq!(transition(Resolved, Transition::Escalate), None);
        assert_eq!(transition(Escalated, Transition::Resolve), Some(Resolved));
    }
}
