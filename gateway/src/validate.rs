//! What every field of every HTTP body (and the matching WebSocket requests) may hold,
//! checked before any work proportional to it: JSON bodies are decoded by [`json`],
//! whose refusals quote at most [`MAX_ERROR_QUOTE`] characters of the input; a list is
//! refused while it is being decoded as soon as it is longer than allowed
//! ([`at_most`]); short identifiers (modes, regions) are [`key_token`]s; invite and
//! party codes are [`code`]s.

use crate::error::ApiError;
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// The most characters of a refused body that an error message quotes.
pub const MAX_ERROR_QUOTE: usize = 160;

/// The most bytes of a mode or a region.
pub const MAX_KEY_TOKEN: usize = 32;

/// Decode a JSON body; a refusal says why in at most [`MAX_ERROR_QUOTE`] characters (a
/// decoder's message quotes the offending value, which may be megabytes long).
pub fn json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {}", quote(&e.to_string()))))
}

/// At most [`MAX_ERROR_QUOTE`] characters of `s`, marked when cut.
pub fn quote(s: &str) -> String {
    match s.char_indices().nth(MAX_ERROR_QUOTE) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// A mode or a region: 1 to [`MAX_KEY_TOKEN`] of `[A-Za-z0-9_-]` (they become parts of
/// Redis keys and PostgreSQL rows). The length is checked first.
pub fn key_token(s: &str) -> bool {
    (1..=MAX_KEY_TOKEN).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// `field` must be a [`key_token`]; a 400 naming the field otherwise.
pub fn require_key_token(field: &str, s: &str) -> Result<(), ApiError> {
    if key_token(s) { Ok(()) } else { Err(ApiError::BadRequest(format!("{field} must be 1 to {MAX_KEY_TOKEN} of [A-Za-z0-9_-]"))) }
}

/// The most bytes a requested display name may have before cleaning (it keeps at most
/// [`orrery_common::display_name::MAX_CHARS`] characters; this bounds the work).
pub const MAX_NAME_BYTES: usize = 256;

/// A requested display name, cleaned ([`orrery_common::display_name::clean`]); `None`
/// when nothing visible is left; a 400 when longer than [`MAX_NAME_BYTES`].
pub fn display_name(raw: &str) -> Result<Option<String>, ApiError> {
    if raw.len() > MAX_NAME_BYTES {
        return Err(ApiError::BadRequest(format!("name must be at most {MAX_NAME_BYTES} bytes")));
    }
    Ok(orrery_common::display_name::clean(raw))
}

/// Invite and party codes: this alphabet (no look-alikes: no 0/O, 1/I/L), this length.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of an invite or party code.
pub const CODE_LEN: usize = 8;

/// A fresh random code.
pub fn new_code() -> String {
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rand::random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// `raw` as a code (trimmed, case-insensitive), or `None` when it cannot be one.
pub fn code(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() != CODE_LEN {
        return None;
    }
    let code = raw.to_ascii_uppercase();
    code.bytes().all(|c| CODE_ALPHABET.contains(&c)).then_some(code)
}

/// `deserialize_with` for a list of at most `N` items: decoding stops with an error at
/// item `N + 1`, so a list of 40,000 ids costs no more than one of `N + 1`.
pub fn at_most<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T, const N: usize>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Bounded<T, N> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a list of at most {N} items")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                if out.len() == N {
                    return Err(serde::de::Error::custom(format_args!("a list of at most {N} items")));
                }
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Bounded::<T, N>(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Listed {
        #[serde(deserialize_with = "at_most::<_, _, 3>")]
        ids: Vec<u32>,
    }

    #[test]
    fn a_list_is_refused_at_its_first_item_too_many() {
        assert_eq!(json::<Listed>(br#"{"ids":[1,2,3]}"#).unwrap().ids, [1, 2, 3]);
        let long = format!(r#"{{"ids":[{}]}}"#, vec!["1"; 100_000].join(","));
        let err = json::<Listed>(long.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("at most 3"), "{err}");
        // The decoder stopped at the fourth item: the error points near the start.
        assert!(err.ends_with("column 16"), "{err}");
    }

    #[test]
    fn refusals_quote_little_of_the_input() {
        let body = format!(r#"{{"ids":"{}"}}"#, "A".repeat(1_000_000));
        let err = json::<Listed>(body.as_bytes()).unwrap_err().to_string();
        assert!(err.chars().count() < MAX_ERROR_QUOTE + 40, "{} characters", err.len());
    }

    #[test]
    fn key_tokens_and_codes() {
        assert!(key_token("eu-west_1"));
        assert!(!key_token(""));
        assert!(!key_token("a:b"));
        assert!(!key_token("a\0b"));
        assert!(!key_token(&"x".repeat(MAX_KEY_TOKEN + 1)));
        let c = new_code();
        assert_eq!(code(&format!(" {} ", c.to_lowercase())), Some(c));
        assert_eq!(code("K7QX4MN0"), None, "0 is not in the alphabet");
        assert_eq!(code("K7QX4MN"), None);
    }
}
