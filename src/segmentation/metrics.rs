//! The public entry points: overlap counts and surface metrics of a prediction against a
//! reference, under METRICS.md section 4 (DeepMind surface-distance geometry, explicit
//! `status` for empty masks, undefined distances as None).

use serde::Serialize;

use super::counts::{Counts, count_overlap, count_with_box};
use super::directed::{Directed, directed};
use super::edt::directed_distances;
use super::error::MaskError;
use super::mask::BinaryMask;
use super::select::{Foreground, Selection, selections};
use super::surface::{CropBits, Surface, extract};
use super::tables::surfel_area_table;
use super::volume::LabelVolume;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricOptions {
    pub foreground: Foreground,
    /// NSD tolerances in mm (finite, >= 0); default 1 and 2 mm.
    pub nsd_tolerances_mm: Vec<f64>,
}

impl Default for MetricOptions {
    fn default() -> Self {
        Self {
            foreground: Foreground::NonZero,
            nsd_tolerances_mm: vec![1.0, 2.0],
        }
    }
}

/// How the emptiness of the two masks shaped the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Both masks have foreground: every value is defined.
    Ok,
    /// Neither mask has foreground: Dice = IoU = NSD = 1 and every distance 0.
    BothEmpty,
    /// Only the prediction has foreground: Dice = IoU = NSD = 0, distances undefined.
    RefEmpty,
    /// Only the reference has foreground: Dice = IoU = NSD = 0, distances undefined.
    PredEmpty,
}

impl Status {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::BothEmpty => "both_empty",
            Self::RefEmpty => "ref_empty",
            Self::PredEmpty => "pred_empty",
        }
    }
}

/// Dice and IoU only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverlapMetrics {
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::json::label"
    )]
    pub label: Option<f64>,
    pub status: Status,
    pub dice: f64,
    pub iou: f64,
    pub ref_voxels: u64,
    pub pred_voxels: u64,
    pub intersection_voxels: u64,
}

/// Every metric for one label. Distances are in mm, areas in mm²; None means undefined
/// (one mask empty) and serialises as null.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelMetrics {
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::json::label"
    )]
    pub label: Option<f64>,
    pub status: Status,
    pub dice: f64,
    pub iou: f64,
    pub hd: Option<f64>,
    pub hd95: Option<f64>,
    pub hd95_ref_to_pred: Option<f64>,
    pub hd95_pred_to_ref: Option<f64>,
    pub masd: Option<f64>,
    pub assd_pooled: Option<f64>,
    pub asd_ref_to_pred: Option<f64>,
    pub asd_pred_to_ref: Option<f64>,
    /// NSD per tolerance: (tolerance in mm, value); serialised as an object keyed "1", "1.5".
    #[serde(serialize_with = "super::json::nsd")]
    pub nsd: Vec<(f64, f64)>,
    pub ref_voxels: u64,
    pub pred_voxels: u64,
    pub intersection_voxels: u64,
    pub ref_surface_mm2: f64,
    pub pred_surface_mm2: f64,
}

/// Shapes must be equal; spacings equal to 1e-6 relative (writers round pixdim differently).
/// The reference's spacing is used.
fn check_pair(pred: &LabelVolume, reference: &LabelVolume) -> Result<(), MaskError> {
    if pred.shape() != reference.shape() {
        return Err(MaskError::ShapeMismatch {
            pred: pred.shape(),
            reference: reference.shape(),
        });
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs());
    if !pred
        .spacing()
        .iter()
        .zip(reference.spacing())
        .all(|(a, b)| close(*a, b))
    {
        return Err(MaskError::SpacingMismatch {
            pred: pred.spacing(),
            reference: reference.spacing(),
        });
    }
    Ok(())
}

fn status_of(c: &Counts) -> Status {
    match (c.reference, c.pred) {
        (0, 0) => Status::BothEmpty,
        (0, _) => Status::RefEmpty,
        (_, 0) => Status::PredEmpty,
        _ => Status::Ok,
    }
}

/// Both masks of one selection: [pred, reference].
fn masks<'a>(
    pred: &'a LabelVolume,
    reference: &'a LabelVolume,
    sel: &Selection,
) -> [BinaryMask<'a>; 2] {
    [
        BinaryMask {
            volume: pred,
            test: sel.pred,
        },
        BinaryMask {
            volume: reference,
            test: sel.reference,
        },
    ]
}

fn overlap(c: &Counts, label: Option<f64>) -> OverlapMetrics {
    let status = status_of(c);
    let (dice, iou) = if status == Status::BothEmpty {
        (1.0, 1.0)
    } else {
        let (i, r, p) = (c.intersection as f64, c.reference as f64, c.pred as f64);
        (2.0 * i / (r + p), i / (r + p - i))
    };
    OverlapMetrics {
        label,
        status,
        dice,
        iou,
        ref_voxels: c.reference,
        pred_voxels: c.pred,
        intersection_voxels: c.intersection,
    }
}

