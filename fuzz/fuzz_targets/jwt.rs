//! JWT verification (`orrery_common::auth::Verifier::verify`), as the gateway runs it on
//! the token of every HTTP request and WebSocket upgrade. The first byte picks the
//! verifier, or asks the target to sign the header and claims that follow, so the claims'
//! parsing behind a valid signature is fuzzed too (see `orrery_fuzz::JwtMode`).

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use libfuzzer_sys::fuzz_target;
use orrery_common::auth::Verifier;
use orrery_fuzz::{EC_PUBLIC_PEM, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, JwtMode, RSA_PUBLIC_PEM};
use std::sync::LazyLock;

struct Verifiers {
    hs256: Verifier,
    rs256: Verifier,
    es256: Verifier,
}

static VERIFIERS: LazyLock<Verifiers> = LazyLock::new(|| {
    let rsa = DecodingKey::from_rsa_pem(RSA_PUBLIC_PEM.as_bytes()).expect("the RSA key parses");
    let ec = DecodingKey::from_ec_pem(EC_PUBLIC_PEM.as_bytes()).expect("the EC key parses");
    let new = |public| Verifier::new(Some(JWT_SECRET), public, JWT_ISSUER, JWT_AUDIENCE).expect("a valid configuration");
    Verifiers { hs256: new(None), rs256: new(Some((Algorithm::RS256, rsa))), es256: new(Some((Algorithm::ES256, ec))) }
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let v = &*VERIFIERS;
    let (verifier, token) = match orrery_fuzz::pick(&JwtMode::ALL, mode) {
        JwtMode::RawHs256 => (&v.hs256, String::from_utf8_lossy(rest).into_owned()),
        JwtMode::RawRs256 => (&v.rs256, String::from_utf8_lossy(rest).into_owned()),
        JwtMode::RawEs256 => (&v.es256, String::from_utf8_lossy(rest).into_owned()),
        JwtMode::SignedHs256 => {
            let Some((header, claims)) = orrery_fuzz::split_prefixed(rest) else { return };
            let message = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
            let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(JWT_SECRET), Algorithm::HS256)
                .expect("HS256 signs");
            (&v.hs256, format!("{message}.{signature}"))
        }
    };
    if let Ok(identity) = verifier.verify(&token) {
        assert!(!identity.name.is_empty() && identity.name.chars().count() <= 24, "name {:?}", identity.name);
    }
});
