//! Runner threads: `vigil worker` and `vigil serve` (unless `run_jobs = false`) start a few,
//! each polling the queue (and woken early when this process queues a job). Stopping sets the
//! shutdown flag, so the job in hand is released at its next step (or finishes), then joins.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::Runner;

/// The running threads of a process.
pub struct WorkerPool {
    runner: Runner,
    wake: Vec<mpsc::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Start `threads` runner threads (names `<runner id>-<n>`) polling every `poll`.
    pub fn start(runner: Runner, threads: usize, poll: Duration) -> std::io::Result<Self> {
        let mut pool = Self {
            runner: runner.clone(),
            wake: Vec::new(),
            threads: Vec::new(),
        };
        for n in 0..threads.max(1) {
            let (tx, rx) = mpsc::channel::<()>();
            let mut r = runner.clone();
            r.id = format!("{}-{n}", runner.id);
            let handle = std::thread::Builder::new()
                .name(format!("vigil-job-{n}"))
                .spawn(move || poll_loop(&r, &rx, poll))?;
            pool.wake.push(tx);
            pool.threads.push(handle);
        }
        Ok(pool)
    }

    /// Look at the queue now (a job was just queued).
    pub fn wake(&self) {
        for tx in &self.wake {
            let _ = tx.send(());
        }
    }

    /// Release or finish the jobs in hand and wait for the threads to end.
    pub fn stop(mut self) {
        self.runner.shutdown.store(true, Ordering::SeqCst);
        self.wake.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn poll_loop(runner: &Runner, wake: &mpsc::Receiver<()>, poll: Duration) {
    tracing::info!(runner = %runner.id, "job runner started");
    while !runner.shutdown.load(Ordering::SeqCst) {
        if let Err(e) = runner.run_until_idle() {
            tracing::error!(runner = %runner.id, error = %e, "job queue unavailable");
        }
        match wake.recv_timeout(poll) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    tracing::info!(runner = %runner.id, "job runner stopped");
}
