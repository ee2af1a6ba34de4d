//! Library edge cases: one-sided and full masks, NIfTI variants built byte by byte
//! (NIfTI-2, big-endian, scaling, 16-bit labels), RLE round trips and its errors, and a
//! cross-check of the decoder against the `nifti` crate.

use vigil::segmentation::{
    DecodeLimits, Foreground, LabelVolume, MetricOptions, RleMask, Run, Status, compute_metrics,
    decode_nifti_bytes, decode_nifti_path, decode_rle, encode_rle,
};

use super::seg_fixtures::fixture_dir;

fn sphere(n: usize, r: f64) -> Vec<u8> {
    let c = (n as f64 - 1.0) / 2.0;
    (0..n * n * n)
        .map(|i| {
            let (x, y, z) = ((i % n) as f64, ((i / n) % n) as f64, (i / (n * n)) as f64);
            u8::from((x - c).powi(2) + (y - c).powi(2) + (z - c).powi(2) <= r * r)
        })
        .collect()
}

fn vol(n: usize, data: Vec<u8>) -> LabelVolume {
    LabelVolume::from_u8_labels([n, n, n], [1.0, 1.0, 2.0], data).unwrap()
}

#[test]
fn one_sided_masks_have_undefined_distances_and_surfaces() {
    let (s, e) = (vol(12, sphere(12, 4.0)), vol(12, vec![0; 1728]));
    let opts = MetricOptions::default();
    let pred_empty = compute_metrics(&e, &s, &opts).unwrap().remove(0);
    assert_eq!(pred_empty.status, Status::PredEmpty);
    assert_eq!((pred_empty.dice, pred_empty.iou), (0.0, 0.0));
    assert!(pred_empty.hd.is_none() && pred_empty.hd95.is_none() && pred_empty.masd.is_none());
    assert!(pred_empty.assd_pooled.is_none() && pred_empty.asd_ref_to_pred.is_none());
    assert_eq!(pred_empty.nsd, vec![(1.0, 0.0), (2.0, 0.0)]);
    assert!(pred_empty.ref_surface_mm2 > 0.0 && pred_empty.pred_surface_mm2 == 0.0);
    let ref_empty = compute_metrics(&s, &e, &opts).unwrap().remove(0);
    assert_eq!(ref_empty.status, Status::RefEmpty);
    assert_eq!(ref_empty.pred_surface_mm2, pred_empty.ref_surface_mm2);
    let json = serde_json::to_value(&ref_empty).unwrap();
    assert!(json["hd"].is_null() && json["masd"].is_null());
}

#[test]
fn a_mask_filling_the_image_has_its_surface_on_the_faces() {
    let full = vol(6, vec![1; 216]);
    let m = compute_metrics(&full, &full, &MetricOptions::default())
        .unwrap()
        .remove(0);
    assert_eq!(m.status, Status::Ok);
    assert_eq!(m.hd, Some(0.0));
    // A 6x6x12 mm box: 2*(36 + 72 + 72) mm², faces only (edges and corners are bevelled by
    // marching cubes, so the area is a little smaller).
    assert!(m.ref_surface_mm2 > 300.0 && m.ref_surface_mm2 < 360.0);
    let inner = vol(6, sphere(6, 2.0));
    let m = compute_metrics(&inner, &full, &MetricOptions::default())
        .unwrap()
        .remove(0);
    assert!(m.hd.unwrap() > 0.0 && m.hd.unwrap().is_finite());
}

/// A NIfTI-1 single file: header, 4 bytes of extension flag, then the data.
fn nifti1(
    shape: [i16; 3],
    spacing: [f32; 3],
    dtype: i16,
    bitpix: i16,
    slope: f32,
    data: &[u8],
    be: bool,
) -> Vec<u8> {
    let mut h = vec![0u8; 352];
    let put = |h: &mut Vec<u8>, at: usize, b: &[u8]| {
        let mut b = b.to_vec();
        if be {
            b.reverse();
        }
        h[at..at + b.len()].copy_from_slice(&b);
    };
    put(&mut h, 0, &348i32.to_le_bytes());
    for (n, d) in [3i16, shape[0], shape[1], shape[2], 1, 1, 1, 1]
        .iter()
        .enumerate()
    {
        put(&mut h, 40 + 2 * n, &d.to_le_bytes());
    }
    put(&mut h, 70, &dtype.to_le_bytes());
    put(&mut h, 72, &bitpix.to_le_bytes());
    for (n, s) in [1.0f32, spacing[0], spacing[1], spacing[2]]
        .iter()
        .enumerate()
    {
        put(&mut h, 76 + 4 * n, &s.to_le_bytes());
    }
    put(&mut h, 108, &352f32.to_le_bytes());
    put(&mut h, 112, &slope.to_le_bytes());
    h[344..348].copy_from_slice(b"n+1\0");
    h.extend_from_slice(data);
    h
}

