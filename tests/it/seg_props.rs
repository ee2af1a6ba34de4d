//! Property tests: the decoders never panic on arbitrary or mutated bytes, and the metrics
//! agree with a brute-force oracle and obey symmetry, identity, translation and scaling.

use proptest::prelude::*;
use vigil::segmentation::{
    DecodeLimits, LabelMetrics, LabelVolume, MetricOptions, RleMask, Run, Status, compute_metrics,
    decode_nifti_bytes, decode_rle,
};

use super::seg_fixtures::fixture_dir;
use super::seg_oracle::{Mask, distances, stats, surfels};

fn limits() -> DecodeLimits {
    DecodeLimits {
        max_voxels: 1 << 20,
    }
}

fn mask_strategy(max: usize) -> impl Strategy<Value = Mask> {
    (1..=max, 1..=max, 1..=max, 0.05f64..0.7).prop_flat_map(|(x, y, z, density)| {
        proptest::collection::vec(proptest::bool::weighted(density), x * y * z).prop_map(
            move |fg| Mask {
                shape: [x, y, z],
                fg,
            },
        )
    })
}

fn spacing_strategy() -> impl Strategy<Value = [f64; 3]> {
    let one = prop::sample::select(vec![0.5, 0.699999988079071, 1.0, 1.5, 2.5]);
    (one.clone(), one.clone(), one).prop_map(|(a, b, c)| [a, b, c])
}

fn volume(m: &Mask, spacing: [f64; 3]) -> LabelVolume {
    LabelVolume::from_u8_labels(m.shape, spacing, m.labels()).unwrap()
}

