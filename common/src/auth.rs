//! JWT claims, verification and guest-token issue.
//!
//! Verification requires `exp`, `aud`, `iss` and a UUID `sub`; honours `nbf` (and refuses
//! an `iat` in the future); refuses a token that lives longer than the configured maximum
//! (`exp - iat`, or `exp - now` without `iat`) and any token with a `crit` header (this
//! verifier understands no extension, RFC 7515 §4.1.11). The `name` claim is cleaned
//! ([`crate::display_name`]) before anyone sees it. HS256 is accepted when a
//! secret is configured (development, guest tokens); RS256 or ES256 when a public key
//! is. The algorithm in a token's header only selects among the keys configured for
//! it, so an HS256 token "signed" with the RSA public key as secret finds no HS key and
//! is refused, and `alg: none` does not parse at all.

#[cfg(feature = "runtime")]
use crate::config::{AuthArgs, PublicKeyAlg};
use crate::ids::PlayerId;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The claims Orrery reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
    pub aud: String,
    pub iss: String,
    /// Display name; defaults to a short form of the player id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A verified token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub player: PlayerId,
    pub name: String,
}

/// Why a token was refused. `reason()` is the metric label.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no token: send `Authorization: Bearer <jwt>` or the `orrery.token.<jwt>` subprotocol")]
    Missing,
    #[error("token is malformed")]
    Malformed,
    #[error("token algorithm is not accepted here")]
    Algorithm,
    #[error("token signature is invalid")]
    Signature,
    #[error("token has expired")]
    Expired,
    #[error("token audience is wrong")]
    Audience,
    #[error("token issuer is wrong")]
    Issuer,
    #[error("token subject must be a UUID")]
    Subject,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token lives longer than this server accepts")]
    Lifetime,
    #[error("token names a critical header extension this server does not understand")]
    Critical,
}

impl AuthError {
    /// Every variant, so a metric can export each reason from the start.
    pub const ALL: [AuthError; 11] = [
        AuthError::Missing,
        AuthError::Malformed,
        AuthError::Algorithm,
        AuthError::Signature,
        AuthError::Expired,
        AuthError::Audience,
        AuthError::Issuer,
        AuthError::Subject,
        AuthError::NotYetValid,
        AuthError::Lifetime,
        AuthError::Critical,
    ];

    /// A short, fixed label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed => "malformed",
            AuthError::Algorithm => "algorithm",
            AuthError::Signature => "signature",
            AuthError::Expired => "expired",
            AuthError::Audience => "audience",
            AuthError::Issuer => "issuer",
            AuthError::Subject => "subject",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::Lifetime => "lifetime",
            AuthError::Critical => "critical",
        }
    }
}

/// The configuration could not be turned into keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no way to verify tokens: set ORRERY_JWT_SECRET (or --jwt-secret-file) or --jwt-public-key-file")]
    NoKey,
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[cfg(feature = "runtime")]
    #[error("the public key is not a valid PEM for {alg:?}: {source}")]
    Pem { alg: PublicKeyAlg, source: jsonwebtoken::errors::Error },
    #[error("the HS256 secret must be at least 32 bytes")]
    ShortSecret,
}

/// Verifies tokens against the configured keys.
#[derive(Clone)]
pub struct Verifier {
    hs256: Option<DecodingKey>,
    public: Option<(Algorithm, DecodingKey)>,
    issuer: String,
    audience: String,
    max_lifetime: Duration,
}

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 5;

/// The default longest token lifetime accepted (`--jwt-max-lifetime-secs`): a day.
pub const DEFAULT_MAX_LIFETIME_SECS: u64 = 24 * 3600;

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("hs256", &self.hs256.is_some()).field("public", &self.public.as_ref().map(|(a, _)| *a)).finish()
    }
}

