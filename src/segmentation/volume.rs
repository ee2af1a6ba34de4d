//! Label volumes as the metric engine sees them: a 3D grid of small label codes plus a palette.
//!
//! Voxels are stored with axis 0 fastest (NIfTI's on-disk order: index `x + nx*(y + ny*z)`),
//! so a NIfTI file decodes without a transpose. Every input datatype is dictionary-encoded
//! into `u8` codes (at most 256 distinct values) or `u16` codes (at most 65 536): a label map
//! never needs more, and one byte per voxel keeps two 512x512x300 masks at 157 MB.
//! Code 0 always means the value 0 (background); every other code maps to a distinct
//! non-zero value, which lets "foreground = non-zero" test the code directly.

use std::collections::HashMap;

use super::error::MaskError;

/// Limits applied while decoding untrusted input, checked before any voxel is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted number of voxels (product of the three dimensions).
    pub max_voxels: u64,
}

impl Default for DecodeLimits {
    /// 2^28 voxels (e.g. 1024x1024x256): above any clinical CT or MR label map, and small
    /// enough that two volumes of one-byte codes stay under 600 MB.
    fn default() -> Self {
        Self {
            max_voxels: 1 << 28,
        }
    }
}

/// The label codes of a volume, axis 0 fastest.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelData {
    /// Up to 256 distinct values.
    U8(Vec<u8>),
    /// Up to 65 536 distinct values.
    U16(Vec<u16>),
}

impl LabelData {
    /// Number of voxels.
    pub fn len(&self) -> usize {
        match self {
            Self::U8(v) => v.len(),
            Self::U16(v) => v.len(),
        }
    }

    /// Whether the volume holds no voxel at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A decoded 3D label volume: shape, spacing in mm, codes and the palette that names them.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelVolume {
    shape: [usize; 3],
    spacing: [f64; 3],
    data: LabelData,
    palette: Vec<f64>,
}

impl LabelVolume {
    /// Build a volume from one-byte labels used as they are (code = label value), axis 0
    /// fastest: voxel (x, y, z) sits at `x + nx*(y + ny*z)`.
    pub fn from_u8_labels(
        shape: [usize; 3],
        spacing: [f64; 3],
        labels: Vec<u8>,
    ) -> Result<Self, MaskError> {
        let palette = (0..=255u8).map(f64::from).collect();
        Self::new(shape, spacing, LabelData::U8(labels), palette)
    }

    /// Build a volume from codes and a palette, checking the invariants of the module doc.
    pub fn new(
        shape: [usize; 3],
        spacing: [f64; 3],
        data: LabelData,
        palette: Vec<f64>,
    ) -> Result<Self, MaskError> {
        check_spacing(spacing)?;
        let voxels = shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
        if voxels != Some(data.len()) || shape.contains(&0) {
            return Err(MaskError::InvalidHeader(format!(
                "shape {shape:?} does not match {} voxels",
                data.len()
            )));
        }
        let max_code = match &data {
            LabelData::U8(_) => 256,
            LabelData::U16(_) => 65_536,
        };
        if palette.is_empty() || palette.len() > max_code || palette[0] != 0.0 {
            return Err(MaskError::InvalidHeader("palette must start with 0".into()));
        }
        Ok(Self {
            shape,
            spacing,
            data,
            palette,
        })
    }

    /// Grid size per array axis (NIfTI dim[1..=3]).
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Voxel spacing in mm per array axis (NIfTI pixdim[1..=3], widened to f64).
    pub fn spacing(&self) -> [f64; 3] {
        self.spacing
    }

    /// The codes, axis 0 fastest.
    pub fn data(&self) -> &LabelData {
        &self.data
    }

    /// Label value of each code; `palette()[0] == 0.0`.
    pub fn palette(&self) -> &[f64] {
        &self.palette
    }

    /// The code that stands for `value`, if the palette has it (0 for background).
    pub fn code_of(&self, value: f64) -> Option<usize> {
        if value == 0.0 {
            return Some(0);
        }
        self.palette
            .iter()
            .position(|v| v.to_bits() == value.to_bits())
    }
}

/// Spacing must be finite and positive: zero or negative pixdim means "unset" and would make
/// every distance meaningless.
pub(crate) fn check_spacing(spacing: [f64; 3]) -> Result<(), MaskError> {
    if spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
        Ok(())
    } else {
        Err(MaskError::InvalidHeader(format!(
            "spacing must be finite and positive, got {spacing:?}"
        )))
    }
}

/// Assigns codes to label values as they stream in (dictionary encoding).
///
/// Values equal to zero (including -0.0) get code 0; NaN is one value. Runs of equal values
/// are the norm in label maps, so the last value is cached before the hash lookup.
pub(crate) struct CodeBook {
    map: HashMap<u64, u16>,
    palette: Vec<f64>,
    last: Option<(u64, u16)>,
}

impl CodeBook {
    pub(crate) fn new() -> Self {
        Self {
            map: HashMap::new(),
            palette: vec![0.0],
            last: None,
        }
    }

    /// The code of `value`, creating one if needed.
    pub(crate) fn code(&mut self, value: f64) -> Result<u16, MaskError> {
        if value == 0.0 {
            return Ok(0);
        }
        let key = if value.is_nan() {
            f64::NAN.to_bits()
        } else {
            value.to_bits()
        };
        if let Some((k, c)) = self.last
            && k == key
        {
            return Ok(c);
        }
        let code = match self.map.get(&key) {
            Some(c) => *c,
            None => {
                let c = u16::try_from(self.palette.len())
                    .map_err(|_| MaskError::TooManyLabels(65_536))?;
                self.map.insert(key, c);
                self.palette.push(f64::from_bits(key));
                c
            }
        };
        self.last = Some((key, code));
        Ok(code)
    }

    /// The palette built so far: code -> value.
    pub(crate) fn into_palette(self) -> Vec<f64> {
        self.palette
    }

    /// Finish: shrink the codes to one byte when 256 codes suffice.
    pub(crate) fn finish(
        self,
        shape: [usize; 3],
        spacing: [f64; 3],
        codes: Vec<u16>,
    ) -> Result<LabelVolume, MaskError> {
        let data = if self.palette.len() <= 256 {
            // Every code is below 256 here, so the narrowing is exact.
            LabelData::U8(codes.into_iter().map(|c| c as u8).collect())
        } else {
            LabelData::U16(codes)
        };
        LabelVolume::new(shape, spacing, data, self.palette)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codebook_maps_zero_and_negative_zero_to_background() {
        let mut book = CodeBook::new();
        assert_eq!(book.code(0.0), Ok(0));
        assert_eq!(book.code(-0.0), Ok(0));
        assert_eq!(book.code(2.5), Ok(1));
        assert_eq!(book.code(f64::NAN), Ok(2));
        assert_eq!(book.code(2.5), Ok(1));
    }

    #[test]
    fn new_rejects_bad_shape_and_spacing() {
        let bad = LabelVolume::from_u8_labels([2, 2, 2], [1.0, 1.0, 1.0], vec![0; 7]);
        assert_eq!(bad.map_err(|e| e.code()), Err("invalid_header"));
        let bad = LabelVolume::from_u8_labels([1, 1, 1], [1.0, 0.0, 1.0], vec![0]);
        assert_eq!(bad.map_err(|e| e.code()), Err("invalid_header"));
    }
}
