//! awc clients with TLS (rustls, ring provider, webpki roots) for wss:// and https://.

use std::sync::Arc;
use std::time::Duration;

fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| rustls::ClientConfig::builder());
    let mut config = builder.with_root_certificates(roots).with_no_client_auth();
    // WebSocket upgrades need HTTP/1.1.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// A client for WebSocket and REST calls (must be created on the thread that uses it).
pub(crate) fn client(timeout: Duration) -> awc::Client {
    awc::Client::builder()
        .connector(awc::Connector::new().rustls_0_23(Arc::new(tls_config())))
        .max_http_version(awc::http::Version::HTTP_11)
        .timeout(timeout)
        .finish()
}
