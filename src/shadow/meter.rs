//! The process meter for shadow runs: wall time from the monotonic clock and peak resident
//! memory from Linux's `VmHWM`, reset before each case by writing 5 to
//! `/proc/self/clear_refs` (Linux >= 4.0). Where the reset is refused the peak is the
//! process's high-water mark so far, which can only overstate a case's peak, never hide it.
//! Other threads' memory counts too: with a profile's `concurrency` 2 the figure is the case's
//! (both models), which is what `profile::MemoryPlan` plans against the limit.

use std::time::Instant;

use super::run::{Cost, Meter};

/// Wall clock plus `/proc` peak RSS.
#[derive(Debug, Default)]
pub struct ProcessMeter {
    started: Option<Instant>,
}

fn peak_rss_kib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Meter for ProcessMeter {
    fn begin(&mut self) {
        // Failure only means the peak is not reset (see the module doc).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        self.started = Some(Instant::now());
    }

    fn end(&mut self) -> Cost {
        let wall_ms = self
            .started
            .take()
            .map_or(0.0, |t| t.elapsed().as_secs_f64() * 1e3);
        Cost {
            wall_ms,
            peak_mib: self.peak_mib(),
        }
    }

    fn peak_mib(&mut self) -> f64 {
        peak_rss_kib().unwrap_or(0.0) / 1024.0
    }
}
