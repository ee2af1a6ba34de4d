//! The blob-store port on an S3-compatible object store (AWS S3, MinIO, Ceph ...) through the
//! `object_store` crate, so several replicas share one set of blobs. Selected by
//! `blob_url = "s3://bucket/prefix"`; the directory store stays the default. Objects live at
//! `<prefix>/<first two hex>/<sha256>`, the directory store's layout. A put spools the
//! stream to a local temporary file while hashing it (the key is known only at the end),
//! then uploads it unless the key is already there; S3 makes an object visible only once its
//! upload completed, so no reader ever sees half a blob. Reads check the hash like the
//! directory store. The port is blocking: calls run on a small private runtime.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::blobs::{BlobError, BlobInfo, BlobKey, BlobStore};
use crate::config::Settings;

/// Uploads above this size go up in parts of this size.
const PART_BYTES: usize = 8 * 1024 * 1024;

/// Blobs in an S3 bucket under a prefix.
pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    /// Taken out on drop and shut down without waiting: dropping a runtime normally blocks,
    /// which panics when the last owner goes away on an async worker (server shutdown).
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for S3BlobStore {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn io_err(e: impl std::fmt::Display) -> BlobError {
    BlobError::Io(io::Error::other(e.to_string()))
}

/// `s3://bucket/prefix` into (bucket, prefix without slashes at either end).
pub fn parse_blob_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{url:?}: expected s3://bucket/prefix"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{url:?}: the bucket is missing"));
    }
    Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

impl S3BlobStore {
    /// Build from `blob_url`, `blob_s3_endpoint`, `blob_s3_region` and the credentials.
    /// Nothing is contacted yet: a wrong endpoint shows on the first call.
    pub fn from_settings(s: &Settings) -> Result<Self, String> {
        let (bucket, prefix) = parse_blob_url(&s.blob_url)?;
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&s.blob_s3_region);
        if !s.blob_s3_endpoint.is_empty() {
            b = b
                .with_endpoint(&s.blob_s3_endpoint)
                .with_allow_http(s.blob_s3_endpoint.starts_with("http://"));
        }
        if !s.blob_s3_access_key_id.is_empty() {
            b = b
                .with_access_key_id(&s.blob_s3_access_key_id)
                .with_secret_access_key(s.blob_s3_secret_access_key.expose());
        }
        let store = b.build().map_err(|e| format!("blob_url: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vigil-s3")
            .enable_all()
            .build()
            .map_err(|e| format!("blob store runtime: {e}"))?;
        Ok(Self {
            store: Arc::new(store),
            prefix,
            runtime: Some(runtime),
        })
    }

    fn path(&self, key: &BlobKey) -> ObjectPath {
        let k = key.as_str();
        let rel = format!("{}/{k}", &k[..2]);
        if self.prefix.is_empty() {
            ObjectPath::from(rel)
        } else {
            ObjectPath::from(format!("{}/{rel}", self.prefix))
        }
    }

    /// Run a future on the private runtime and wait for it; works from any thread, also
    /// one that belongs to another runtime's blocking pool.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, BlobError> {
        let stopped = || io_err("blob store runtime stopped");
        let rt = self.runtime.as_ref().ok_or_else(stopped)?;
        let (tx, rx) = std::sync::mpsc::channel();
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| stopped())
    }

    fn head(&self, key: &BlobKey) -> Result<bool, BlobError> {
        let (store, path) = (self.store.clone(), self.path(key));
        match self.run(async move { store.head(&path).await })? {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(io_err(e)),
        }
    }
}

/// A temporary file removed when dropped (also when a put fails half-way).
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Copy the stream into a temporary file, hashing as it goes.
fn spool(reader: &mut dyn Read) -> io::Result<(Spool, BlobKey, u64)> {
    let spool = Spool(std::env::temp_dir().join(format!("vigil-blob-{}", uuid::Uuid::new_v4())));
    let mut file = File::create(&spool.0)?;
    let (key, size) = crate::blobs::copy_hashing(reader, &mut file)?;
    file.flush()?;
    Ok((spool, key, size))
}

async fn upload(
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    file: PathBuf,
    size: u64,
) -> Result<(), BlobError> {
    let mut f = File::open(file)?;
    if size <= PART_BYTES as u64 {
        let mut bytes = Vec::with_capacity(size as usize);
        f.read_to_end(&mut bytes)?;
        store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(io_err)?;
        return Ok(());
    }
    let multipart = store.put_multipart(&path).await.map_err(io_err)?;
    let mut w = WriteMultipart::new_with_chunk_size(multipart, PART_BYTES);
    let mut buf = vec![0u8; PART_BYTES];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        w.wait_for_capacity(4).await.map_err(io_err)?;
        w.write(&buf[..n]);
    }
    w.finish().await.map_err(io_err)?;
    Ok(())
}

impl BlobStore for S3BlobStore {
    fn put(&self, reader: &mut dyn Read) -> Result<BlobInfo, BlobError> {
        let (spool, key, size) = spool(reader)?;
        if !self.head(&key)? {
            let (store, path, file) = (self.store.clone(), self.path(&key), spool.0.clone());
            self.run(upload(store, path, file, size))??;
        }
        Ok(BlobInfo { key, size })
    }

    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send>, BlobError> {
        let (store, path) = (self.store.clone(), self.path(key));
        let got = self.run(async move {
            match store.get(&path).await {
                Ok(r) => r.bytes().await,
                Err(e) => Err(e),
            }
        })?;
        let bytes = match got {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(BlobError::NotFound(key.clone()));
            }
            Err(e) => return Err(io_err(e)),
        };
        let intact = BlobKey::from_digest(&Sha256::digest(&bytes)) == *key;
        Ok(Box::new(Checked {
            data: io::Cursor::new(bytes.to_vec()),
            intact,
            key: key.clone(),
        }))
    }

    fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        self.head(key)
    }

    fn delete(&self, key: &BlobKey) -> Result<bool, BlobError> {
        if !self.head(key)? {
            return Ok(false);
        }
        let (store, path) = (self.store.clone(), self.path(key));
        self.run(async move { store.delete(&path).await })?
            .map_err(io_err)?;
        Ok(true)
    }
}

/// The downloaded bytes; a mismatch with the key fails at the end, like the directory
/// store's reader, so `get` reports `Corrupt`.
struct Checked {
    data: io::Cursor<Vec<u8>>,
    intact: bool,
    key: BlobKey,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.data.read(buf)?;
        if n == 0 && !buf.is_empty() && !self.intact {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                BlobError::Corrupt(self.key.clone()).to_string(),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_urls_name_a_bucket_and_an_optional_prefix() {
        assert_eq!(
            parse_blob_url("s3://vigil/prod/blobs/").unwrap(),
            ("vigil".into(), "prod/blobs".into())
        );
        assert_eq!(
            parse_blob_url("s3://vigil").unwrap(),
            ("vigil".into(), "".into())
        );
        assert!(parse_blob_url("s3:///x").is_err());
        assert!(parse_blob_url("file:///srv/blobs").is_err());
    }
}
