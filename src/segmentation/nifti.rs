//! NIfTI-1 and NIfTI-2 decoding of label volumes (`.nii`, `.nii.gz`, or bytes in memory).
//!
//! A small purpose-built reader rather than the `nifti` crate: it validates every header
//! field before allocating, enforces the voxel limit, streams gzip without holding the
//! compressed and decompressed copies together, and treats a NaN or zero `scl_slope` as "no
//! scaling" as nibabel does (the crate reads such a file as all zeros). One-byte labels
//! without scaling are read straight into the code buffer, so no copy is made.
//! The only file access is `decode_nifti_path`; everything else works on readers and bytes.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::error::MaskError;
use super::volume::{DecodeLimits, LabelVolume, check_spacing};

/// Largest extension block accepted between the header and the voxels (64 MiB).
const MAX_EXTENSION_BYTES: u64 = 64 << 20;

/// Decode a NIfTI-1/NIfTI-2 image held in memory, gzip-compressed or not.
pub fn decode_nifti_bytes(bytes: &[u8], limits: &DecodeLimits) -> Result<LabelVolume, MaskError> {
    decode_nifti_reader(bytes, limits)
}

/// Decode a `.nii` or `.nii.gz` file; compression is detected from the content, not the name.
pub fn decode_nifti_path(path: &Path, limits: &DecodeLimits) -> Result<LabelVolume, MaskError> {
    let io_err = |e: std::io::Error| MaskError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    decode_nifti_reader(BufReader::with_capacity(1 << 16, file), limits)
}

/// Decode from any buffered reader, sniffing the gzip magic bytes.
pub fn decode_nifti_reader<R: BufRead>(
    mut reader: R,
    limits: &DecodeLimits,
) -> Result<LabelVolume, MaskError> {
    let head = reader.fill_buf().map_err(read_err)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        decode_plain(
            BufReader::with_capacity(1 << 16, MultiGzDecoder::new(reader)),
            limits,
        )
    } else {
        decode_plain(reader, limits)
    }
}

/// What the header says about the voxels.
#[derive(Debug)]
struct Header {
    shape: [usize; 3],
    spacing: [f64; 3],
    datatype: i16,
    vox_offset: u64,
    header_len: u64,
    big_endian: bool,
    slope: f64,
    inter: f64,
}

fn read_err(e: std::io::Error) -> MaskError {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => MaskError::Truncated(e.to_string()),
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            MaskError::Corrupt(e.to_string())
        }
        _ => MaskError::Corrupt(e.to_string()),
    }
}

fn decode_plain<R: Read>(mut reader: R, limits: &DecodeLimits) -> Result<LabelVolume, MaskError> {
    let mut buf = vec![0u8; 540];
    reader.read_exact(&mut buf[..348]).map_err(read_err)?;
    let le = i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let be = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let header = match (le, be) {
        (348, _) => parse_v1(&buf[..348], false)?,
        (_, 348) => parse_v1(&buf[..348], true)?,
        (540, _) | (_, 540) => {
            reader.read_exact(&mut buf[348..]).map_err(read_err)?;
            parse_v2(&buf, be == 540)?
        }
        _ => {
            return Err(MaskError::NotNifti(
                "header size is neither 348 nor 540".into(),
            ));
        }
    };
    check_spacing(header.spacing)?;
    let voxels = header.shape.iter().map(|&n| n as u64).product::<u64>();
    if voxels > limits.max_voxels {
        return Err(MaskError::TooLarge {
            voxels,
            limit: limits.max_voxels,
        });
    }
    let skip = header.vox_offset - header.header_len;
    if skip > MAX_EXTENSION_BYTES {
        return Err(MaskError::InvalidHeader(format!(
            "vox_offset {} too large",
            header.vox_offset
        )));
    }
    let copied =
        std::io::copy(&mut (&mut reader).take(skip), &mut std::io::sink()).map_err(read_err)?;
    if copied != skip {
        return Err(MaskError::Truncated(
            "file ends inside the header extensions".into(),
        ));
    }
    super::nifti_data::read_voxels(reader, &header_spec(&header), voxels as usize)
}

