//! Blob-store port: content-addressed artefacts (ONNX models, archived volumes and masks,
//! generated reports) keyed by the SHA-256 of their bytes. Rows point at blobs by key. Puts
//! stream from a reader and are atomic (a reader never sees half a blob); reads check the hash,
//! so a corrupted file is an error, never silently wrong data. `dir.rs` implements it on a
//! directory; an object-store implementation can follow behind the same narrow trait.

mod dir;

use std::fmt;
use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

pub use dir::DirBlobStore;

/// A blob's key: 64 lowercase hex digits of the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// Parse a key; anything but 64 lowercase hex digits is refused.
    pub fn parse(s: &str) -> Result<Self, BlobError> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(BlobError::InvalidKey)
        }
    }

    pub(crate) fn from_digest(digest: &[u8]) -> Self {
        Self(hex::encode(digest))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored blob: its key and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub key: BlobKey,
    pub size: u64,
}

/// Blob-store failures.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob key must be 64 lowercase hex digits (SHA-256)")]
    InvalidKey,
    #[error("blob {0} not found")]
    NotFound(BlobKey),
    /// The stored bytes no longer hash to their key.
    #[error("blob {0} is corrupt: its content does not match its SHA-256 key")]
    Corrupt(BlobKey),
    #[error("blob store i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Where blobs live. Calls are blocking.
pub trait BlobStore: Send + Sync {
    /// Store everything `reader` yields; returns its key and size. Storing bytes that are
    /// already there is a no-op that returns the same key.
    fn put(&self, reader: &mut dyn Read) -> Result<BlobInfo, BlobError>;
    /// A reader over the blob's bytes that fails at the end if they do not match the key.
    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send>, BlobError>;
    fn exists(&self, key: &BlobKey) -> Result<bool, BlobError>;
    /// Remove the blob; `false` when it was not there.
    fn delete(&self, key: &BlobKey) -> Result<bool, BlobError>;

    /// The whole blob in memory, hash checked.
    fn get(&self, key: &BlobKey) -> Result<Vec<u8>, BlobError> {
        let mut out = Vec::new();
        let mut r = self.open(key)?;
        r.read_to_end(&mut out)
            .map_err(|e| unwrap_corrupt(e, key))?;
        Ok(out)
    }

    /// Store a byte slice.
    fn put_bytes(&self, bytes: &[u8]) -> Result<BlobInfo, BlobError> {
        self.put(&mut &bytes[..])
    }
}

/// A hash mismatch travels through `Read` as an `InvalidData` io error; give it back its name.
fn unwrap_corrupt(e: std::io::Error, key: &BlobKey) -> BlobError {
    if e.kind() == std::io::ErrorKind::InvalidData {
        BlobError::Corrupt(key.clone())
    } else {
        BlobError::Io(e)
    }
}

/// Copy `reader` into `out` while hashing: the blob's key and size. Every implementation
/// writes through this, so the key always names exactly the bytes that were stored.
pub(crate) fn copy_hashing(
    reader: &mut dyn Read,
    out: &mut dyn Write,
) -> io::Result<(BlobKey, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        size += n as u64;
    }
    Ok((BlobKey::from_digest(&hasher.finalize()), size))
}
