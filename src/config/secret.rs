//! Values that must never be printed: the band's auth key and the database password. Their
//! `Debug`/`Display` show `****`, so a stray `{:?}` in a log line cannot leak them; the bytes are
//! reachable only through an explicitly named `expose` method.

use std::fmt;

/// The 16-byte AES key a Mi Band 4/5 authenticates with (the `token` column of `devices.csv`).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey([u8; 16]);

/// Why a `token` column is not an auth key. The messages describe the shape only, never the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthKeyError {
    /// The column is empty.
    #[error("expected the auth key as 32 hex digits, found an empty column")]
    Empty,
    /// Wrong number of digits.
    #[error("expected the auth key as 32 hex digits, found {0} characters")]
    Length(usize),
    /// A character that is not `0-9a-fA-F`, at this 1-based position among the digits.
    #[error("expected the auth key as 32 hex digits, found a non-hex character at position {0}")]
    NotHex(usize),
}

impl AuthKey {
    /// Parses 32 hex digits, optionally prefixed `0x` (as huami-token prints keys).
    pub fn parse(text: &str) -> Result<Self, AuthKeyError> {
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        if digits.is_empty() {
            return Err(AuthKeyError::Empty);
        }
        if let Some(i) = digits.chars().position(|c| !c.is_ascii_hexdigit()) {
            return Err(AuthKeyError::NotHex(i + 1));
        }
        if digits.len() != 32 {
            return Err(AuthKeyError::Length(digits.len()));
        }
        let mut key = [0u8; 16];
        hex::decode_to_slice(digits, &mut key).map_err(|_| AuthKeyError::Length(digits.len()))?;
        Ok(AuthKey(key))
    }

    /// Builds a key from raw bytes (for the emulator and tests).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        AuthKey(bytes)
    }

    /// The key bytes, for the authentication handshake only.
    pub fn expose(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthKey(****)")
    }
}

impl fmt::Display for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthKey(****)")
    }
}

/// A secret string (the database password).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (the database connection).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "8fa9b42eb8ba7d1d3ddb2f0c2b4a1e6c";

    #[test]
    fn parses_plain_and_0x_keys() {
        let k = AuthKey::parse(KEY).unwrap();
        assert_eq!(k.expose()[0], 0x8f);
        assert_eq!(k.expose()[15], 0x6c);
        assert_eq!(AuthKey::parse(&format!("0x{KEY}")).unwrap(), k);
        assert_eq!(
            AuthKey::parse(&format!("0X{}", KEY.to_uppercase())).unwrap(),
            k
        );
    }

    #[test]
    fn rejects_bad_keys_without_echoing_them() {
        assert_eq!(AuthKey::parse(""), Err(AuthKeyError::Empty));
        assert_eq!(AuthKey::parse("0x"), Err(AuthKeyError::Empty));
        assert_eq!(AuthKey::parse(&KEY[..30]), Err(AuthKeyError::Length(30)));
        assert_eq!(
            AuthKey::parse(&format!("{KEY}00")),
            Err(AuthKeyError::Length(34))
        );
        let bad = format!("{}z{}", &KEY[..4], &KEY[5..]);
        let err = AuthKey::parse(&bad).unwrap_err();
        assert_eq!(err, AuthKeyError::NotHex(5));
        assert!(!err.to_string().contains(&KEY[..4]));
    }

    #[test]
    fn debug_and_display_hide_the_secret() {
        let k = AuthKey::parse(KEY).unwrap();
        assert_eq!(format!("{k:?}"), "AuthKey(****)");
        assert_eq!(format!("{k}"), "AuthKey(****)");
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(****)");
        assert_eq!(format!("{s}"), "****");
        assert_eq!(s.expose(), "hunter2");
    }
}
