//! The S3 blob store passes the blob-store contract of `blobs.rs` against a real S3-protocol
//! server on loopback: moto's server mode (PyPI `moto[server]`, which `.ci/run` installs),
//! started by the test with a fresh bucket. The app also selects it from `blob_url`.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use vigil::blobs::BlobStore;
use vigil::config::{Secret, Settings};
use vigil::storage::s3_blobs::S3BlobStore;

use crate::blobs::{
    VIGIL_SHA256, corrupted_blob_is_an_error, exists_delete_missing, failed_put_stores_nothing,
    keys_and_idempotent_puts, large_stream_round_trip,
};
use crate::email::free_port;

/// A moto S3 server on loopback with one bucket, stopped on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    pub fn start(bucket: &str) -> Self {
        let port = free_port();
        // scripts/test names the venv that has moto; otherwise the machine's python3.
        let python = std::env::var("VIGIL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with moto (pip install 'moto[server]') is needed for the S3 tests");
        let endpoint = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let moto = Self { child, endpoint };
        moto.boto(&format!("s3.create_bucket(Bucket={bucket:?})"));
        moto
    }

    /// Run one boto3 call against the server (bucket set-up, tampering behind the store).
    pub fn boto(&self, call: &str) {
        let script = format!(
            "import boto3\ns3 = boto3.client('s3', endpoint_url={:?}, region_name='us-east-1', \
             aws_access_key_id='test', aws_secret_access_key='test')\n{call}\n",
            self.endpoint
        );
        let ok = Command::new("python3")
            .args(["-c", &script])
            .status()
            .unwrap()
            .success();
        assert!(ok, "boto3: {call}");
    }

    pub fn settings(&self, url: &str) -> Settings {
        Settings {
            blob_url: url.into(),
            blob_s3_endpoint: self.endpoint.clone(),
            blob_s3_access_key_id: "test".into(),
            blob_s3_secret_access_key: Secret::new("test"),
            ..Settings::default()
        }
    }
}

#[test]
fn s3_store_passes_the_blob_store_contract() {
    let moto = Moto::start("vigil");
    let s = S3BlobStore::from_settings(&moto.settings("s3://vigil/prod/blobs")).unwrap();
    keys_and_idempotent_puts(&s);
    large_stream_round_trip(&s);
    exists_delete_missing(&s);
    corrupted_blob_is_an_error(&s, &|bytes| {
        let body = String::from_utf8(bytes.to_vec()).unwrap();
        moto.boto(&format!(
            "s3.put_object(Bucket='vigil', Key='prod/blobs/{}/{VIGIL_SHA256}', Body={body:?})",
            &VIGIL_SHA256[..2]
        ));
    });
    failed_put_stores_nothing(&s, &|| {
        // Only the three blobs stored so far (empty, large, 'vigil'): no partial object.
        moto.boto(
            "keys = [o['Key'] for o in s3.list_objects_v2(Bucket='vigil').get('Contents', [])]\n\
             assert len(keys) == 3 and all(len(k.split('/')[-1]) == 64 for k in keys), keys",
        );
    });
}

#[test]
fn a_blob_put_by_one_store_is_read_by_another_on_the_same_bucket() {
    let moto = Moto::start("shared");
    let settings = moto.settings("s3://shared/");
    let (a, b) = (
        S3BlobStore::from_settings(&settings).unwrap(),
        S3BlobStore::from_settings(&settings).unwrap(),
    );
    let key = a.put_bytes(b"vigil").unwrap().key;
    assert_eq!(key.as_str(), VIGIL_SHA256);
    assert_eq!(b.get(&key).unwrap(), b"vigil");
    let missing = Settings {
        blob_url: "s3://no-such-bucket/x".into(),
        ..settings
    };
    let c = S3BlobStore::from_settings(&missing).unwrap();
    assert!(
        c.put_bytes(b"vigil").is_err(),
        "a missing bucket is an error"
    );
}

#[actix_web::test]
async fn the_app_keeps_blobs_in_s3_when_blob_url_is_set() {
    let moto = Moto::start("app");
    let db = crate::support::sqlite_db();
    let s3 = moto.settings("s3://app/blobs");
    let settings = Settings {
        blob_url: s3.blob_url,
        blob_s3_endpoint: s3.blob_s3_endpoint,
        blob_s3_access_key_id: s3.blob_s3_access_key_id,
        blob_s3_secret_access_key: s3.blob_s3_secret_access_key,
        ..crate::support::settings_for(&db)
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = vigil::app::Application::build_with(
        settings,
        listener,
        std::sync::Arc::new(vigil::service::SystemClock),
    )
    .unwrap();
    let key = app.state.blobs.put_bytes(b"vigil").unwrap().key;
    moto.boto(&format!(
        "s3.head_object(Bucket='app', Key='blobs/6b/{key}')"
    ));
}
