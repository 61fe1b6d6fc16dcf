//! Signing: Binance's documented examples reproduce exactly, and keys/credentials load (or
//! fail) at start. Protocol reference section 2.5.

use marketfeed::wsapi::sign::{sign_params, signature_payload, Auth};
use marketfeed::wsapi::{
    write_template, Credentials, CredentialsError, KeyType, Params, SigningKey,
};
use serde_json::json;

const DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const DOC_API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const DOC_PAYLOAD: &str = "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT";
const DOC_SIGNATURE: &str = "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24";

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wsapi");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

fn doc_order_params() -> Params {
    json!({"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","timeInForce":"GTC",
           "quantity":"0.01000000","price":"52000.00"})
    .as_object()
    .cloned()
    .unwrap()
}

#[test]
fn hmac_worked_example_reproduces_exactly() {
    let key = SigningKey::hmac(DOC_SECRET).unwrap();
    assert_eq!(key.sign(DOC_PAYLOAD.as_bytes()), DOC_SIGNATURE);

    // The full path: params -> sorted payload (apiKey, timestamp, recvWindow added) -> signature.
    let mut p = doc_order_params();
    let payload = sign_params(
        &mut p,
        Auth::Signed {
            api_key: DOC_API_KEY,
            key: &key,
        },
        1645423376532,
        Some(100),
    );
    assert_eq!(payload, DOC_PAYLOAD);
    assert_eq!(p["signature"], DOC_SIGNATURE);
    assert_eq!(p["apiKey"], DOC_API_KEY);
    assert_eq!(p["timestamp"], 1645423376532u64);
    assert_eq!(p["recvWindow"], 100);
}

#[test]
fn ed25519_rfc8032_test1_reproduces_exactly() {
    let seed: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    let key = SigningKey::ed25519_from_bytes(&seed);
    assert_eq!(
        hex::encode(key.ed25519_public_key().unwrap()),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    let sig = key.sign(b"");
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    assert_eq!(
        hex::encode(raw),
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );
}

#[test]
fn ed25519_pem_key_signs_binance_payload_like_openssl() {
    let key = SigningKey::ed25519_from_pem(&fixture("ed25519_rfc8032_test1.pem")).unwrap();
    assert_eq!(key.key_type(), KeyType::Ed25519);
    let sig = key.sign(DOC_PAYLOAD.as_bytes());
    assert_eq!(sig, fixture("ed25519_doc_payload.sig.b64").trim());
    // And it verifies with the public key, as the exchange would.
    use base64::Engine as _;
    use ed25519_dalek::pkcs8::DecodePublicKey;
    let vk =
        ed25519_dalek::VerifyingKey::from_public_key_pem(&fixture("ed25519_rfc8032_test1.pub.pem"))
            .unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&sig)
        .unwrap();
    vk.verify_strict(
        DOC_PAYLOAD.as_bytes(),
        &ed25519_dalek::Signature::from_slice(&raw).unwrap(),
    )
    .unwrap();
}

#[test]
fn rsa_pem_key_signs_like_openssl() {
    let key = SigningKey::rsa_from_pem(&fixture("rsa_test_key.pem")).unwrap();
    assert_eq!(key.key_type(), KeyType::Rsa);
    assert_eq!(
        key.sign(DOC_PAYLOAD.as_bytes()),
        fixture("rsa_doc_payload.sig.b64").trim()
    );
}

#[test]
fn ws_api_payload_is_not_percent_encoded() {
    let p = json!({"symbol":"ＢＴＣ/USDT","note":"a b=c"})
        .as_object()
        .cloned()
        .unwrap();
    assert_eq!(signature_payload(&p), "note=a b=c&symbol=ＢＴＣ/USDT");
}

#[test]
fn logged_on_session_signs_nothing_but_sends_timestamp() {
    let mut p = doc_order_params();
    p.insert("apiKey".into(), "stale".into());
    sign_params(&mut p, Auth::LoggedOn, 1645423376532, None);
    assert!(!p.contains_key("signature"));
    assert!(!p.contains_key("apiKey"));
    assert_eq!(p["timestamp"], 1645423376532u64);
}