fn header_spec(h: &Header) -> super::nifti_data::VoxelSpec {
    super::nifti_data::VoxelSpec {
        shape: h.shape,
        spacing: h.spacing,
        datatype: h.datatype,
        big_endian: h.big_endian,
        slope: h.slope,
        inter: h.inter,
    }
}

/// Little helpers reading fixed-offset fields in the header's byte order.
struct Fields<'a> {
    bytes: &'a [u8],
    big_endian: bool,
}

impl Fields<'_> {
    fn arr<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[at..at + N]);
        if self.big_endian {
            out.reverse();
        }
        out
    }
    fn i16(&self, at: usize) -> i16 {
        i16::from_le_bytes(self.arr(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.arr(at))
    }
    fn f32(&self, at: usize) -> f64 {
        f64::from(f32::from_le_bytes(self.arr(at)))
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.arr(at))
    }
}

fn parse_v1(bytes: &[u8], big_endian: bool) -> Result<Header, MaskError> {
    match &bytes[344..348] {
        b"n+1\0" => {}
        b"ni1\0" => {
            return Err(MaskError::NotNifti(
                "two-file .hdr/.img pairs are not supported".into(),
            ));
        }
        _ => return Err(MaskError::NotNifti("missing the n+1 magic".into())),
    }
    let f = Fields { bytes, big_endian };
    let dims: Vec<i64> = (0..8).map(|n| i64::from(f.i16(40 + 2 * n))).collect();
    let offset = f.f32(108);
    if !offset.is_finite() || offset < 352.0 || offset.fract() != 0.0 {
        return Err(MaskError::InvalidHeader(format!("vox_offset {offset}")));
    }
    Ok(Header {
        shape: shape_of(&dims)?,
        spacing: [f.f32(80), f.f32(84), f.f32(88)],
        datatype: f.i16(70),
        vox_offset: offset as u64,
        header_len: 348,
        big_endian,
        slope: f.f32(112),
        inter: f.f32(116),
    })
}

fn parse_v2(bytes: &[u8], big_endian: bool) -> Result<Header, MaskError> {
    if &bytes[4..8] != b"n+2\0" {
        return Err(MaskError::NotNifti("missing the n+2 magic".into()));
    }
    let f = Fields { bytes, big_endian };
    let dims: Vec<i64> = (0..8).map(|n| f.i64(16 + 8 * n)).collect();
    let offset = f.i64(168);
    if offset < 544 {
        return Err(MaskError::InvalidHeader(format!("vox_offset {offset}")));
    }
    Ok(Header {
        shape: shape_of(&dims)?,
        spacing: [f.f64(112), f.f64(120), f.f64(128)],
        datatype: f.i16(12),
        vox_offset: offset as u64,
        header_len: 540,
        big_endian,
        slope: f.f64(176),
        inter: f.f64(184),
    })
}

/// dim[0] is the rank; a 4D or 5D header is accepted when its extra axes have length 1.
fn shape_of(dims: &[i64]) -> Result<[usize; 3], MaskError> {
    let rank = dims[0];
    if !(1..=7).contains(&rank) {
        return Err(MaskError::InvalidHeader(format!("dim[0] = {rank}")));
    }
    let used = &dims[1..=rank as usize];
    if used.iter().any(|&n| n < 1) {
        return Err(MaskError::InvalidHeader(format!("dimensions {used:?}")));
    }
    if rank < 3 || used[3..].iter().any(|&n| n != 1) {
        return Err(MaskError::NotThreeD(format!("dimensions {used:?}")));
    }
    let to = |n: i64| usize::try_from(n).map_err(|_| MaskError::InvalidHeader("dim".into()));
    Ok([to(used[0])?, to(used[1])?, to(used[2])?])
}
