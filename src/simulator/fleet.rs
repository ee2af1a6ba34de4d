//! The simulated fleet: its sites and, for any site and day, the traffic that site reports
//! that day. Each site-day has its own random stream, so days can be generated alone, in any
//! order, or in parallel, and always come out the same.

use chrono::{Duration, NaiveDate};

use super::case::{CaseContext, Effects, draw_case};
use super::sample::{self, stream};
use super::scenario::{Scenario, ScenarioError};
use super::site::{SiteProfile, site_profile};
use crate::domain::event::EventItem;
use crate::domain::review::ReviewItem;

/// A fleet of `sites` sites over `days` days from `start`, under a scenario.
#[derive(Debug, Clone)]
pub struct Fleet {
    seed: u64,
    start: NaiveDate,
    days: u32,
    scenario: Scenario,
    sites: Vec<SiteProfile>,
}

/// What one site reports on one day: events (by time), then reviews of some of them.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteDay {
    /// 1-based site number.
    pub site: u32,
    pub site_id: String,
    /// 0-based day of the simulation.
    pub day: u32,
    pub date: NaiveDate,
    pub events: Vec<EventItem>,
    /// Reviews of this day's events; `reviewed_at` may fall on the next day.
    pub reviews: Vec<ReviewItem>,
}

impl SiteDay {
    /// The events in batches of at most `size` (at least 1).
    pub fn event_batches(&self, size: usize) -> std::slice::Chunks<'_, EventItem> {
        self.events.chunks(size.max(1))
    }

    /// The reviews in batches of at most `size` (at least 1); post them after the events.
    pub fn review_batches(&self, size: usize) -> std::slice::Chunks<'_, ReviewItem> {
        self.reviews.chunks(size.max(1))
    }
}

impl Fleet {
    /// A fleet whose changes must all fall on its sites and days.
    pub fn new(
        seed: u64,
        sites: u32,
        days: u32,
        start: NaiveDate,
        scenario: Scenario,
    ) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        scenario.check_fleet(sites, days)?;
        Ok(Self {
            seed,
            start,
            days,
            scenario,
            sites: (1..=sites).map(|n| site_profile(seed, n)).collect(),
        })
    }

    /// The sites, numbered from 1 in order.
    pub fn sites(&self) -> &[SiteProfile] {
        &self.sites
    }

    pub fn days(&self) -> u32 {
        self.days
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The calendar date (UTC) of simulation day `day`.
    pub fn date(&self, day: u32) -> NaiveDate {
        self.start + Duration::days(i64::from(day))
    }

    /// The traffic of site `site` (1-based) on day `day` (0-based); `None` outside the fleet.
    pub fn site_day(&self, site: u32, day: u32) -> Option<SiteDay> {
        let profile = self.sites.get((site as usize).checked_sub(1)?)?;
        if day >= self.days {
            return None;
        }
        let mut rng = stream(self.seed, site, day);
        let ctx = CaseContext {
            site: profile,
            date: self.date(day),
            effects: Effects::at(&self.scenario, profile.protocol, site, day),
            review_rate: self.scenario.fleet.review_rate,
        };
        let n = sample::poisson(&mut rng, self.scenario.fleet.cases_per_day);
        let (mut events, mut reviews) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let (event, review) = draw_case(&mut rng, &ctx);
            events.push(event);
            reviews.extend(review);
        }
        events.sort_by_key(|e| (e.occurred_at, e.event_id));
        reviews.sort_by_key(|r| (r.reviewed_at, r.review_id));
        Some(SiteDay {
            site,
            site_id: profile.id.clone(),
            day,
            date: ctx.date,
            events,
            reviews,
        })
    }

    /// Every site's traffic on day `day`, site 1 first.
    pub fn day(&self, day: u32) -> Vec<SiteDay> {
        (1..=self.sites.len() as u32)
            .filter_map(|site| self.site_day(site, day))
            .collect()
    }
}
