//! Image volumes for inference: NIfTI-1 decoding to float32 in the spec's axis convention,
//! the header checks the archive applies (free-text fields must be empty: they are where
//! scanners and converters leave names and dates), and intensity preprocessing.
//!
//! The nifti crate reads the header; the voxels are read straight from the (once gunzipped)
//! bytes into C order over `[x, y, z]`, so that x is the tensor's D axis as in MONAI. A NaN
//! or zero `scl_slope` means "no scaling" (nibabel's reading).

use std::borrow::Cow;
use std::io::Read;

use flate2::read::GzDecoder;
use nifti::{Endianness, NiftiHeader};

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

/// The file's bytes, gunzipped in one pass when they are gzip (detected from the content).
fn inflated(bytes: &[u8]) -> Result<Cow<'_, [u8]>, ShadowError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(Cow::Borrowed(bytes));
    }
    // The gzip trailer's ISIZE (size mod 2^32) sizes the buffer, so it is never regrown.
    let hint = bytes
        .len()
        .checked_sub(4)
        .and_then(|at| bytes[at..].try_into().ok())
        .map_or(0, |b: [u8; 4]| u32::from_le_bytes(b) as usize);
    let mut out = Vec::with_capacity(hint);
    GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("unreadable gzip data: {e}")))?;
    Ok(Cow::Owned(out))
}

/// Read one stored element as f32 (`size` bytes at the start of `b`, in `order`).
type Reader = fn(&[u8], Endianness) -> f32;

fn element_reader(datatype: i16) -> Option<(usize, Reader)> {
    fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
        std::array::from_fn(|i| b[i])
    }
    macro_rules! num {
        ($t:ty) => {
            |b: &[u8], e: Endianness| match e {
                Endianness::Little => <$t>::from_le_bytes(arr(b)) as f32,
                Endianness::Big => <$t>::from_be_bytes(arr(b)) as f32,
            }
        };
    }
    let r: (usize, Reader) = match datatype {
        2 => (1, |b: &[u8], _| f32::from(b[0])),
        256 => (1, |b: &[u8], _| f32::from(b[0] as i8)),
        4 => (2, num!(i16)),
        512 => (2, num!(u16)),
        8 => (4, num!(i32)),
        768 => (4, num!(u32)),
        16 => (4, num!(f32)),
        64 => (8, num!(f64)),
        _ => return None,
    };
    Some(r)
}

/// Decode a NIfTI-1 image (`.nii` or `.nii.gz`, detected from the content) to float32: one
/// gunzip pass, then every voxel is read straight from the file's bytes into its C-order
/// place (NIfTI stores x fastest), with `scl_slope`/`scl_inter` applied as nibabel does (a
/// zero or NaN slope means "no scaling").
pub fn decode_image(bytes: &[u8], max_voxels: u64) -> Result<Image, ShadowError> {
    let raw = inflated(bytes)?;
    let header =
        NiftiHeader::from_reader(&raw[..]).map_err(|e| bad(format!("not a NIfTI-1 file: {e}")))?;
    let shape = shape_of(&header, max_voxels)?;
    let spacing: [f64; 3] = std::array::from_fn(|i| f64::from(header.pixdim[i + 1]).abs());
    let (size, read) = element_reader(header.datatype).ok_or_else(|| {
        bad(format!(
            "unsupported voxel type: datatype {}",
            header.datatype
        ))
    })?;
    let n: usize = shape.iter().product();
    let offset = header.vox_offset.max(0.0) as usize;
    let voxels = raw
        .get(offset..)
        .filter(|v| v.len() >= n * size)
        .ok_or_else(|| bad("voxel count does not match the header"))?;
    let (slope, inter) = (header.scl_slope, header.scl_inter);
    let scaled = slope.is_finite() && slope != 0.0;
    let order = header.endianness;
    let [nx, ny, nz] = shape;
    let mut data = vec![0.0f32; n];
    for (i, element) in voxels[..n * size].chunks_exact(size).enumerate() {
        let (x, rest) = (i % nx, i / nx);
        let (y, z) = (rest % ny, rest / ny);
        let v = read(element, order);
        let v = if scaled { v * slope + inter } else { v };
        if !v.is_finite() {
            return Err(bad("the image holds NaN or infinite values"));
        }
        data[(x * ny + y) * nz + z] = v;
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
