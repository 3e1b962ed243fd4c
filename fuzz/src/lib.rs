//! What the fuzz targets and the seed generator share: the layouts of the targets whose
//! input is more than one message (a delta after its base keyframe, an internal message
//! after its kind byte, a token after its verifier), and the round-trip checks.

use orrery_common::protocol::{decode, encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// Decodes `bytes` as a `T`; when that works, encoding the message and decoding it again
/// must give the same message (the decoder and the encoder agree on every message the
/// decoder accepts).
pub fn decodes_and_round_trips<T>(bytes: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let msg = decode::<T>(bytes).ok()?;
    let again = encode(&msg);
    assert_eq!(decode::<T>(&again).as_ref(), Ok(&msg), "re-encoding {msg:?} does not decode to itself");
    Some(msg)
}

/// Two parts in one input, as `arena_delta` (a base keyframe, then a delta) and `jwt`
/// (a header, then claims) take them: the first part's length (u16, little-endian), the
/// first part, then the second.
pub fn split_prefixed(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = data.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_le_bytes(*len));
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// The inverse of [`split_prefixed`] (the seed generator writes these).
pub fn join_prefixed(first: &[u8], second: &[u8]) -> Vec<u8> {
    let len = u16::try_from(first.len()).expect("the first part fits 64 KiB");
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(first);
    out.extend_from_slice(second);
    out
}

/// The variant a target's first byte picks (any byte picks one).
pub fn pick<T: Copy>(all: &[T], byte: u8) -> T {
    all[usize::from(byte) % all.len()]
}

/// `internal_msg`'s first byte: which NATS message the rest is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InternalKind {
    /// `room.<id>.input`, read by the owner.
    Input = 0,
    /// `room.<id>.state`, read by every gateway.
    State = 1,
    /// `room.<id>.control` requests, read by the owner.
    ControlRequest = 2,
    /// The owner's control replies, read by a gateway.
    ControlReply = 3,
    /// `player.<id>.events`, read by the gateway serving the player.
    PlayerEvent = 4,
}

impl InternalKind {
    pub const ALL: [InternalKind; 5] =
        [InternalKind::Input, InternalKind::State, InternalKind::ControlRequest, InternalKind::ControlReply, InternalKind::PlayerEvent];
}

/// `jwt`'s first byte: which verifier reads the token, or whether the rest is a header
/// and claims (JSON, split by a u16 length of the header) that the target signs with the
/// HS256 secret first, so the fuzzer reaches the claims behind a valid signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtMode {
    /// The rest is a token for a verifier with the HS256 secret.
    RawHs256 = 0,
    /// The rest is a token for a verifier with an RS256 public key (and the secret).
    RawRs256 = 1,
    /// The rest is a token for a verifier with an ES256 public key (and the secret).
    RawEs256 = 2,
    /// The rest is `header_len:u16le header claims`, signed with the HS256 secret.
    SignedHs256 = 3,
}

impl JwtMode {
    pub const ALL: [JwtMode; 4] = [JwtMode::RawHs256, JwtMode::RawRs256, JwtMode::RawEs256, JwtMode::SignedHs256];
}

/// The HS256 secret the `jwt` target verifies with (and signs its seeds with).
pub const JWT_SECRET: &[u8] = b"fuzz-secret-fuzz-secret-fuzz-secret!";
/// Issuer and audience the `jwt` target's verifier expects.
pub const JWT_ISSUER: &str = "orrery";
pub const JWT_AUDIENCE: &str = "orrery";

/// A public RSA key (2048 bits) for the RS256 verifier; nothing is signed with it, so
/// only the refusal paths run (what a hostile client reaches without the private key).
pub const RSA_PUBLIC_PEM: &str = include_str!("keys/rsa-public.pem");
/// A public P-256 key for the ES256 verifier.
pub const EC_PUBLIC_PEM: &str = include_str!("keys/ec-public.pem");