/// The same volume as NIfTI-2.
fn nifti2(shape: [i64; 3], spacing: [f64; 3], dtype: i16, bitpix: i16, data: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 544];
    h[0..4].copy_from_slice(&540i32.to_le_bytes());
    h[4..12].copy_from_slice(b"n+2\0\r\n\x1a\n");
    h[12..14].copy_from_slice(&dtype.to_le_bytes());
    h[14..16].copy_from_slice(&bitpix.to_le_bytes());
    for (n, d) in [3i64, shape[0], shape[1], shape[2], 1, 1, 1, 1]
        .iter()
        .enumerate()
    {
        h[16 + 8 * n..24 + 8 * n].copy_from_slice(&d.to_le_bytes());
    }
    for (n, s) in [1.0f64, spacing[0], spacing[1], spacing[2]]
        .iter()
        .enumerate()
    {
        h[104 + 8 * n..112 + 8 * n].copy_from_slice(&s.to_le_bytes());
    }
    h[168..176].copy_from_slice(&544i64.to_le_bytes());
    h.extend_from_slice(data);
    h
}

#[test]
fn nifti_variants_decode_to_the_same_labels() {
    let labels: Vec<i16> = (0..60).map(|i| [0, 0, 3, 1200, -5][i % 5]).collect();
    let le: Vec<u8> = labels.iter().flat_map(|v| v.to_le_bytes()).collect();
    let be: Vec<u8> = labels.iter().flat_map(|v| v.to_be_bytes()).collect();
    let limits = DecodeLimits::default();
    let a = decode_nifti_bytes(
        &nifti1([3, 4, 5], [0.7, 1.0, 2.5], 4, 16, 1.0, &le, false),
        &limits,
    )
    .unwrap();
    let b = decode_nifti_bytes(
        &nifti1([3, 4, 5], [0.7, 1.0, 2.5], 4, 16, f32::NAN, &be, true),
        &limits,
    )
    .unwrap();
    let c = decode_nifti_bytes(
        &nifti2([3, 4, 5], [0.699999988079071, 1.0, 2.5], 4, 16, &le),
        &limits,
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.spacing(), [0.699999988079071, 1.0, 2.5]);
    let opts = MetricOptions {
        foreground: Foreground::AllLabels,
        ..Default::default()
    };
    let all = compute_metrics(&a, &c, &opts).unwrap();
    let found: Vec<Option<f64>> = all.iter().map(|m| m.label).collect();
    assert_eq!(found, vec![Some(-5.0), Some(3.0), Some(1200.0)]);
    assert!(all.iter().all(|m| m.ref_voxels == 12 && m.dice == 1.0));
    // scl_slope 2 doubles every value: label 3 becomes 6.
    let scaled = decode_nifti_bytes(
        &nifti1([3, 4, 5], [0.7, 1.0, 2.5], 4, 16, 2.0, &le, false),
        &limits,
    )
    .unwrap();
    assert!(scaled.code_of(6.0).is_some() && scaled.code_of(3.0).is_none());
}

#[test]
fn malformed_headers_give_coded_errors() {
    let limits = DecodeLimits::default();
    let code = |bytes: Vec<u8>| decode_nifti_bytes(&bytes, &limits).unwrap_err().code();
    assert_eq!(
        code(nifti1([2, 2, 2], [1.0; 3], 2, 8, 1.0, &[0; 7], false)),
        "truncated"
    );
    assert_eq!(
        code(nifti1([2, 2, 2], [1.0; 3], 32, 64, 1.0, &[0; 64], false)),
        "unsupported_datatype"
    );
    assert_eq!(
        code(nifti1(
            [2, 2, 2],
            [1.0, 0.0, 1.0],
            2,
            8,
            1.0,
            &[0; 8],
            false
        )),
        "invalid_header"
    );
    assert_eq!(
        code(nifti1([2, -2, 2], [1.0; 3], 2, 8, 1.0, &[0; 8], false)),
        "invalid_header"
    );
    let mut flat = nifti1([2, 2, 2], [1.0; 3], 2, 8, 1.0, &[0; 8], false);
    flat[40] = 2;
    assert_eq!(code(flat), "not_3d");
    let mut four_d = nifti1([2, 2, 2], [1.0; 3], 2, 8, 1.0, &[0; 16], false);
    four_d[40] = 4;
    four_d[48] = 2;
    assert_eq!(code(four_d), "not_3d");
    let big = nifti1([2000, 2000, 2000], [1.0; 3], 2, 8, 1.0, &[], false);
    assert_eq!(code(big), "too_large");
    assert_eq!(code(b"\x1f\x8bnot really gzip".to_vec()), "corrupt_data");
}

