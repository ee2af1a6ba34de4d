//! One simulated case: the inference event a site reports and, for a share of cases, the
//! clinician's review. Every case consumes its random numbers in the same order whatever the
//! scenario, and changes only transform the values drawn; so a stream with a change and its
//! in-control twin contain the same cases, differing exactly by the change.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;

use super::demo::{FEATURES, LABELS, LATENCY_LOG_SD, LATENCY_MEDIAN_MS, dice_model};
use super::sample;
use super::scenario::{Change, Scenario};
use super::site::{Protocol, SiteProfile, case_pixel_spacing};
use crate::domain::event::{
    Acquisition, AgeBand, Demographics, EventItem, Modality, Output, OutputStatus, Sex,
};
use crate::domain::model::FeatureKind;
use crate::domain::review::{LabelMetrics, Outcome, ReviewItem, Severity};

/// Reviews with a liver Dice below this are rejected outright.
pub const REJECT_BELOW: f64 = 0.75;
/// Reviews with a liver Dice below this (and not rejected) are edited.
pub const EDIT_BELOW: f64 = 0.92;

const AGE_BANDS: [AgeBand; 10] = [
    AgeBand::A0,
    AgeBand::A10,
    AgeBand::A20,
    AgeBand::A30,
    AgeBand::A40,
    AgeBand::A50,
    AgeBand::A60,
    AgeBand::A70,
    AgeBand::A80,
    AgeBand::A90,
];
/// Liver CT is mostly done in older adults.
const AGE_WEIGHTS: [f64; 10] = [0.5, 1.0, 3.0, 5.0, 9.0, 16.0, 24.0, 24.0, 14.0, 3.5];

/// What the scenario changes at one site on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effects {
    /// Shift of the intensity features, in reference SDs.
    pub intensity_shift_sd: f64,
    /// Fall of the reviewed Dice, per label in `LABELS` order.
    pub dice_drop: [f64; 2],
    /// The protocol in force.
    pub protocol: Protocol,
    /// Factor on noise features (thinner slices are noisier: sqrt(old / new)).
    pub noise_factor: f64,
    /// Factor on latency (more slices take longer: old / new).
    pub latency_factor: f64,
}

impl Effects {
    /// No change: the in-control distribution under `protocol`.
    pub fn in_control(protocol: Protocol) -> Self {
        Effects {
            intensity_shift_sd: 0.0,
            dice_drop: [0.0; 2],
            protocol,
            noise_factor: 1.0,
            latency_factor: 1.0,
        }
    }

    /// The changes of `scenario` in force at `site` on `day`, over the site's own protocol.
    pub fn at(scenario: &Scenario, base: Protocol, site: u32, day: u32) -> Self {
        let mut fx = Effects::in_control(base);
        let mut latest_protocol = None;
        for c in scenario.changes.iter().filter(|c| c.applies(site, day)) {
            match c {
                Change::IntensityShift { shift_sd, .. } => fx.intensity_shift_sd += shift_sd,
                Change::DiceDrop { label, drop, .. } => {
                    if let Some(i) = LABELS.iter().position(|l| l == label) {
                        fx.dice_drop[i] += drop;
                    }
                }
                Change::ProtocolChange {
                    from_day,
                    slice_thickness_mm,
                    ..
                } => {
                    if latest_protocol.is_none_or(|(d, _)| *from_day >= d) {
                        latest_protocol = Some((*from_day, *slice_thickness_mm));
                    }
                }
            }
        }
        if let Some((_, thickness)) = latest_protocol {
            let ratio = base.slice_thickness_mm / thickness;
            fx.protocol.slice_thickness_mm = thickness;
            fx.noise_factor = ratio.sqrt();
            fx.latency_factor = ratio;
        }
        fx
    }
}

/// Where and when a case happens.
#[derive(Debug, Clone, Copy)]
pub struct CaseContext<'a> {
    pub site: &'a SiteProfile,
    pub date: NaiveDate,
    pub effects: Effects,
    pub review_rate: f64,
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// Values of every declared feature (in `FEATURES` order) under `fx`, clipped to the range.
pub fn draw_features(rng: &mut impl Rng, fx: &Effects) -> [f64; FEATURES.len()] {
    FEATURES.map(|f| {
        let mut z = sample::std_normal(rng);
        if f.intensity {
            z += fx.intensity_shift_sd;
        }
        let mut v = f.mean + f.sd * z;
        if f.noise {
            v *= fx.noise_factor;
        }
        round_to(v.clamp(f.min, f.max), 4)
    })
}

/// Inference latency in ms under `fx`.
pub fn draw_latency(rng: &mut impl Rng, fx: &Effects) -> f64 {
    let z = sample::std_normal(rng);
    round_to(
        LATENCY_MEDIAN_MS * (LATENCY_LOG_SD * z).exp() * fx.latency_factor,
        1,
    )
}