impl Verifier {
    #[cfg(feature = "runtime")]
    /// Keys as configured; the HS256 secret comes from `ORRERY_JWT_SECRET` or the secret file.
    pub fn from_args(args: &AuthArgs) -> Result<Self, KeyError> {
        let secret = read_secret(args)?;
        let public = match &args.jwt_public_key_file {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|source| KeyError::Read { path: path.display().to_string(), source })?;
                Some(public_key(args.jwt_public_key_alg, &pem)?)
            }
        };
        Ok(Self::new(secret.as_deref(), public, &args.jwt_issuer, &args.jwt_audience)?
            .with_max_lifetime(Duration::from_secs(args.jwt_max_lifetime_secs)))
    }

    /// Refuse tokens that live longer than `max` (default [`DEFAULT_MAX_LIFETIME_SECS`]).
    pub fn with_max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Keys given directly (tests, embedding).
    pub fn new(
        hs256_secret: Option<&[u8]>,
        public: Option<(Algorithm, DecodingKey)>,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, KeyError> {
        if hs256_secret.is_none() && public.is_none() {
            return Err(KeyError::NoKey);
        }
        if hs256_secret.is_some_and(|s| s.len() < 32) {
            return Err(KeyError::ShortSecret);
        }
        Ok(Self {
            hs256: hs256_secret.map(DecodingKey::from_secret),
            public,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            max_lifetime: Duration::from_secs(DEFAULT_MAX_LIFETIME_SECS),
        })
    }

    /// Check a token and return who it names.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if header.crit.is_some() {
            return Err(AuthError::Critical);
        }
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref(),
            alg => self.public.as_ref().filter(|(a, _)| *a == alg).map(|(_, k)| k),
        }
        .ok_or(AuthError::Algorithm)?;
        let mut validation = Validation::new(header.alg);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidAudience => AuthError::Audience,
            ErrorKind::InvalidIssuer => AuthError::Issuer,
            ErrorKind::InvalidSignature => AuthError::Signature,
            ErrorKind::InvalidAlgorithm => AuthError::Algorithm,
            ErrorKind::MissingRequiredClaim(c) if c == "aud" => AuthError::Audience,
            ErrorKind::MissingRequiredClaim(c) if c == "iss" => AuthError::Issuer,
            _ => AuthError::Malformed,
        })?;
        let player: PlayerId = data.claims.sub.parse().map_err(|_| AuthError::Subject)?;
        let now = crate::time::now_ms() / 1000;
        if data.claims.iat > now + LEEWAY_SECS {
            return Err(AuthError::NotYetValid);
        }
        let from = if data.claims.iat > 0 { data.claims.iat } else { now };
        if data.claims.exp.saturating_sub(from) > self.max_lifetime.as_secs() {
            return Err(AuthError::Lifetime);
        }
        let name =
            data.claims.name.as_deref().and_then(crate::display_name::clean).unwrap_or_else(|| format!("player-{}", &data.claims.sub[..8]));
        Ok(Identity { player, name })
    }
}

/// Parse a PEM public key for the given algorithm.
#[cfg(feature = "runtime")]
pub fn public_key(alg: PublicKeyAlg, pem: &[u8]) -> Result<(Algorithm, DecodingKey), KeyError> {
    match alg {
        PublicKeyAlg::Rs256 => DecodingKey::from_rsa_pem(pem).map(|k| (Algorithm::RS256, k)),
        PublicKeyAlg::Es256 => DecodingKey::from_ec_pem(pem).map(|k| (Algorithm::ES256, k)),
    }
    .map_err(|source| KeyError::Pem { alg, source })
}

#[cfg(feature = "runtime")]
fn read_secret(args: &AuthArgs) -> Result<Option<Vec<u8>>, KeyError> {
    if let Some(path) = &args.jwt_secret_file {
        let bytes = std::fs::read(path).map_err(|source| KeyError::Read { path: path.display().to_string(), source })?;
        return Ok(Some(trim_ascii_end(bytes)));
    }
    Ok(std::env::var("ORRERY_JWT_SECRET").ok().filter(|s| !s.is_empty()).map(String::into_bytes))
}

#[cfg(feature = "runtime")]
fn trim_ascii_end(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last().is_some_and(u8::is_ascii_whitespace) {
        bytes.pop();
    }
    bytes
}

/// Issues short-lived HS256 guest tokens.
#[derive(Clone)]
pub struct GuestIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl std::fmt::Debug for GuestIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestIssuer").field("ttl", &self.ttl).finish()
    }
}

impl GuestIssuer {
    #[cfg(feature = "runtime")]
    /// From the HS256 secret; `None` when no secret is configured.
    pub fn from_args(args: &AuthArgs, ttl: Duration) -> Result<Option<Self>, KeyError> {
        Ok(read_secret(args)?.map(|s| Self::new(&s, &args.jwt_issuer, &args.jwt_audience, ttl)))
    }

    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl: Duration) -> Self {
        Self { key: EncodingKey::from_secret(secret), issuer: issuer.into(), audience: audience.into(), ttl }
    }

    /// A token for a new guest (or for `player`, when given).
    pub fn issue(&self, player: Option<PlayerId>, name: Option<String>) -> (Identity, String) {
        let player = player.unwrap_or_else(PlayerId::random);
        let now = crate::time::now_ms() / 1000;
        let name = name.unwrap_or_else(|| format!("guest-{}", &player.to_string()[..6]));
        let claims = Claims {
            sub: player.to_string(),
            exp: now + self.ttl.as_secs(),
            iat: now,
            aud: self.audience.clone(),
            iss: self.issuer.clone(),
            name: Some(name.clone()),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key).expect("HS256 encoding with a secret cannot fail");
        (Identity { player, name }, token)
    }
}

