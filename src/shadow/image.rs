//! Image volumes for inference: NIfTI-1 decoding to float32 in the spec's axis convention,
//! the header checks the archive applies (free-text fields must be empty: they are where
//! scanners and converters leave names and dates), and intensity preprocessing.
//!
//! The nifti crate reads the file; its array is `[x, y, z]` in NIfTI's x-fastest order and
//! is copied into C order, so that x is the tensor's D axis as in MONAI. A NaN `scl_slope`
//! means "no scaling" (nibabel's reading); the crate would otherwise scale by NaN.

use std::io::{Cursor, Read};

use flate2::read::GzDecoder;
use nifti::{InMemNiftiObject, InMemNiftiVolume, IntoNdArray, NiftiHeader, NiftiObject};

use super::error::ShadowError;
use super::spec::Preprocessing;
use super::window::Volume;

/// A decoded image: the volume and the voxel spacing in mm.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub volume: Volume,
    pub spacing: [f64; 3],
}

fn bad(message: impl Into<String>) -> ShadowError {
    ShadowError::InvalidVolume(message.into())
}

fn reader(bytes: &[u8]) -> Box<dyn Read + '_> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    }
}

/// Read only the header (cheap: the first 348 bytes after decompression).
pub fn read_header(bytes: &[u8]) -> Result<NiftiHeader, ShadowError> {
    NiftiHeader::from_reader(reader(bytes)).map_err(|e| bad(format!("not a NIfTI-1 file: {e}")))
}

/// Names of the free-text header fields that are not empty (NUL-padded counts as empty).
pub fn free_text_fields(h: &NiftiHeader) -> Vec<&'static str> {
    let filled = |b: &[u8]| b.iter().any(|c| *c != 0);
    let fields: [(&'static str, &[u8]); 4] = [
        ("descrip", &h.descrip),
        ("aux_file", &h.aux_file),
        ("intent_name", &h.intent_name),
        ("db_name", &h.db_name),
    ];
    fields
        .into_iter()
        .filter(|(_, b)| filled(b))
        .map(|(n, _)| n)
        .collect()
}

/// Shape `[nx, ny, nz]` of a 3D header, refusing other ranks and more than `max_voxels`.
pub fn shape_of(h: &NiftiHeader, max_voxels: u64) -> Result<[usize; 3], ShadowError> {
    let rank = h.dim[0] as usize;
    if !(3..=7).contains(&rank) || h.dim[4..=rank.max(3)].iter().any(|d| *d > 1) {
        return Err(bad(format!(
            "need a 3D volume, the header has dim {:?}",
            &h.dim[..=rank.min(7)]
        )));
    }
    let shape = [h.dim[1] as usize, h.dim[2] as usize, h.dim[3] as usize];
    let voxels = shape.iter().map(|d| *d as u64).product::<u64>();
    if voxels == 0 || voxels > max_voxels {
        return Err(bad(format!("{voxels} voxels; the limit is {max_voxels}")));
    }
    Ok(shape)
}

/// Decode a NIfTI-1 image (`.nii` or `.nii.gz`, detected from the content) to float32.
pub fn decode_image(bytes: &[u8], max_voxels: u64) -> Result<Image, ShadowError> {
    let header = read_header(bytes)?;
    let shape = shape_of(&header, max_voxels)?;
    let spacing: [f64; 3] = std::array::from_fn(|i| f64::from(header.pixdim[i + 1]).abs());
    let obj = InMemNiftiObject::from_reader(reader(bytes))
        .map_err(|e| bad(format!("unreadable voxel data: {e}")))?;
    let mut volume = obj.into_volume();
    if !header.scl_slope.is_finite() {
        let mut h = header.clone();
        h.scl_slope = 0.0;
        h.scl_inter = 0.0;
        volume = InMemNiftiVolume::from_reader(Cursor::new(volume.into_raw_data()), &h)
            .map_err(|e| bad(format!("unreadable voxel data: {e}")))?;
    }
    let array = volume
        .into_ndarray::<f32>()
        .map_err(|e| bad(format!("unsupported voxel type: {e}")))?;
    let data: Vec<f32> = array.as_standard_layout().iter().copied().collect();
    if data.len() != shape.iter().product::<usize>() {
        return Err(bad("voxel count does not match the header"));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(bad("the image holds NaN or infinite values"));
    }
    Ok(Image {
        volume: Volume { shape, data },
        spacing,
    })
}

/// Apply the spec's intensity preprocessing in place.
pub fn preprocess(volume: &mut Volume, p: &Preprocessing) {
    match *p {
        Preprocessing::ClipScale { min, max } => {
            let (lo, hi) = (min as f32, max as f32);
            let range = hi - lo;
            volume
                .data
                .iter_mut()
                .for_each(|v| *v = (v.clamp(lo, hi) - lo) / range);
        }
        Preprocessing::Zscore => {
            let n = volume.data.len() as f64;
            let mean = volume.data.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
            let var = volume
                .data
                .iter()
                .map(|v| (f64::from(*v) - mean).powi(2))
                .sum::<f64>()
                / n;
            // A constant volume would divide by zero; leave it centred instead.
            let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
            volume
                .data
                .iter_mut()
                .for_each(|v| *v = ((f64::from(*v) - mean) / sd) as f32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &[u8] =
        include_bytes!("../../tests/fixtures/shadow/cases/scanner-a-0_image.nii.gz");

    #[test]
    fn fixture_image_decodes_in_c_order_with_its_spacing() {
        let img = decode_image(CASE, 1 << 28).unwrap();
        assert_eq!(img.volume.shape, [40, 36, 32]);
        assert!((img.spacing[2] - 1.5).abs() < 1e-6 && (img.spacing[0] - 0.8).abs() < 1e-6);
        // Corner voxels are air (-1000 HU plus noise); the centre is inside the body.
        assert!(img.volume.data[0] < -900.0);
        let centre = (20 * 36 + 18) * 32 + 16;
        assert!(img.volume.data[centre] > -200.0);
        assert!(free_text_fields(&read_header(CASE).unwrap()).is_empty());
        assert_eq!(
            decode_image(CASE, 1000).unwrap_err().code(),
            "invalid_volume"
        );
    }

    #[test]
    fn clip_scale_maps_the_window_to_unit_range() {
        let mut v = Volume {
            shape: [1, 1, 4],
            data: vec![-1000.0, -200.0, 50.0, 3000.0],
        };
        preprocess(
            &mut v,
            &Preprocessing::ClipScale {
                min: -200.0,
                max: 300.0,
            },
        );
        assert_eq!(v.data, vec![0.0, 0.0, 0.5, 1.0]);
    }
}