#[test]
fn decoder_agrees_with_the_nifti_crate_on_every_fixture() {
    use nifti::{IntoNdArray, NiftiObject, ReaderOptions};
    let dir = fixture_dir().join("cases");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let ours = decode_nifti_path(&path, &DecodeLimits::default()).unwrap();
        let obj = ReaderOptions::new().read_file(&path).unwrap();
        let theirs = obj.into_volume().into_ndarray::<u8>().unwrap();
        assert_eq!(theirs.shape(), &ours.shape()[..]);
        let vigil::segmentation::LabelData::U8(codes) = ours.data() else {
            panic!("u8 expected")
        };
        // ndarray's memory order is axis 0 fastest, like ours.
        let theirs: Vec<u8> = theirs.t().iter().copied().collect();
        assert_eq!(&theirs, codes, "{}", path.display());
        let sum_ours: u64 = codes.iter().map(|&c| u64::from(c)).sum();
        let sum_theirs: u64 = theirs.iter().map(|&c| u64::from(c)).sum();
        assert_eq!(sum_ours, sum_theirs, "{}", path.display());
    }
}

#[test]
fn rle_round_trips_and_gives_the_same_metrics() {
    let dir = fixture_dir().join("cases");
    let limits = DecodeLimits::default();
    let reference = decode_nifti_path(&dir.join("random_blobs_64_ref.nii.gz"), &limits).unwrap();
    let pred = decode_nifti_path(&dir.join("random_blobs_64_pred.nii.gz"), &limits).unwrap();
    let rle = encode_rle(&pred);
    assert!(rle.runs.iter().all(|r| matches!(r, Run::Binary(..))));
    let text = serde_json::to_string(&rle).unwrap();
    let back: RleMask = serde_json::from_str(&text).unwrap();
    let decoded = decode_rle(&back, &limits).unwrap();
    let opts = MetricOptions::default();
    assert_eq!(
        compute_metrics(&decoded, &reference, &opts),
        compute_metrics(&pred, &reference, &opts)
    );
}

#[test]
fn rle_uses_c_order_and_rejects_bad_runs() {
    let limits = DecodeLimits::default();
    let mask: RleMask =
        serde_json::from_str(r#"{"shape":[2,3,4],"spacing":[1,1,1],"runs":[[1,2],[6,1,5]]}"#)
            .unwrap();
    let v = decode_rle(&mask, &limits).unwrap();
    // C-order index 1, 2 = (0,0,1), (0,0,2); index 6 = (0,1,2) with label 5.
    let at = |x: usize, y: usize, z: usize| {
        let vigil::segmentation::LabelData::U8(d) = v.data() else {
            panic!()
        };
        v.palette()[usize::from(d[x + 2 * (y + 3 * z)])]
    };
    assert_eq!(
        (at(0, 0, 1), at(0, 0, 2), at(0, 1, 2), at(0, 0, 0)),
        (1.0, 1.0, 5.0, 0.0)
    );
    for bad in [
        r#"{"shape":[2,3,4],"spacing":[1,1,1],"runs":[[3,2],[4,1]]}"#,
        r#"{"shape":[2,3,4],"spacing":[1,1,1],"runs":[[20,5]]}"#,
        r#"{"shape":[2,3,4],"spacing":[1,1,1],"runs":[[2,0]]}"#,
        r#"{"shape":[2,3,4],"spacing":[1,1,1],"runs":[[2,1,0]]}"#,
    ] {
        let m: RleMask = serde_json::from_str(bad).unwrap();
        assert_eq!(
            decode_rle(&m, &limits).unwrap_err().code(),
            "invalid_rle",
            "{bad}"
        );
    }
}
