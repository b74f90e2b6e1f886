//! The band's 16-byte auth key. Users paste it as 32 hex digits (miband-dc's `token`) or as
//! huami-token prints it (`0x` + 32 hex digits); the band needs the *decoded* bytes — passing the
//! hex text itself is the classic cause of `10 03 08` (docs/protocol.md §2, §7 item 1).
//!
//! The key is a secret: neither `Debug` nor any error shows it.

use std::fmt;

/// A decoded auth key.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey([u8; 16]);

/// Why a key string is not a key. Never contains the key itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing given.
    #[error("expected the auth key as 32 hex digits, found an empty column")]
    Empty,
    /// Not 32 hex digits long.
    #[error("expected the auth key as 32 hex digits, found {0} characters")]
    Length(usize),
    /// A character that is not `0-9a-fA-F`, at this 1-based position among the digits.
    #[error("expected the auth key as 32 hex digits, found a non-hex character at position {0}")]
    NotHex(usize),
}

impl AuthKey {
    /// Wraps raw key bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> AuthKey {
        AuthKey(bytes)
    }

    /// Parses 32 hex digits, with or without a `0x`/`0X` prefix; surrounding whitespace is ignored.
    pub fn from_hex(text: &str) -> Result<AuthKey, KeyError> {
        let t = text.trim();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if t.is_empty() {
            return Err(KeyError::Empty);
        }
        if let Some(pos) = t.chars().position(|c| !c.is_ascii_hexdigit()) {
            return Err(KeyError::NotHex(pos + 1));
        }
        if t.len() != 32 {
            return Err(KeyError::Length(t.len()));
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&t[2 * i..2 * i + 2], 16)
                .map_err(|_| KeyError::NotHex(2 * i + 1))?;
        }
        Ok(AuthKey(out))
    }

    /// The raw bytes, for the AES step only (named so that every use is easy to audit).
    pub fn expose(&self) -> &[u8; 16] {
        &self.0
    }

    /// Same as [`AuthKey::expose`].
    pub fn bytes(&self) -> &[u8; 16] {
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

impl std::str::FromStr for AuthKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthKey::from_hex(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "8fa9b42b2a6d4a5c9bd4f3b1e2c3d4e5";

    #[test]
    fn accepts_plain_and_prefixed() {
        let a = AuthKey::from_hex(HEX).unwrap();
        let b = AuthKey::from_hex(&format!("0x{HEX}")).unwrap();
        let c = AuthKey::from_hex(&format!("  0X{}\n", HEX.to_uppercase())).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.bytes()[0], 0x8f);
        assert_eq!(a.bytes()[15], 0xe5);
    }

    #[test]
    fn rejects_bad_text_without_echoing_it() {
        assert_eq!(AuthKey::from_hex("abc"), Err(KeyError::Length(3)));
        assert_eq!(
            AuthKey::from_hex(&format!("{}zz", &HEX[..30])),
            Err(KeyError::NotHex(31))
        );
        let e = AuthKey::from_hex(&format!("{HEX}00"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains(HEX), "{e}");
        assert_eq!(AuthKey::from_hex(""), Err(KeyError::Empty));
        assert_eq!(AuthKey::from_hex("0x"), Err(KeyError::Empty));
        // The raw ASCII of a 16-character string is not accepted (GB's quirk, §2.1).
        assert!(AuthKey::from_hex("0123456789abcdef").is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = AuthKey::from_hex(HEX).unwrap();
        assert_eq!(format!("{k:?}"), "AuthKey(****)");
        assert_eq!(format!("{k}"), "AuthKey(****)");
    }
}
