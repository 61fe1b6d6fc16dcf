//! The one TLS client of the crate: rustls (ring provider) with the webpki roots plus any extra
//! trust anchors, and host overrides in the manner of curl's `--resolve`. The market-data
//! connections, the Binance REST snapshots and the WS API session all build their awc clients
//! here, so there is exactly one place where TLS is configured.
//!
//! awc replaces a connector's TLS configuration with its own default (none, without an awc
//! `*-roots` feature) when `max_http_version` is set on the client or the connector, which
//! once left the engine unable to do TLS at all. The client below never calls it: the HTTP
//! version is pinned by the ALPN list of our own rustls configuration instead (`http/1.1`,
//! which WebSocket upgrades need).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Extra trust anchors and host overrides for every connection the engine (or a WS API
/// session) opens. Empty by default: the webpki roots and the system's DNS.
#[derive(Clone, Default)]
pub struct NetOptions {
    roots: Vec<CertificateDer<'static>>,
    resolve: HashMap<(String, u16), SocketAddr>,
    errors: Vec<NetError>,
}

impl fmt::Debug for NetOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetOptions")
            .field("extra_roots", &self.roots.len())
            .field("resolve", &self.resolve)
            .finish_non_exhaustive()
    }
}

/// A network setting that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetError {
    /// The PEM text holds no certificate, or one that cannot be read.
    BadCertificate(String),
    /// A host name for `resolve` that is empty or holds characters no host name has.
    BadHost(String),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::BadCertificate(why) => write!(f, "root certificate: {why}"),
            NetError::BadHost(h) => write!(f, "resolve: {h:?} is not a host name"),
        }
    }
}

impl std::error::Error for NetError {}

impl NetOptions {
    /// Trusts the certificates in `pem` (one or more `BEGIN CERTIFICATE` blocks) as roots, in
    /// addition to the webpki roots: a test CA, or the CA of a TLS-inspecting proxy.
    pub fn add_root_pem(&mut self, pem: impl AsRef<[u8]>) -> Result<usize, NetError> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_ref()) {
            let cert = cert.map_err(|e| NetError::BadCertificate(e.to_string()))?;
            // Parsed here so that a broken certificate is an error now, not at connect time.
            let mut probe = rustls::RootCertStore::empty();
            probe
                .add(cert.clone())
                .map_err(|e| NetError::BadCertificate(e.to_string()))?;
            self.roots.push(cert);
            added += 1;
        }
        if added == 0 {
            return Err(NetError::BadCertificate(
                "no `BEGIN CERTIFICATE` block in the PEM text".into(),
            ));
        }
        Ok(added)
    }

    /// Connects to `addr` whenever a URL names `host:port` (curl's `--resolve`): the TLS
    /// server name (SNI), the certificate check, the Host header and the path are those of
    /// the URL.
    pub fn resolve(&mut self, host: &str, port: u16, addr: SocketAddr) -> Result<(), NetError> {
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        let valid = !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !valid {
            return Err(NetError::BadHost(host.to_string()));
        }
        self.resolve.insert((h, port), addr);
        Ok(())
    }

    /// Like [`add_root_pem`](Self::add_root_pem), but a bad PEM is kept as an error that
    /// [`transport`](Self::transport) returns (for builder-style APIs).
    pub(crate) fn add_root_pem_later(&mut self, pem: impl AsRef<[u8]>) {
        if let Err(e) = self.add_root_pem(pem) {
            self.errors.push(e);
        }
    }

    /// Like [`resolve`](Self::resolve), keeping a bad host as an error for later.
    pub(crate) fn resolve_later(&mut self, host: &str, port: u16, addr: SocketAddr) {
        if let Err(e) = self.resolve(host, port, addr) {
            self.errors.push(e);
        }
    }

    /// The prepared transport (TLS configuration built once), or the first bad setting.
    pub(crate) fn transport(&self) -> Result<Transport, NetError> {
        if let Some(e) = self.errors.first() {
            return Err(e.clone());
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in &self.roots {
            roots
                .add(cert.clone())
                .map_err(|e| NetError::BadCertificate(e.to_string()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NetError::BadCertificate(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // WebSocket upgrades need HTTP/1.1; this is also what keeps HTTP/2 off (see the
        // module docs for why `max_http_version` must not be used).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Transport {
            tls: Arc::new(config),
            resolve: Arc::new(self.resolve.clone()),
        })
    }
}

/// A ready TLS configuration and host overrides; cheap to clone, shared across threads.
#[derive(Clone)]
pub(crate) struct Transport {
    tls: Arc<rustls::ClientConfig>,
    resolve: Arc<HashMap<(String, u16), SocketAddr>>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("resolve", &self.resolve)
            .finish_non_exhaustive()
    }
}

impl Default for Transport {
    fn default() -> Self {
        NetOptions::default()
            .transport()
            .unwrap_or_else(|_| unreachable!("default options are valid"))
    }
}

/// Host overrides first, then the system resolver (on the blocking pool, as awc does).
struct OverrideResolver(Arc<HashMap<(String, u16), SocketAddr>>);

impl actix_tls::connect::Resolve for OverrideResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> futures_util::future::LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn std::error::Error>>>
    {
        let key = (host.trim_end_matches('.').to_ascii_lowercase(), port);
        let fixed = self.0.get(&key).copied();
        Box::pin(async move {
            if let Some(addr) = fixed {
                return Ok(vec![addr]);
            }
            let target = format!("{host}:{port}");
            let addrs = actix_rt::task::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&target).map(|a| a.collect::<Vec<_>>())
            })
            .await
            .map_err(|e| Box::new(std::io::Error::other(e)) as Box<dyn std::error::Error>)?
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            Ok(addrs)
        })
    }
}

