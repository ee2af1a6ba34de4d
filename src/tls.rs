//! The optional HTTPS listener's certificate: a rustls resolver that holds the current
//! certificate and key and swaps them when `reload` is called (on SIGHUP), so renewed
//! certificates take effect without a restart and without dropping connections. A reload
//! that fails (missing file, bad PEM, key not matching) keeps the certificate in use.

use std::fmt;
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls_cert_path {path}: {message}")]
    Cert { path: String, message: String },
    #[error("tls_key_path {path}: {message}")]
    Key { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// The certificate in use, replaced on reload.
pub struct ReloadingCert {
    cert_path: String,
    key_path: String,
    current: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load(cert_path: &str, key_path: &str) -> Result<CertifiedKey, TlsError> {
    let cert_err = |message: String| TlsError::Cert {
        path: cert_path.into(),
        message,
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| cert_err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(cert_err("no CERTIFICATE block".into()));
    }
    let key_err = |message: String| TlsError::Key {
        path: key_path.into(),
        message,
    };
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| key_err(e.to_string()))?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| key_err(e.to_string()))?;
    let ck = CertifiedKey::new(certs, signing);
    // Refuse a key that does not belong to the certificate instead of failing handshakes.
    ck.keys_match().map_err(|e| key_err(e.to_string()))?;
    Ok(ck)
}

impl ReloadingCert {
    /// Read both files now; fails naming the file that is wrong.
    pub fn open(cert_path: &str, key_path: &str) -> Result<Self, TlsError> {
        let ck = load(cert_path, key_path)?;
        Ok(Self {
            cert_path: cert_path.into(),
            key_path: key_path.into(),
            current: RwLock::new(Arc::new(ck)),
        })
    }

    /// Read the files again; on error the certificate in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let ck = Arc::new(load(&self.cert_path, &self.key_path)?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = ck;
        Ok(())
    }

    /// A rustls server configuration (TLS 1.2 and 1.3, no client certificates) that asks
    /// this resolver for the certificate on every handshake.
    pub fn server_config(self: &Arc<Self>) -> Result<ServerConfig, TlsError> {
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        Ok(config)
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}