#[test]
fn credentials_from_env_lookup() {
    let pem = fixture("ed25519_rfc8032_test1.pem");
    let env = |vars: Vec<(&'static str, String)>| {
        move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    };
    let c = Credentials::from_lookup(env(vec![
        ("BINANCE_API_KEY", "abc123".into()),
        ("BINANCE_PRIVATE_KEY", pem),
    ]))
    .unwrap();
    assert_eq!(c.key_type(), KeyType::Ed25519);
    let c = Credentials::from_lookup(env(vec![
        ("BINANCE_API_KEY", "abc123".into()),
        ("BINANCE_SECRET_KEY", DOC_SECRET.into()),
    ]))
    .unwrap();
    assert_eq!(c.key_type(), KeyType::Hmac);
    assert_eq!(
        Credentials::from_lookup(env(vec![("BINANCE_SECRET_KEY", DOC_SECRET.into())])).unwrap_err(),
        CredentialsError::Missing("api_key")
    );
    assert_eq!(
        Credentials::from_lookup(env(vec![("BINANCE_API_KEY", "abc".into())])).unwrap_err(),
        CredentialsError::Missing("secret_key or private_key_file")
    );
    let err = Credentials::from_lookup(env(vec![
        ("BINANCE_API_KEY", "abc".into()),
        (
            "BINANCE_PRIVATE_KEY",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".into(),
        ),
    ]))
    .unwrap_err();
    assert!(
        matches!(
            err,
            CredentialsError::Malformed {
                field: "private_key",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn credentials_from_toml_file_with_relative_key_path() {
    let dir = std::env::temp_dir().join(format!("mf-wsapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("k.pem"), fixture("rsa_test_key.pem")).unwrap();
    let cfg = dir.join("binance.toml");
    std::fs::write(
        &cfg,
        "[binance]\napi_key = \"abc\"\nprivate_key_file = \"k.pem\"\ntestnet = true\n",
    )
    .unwrap();
    let c = Credentials::from_file(&cfg).unwrap();
    assert_eq!(c.key_type(), KeyType::Rsa);
    assert!(c.testnet);

    // The template is written once, is valid TOML, and is refused as-is (empty api_key).
    let tpl = dir.join("template.toml");
    let _ = std::fs::remove_file(&tpl);
    write_template(&tpl).unwrap();
    assert!(matches!(
        write_template(&tpl),
        Err(CredentialsError::Io { .. })
    ));
    assert_eq!(
        Credentials::from_file(&tpl).unwrap_err(),
        CredentialsError::Missing("api_key")
    );
    let bad = Credentials::from_toml_str("[binance]\napi_key = \"abc\"\nsecret = \"x\"\n", None);
    assert!(matches!(bad, Err(CredentialsError::Malformed { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debug_never_shows_secrets() {
    let c = Credentials::hmac(DOC_API_KEY, DOC_SECRET).unwrap();
    let s = format!("{c:?}");
    assert!(!s.contains(DOC_SECRET), "{s}");
    assert!(!s.contains(DOC_API_KEY), "{s}");
    assert!(s.contains("***"));
    let e = Credentials::ed25519_pem("abc", &fixture("ed25519_rfc8032_test1.pem")).unwrap();
    assert!(!format!("{e:?}").contains("MC4CAQ"));
}

/// Regression (issue 10 item 9): `Auth::Signed` derived `Debug` and printed the whole API key.
#[test]
fn auth_debug_does_not_print_the_api_key() {
    let key = marketfeed::wsapi::SigningKey::hmac(DOC_SECRET).unwrap();
    let auth = marketfeed::wsapi::sign::Auth::Signed {
        api_key: DOC_API_KEY,
        key: &key,
    };
    let s = format!("{auth:?}");
    assert!(!s.contains(DOC_API_KEY), "{s}");
    assert!(!s.contains(DOC_SECRET), "{s}");
    assert!(s.contains("***"), "{s}");
}

/// Regression (issue 10 item 9): a TOML parse error echoed the value of a secret written in
/// the wrong field, unquoted, or in a field of another type.
#[test]
fn config_errors_never_echo_a_secret() {
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    let cases = [
        // Unquoted secret.
        format!("[binance]\napi_key = \"abc\"\nsecret_key = {SECRET}\n"),
        // Secret in a boolean field.
        format!("[binance]\napi_key = \"abc\"\ntestnet = \"{SECRET}\"\n"),
        // Secret in a field that does not exist.
        format!("[binance]\napi_key = \"abc\"\nsecret = \"{SECRET}\"\n"),
        // Secret written as the key type.
        format!("[binance]\napi_key = \"abc\"\nkey_type = \"{SECRET}\"\n"),
        // Secret as the api_key with the wrong type (a table).
        format!("[binance]\napi_key = {{ s = \"{SECRET}\" }}\n"),
        // Secret on an unparsable line.
        format!("[binance]\napi_key = \"abc\"\n{SECRET}\n"),
    ];
    for text in &cases {
        let err = Credentials::from_toml_str(text, None).unwrap_err();
        let shown = format!("{err} {err:?}");
        // Not even a long fragment of it.
        assert!(!shown.contains(&SECRET[..12]), "{text:?} -> {shown}");
        assert!(matches!(err, CredentialsError::Malformed { .. }), "{shown}");
    }
}