/// Sign arbitrary claims (tests and tools).
pub fn sign_hs256(secret: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret))
        .expect("HS256 encoding with a secret cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims(exp_offset: i64) -> Claims {
        let now = crate::time::now_ms() as i64 / 1000;
        Claims {
            sub: PlayerId::random().to_string(),
            exp: (now + exp_offset) as u64,
            iat: now as u64,
            aud: "orrery".into(),
            iss: "orrery".into(),
            name: Some("ada".into()),
        }
    }

    fn verifier() -> Verifier {
        Verifier::new(Some(SECRET), None, "orrery", "orrery").unwrap()
    }

    #[test]
    fn a_good_token_names_its_player() {
        let c = claims(60);
        let id = verifier().verify(&sign_hs256(SECRET, &c)).unwrap();
        assert_eq!(id.player.to_string(), c.sub);
        assert_eq!(id.name, "ada");
    }

    #[test]
    fn bad_tokens_are_refused_with_their_reason() {
        let v = verifier();
        assert_eq!(v.verify(&sign_hs256(SECRET, &claims(-600))), Err(AuthError::Expired));
        assert_eq!(v.verify(&sign_hs256(b"another-secret-another-secret-xx", &claims(60))), Err(AuthError::Signature));
        let mut c = claims(60);
        c.aud = "someone-else".into();
        assert_eq!(v.verify(&sign_hs256(SECRET, &c)), Err(AuthError::Audience));
        let mut c = claims(60);
        c.iss = "someone-else".into();
        assert_eq!(v.verify(&sign_hs256(SECRET, &c)), Err(AuthError::Issuer));
        let mut c = claims(60);
        c.sub = "not-a-uuid".into();
        assert_eq!(v.verify(&sign_hs256(SECRET, &c)), Err(AuthError::Subject));
        assert_eq!(v.verify("garbage"), Err(AuthError::Malformed));
    }

    fn sign_json(header: Header, claims: serde_json::Value) -> String {
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap()
    }

    fn claims_json(from_now: (i64, i64)) -> serde_json::Value {
        let now = crate::time::now_ms() as i64 / 1000;
        serde_json::json!({ "sub": PlayerId::random().to_string(), "aud": "orrery", "iss": "orrery",
            "iat": now + from_now.0, "exp": now + from_now.1 })
    }

    #[test]
    fn nbf_crit_and_lifetime_are_honoured() {
        let v = verifier();
        let now = crate::time::now_ms() / 1000;
        let mut later = claims_json((0, 600));
        later["nbf"] = (now + 300).into();
        assert_eq!(v.verify(&sign_json(Header::new(Algorithm::HS256), later)), Err(AuthError::NotYetValid));
        let mut due = claims_json((0, 600));
        due["nbf"] = (now - 1).into();
        assert!(v.verify(&sign_json(Header::new(Algorithm::HS256), due)).is_ok(), "a token past its nbf is fine");
        let crit = Header { crit: Some(vec!["exp-ext".into()]), ..Header::new(Algorithm::HS256) };
        assert_eq!(v.verify(&sign_json(crit, claims_json((0, 600)))), Err(AuthError::Critical));
        assert_eq!(v.verify(&sign_json(Header::new(Algorithm::HS256), claims_json((600, 1200)))), Err(AuthError::NotYetValid), "iat ahead");
        let day = DEFAULT_MAX_LIFETIME_SECS as i64;
        assert_eq!(v.verify(&sign_json(Header::new(Algorithm::HS256), claims_json((0, day + 60)))), Err(AuthError::Lifetime));
        let mut no_iat = claims_json((0, 30 * day));
        no_iat.as_object_mut().unwrap().remove("iat");
        assert_eq!(v.verify(&sign_json(Header::new(Algorithm::HS256), no_iat)), Err(AuthError::Lifetime), "without iat, from now");
        let short = verifier().with_max_lifetime(Duration::from_secs(60));
        assert_eq!(short.verify(&sign_json(Header::new(Algorithm::HS256), claims_json((0, 600)))), Err(AuthError::Lifetime));
    }

    #[test]
    fn names_from_claims_are_cleaned() {
        let mut c = claims(60);
        c.name = Some("ev\u{202E}il\u{200B}x".into());
        assert_eq!(verifier().verify(&sign_hs256(SECRET, &c)).unwrap().name, "evilx");
        c.name = Some("\u{200B}\u{202E}".into());
        assert!(verifier().verify(&sign_hs256(SECRET, &c)).unwrap().name.starts_with("player-"), "nothing visible: the default");
    }

    #[test]
    fn short_secrets_and_no_keys_are_configuration_errors() {
        assert!(matches!(Verifier::new(Some(b"short"), None, "i", "a"), Err(KeyError::ShortSecret)));
        assert!(matches!(Verifier::new(None, None, "i", "a"), Err(KeyError::NoKey)));
    }

    #[test]
    fn guest_tokens_verify() {
        let issuer = GuestIssuer::new(SECRET, "orrery", "orrery", Duration::from_secs(60));
        let (id, token) = issuer.issue(None, None);
        assert_eq!(verifier().verify(&token).unwrap(), id);
    }
}
