//! Blob-store contract, run on the directory implementation and on the S3 implementation
//! (against moto's S3 server on loopback, `blobs_s3.rs`): keys are the SHA-256 of the bytes
//! (reference digests from `sha256sum`), puts stream and are idempotent, reads check the hash,
//! deletes report whether anything was there, and no partial blob is ever visible.

use std::io::Read;

use vigil::blobs::{BlobError, BlobKey, BlobStore, DirBlobStore};

/// `printf 'vigil' | sha256sum` and `printf '' | sha256sum`.
pub const VIGIL_SHA256: &str = "6b27eba5652b46d31ef75f17784c2709ac019809c47ca538e91c0ab54a80892f";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn store() -> (tempfile::TempDir, DirBlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = DirBlobStore::new(dir.path().join("blobs"));
    (dir, s)
}

#[test]
fn keys_are_the_sha256_of_the_content_and_puts_are_idempotent() {
    let (_d, s) = store();
    keys_and_idempotent_puts(&s);
}

pub fn keys_and_idempotent_puts(s: &dyn BlobStore) {
    let info = s.put_bytes(b"vigil").unwrap();
    assert_eq!(info.key.as_str(), VIGIL_SHA256);
    assert_eq!(info.size, 5);
    assert_eq!(s.put(&mut &b"vigil"[..]).unwrap(), info);
    assert_eq!(s.get(&info.key).unwrap(), b"vigil");
    assert_eq!(s.put_bytes(b"").unwrap().key.as_str(), EMPTY_SHA256);
}

#[test]
fn a_large_stream_round_trips_through_open() {
    let (_d, s) = store();
    large_stream_round_trip(&s);
}

pub fn large_stream_round_trip(s: &dyn BlobStore) {
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    // A reader that hands out small pieces, like a socket.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(1000).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let info = s.put(&mut Trickle(&data)).unwrap();
    assert_eq!(info.size, data.len() as u64);
    let mut back = Vec::new();
    s.open(&info.key).unwrap().read_to_end(&mut back).unwrap();
    assert!(back == data);
}

#[test]
fn exists_delete_and_missing_blobs() {
    let (_d, s) = store();
    exists_delete_missing(&s);
}

pub fn exists_delete_missing(s: &dyn BlobStore) {
    let key = s.put_bytes(b"vigil").unwrap().key;
    assert!(s.exists(&key).unwrap());
    assert!(s.delete(&key).unwrap());
    assert!(!s.exists(&key).unwrap());
    assert!(!s.delete(&key).unwrap());
    assert!(matches!(s.get(&key), Err(BlobError::NotFound(_))));
    assert!(matches!(BlobKey::parse("ABC"), Err(BlobError::InvalidKey)));
    assert!(matches!(
        BlobKey::parse(&VIGIL_SHA256.to_uppercase()),
        Err(BlobError::InvalidKey)
    ));
    assert_eq!(BlobKey::parse(VIGIL_SHA256).unwrap(), key);
}

#[test]
fn a_corrupted_blob_is_an_error_not_data() {
    let (d, s) = store();
    corrupted_blob_is_an_error(&s, &|bytes| {
        let path = d
            .path()
            .join("blobs")
            .join(&VIGIL_SHA256[..2])
            .join(VIGIL_SHA256);
        std::fs::write(&path, bytes).unwrap();
    });
}

/// `overwrite` replaces the stored bytes of the 'vigil' blob behind the store's back.
pub fn corrupted_blob_is_an_error(s: &dyn BlobStore, overwrite: &dyn Fn(&[u8])) {
    let key = s.put_bytes(b"vigil").unwrap().key;
    overwrite(b"vigiL");
    assert!(matches!(s.get(&key), Err(BlobError::Corrupt(_))));
    let mut r = s.open(&key).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        r.read_to_end(&mut out).unwrap_err().kind(),
        std::io::ErrorKind::InvalidData
    );
}

#[test]
fn a_failed_put_leaves_no_blob_and_no_temporary_file() {
    let (d, s) = store();
    failed_put_stores_nothing(&s, &|| {
        let root = d.path().join("blobs");
        let entries: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["tmp"]);
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    });
}

/// `check_leftovers` looks behind the store right after the failed put.
pub fn failed_put_stores_nothing(s: &dyn BlobStore, check_leftovers: &dyn Fn()) {
    struct Broken(usize);
    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("connection reset"));
            }
            self.0 -= 1;
            buf[0] = b'x';
            Ok(1)
        }
    }
    assert!(matches!(s.put(&mut Broken(3)), Err(BlobError::Io(_))));
    check_leftovers();
    // 'xxx' was never stored.
    let xxx = s.put_bytes(b"xxx").unwrap().key;
    assert!(s.delete(&xxx).unwrap());
}
