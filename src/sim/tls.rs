//! TLS for the simulator: a test CA generated at start and a server certificate, signed by
//! it, for the venues' real host names (every production endpoint of every [`Exchange`], the
//! Binance WS API host), `localhost` and `127.0.0.1`. A client that trusts
//! [`SimTls::ca_pem`] and resolves those names to the simulator runs its production URLs
//! against it unchanged.

use crate::exchange::session::Endpoint;
use crate::types::Exchange;
use std::net::SocketAddr;
use std::sync::Arc;

/// A generated test CA and the simulator's server identity; cheap to clone.
#[derive(Clone)]
pub struct SimTls {
    ca_pem: Arc<str>,
    server: Arc<rustls::ServerConfig>,
    hosts: Arc<[String]>,
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTls")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Every production `(host, port)` the engine and the WS API session connect to, from the
/// production endpoints themselves (so a new venue is covered by its registration).
pub fn production_hosts() -> Vec<(String, u16)> {
    let mut urls: Vec<String> = Vec::new();
    for e in Exchange::ALL {
        let ep = Endpoint::production(e);
        urls.push(ep.ws);
        urls.extend(ep.rest);
    }
    #[cfg(feature = "wsapi")]
    urls.push(crate::wsapi::PRODUCTION_URL.to_string());
    let mut out: Vec<(String, u16)> = Vec::new();
    for u in urls {
        let Ok(parsed) = url::Url::parse(&u) else {
            continue;
        };
        let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
            continue;
        };
        for p in [port, 443, 9443] {
            let key = (host.to_string(), p);
            if !out.contains(&key) {
                out.push(key);
            }
        }
    }
    out
}

impl SimTls {
    /// Generates a CA and a server certificate for [`production_hosts`], `localhost` and
    /// `127.0.0.1`, plus `extra_hosts`.
    pub fn generate(extra_hosts: &[&str]) -> Result<SimTls, String> {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let err = |e: rcgen::Error| e.to_string();
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "marketfeed simulator test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca =
            CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(err)?).map_err(err)?;

        let mut hosts: Vec<String> = production_hosts().into_iter().map(|(h, _)| h).collect();
        hosts.extend(["localhost", "127.0.0.1"].map(String::from));
        hosts.extend(extra_hosts.iter().map(|h| h.to_string()));
        hosts.dedup();
        let mut unique = Vec::new();
        for h in hosts {
            if !unique.contains(&h) {
                unique.push(h);
            }
        }
        let mut leaf = CertificateParams::new(unique.clone()).map_err(err)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "marketfeed simulator");
        let leaf_key = KeyPair::generate().map_err(err)?;
        let cert = leaf.signed_by(&leaf_key, &ca).map_err(err)?;

        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), ca.der().clone()], key)
            .map_err(|e| e.to_string())?;
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(SimTls {
            ca_pem: ca.pem().into(),
            server: Arc::new(server),
            hosts: unique.into(),
        })
    }

    /// The test CA as PEM: what a client passes to `root_certificate`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The names the server certificate is valid for.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The rustls server configuration.
    pub(crate) fn server_config(&self) -> rustls::ServerConfig {
        (*self.server).clone()
    }
}

/// `(host, port, addr)` for every production market-data host (the WS API host is served by
/// `WsApiSim` (feature `wsapi`), not the market simulator): resolve each of them to `addr`
/// (e.g. `EngineBuilder::resolve`) to run production URLs against a simulator on `addr`.
pub fn production_resolves(addr: SocketAddr) -> Vec<(String, u16, SocketAddr)> {
    #[cfg(feature = "wsapi")]
    let wsapi_host = url::Url::parse(crate::wsapi::PRODUCTION_URL)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    #[cfg(not(feature = "wsapi"))]
    let wsapi_host: Option<String> = None;
    production_hosts()
        .into_iter()
        .filter(|(h, _)| Some(h) != wsapi_host.as_ref())
        .map(|(h, p)| (h, p, addr))
        .collect()
}
