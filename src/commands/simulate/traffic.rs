//! Posting the fleet's traffic: day after day, the site-days of one day concurrently, each
//! site-day as its events and then its reviews (a review needs its event stored first), in
//! batches, with the site's own key. Counts come from the API's answers.

use std::time::Instant;

use indicatif::ProgressBar;
use reqwest::StatusCode;
use serde::Serialize;
use tokio::task::JoinSet;

use super::SimError;
use super::api::Api;
use crate::simulator::{Fleet, SiteDay};

/// Items sent and what the API said about them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: u64,
    /// Stored by this run.
    pub accepted: u64,
    /// Already stored with identical content (an earlier run, or a retried batch).
    pub duplicates: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.sent += other.sent;
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
    }
}

/// Events and reviews together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficTally {
    pub events: Tally,
    pub reviews: Tally,
}

impl TrafficTally {
    fn add(&mut self, other: TrafficTally) {
        self.events.add(other.events);
        self.reviews.add(other.reviews);
    }
}

async fn post_batch<T: Serialize>(
    api: &Api,
    key: &str,
    kind: &'static str,
    items: &[T],
) -> Result<Tally, SimError> {
    let body = serde_json::to_vec(&serde_json::json!({ kind: items }))
        .map_err(|e| SimError::Transport(format!("serialising {kind}: {e}")))?;
    let url = api.url(&format!("/api/v1/{kind}"));
    let answer = api
        .send(kind, |c| {
            c.post(&url)
                .bearer_auth(key)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        })
        .await?;
    if answer.status != StatusCode::OK {
        let err = answer.refused(&format!("POST /api/v1/{kind}"));
        return Err(match answer.status {
            StatusCode::CONFLICT => SimError::Conflict(err.to_string()),
            _ => err,
        });
    }
    let json = answer.json();
    let count = |field: &str| json[field].as_u64().unwrap_or(0);
    Ok(Tally {
        sent: items.len() as u64,
        accepted: count("accepted"),
        duplicates: count("duplicates"),
    })
}

/// Post one site-day with the site's key: its events, then its reviews, `batch` per request.
pub async fn post_site_day(
    api: &Api,
    key: &str,
    day: &SiteDay,
    batch: usize,
) -> Result<TrafficTally, SimError> {
    let mut tally = TrafficTally::default();
    for chunk in day.event_batches(batch) {
        tally
            .events
            .add(post_batch(api, key, "events", chunk).await?);
    }
    for chunk in day.review_batches(batch) {
        tally
            .reviews
            .add(post_batch(api, key, "reviews", chunk).await?);
    }
    Ok(tally)
}

/// How the fleet's traffic is posted.
#[derive(Debug, Clone, Copy)]
pub struct PostOptions {
    /// Items per request.
    pub batch: usize,
    /// Site-days posted at the same time.
    pub concurrency: usize,
}

/// Post every day of `fleet` (site `n` with `keys[n - 1]`), ticking `progress` per site-day.
pub async fn post_fleet(
    api: &Api,
    fleet: &Fleet,
    keys: &[String],
    opts: PostOptions,
    progress: &ProgressBar,
) -> Result<TrafficTally, SimError> {
    let started = Instant::now();
    let mut total = TrafficTally::default();
    for day in 0..fleet.days() {
        let mut running = JoinSet::new();
        for (site_day, key) in fleet.day(day).into_iter().zip(keys) {
            if running.len() >= opts.concurrency.max(1) {
                total.add(next_done(&mut running).await?);
                tick(progress, &total, started);
            }
            let (api, key) = (api.clone(), key.clone());
            running.spawn(async move { post_site_day(&api, &key, &site_day, opts.batch).await });
        }
        while !running.is_empty() {
            total.add(next_done(&mut running).await?);
            tick(progress, &total, started);
        }
    }
    Ok(total)
}

async fn next_done(
    running: &mut JoinSet<Result<TrafficTally, SimError>>,
) -> Result<TrafficTally, SimError> {
    match running.join_next().await {
        Some(Ok(result)) => result,
        Some(Err(e)) => Err(SimError::Transport(format!("posting task failed: {e}"))),
        None => Ok(TrafficTally::default()),
    }
}

fn tick(progress: &ProgressBar, total: &TrafficTally, started: Instant) {
    progress.inc(1);
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    progress.set_message(format!(
        "{} events, {:.0}/s",
        total.events.sent,
        total.events.sent as f64 / secs
    ));
}
