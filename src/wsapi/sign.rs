//! Request signing (pure): payload building and HMAC-SHA256 / Ed25519 / RSA signers.
//!
//! Protocol reference section 2.5: take every parameter except `signature` (including
//! `apiKey`, `timestamp`, `recvWindow`), sort by name, format `name=value`, join with `&`,
//! sign the UTF-8 bytes. The WS API payload is **not** percent-encoded (the REST API's is), so
//! this module must not be reused for REST signing without adding that switch.

use std::fmt;

use base64::Engine as _;
use ed25519_dalek::Signer as _;
use hmac::Mac as _;
use serde_json::{Map, Value};

use super::error::CredentialsError;

/// Request parameters as sent in the `params` object.
pub type Params = Map<String, Value>;

/// Renders one parameter value as it is signed: strings without quotes, numbers and booleans
/// as their JSON text (so `"0.01000000"` stays `0.01000000`), arrays and objects as compact
/// JSON.
pub fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Builds the signature payload: all params except `signature`, sorted by name, as
/// `name=value` joined by `&`, without percent-encoding.
pub fn signature_payload(params: &Params) -> String {
    let mut pairs: Vec<(&String, &Value)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "signature")
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&render_value(v));
    }
    out
}

/// The kind of API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// HMAC-SHA256 secret key; signatures are lowercase hex.
    Hmac,
    /// Ed25519 private key; signatures are base64. Needed for `session.logon`.
    Ed25519,
    /// RSA private key (RSASSA-PKCS1-v1_5 with SHA-256); signatures are base64.
    Rsa,
}

impl KeyType {
    /// Parses `hmac`, `ed25519` or `rsa` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hmac" | "hmac-sha256" | "hmac_sha256" => Some(Self::Hmac),
            "ed25519" => Some(Self::Ed25519),
            "rsa" => Some(Self::Rsa),
            _ => None,
        }
    }
}

/// A private signing key. `Debug` never prints key material.
#[derive(Clone)]
pub enum SigningKey {
    /// HMAC-SHA256 secret.
    Hmac(Vec<u8>),
    /// Ed25519 key.
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// RSA PKCS#1 v1.5 SHA-256 key.
    Rsa(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey::{:?}(***)", self.key_type())
    }
}

impl SigningKey {
    /// An HMAC key from the secret string given by Binance.
    pub fn hmac(secret: &str) -> Result<Self, CredentialsError> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(CredentialsError::Missing("secret_key"));
        }
        if !secret.chars().all(|c| c.is_ascii_graphic()) {
            return Err(CredentialsError::Malformed {
                field: "secret_key",
                reason: "must be printable ASCII without spaces".into(),
            });
        }
        Ok(Self::Hmac(secret.as_bytes().to_vec()))
    }

    /// An Ed25519 key from a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn ed25519_from_pem(pem: &str) -> Result<Self, CredentialsError> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim())
            .map(|k| Self::Ed25519(Box::new(k)))
            .map_err(|e| CredentialsError::Malformed {
                field: "private_key",
                reason: format!("not an Ed25519 PKCS#8 PEM private key ({e})"),
            })
    }

    /// An Ed25519 key from its 32-byte seed.
    pub fn ed25519_from_bytes(seed: &[u8; 32]) -> Self {
        Self::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(seed)))
    }

    /// An RSA key from a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    pub fn rsa_from_pem(pem: &str) -> Result<Self, CredentialsError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        let pem = pem.trim();
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|e| CredentialsError::Malformed {
                field: "private_key",
                reason: format!("not an RSA PKCS#8/PKCS#1 PEM private key ({e})"),
            })?;
        Ok(Self::Rsa(Box::new(
            rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key),
        )))
    }

    /// Loads a PEM key of the given type (Ed25519 or RSA).
    pub fn from_pem(key_type: KeyType, pem: &str) -> Result<Self, CredentialsError> {
        match key_type {
            KeyType::Ed25519 => Self::ed25519_from_pem(pem),
            KeyType::Rsa => Self::rsa_from_pem(pem),
            KeyType::Hmac => Err(CredentialsError::Malformed {
                field: "key_type",
                reason: "HMAC keys are given as secret_key, not as a PEM".into(),
            }),
        }
    }

    /// Which kind of key this is.
    pub fn key_type(&self) -> KeyType {
        match self {
            Self::Hmac(_) => KeyType::Hmac,
            Self::Ed25519(_) => KeyType::Ed25519,
            Self::Rsa(_) => KeyType::Rsa,
        }
    }

    /// Signs `payload`: hex for HMAC, base64 for Ed25519 and RSA.
    pub fn sign(&self, payload: &[u8]) -> String {
        match self {
            Self::Hmac(secret) => {
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret)
                    .expect("HMAC accepts keys of any length");
                mac.update(payload);
                hex::encode(mac.finalize().into_bytes())
            }
            Self::Ed25519(key) => {
                base64::engine::general_purpose::STANDARD.encode(key.sign(payload).to_bytes())
            }
            Self::Rsa(key) => {
                use rsa::signature::{SignatureEncoding, Signer};
                base64::engine::general_purpose::STANDARD.encode(key.sign(payload).to_bytes())
            }
        }
    }

    /// The Ed25519 public key bytes, if this is an Ed25519 key.
    pub fn ed25519_public_key(&self) -> Option<[u8; 32]> {
        match self {
            Self::Ed25519(key) => Some(key.verifying_key().to_bytes()),
            _ => None,
        }
    }
}

