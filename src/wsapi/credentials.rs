//! API credentials from environment variables or a TOML file, validated at load time.
//!
//! Environment variables:
//!
//! | variable | meaning |
//! |---|---|
//! | `BINANCE_API_KEY` | the API key (required) |
//! | `BINANCE_SECRET_KEY` | HMAC secret (for HMAC keys) |
//! | `BINANCE_PRIVATE_KEY_FILE` | path of an Ed25519 or RSA PEM private key |
//! | `BINANCE_PRIVATE_KEY` | the PEM itself (instead of the file) |
//! | `BINANCE_KEY_TYPE` | `hmac`, `ed25519` or `rsa` (optional; inferred otherwise) |
//!
//! The TOML file has the same settings in a `[binance]` table (see [`TEMPLATE`]).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::CredentialsError;
use super::sign::{KeyType, SigningKey};

/// Commented template written by [`write_template`].
pub const TEMPLATE: &str = r#"# marketfeed: Binance WebSocket API credentials.
# Keep this file private (chmod 600). Never commit it.
#
# Create keys at https://testnet.binance.vision (testnet) or in your Binance account.
# Ed25519 keys are recommended: they allow session.logon and userDataStream.subscribe.

[binance]
# The API key shown by Binance (required).
api_key = ""

# Exactly one of the following:
# HMAC-SHA256 keys: the secret key shown once by Binance.
# secret_key = ""
# Ed25519 or RSA keys: path of the PEM private key (relative to this file or absolute).
# private_key_file = "binance_ed25519.pem"

# Optional: "hmac", "ed25519" or "rsa". Inferred from the settings above when absent.
# key_type = "ed25519"

# Optional: use the testnet endpoint (wss://ws-api.testnet.binance.vision/ws-api/v3).
# testnet = true
"#;

/// An API key and its private signing key. `Debug` prints the key type and a shortened API
/// key only.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    key: SigningKey,
    /// Whether the config asked for the testnet (`testnet = true`); `false` from the environment.
    pub testnet: bool,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &redact(&self.api_key))
            .field("key", &self.key)
            .field("testnet", &self.testnet)
            .finish()
    }
}

/// Shows the first four characters of an API key, then `***`.
pub fn redact(api_key: &str) -> String {
    let head: String = api_key.chars().take(4).collect();
    format!("{head}***")
}

fn check_api_key(api_key: &str) -> Result<String, CredentialsError> {
    let api_key = api_key.trim();
    if api_key.is_empty() {
        return Err(CredentialsError::Missing("api_key"));
    }
    if !api_key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(CredentialsError::Malformed {
            field: "api_key",
            reason: "must be ASCII letters and digits".into(),
        });
    }
    Ok(api_key.to_owned())
}

impl Credentials {
    /// Credentials from an API key and a key already loaded.
    pub fn new(api_key: &str, key: SigningKey) -> Result<Self, CredentialsError> {
        Ok(Self {
            api_key: check_api_key(api_key)?,
            key,
            testnet: false,
        })
    }

    /// HMAC credentials.
    pub fn hmac(api_key: &str, secret: &str) -> Result<Self, CredentialsError> {
        Self::new(api_key, SigningKey::hmac(secret)?)
    }

    /// Ed25519 credentials from a PKCS#8 PEM.
    pub fn ed25519_pem(api_key: &str, pem: &str) -> Result<Self, CredentialsError> {
        Self::new(api_key, SigningKey::ed25519_from_pem(pem)?)
    }

    /// The API key (not secret, but avoid logging it whole).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Key type.
    pub fn key_type(&self) -> KeyType {
        self.key.key_type()
    }

    /// Loads from the process environment (see the module docs).
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Loads from a variable lookup (testable form of [`Credentials::from_env`]).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, CredentialsError> {
        let get = |n: &str| get(n).filter(|v| !v.trim().is_empty());
        let raw = RawSection {
            api_key: get("BINANCE_API_KEY"),
            secret_key: get("BINANCE_SECRET_KEY"),
            private_key_file: get("BINANCE_PRIVATE_KEY_FILE").map(PathBuf::from),
            private_key: get("BINANCE_PRIVATE_KEY"),
            key_type: get("BINANCE_KEY_TYPE"),
            testnet: None,
        };
        raw.build(None)
    }

    /// Whether any credential variable is set (so callers can fall back to no credentials).
    pub fn env_present() -> bool {
        std::env::var_os("BINANCE_API_KEY").is_some()
    }

