//! The blob store on a directory (`blob_dir`, default `./data/blobs`): blob `ab12…` lives at
//! `ab/ab12…` (two-hex fan-out keeps directories small). A put streams into a temporary file
//! under `tmp/` while hashing, fsyncs it, renames it into place and fsyncs the directory, so a
//! crash leaves either the whole blob or none (only a stray temporary file, never a partial
//! blob under a key).

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{BlobError, BlobInfo, BlobKey, BlobStore};

/// Blobs as files under one directory.
#[derive(Debug, Clone)]
pub struct DirBlobStore {
    root: PathBuf,
}

impl DirBlobStore {
    /// Blobs under `root` (created on the first put).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(&key.as_str()[..2]).join(key.as_str())
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    // Directories cannot be opened for fsync on every platform; where they can, the rename
    // becomes durable only after this.
    match File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

impl BlobStore for DirBlobStore {
    fn put(&self, reader: &mut dyn Read) -> Result<BlobInfo, BlobError> {
        let tmp_dir = self.root.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        let tmp_path = tmp_dir.join(uuid::Uuid::new_v4().simple().to_string());
        let result = write_temp(&tmp_path, reader).and_then(|(key, size)| {
            let dest = self.path(&key);
            let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
            fs::create_dir_all(&dir)?;
            fs::rename(&tmp_path, &dest)?;
            sync_dir(&dir)?;
            Ok(BlobInfo { key, size })
        });
        if result.is_err() {
            let _ = fs::remove_file(&tmp_path);
        }
        Ok(result?)
    }

    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send>, BlobError> {
        match File::open(self.path(key)) {
            Ok(file) => Ok(Box::new(VerifyingReader {
                file,
                hasher: Some(Sha256::new()),
                key: key.clone(),
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound(key.clone())),
            Err(e) => Err(e.into()),
        }
    }

    fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        Ok(self.path(key).try_exists()?)
    }

    fn delete(&self, key: &BlobKey) -> Result<bool, BlobError> {
        match fs::remove_file(self.path(key)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Copy `reader` into a new file at `path` while hashing, then fsync it.
fn write_temp(path: &Path, reader: &mut dyn Read) -> io::Result<(BlobKey, u64)> {
    let mut file = File::create_new(path)?;
    let written = super::copy_hashing(reader, &mut file)?;
    file.sync_all()?;
    Ok(written)
}

/// Reads a blob's file and, at its end, checks the bytes against the key (once).
struct VerifyingReader {
    file: File,
    hasher: Option<Sha256>,
    key: BlobKey,
}

impl Read for VerifyingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n > 0 {
            if let Some(h) = &mut self.hasher {
                h.update(&buf[..n]);
            }
            return Ok(n);
        }
        let matches = self
            .hasher
            .take()
            .is_none_or(|h| BlobKey::from_digest(&h.finalize()) == self.key);
        if matches {
            Ok(0)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                BlobError::Corrupt(self.key.clone()).to_string(),
            ))
        }
    }
}