/// How a request is authenticated. `Debug` shows a shortened API key and never the key.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// Send `apiKey` + `signature` in the request (works on any session).
    Signed {
        /// The API key.
        api_key: &'a str,
        /// The private key.
        key: &'a SigningKey,
    },
    /// The session is logged on (`session.logon`): only `timestamp` (and `recvWindow`).
    LoggedOn,
}

impl fmt::Debug for Auth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signed { api_key, key } => f
                .debug_struct("Signed")
                .field("api_key", &super::credentials::redact(api_key))
                .field("key", key)
                .finish(),
            Self::LoggedOn => f.write_str("LoggedOn"),
        }
    }
}

/// Adds `timestamp`, optional `recvWindow`, and (for [`Auth::Signed`]) `apiKey` and
/// `signature` to `params`. Returns the signed payload (for diagnostics; it contains no secret).
pub fn sign_params(
    params: &mut Params,
    auth: Auth<'_>,
    timestamp_ms: u64,
    recv_window_ms: Option<u64>,
) -> String {
    params.insert("timestamp".into(), Value::from(timestamp_ms));
    if let Some(w) = recv_window_ms {
        params.insert("recvWindow".into(), Value::from(w));
    }
    params.remove("signature");
    match auth {
        Auth::Signed { api_key, key } => {
            params.insert("apiKey".into(), Value::from(api_key));
            let payload = signature_payload(params);
            params.insert(
                "signature".into(),
                Value::from(key.sign(payload.as_bytes())),
            );
            payload
        }
        Auth::LoggedOn => {
            params.remove("apiKey");
            signature_payload(params)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payload_sorted_and_not_percent_encoded() {
        let p = json!({"symbol":"币安BTC","b":"a b&c","a":1,"signature":"x","ok":true});
        let p = p.as_object().unwrap();
        assert_eq!(signature_payload(p), "a=1&b=a b&c&ok=true&symbol=币安BTC");
    }

    #[test]
    fn debug_redacts() {
        let k = SigningKey::hmac("supersecret").unwrap();
        let s = format!("{k:?}");
        assert!(!s.contains("supersecret"), "{s}");
        assert!(s.contains("***"));
    }

    #[test]
    fn malformed_keys_rejected() {
        assert!(SigningKey::hmac("").is_err());
        assert!(SigningKey::hmac("has space").is_err());
        assert!(SigningKey::ed25519_from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .is_err());
        assert!(SigningKey::rsa_from_pem("garbage").is_err());
    }
}