/// Reviewed Dice of label `LABELS[i]`, lowered by `drop`.
pub fn draw_dice(rng: &mut impl Rng, i: usize, drop: f64) -> f64 {
    let (mean, sd) = dice_model(LABELS[i]);
    round_to(
        (sample::beta_mean_sd(rng, mean, sd) - drop).clamp(0.0, 1.0),
        4,
    )
}

fn features_of(values: &[f64], kind: FeatureKind) -> BTreeMap<String, f64> {
    FEATURES
        .iter()
        .zip(values)
        .filter(|(f, _)| f.kind == kind)
        .map(|(f, v)| (f.name.to_string(), *v))
        .collect()
}

/// Draw one case: its event, and its review when the clinician reviewed it.
pub fn draw_case(rng: &mut impl Rng, ctx: &CaseContext) -> (EventItem, Option<ReviewItem>) {
    let seconds = rng.random_range(6 * 3600..22 * 3600);
    let midnight = ctx.date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let occurred_at = midnight + Duration::seconds(seconds);
    let event_id = sample::uuid(rng);
    let case_ref = sample::case_ref(rng);
    let age_band = AGE_BANDS[sample::weighted(rng, &AGE_WEIGHTS)];
    let sex = if rng.random_bool(0.48) {
        Sex::F
    } else {
        Sex::M
    };
    let contrast = rng.random_bool(0.85);
    let pixel_spacing_mm = case_pixel_spacing(rng, &ctx.effects.protocol);
    let values = draw_features(rng, &ctx.effects);
    let latency_ms = draw_latency(rng, &ctx.effects);
    let event = EventItem {
        event_id,
        model: super::demo::MODEL_NAME.into(),
        model_version: super::demo::MODEL_VERSION.into(),
        occurred_at,
        case_ref,
        modality: Modality::Ct,
        scanner: ctx.site.scanner.clone(),
        acquisition: Acquisition {
            slice_thickness_mm: ctx.effects.protocol.slice_thickness_mm,
            pixel_spacing_mm,
            kvp: Some(ctx.effects.protocol.kvp),
            field_strength_t: None,
            contrast: Some(contrast),
        },
        demographics: Some(Demographics {
            age_band: Some(age_band),
            sex: Some(sex),
        }),
        input_features: features_of(&values, FeatureKind::Input),
        output: Output {
            status: OutputStatus::Ok,
            latency_ms,
            features: features_of(&values, FeatureKind::Output),
        },
    };
    let reviewed = rng.random::<f64>() < ctx.review_rate;
    let review = reviewed.then(|| draw_review(rng, event_id, occurred_at, &ctx.effects));
    (event, review)
}

fn draw_review(
    rng: &mut impl Rng,
    event_id: uuid::Uuid,
    occurred_at: DateTime<Utc>,
    fx: &Effects,
) -> ReviewItem {
    let review_id = sample::uuid(rng);
    let delay = Duration::seconds(rng.random_range(3600..8 * 3600));
    let dice = [
        draw_dice(rng, 0, fx.dice_drop[0]),
        draw_dice(rng, 1, fx.dice_drop[1]),
    ];
    let hd95 = 1.0 + 60.0 * (1.0 - dice[0]) * (0.25 * sample::std_normal(rng)).exp();
    let (outcome, severity) = judge(dice[0]);
    let mut metrics = BTreeMap::new();
    metrics.insert(
        LABELS[0].to_string(),
        LabelMetrics {
            dice: Some(dice[0]),
            hd95_mm: Some(round_to(hd95, 2)),
            assd_mm: None,
            nsd: None,
        },
    );
    metrics.insert(
        LABELS[1].to_string(),
        LabelMetrics {
            dice: Some(dice[1]),
            hd95_mm: None,
            assd_mm: None,
            nsd: None,
        },
    );
    ReviewItem {
        review_id,
        event_id,
        reviewed_at: occurred_at + delay,
        outcome,
        severity,
        metrics: Some(metrics),
    }
}

/// What a clinician does with a contour of this liver Dice.
pub fn judge(liver_dice: f64) -> (Outcome, Severity) {
    if liver_dice < REJECT_BELOW {
        let severity = if liver_dice < 0.5 {
            Severity::ClinicallyRelevant
        } else {
            Severity::Major
        };
        (Outcome::Rejected, severity)
    } else if liver_dice < EDIT_BELOW {
        let severity = if liver_dice < 0.85 {
            Severity::Major
        } else {
            Severity::Minor
        };
        (Outcome::Edited, severity)
    } else {
        (Outcome::Accepted, Severity::None)
    }
}