/// Dice and IoU for every selected label (no surface work).
pub fn compute_overlap(
    pred: &LabelVolume,
    reference: &LabelVolume,
    options: &MetricOptions,
) -> Result<Vec<OverlapMetrics>, MaskError> {
    check_pair(pred, reference)?;
    let selected = selections(pred, reference, options.foreground)?;
    let counts = |s: &Selection| {
        let [p, r] = masks(pred, reference, s);
        count_overlap(&r, &p)
    };
    Ok(selected
        .iter()
        .map(|s| overlap(&counts(s), s.label))
        .collect())
}

/// Every metric of section 4 for every selected label.
pub fn compute_metrics(
    pred: &LabelVolume,
    reference: &LabelVolume,
    options: &MetricOptions,
) -> Result<Vec<LabelMetrics>, MaskError> {
    check_pair(pred, reference)?;
    let tolerances = &options.nsd_tolerances_mm;
    if let Some(t) = tolerances.iter().find(|t| !t.is_finite() || **t < 0.0) {
        return Err(MaskError::InvalidOption(format!("NSD tolerance {t} mm")));
    }
    let selected = selections(pred, reference, options.foreground)?;
    selected
        .iter()
        .map(|s| one_label(pred, reference, s, tolerances))
        .collect()
}

fn one_label(
    pred: &LabelVolume,
    reference: &LabelVolume,
    sel: &Selection,
    tolerances: &[f64],
) -> Result<LabelMetrics, MaskError> {
    let [p, r] = masks(pred, reference, sel);
    let counts = count_with_box(&r, &p);
    let base = overlap(&counts, sel.label);
    let spacing = reference.spacing();
    let Some(bbox) = counts.bbox else {
        return Ok(assemble(base, None, tolerances, [0.0, 0.0]));
    };
    let table = surfel_area_table(spacing);
    let (ps, rs) = rayon::join(
        || extract(&CropBits::new(&p, &bbox), &table),
        || extract(&CropBits::new(&r, &bbox), &table),
    );
    if base.status != Status::Ok {
        return Ok(assemble(base, None, tolerances, [rs.area(), ps.area()]));
    }
    let both = directed_pair(&rs, &ps, spacing, tolerances)?;
    let areas = [both[0].area, both[1].area];
    Ok(assemble(base, Some(both), tolerances, areas))
}

/// Both directed statistics: [ref -> pred, pred -> ref].
///
/// The two directions run side by side, so the threads share one pool of work and wait
/// for each other once, at the end.
fn directed_pair(
    rs: &Surface,
    ps: &Surface,
    spacing: [f64; 3],
    tolerances: &[f64],
) -> Result<[Directed; 2], MaskError> {
    let one_way = |features: &Surface, queries: &Surface| {
        directed_distances(features, queries, spacing)
            .map(|pairs| directed(pairs, 95.0, tolerances))
    };
    let (a, b) = rayon::join(|| one_way(ps, rs), || one_way(rs, ps));
    Ok([a?, b?])
}

/// Combine the directed statistics under the status rules of section 4.7.
fn assemble(
    base: OverlapMetrics,
    both: Option<[Directed; 2]>,
    tolerances: &[f64],
    areas: [f64; 2],
) -> LabelMetrics {
    let empty_value = if base.status == Status::BothEmpty {
        Some(0.0)
    } else {
        None
    };
    let nsd_default = if base.status == Status::BothEmpty {
        1.0
    } else {
        0.0
    };
    let mut m = LabelMetrics {
        label: base.label,
        status: base.status,
        dice: base.dice,
        iou: base.iou,
        hd: empty_value,
        hd95: empty_value,
        hd95_ref_to_pred: empty_value,
        hd95_pred_to_ref: empty_value,
        masd: empty_value,
        assd_pooled: empty_value,
        asd_ref_to_pred: empty_value,
        asd_pred_to_ref: empty_value,
        nsd: tolerances.iter().map(|&t| (t, nsd_default)).collect(),
        ref_voxels: base.ref_voxels,
        pred_voxels: base.pred_voxels,
        intersection_voxels: base.intersection_voxels,
        ref_surface_mm2: areas[0],
        pred_surface_mm2: areas[1],
    };
    if let Some([rp, pr]) = both {
        let total = rp.area + pr.area;
        m.hd = Some(rp.max.max(pr.max));
        m.hd95 = Some(rp.percentile.max(pr.percentile));
        m.hd95_ref_to_pred = Some(rp.percentile);
        m.hd95_pred_to_ref = Some(pr.percentile);
        m.masd = Some((rp.mean + pr.mean) / 2.0);
        m.assd_pooled = Some((rp.weighted_sum + pr.weighted_sum) / total);
        m.asd_ref_to_pred = Some(rp.mean);
        m.asd_pred_to_ref = Some(pr.mean);
        m.nsd = tolerances
            .iter()
            .enumerate()
            .map(|(n, &t)| (t, (rp.area_within[n] + pr.area_within[n]) / total))
            .collect();
    }
    m
}
