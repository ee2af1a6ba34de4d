//! The voxel part of a NIfTI file: datatypes, byte order, scaling, and dictionary encoding.
//!
//! Values are what nibabel's `np.asarray(img.dataobj)` returns: raw values times `scl_slope`
//! plus `scl_inter` when the slope is finite and non-zero, the raw values otherwise.

use std::io::Read;

use super::error::MaskError;
use super::volume::{CodeBook, LabelData, LabelVolume};

/// The header fields needed to read and interpret the voxels.
#[derive(Debug, Clone)]
pub(crate) struct VoxelSpec {
    pub shape: [usize; 3],
    pub spacing: [f64; 3],
    pub datatype: i16,
    pub big_endian: bool,
    pub slope: f64,
    pub inter: f64,
}

impl VoxelSpec {
    /// The affine value map, or None when it is the identity (or disabled by the header).
    fn scaling(&self) -> Option<(f64, f64)> {
        let inter = if self.inter.is_finite() {
            self.inter
        } else {
            0.0
        };
        if !self.slope.is_finite() || self.slope == 0.0 || (self.slope == 1.0 && inter == 0.0) {
            None
        } else {
            Some((self.slope, inter))
        }
    }
}

/// Bytes per voxel of the supported datatypes (integers and reals, no complex or RGB).
fn element_size(datatype: i16) -> Result<usize, MaskError> {
    match datatype {
        2 | 256 => Ok(1),
        4 | 512 => Ok(2),
        8 | 768 | 16 => Ok(4),
        1024 | 1280 | 64 => Ok(8),
        other => Err(MaskError::UnsupportedDatatype(other)),
    }
}

/// Decode one element (already in little-endian byte order) to its raw value.
fn raw_value(datatype: i16, b: &[u8]) -> f64 {
    let a = |n: usize| b[n];
    match datatype {
        2 => f64::from(a(0)),
        256 => f64::from(a(0) as i8),
        4 => f64::from(i16::from_le_bytes([a(0), a(1)])),
        512 => f64::from(u16::from_le_bytes([a(0), a(1)])),
        8 => f64::from(i32::from_le_bytes([a(0), a(1), a(2), a(3)])),
        768 => f64::from(u32::from_le_bytes([a(0), a(1), a(2), a(3)])),
        16 => f64::from(f32::from_le_bytes([a(0), a(1), a(2), a(3)])),
        _ => {
            let w = [a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7)];
            match datatype {
                1024 => i64::from_le_bytes(w) as f64,
                1280 => u64::from_le_bytes(w) as f64,
                _ => f64::from_le_bytes(w),
            }
        }
    }
}

/// Read `voxels` elements and encode them as a label volume.
pub(crate) fn read_voxels<R: Read>(
    mut reader: R,
    spec: &VoxelSpec,
    voxels: usize,
) -> Result<LabelVolume, MaskError> {
    let size = element_size(spec.datatype)?;
    if size == 1 {
        // Zeroed allocation is lazy: a truncated stream only touches the pages it filled.
        let mut data = vec![0u8; voxels];
        read_full(&mut reader, &mut data)?;
        return one_byte_volume(spec, data);
    }
    let mut book = CodeBook::new();
    let mut codes = vec![0u16; voxels];
    let mut chunk = vec![0u8; (1 << 20) * size];
    for out in codes.chunks_mut(1 << 20) {
        let bytes = &mut chunk[..out.len() * size];
        read_full(&mut reader, bytes)?;
        for (code, b) in out.iter_mut().zip(bytes.chunks_exact_mut(size)) {
            if spec.big_endian {
                b.reverse();
            }
            let raw = raw_value(spec.datatype, b);
            let value = match spec.scaling() {
                Some((m, c)) => raw * m + c,
                None => raw,
            };
            *code = book.code(value)?;
        }
    }
    book.finish(spec.shape, spec.spacing, codes)
}

/// One-byte data: the byte is the code, and the palette says what it means. Only a scaled
/// file needs a remap.
fn one_byte_volume(spec: &VoxelSpec, mut data: Vec<u8>) -> Result<LabelVolume, MaskError> {
    let raw = |b: u8| raw_value(spec.datatype, &[b]);
    match spec.scaling() {
        None => {
            let palette = (0..=255u8).map(raw).collect();
            LabelVolume::new(spec.shape, spec.spacing, LabelData::U8(data), palette)
        }
        Some((m, c)) => {
            let mut book = CodeBook::new();
            let mut table = [0u8; 256];
            for (b, slot) in table.iter_mut().enumerate() {
                // At most 256 distinct values arise from 256 bytes, so codes fit in a byte.
                *slot = book.code(raw(b as u8) * m + c)? as u8;
            }
            data.iter_mut().for_each(|v| *v = table[usize::from(*v)]);
            LabelVolume::new(
                spec.shape,
                spec.spacing,
                LabelData::U8(data),
                book.into_palette(),
            )
        }
    }
}

/// `read_exact` that reports a short stream as truncation.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<(), MaskError> {
    reader.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            MaskError::Truncated("file ends inside the voxel data".into())
        }
        _ => MaskError::Corrupt(e.to_string()),
    })
}