    /// Parses a TOML config (the `[binance]` table); relative key paths resolve against `base`.
    pub fn from_toml_str(text: &str, base: Option<&Path>) -> Result<Self, CredentialsError> {
        let file: RawFile = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        file.binance
            .ok_or(CredentialsError::Missing("[binance]"))?
            .build(base)
    }

    /// Reads and parses a TOML config file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
        Self::from_toml_str(&text, path.parent())
    }
}

/// The settings a `[binance]` table may hold (the only names an error may quote).
const FIELDS: [&str; 6] = [
    "api_key",
    "secret_key",
    "private_key_file",
    "private_key",
    "key_type",
    "testnet",
];

/// A TOML error without the text of the file: the parser's message quotes the offending
/// value (`invalid type: string "…"`, `unknown field `…``), which may be a secret written in
/// the wrong field or unquoted. Only the line number and a known setting name are kept.
fn toml_error(text: &str, e: &toml::de::Error) -> CredentialsError {
    let line = e
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let key = line
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim())
        .and_then(|k| FIELDS.into_iter().find(|f| *f == k));
    let reason = match (line, key) {
        (Some(n), Some(k)) => format!("invalid value of `{k}` at line {n} (value not shown)"),
        (Some(n), None) => format!(
            "invalid TOML or unknown setting at line {n} (text not shown); expected one of {}",
            FIELDS.join(", ")
        ),
        (None, _) => "invalid TOML (text not shown)".to_owned(),
    };
    CredentialsError::Malformed {
        field: "config file",
        reason,
    }
}

fn io_err(path: &Path, e: std::io::Error) -> CredentialsError {
    CredentialsError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes the commented [`TEMPLATE`] to `path`; refuses to overwrite an existing file.
pub fn write_template(path: impl AsRef<Path>) -> Result<(), CredentialsError> {
    use std::io::Write as _;
    let path = path.as_ref();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    f.write_all(TEMPLATE.as_bytes())
        .map_err(|e| io_err(path, e))
}

#[derive(Deserialize)]
struct RawFile {
    binance: Option<RawSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    api_key: Option<String>,
    secret_key: Option<String>,
    private_key_file: Option<PathBuf>,
    private_key: Option<String>,
    key_type: Option<String>,
    testnet: Option<bool>,
}

impl RawSection {
    fn build(self, base: Option<&Path>) -> Result<Credentials, CredentialsError> {
        let api_key = check_api_key(self.api_key.as_deref().unwrap_or(""))?;
        let declared = match self.key_type.as_deref() {
            None => None,
            Some(t) => Some(
                KeyType::parse(t).ok_or_else(|| CredentialsError::Malformed {
                    field: "key_type",
                    // Never echo the value: it may be a secret in the wrong field.
                    reason: "must be hmac, ed25519 or rsa (value not shown)".into(),
                })?,
            ),
        };
        let pem = match (self.private_key, self.private_key_file) {
            (Some(pem), _) => Some(pem),
            (None, Some(file)) => {
                let path = match base {
                    Some(b) if file.is_relative() => b.join(&file),
                    _ => file,
                };
                Some(std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?)
            }
            (None, None) => None,
        };
        let key = match (
            self.secret_key.filter(|s| !s.trim().is_empty()),
            pem,
            declared,
        ) {
            (Some(_), Some(_), _) => {
                return Err(CredentialsError::Malformed {
                    field: "secret_key",
                    reason: "give either secret_key (HMAC) or a private key, not both".into(),
                })
            }
            (Some(secret), None, None | Some(KeyType::Hmac)) => SigningKey::hmac(&secret)?,
            (Some(_), None, Some(_)) => {
                return Err(CredentialsError::Missing("private_key_file"));
            }
            (None, Some(pem), Some(t)) => SigningKey::from_pem(t, &pem)?,
            (None, Some(pem), None) => SigningKey::ed25519_from_pem(&pem)
                .or_else(|_| SigningKey::rsa_from_pem(&pem))
                .map_err(|_| CredentialsError::Malformed {
                    field: "private_key",
                    reason: "not an Ed25519 or RSA PEM private key".into(),
                })?,
            (None, None, _) => {
                return Err(CredentialsError::Missing("secret_key or private_key_file"))
            }
        };
        Ok(Credentials {
            api_key,
            key,
            testnet: self.testnet.unwrap_or(false),
        })
    }
}