fn metrics(pred: &Mask, reference: &Mask, spacing: [f64; 3]) -> LabelMetrics {
    let options = MetricOptions {
        nsd_tolerances_mm: vec![1.0, 2.0],
        ..Default::default()
    };
    compute_metrics(
        &volume(pred, spacing),
        &volume(reference, spacing),
        &options,
    )
    .unwrap()
    .remove(0)
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join("cases").join(name)).unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn nifti_decoder_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_nifti_bytes(&bytes, &limits());
    }

    #[test]
    fn nifti_decoder_survives_mutated_headers(
        edits in proptest::collection::vec((0usize..560, any::<u8>()), 1..8),
        cut in 0usize..4000,
    ) {
        let mut bytes = gunzip(&fixture_bytes("single_voxel_shifted_ref.nii.gz"));
        for (at, value) in edits {
            if at < bytes.len() {
                bytes[at] = value;
            }
        }
        let _ = decode_nifti_bytes(&bytes, &limits());
        bytes.truncate(bytes.len().saturating_sub(cut));
        let _ = decode_nifti_bytes(&bytes, &limits());
    }

    #[test]
    fn nifti_decoder_survives_mutated_gzip(at in 0usize..400, value in any::<u8>()) {
        let mut bytes = fixture_bytes("thin_line_pred.nii.gz");
        let n = at % bytes.len();
        bytes[n] = value;
        let _ = decode_nifti_bytes(&bytes, &limits());
    }

    #[test]
    fn rle_decoder_survives_arbitrary_runs(
        shape in proptest::array::uniform3(0u64..12),
        runs in proptest::collection::vec((0u64..2000, 0u64..300, -2.0f64..3.0), 0..20),
    ) {
        let runs = runs.into_iter().map(|(s, l, v)| Run::Labelled(s, l, v.round())).collect();
        let mask = RleMask { shape, spacing: [1.0, 1.0, 1.0], runs };
        let _ = decode_rle(&mask, &limits());
    }

    #[test]
    fn engine_matches_the_brute_force_oracle(
        (pred, reference) in (1usize..=8, 1usize..=8, 1usize..=8).prop_flat_map(|(x, y, z)| {
            let one = move || proptest::collection::vec(proptest::bool::weighted(0.3), x * y * z)
                .prop_map(move |fg| Mask { shape: [x, y, z], fg });
            (one(), one())
        }),
        spacing in spacing_strategy(),
    ) {
        let m = metrics(&pred, &reference, spacing);
        let (sr, sp) = (surfels(&reference, spacing), surfels(&pred, spacing));
        if sr.is_empty() || sp.is_empty() {
            prop_assert!(m.status != Status::Ok || sr.is_empty() && sp.is_empty());
            return Ok(());
        }
        let tol = [1.0, 2.0];
        let rp = stats(&distances(&sr, &sp, spacing), &sr, &tol);
        let pr = stats(&distances(&sp, &sr, spacing), &sp, &tol);
        prop_assert!(close(m.hd95_ref_to_pred.unwrap(), rp.1));
        prop_assert!(close(m.hd95_pred_to_ref.unwrap(), pr.1));
        prop_assert!(close(m.hd.unwrap(), rp.2.max(pr.2)));
        prop_assert!(close(m.asd_ref_to_pred.unwrap(), rp.0));
        prop_assert!(close(m.asd_pred_to_ref.unwrap(), pr.0));
        prop_assert!(close(m.ref_surface_mm2, rp.4));
        for (n, t) in tol.iter().enumerate() {
            let want = (rp.3[n] + pr.3[n]) / (rp.4 + pr.4);
            prop_assert_eq!(m.nsd[n].0, *t);
            prop_assert!(close(m.nsd[n].1, want), "nsd {} {} {}", t, m.nsd[n].1, want);
        }
    }

    #[test]
    fn swapping_pred_and_ref_swaps_directed_values(
        a in mask_strategy(7), spacing in spacing_strategy(), seed in any::<u64>(),
    ) {
        let mut b = a.clone();
        b.fg.iter_mut().enumerate().for_each(|(i, v)| *v ^= (seed >> (i % 64)) & 1 == 1 && i % 3 == 0);
        let (ab, ba) = (metrics(&a, &b, spacing), metrics(&b, &a, spacing));
        prop_assert_eq!(ab.dice, ba.dice);
        prop_assert_eq!(ab.iou, ba.iou);
        prop_assert_eq!(ab.hd, ba.hd);
        prop_assert_eq!(ab.hd95, ba.hd95);
        prop_assert_eq!(ab.masd, ba.masd);
        prop_assert_eq!(ab.assd_pooled, ba.assd_pooled);
        prop_assert_eq!(ab.hd95_ref_to_pred, ba.hd95_pred_to_ref);
        prop_assert_eq!(ab.asd_ref_to_pred, ba.asd_pred_to_ref);
        prop_assert_eq!(&ab.nsd, &ba.nsd);
        prop_assert_eq!(ab.ref_surface_mm2, ba.pred_surface_mm2);
        let expected = match (ab.ref_voxels, ab.pred_voxels) {
            (0, 0) => Status::BothEmpty,
            (0, _) => Status::RefEmpty,
            (_, 0) => Status::PredEmpty,
            _ => Status::Ok,
        };
        prop_assert_eq!(ab.status, expected);
        if expected == Status::RefEmpty || expected == Status::PredEmpty {
            prop_assert_eq!(ab.dice, 0.0);
            prop_assert!(ab.hd.is_none() && ab.masd.is_none() && ab.hd95.is_none());
            prop_assert!(ab.nsd.iter().all(|(_, v)| *v == 0.0));
        }
    }

    #[test]
    fn identical_masks_have_zero_distances(a in mask_strategy(8), spacing in spacing_strategy()) {
        let m = metrics(&a, &a, spacing);
        prop_assert_eq!(m.dice, 1.0);
        prop_assert_eq!(m.iou, 1.0);
        prop_assert_eq!(m.hd, Some(0.0));
        prop_assert_eq!(m.masd, Some(0.0));
        prop_assert!(m.nsd.iter().all(|(_, v)| *v == 1.0));
    }

    #[test]
    fn translation_and_spacing_scaling(
        a in mask_strategy(6), b in mask_strategy(6), shift in proptest::array::uniform3(0usize..4),
        spacing in spacing_strategy(),
    ) {
        // Put both masks in a larger grid, then shift both by whole voxels.
        let place = |m: &Mask, off: [usize; 3]| {
            let shape = [10usize, 10, 10];
            let mut fg = vec![false; 1000];
            for z in 0..m.shape[2] { for y in 0..m.shape[1] { for x in 0..m.shape[0] {
                fg[(x + off[0]) + 10 * ((y + off[1]) + 10 * (z + off[2]))] =
                    m.fg[x + m.shape[0] * (y + m.shape[1] * z)];
            }}}
            Mask { shape, fg }
        };
        let base = metrics(&place(&a, [0, 0, 0]), &place(&b, [0, 0, 0]), spacing);
        let moved = metrics(&place(&a, shift), &place(&b, shift), spacing);
        prop_assert_eq!(&base, &moved);
        let doubled = metrics(&place(&a, [0, 0, 0]), &place(&b, [0, 0, 0]), spacing.map(|s| s * 2.0));
        prop_assert_eq!(doubled.dice, base.dice);
        prop_assert_eq!(doubled.hd, base.hd.map(|d| d * 2.0));
        prop_assert_eq!(doubled.hd95, base.hd95.map(|d| d * 2.0));
        prop_assert_eq!(doubled.masd, base.masd.map(|d| d * 2.0));
        prop_assert_eq!(doubled.ref_surface_mm2, base.ref_surface_mm2 * 4.0);
    }
}

/// A case proptest found: 40 equal-area surfels put a cumulative fraction at exactly 0.95 in
/// real arithmetic, so HD95 depends on numpy's summation order (now reproduced).
#[test]
fn hd95_at_an_exact_095_step_follows_numpy() {
    let fg = |on: &[usize]| (0..24).map(|i| on.contains(&i)).collect::<Vec<bool>>();
    let pred = Mask {
        shape: [2, 2, 6],
        fg: fg(&[0, 11, 13, 16, 22]),
    };
    let reference = Mask {
        shape: [2, 2, 6],
        fg: fg(&[15]),
    };
    let spacing = [1.5, 0.699999988079071, 1.0];
    let m = metrics(&pred, &reference, spacing);
    let (sr, sp) = (surfels(&reference, spacing), surfels(&pred, spacing));
    let pr = stats(&distances(&sp, &sr, spacing), &sp, &[]);
    assert_eq!(m.hd95_pred_to_ref, Some(pr.1));
}