impl Transport {
    /// An awc client for wss:// and https:// (and plaintext) with this TLS configuration and
    /// these overrides. awc clients are not `Send`: create it on the thread that uses it.
    /// `timeout` bounds each request; connecting (DNS, TCP, TLS) is bounded by 10 s.
    pub(crate) fn client(&self, timeout: Duration) -> awc::Client {
        let tcp = actix_tls::connect::Connector::new(actix_tls::connect::Resolver::custom(
            OverrideResolver(self.resolve.clone()),
        ))
        .service();
        let connector = awc::Connector::new()
            .connector(tcp)
            .rustls_0_23(self.tls.clone())
            .timeout(Duration::from_secs(10))
            .handshake_timeout(Duration::from_secs(10));
        awc::Client::builder()
            .connector(connector)
            .timeout(timeout)
            .finish()
    }
}

/// What a failed connect says about retrying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConnectFailure {
    /// Why, for the status event and the log.
    pub reason: String,
    /// True when retrying the same URL cannot succeed (a certificate not trusted for the
    /// name, an unusable URL); false for transient failures (refused, timed out, DNS, 5xx).
    pub terminal: bool,
}

/// Classifies an awc WebSocket connect error.
pub(crate) fn classify_ws_error(url: &str, e: &awc::error::WsClientError) -> ConnectFailure {
    use awc::error::{SendRequestError, WsClientError};
    match e {
        WsClientError::SendRequest(SendRequestError::Url(u)) => ConnectFailure {
            reason: format!("bad URL {url}: {u}"),
            terminal: true,
        },
        WsClientError::SendRequest(SendRequestError::Connect(c)) => classify_connect(url, c),
        WsClientError::InvalidResponseStatus(s) => ConnectFailure {
            reason: format!("{url} answered the WebSocket upgrade with HTTP {s}"),
            terminal: false,
        },
        other => ConnectFailure {
            reason: format!("connect to {url} failed: {other}"),
            terminal: false,
        },
    }
}

/// Classifies an awc connect error (shared by WebSocket and REST requests).
pub(crate) fn classify_connect(url: &str, e: &awc::error::ConnectError) -> ConnectFailure {
    use awc::error::ConnectError;
    if let ConnectError::Io(io) = e {
        if let Some(tls) = io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            let terminal = matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
            let hint = if terminal {
                " (the server's certificate is not trusted for this name; add its CA with \
                 root_certificate(), not retried)"
            } else {
                ""
            };
            return ConnectFailure {
                reason: format!("TLS handshake with {url} failed: {tls}{hint}"),
                terminal,
            };
        }
    }
    ConnectFailure {
        reason: format!("connect to {url} failed: {e}"),
        terminal: matches!(e, ConnectError::SslIsNotSupported),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS handshake and an https request against a local rustls server, by host name
    /// (resolved to it) with its test CA trusted. Fails when awc drops the TLS connector
    /// ("SSL is not supported"), as it did when `max_http_version` was set after it.
    #[cfg(feature = "sim")]
    #[actix_rt::test]
    async fn https_by_host_name_with_an_extra_root() {
        use actix_web::{web, App, HttpServer};
        let tls = crate::sim::SimTls::generate(&[]).unwrap();
        let server = HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
            .workers(1)
            .disable_signals()
            .bind_rustls_0_23(("127.0.0.1", 0), tls.server_config())
            .unwrap();
        let addr = server.addrs()[0];
        let running = server.run();
        let handle = running.handle();
        actix_rt::spawn(running);

        let mut options = NetOptions::default();
        options.add_root_pem(tls.ca_pem()).unwrap();
        options.resolve("api.binance.com", 443, addr).unwrap();
        let client = options.transport().unwrap().client(Duration::from_secs(5));
        let mut res = client.get("https://api.binance.com/").send().await.unwrap();
        assert!(res.status().is_success());
        assert_eq!(&res.body().await.unwrap()[..], b"ok");

        // Without the CA: a certificate error, classified as terminal.
        let mut untrusted = NetOptions::default();
        untrusted.resolve("api.binance.com", 443, addr).unwrap();
        let client = untrusted
            .transport()
            .unwrap()
            .client(Duration::from_secs(5));
        let err = client
            .get("https://api.binance.com/")
            .send()
            .await
            .unwrap_err();
        match err {
            awc::error::SendRequestError::Connect(c) => {
                let f = classify_connect("https://api.binance.com/", &c);
                assert!(f.terminal, "{f:?}");
                assert!(f.reason.contains("not trusted"), "{f:?}");
            }
            other => panic!("{other:?}"),
        }
        handle.stop(false).await;
    }

    #[test]
    fn a_pem_without_certificates_is_refused() {
        let mut o = NetOptions::default();
        assert!(matches!(
            o.add_root_pem("hello"),
            Err(NetError::BadCertificate(_))
        ));
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            o.add_root_pem(broken),
            Err(NetError::BadCertificate(_))
        ));
        o.add_root_pem_later("nothing here");
        assert!(o.transport().is_err(), "a kept error surfaces at build");
    }

    #[test]
    fn resolve_takes_host_names_only() {
        let mut o = NetOptions::default();
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(o.resolve("Stream.Binance.com.", 9443, a).is_ok());
        assert_eq!(
            o.resolve.get(&("stream.binance.com".into(), 9443)),
            Some(&a)
        );
        assert!(o.resolve("", 1, a).is_err());
        assert!(o.resolve("exa mple.com", 1, a).is_err());
        assert!(o.resolve("a/b", 1, a).is_err());
    }
}
