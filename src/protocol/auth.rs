//! Authentication on characteristic 0x0009 (docs/protocol.md §2): request a random number, answer
//! with AES-128-ECB(key, random). Both handshake variants seen in the wild are supported: the "old"
//! `02 00` / `03 00` (satcar77, grimsteel) and GB's "new" `82 00 02 01 00` / `83 00` (cryptFlags
//! 0x80). Replies carry the command in their low nibble, so both are decoded by one parser.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::Aes128;

use super::error::DecodeError;
use super::key::AuthKey;

/// Which request/answer framing to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthVariant {
    /// `02 00` → `10 02 01`+random, `03 00`+answer → `10 03 01`.
    Old,
    /// `82 00 02 01 00` → `10 82 01`+random, `83 00`+answer → `10 83 01`.
    New,
}

/// What the host writes to 0x0009.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthCommand {
    /// `01 <flags> <key>`: store a key on a band paired without a server key (MB2/3 era; never
    /// sent to MB4+, it would be rejected). `key` is the raw 16 bytes.
    SendKey {
        /// Auth flags byte.
        flags: u8,
        /// The key bytes.
        key: [u8; 16],
    },
    /// Ask for a random challenge.
    RequestRandom(AuthVariant),
    /// The encrypted challenge.
    SendAnswer {
        /// Framing.
        variant: AuthVariant,
        /// AES-128-ECB(key, random).
        answer: [u8; 16],
    },
}

impl AuthCommand {
    /// Encodes the command as written to 0x0009.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            AuthCommand::SendKey { flags, key } => [&[0x01, *flags][..], key].concat(),
            AuthCommand::RequestRandom(AuthVariant::Old) => vec![0x02, 0x00],
            AuthCommand::RequestRandom(AuthVariant::New) => vec![0x82, 0x00, 0x02, 0x01, 0x00],
            AuthCommand::SendAnswer { variant, answer } => {
                let head = match variant {
                    AuthVariant::Old => 0x03,
                    AuthVariant::New => 0x83,
                };
                [&[head, 0x00][..], answer].concat()
            }
        }
    }

    /// Parses what a host wrote (the band's side). Mi Fit's 3-byte `82 00 02` is accepted too.
    pub fn decode(b: &[u8]) -> Result<AuthCommand, DecodeError> {
        const W: &str = "auth command";
        let first = *b.first().ok_or(DecodeError::TooShort {
            what: W,
            need: 2,
            got: 0,
        })?;
        let variant = if first & 0x80 != 0 {
            AuthVariant::New
        } else {
            AuthVariant::Old
        };
        match (first & 0x7f, b.len()) {
            (0x01, 18) if first == 0x01 => Ok(AuthCommand::SendKey {
                flags: b[1],
                key: b[2..18].try_into().unwrap_or([0; 16]),
            }),
            (0x02, 2) if variant == AuthVariant::Old => Ok(AuthCommand::RequestRandom(variant)),
            (0x02, 3 | 5) if variant == AuthVariant::New && b[2] == 0x02 => {
                Ok(AuthCommand::RequestRandom(variant))
            }
            (0x03, 18) => Ok(AuthCommand::SendAnswer {
                variant,
                answer: b[2..18].try_into().unwrap_or([0; 16]),
            }),
            (0x01..=0x03, n) => Err(DecodeError::BadLength {
                what: W,
                got: n,
                expected: "2, 5 or 18 bytes",
            }),
            _ => Err(DecodeError::BadByte {
                what: W,
                offset: 0,
                value: first,
            }),
        }
    }
}

/// How the band answered on 0x0009 (`10 <cmd> <status> ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthReply {
    /// Reply to `SendKey`: status 01 = stored.
    KeyStored {
        /// Whether the status was 01.
        ok: bool,
        /// The status byte.
        code: u8,
    },
    /// The challenge to encrypt.
    Random {
        /// Framing the band used.
        variant: AuthVariant,
        /// 16 random bytes.
        random: [u8; 16],
    },
    /// `10 x2 xx`, xx ≠ 01: "request random number error".
    RandomFailed {
        /// The status byte.
        code: u8,
    },
    /// `10 x3 01`: authenticated.
    AuthOk(AuthVariant),
    /// `10 x3 xx`, xx ≠ 01: `08` = wrong key (MB4), `04` = auth fail (MB2 era).
    AuthFailed {
        /// The status byte.
        code: u8,
    },
}

/// The failure status MB4 sends for a wrong key (`10 03 08`).
pub const STATUS_WRONG_KEY: u8 = 0x08;
/// The generic failure status (`10 03 04`).
pub const STATUS_FAILED: u8 = 0x04;

impl AuthReply {
    /// Parses a notification from 0x0009.
    pub fn decode(b: &[u8]) -> Result<AuthReply, DecodeError> {
        const W: &str = "auth reply";
        let (cmd_byte, code) = super::error::reply_header(W, b)?;
        let variant = if cmd_byte & 0x80 != 0 {
            AuthVariant::New
        } else {
            AuthVariant::Old
        };
        let cmd = cmd_byte & 0x0f;
        match cmd {
            0x01 => Ok(AuthReply::KeyStored {
                ok: code == 0x01,
                code,
            }),
            0x02 if code == 0x01 => {
                let random: [u8; 16] =
                    b.get(3..19)
                        .and_then(|s| s.try_into().ok())
                        .ok_or(DecodeError::TooShort {
                            what: W,
                            need: 19,
                            got: b.len(),
                        })?;
                Ok(AuthReply::Random { variant, random })
            }
            0x02 => Ok(AuthReply::RandomFailed { code }),
            0x03 if code == 0x01 => Ok(AuthReply::AuthOk(variant)),
            0x03 => Ok(AuthReply::AuthFailed { code }),
            _ => Err(DecodeError::BadByte {
                what: W,
                offset: 1,
                value: cmd_byte,
            }),
        }
    }

    /// Encodes the reply as the band sends it.
    pub fn encode(&self) -> Vec<u8> {
        let hi = |v: AuthVariant| match v {
            AuthVariant::Old => 0x00,
            AuthVariant::New => 0x80,
        };
        match self {
            AuthReply::KeyStored { code, .. } => vec![0x10, 0x01, *code],
            AuthReply::Random { variant, random } => {
                [&[0x10, hi(*variant) | 0x02, 0x01][..], random].concat()
            }
            AuthReply::RandomFailed { code } => vec![0x10, 0x02, *code],
            AuthReply::AuthOk(v) => vec![0x10, hi(*v) | 0x03, 0x01],
            AuthReply::AuthFailed { code } => vec![0x10, 0x03, *code],
        }
    }

    /// A human explanation of a failure code, for logs and `miband decode`.
    pub fn meaning(&self) -> &'static str {
        match self {
            AuthReply::KeyStored { ok: true, .. } => "key stored",
            AuthReply::KeyStored { ok: false, .. } => "key refused",
            AuthReply::Random { .. } => "random challenge",
            AuthReply::RandomFailed { .. } => "request random number error",
            AuthReply::AuthOk(_) => "authenticated",
            AuthReply::AuthFailed {
                code: STATUS_WRONG_KEY,
            } => "wrong auth key (or the hex text was sent instead of the decoded key)",
            AuthReply::AuthFailed { .. } => "authentication failed",
        }
    }
}

/// AES-128-ECB of one 16-byte block with the band's key: the answer to a challenge.
pub fn answer(key: &AuthKey, random: &[u8; 16]) -> [u8; 16] {
    let cipher = Aes128::new(key.bytes().into());
    let mut block = (*random).into();
    cipher.encrypt_block(&mut block);
    block.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes_match_protocol_md() {
        assert_eq!(
            AuthCommand::RequestRandom(AuthVariant::Old).encode(),
            [0x02, 0x00]
        );
        assert_eq!(
            AuthCommand::RequestRandom(AuthVariant::New).encode(),
            [0x82, 0x00, 0x02, 0x01, 0x00]
        );
        let a = AuthCommand::SendAnswer {
            variant: AuthVariant::New,
            answer: [7; 16],
        }
        .encode();
        assert_eq!(&a[..2], &[0x83, 0x00]);
        assert_eq!(a.len(), 18);
        assert_eq!(
            AuthCommand::decode(&[0x82, 0x00, 0x02]).unwrap(),
            AuthCommand::RequestRandom(AuthVariant::New)
        );
    }

    #[test]
    fn replies_decode_with_typed_meaning() {
        assert_eq!(
            AuthReply::decode(&[0x10, 0x03, 0x01]).unwrap(),
            AuthReply::AuthOk(AuthVariant::Old)
        );
        assert_eq!(
            AuthReply::decode(&[0x10, 0x83, 0x01]).unwrap(),
            AuthReply::AuthOk(AuthVariant::New)
        );
        assert_eq!(
            AuthReply::decode(&[0x10, 0x03, 0x08]).unwrap(),
            AuthReply::AuthFailed { code: 8 }
        );
        assert_eq!(
            AuthReply::decode(&[0x10, 0x03, 0x04]).unwrap(),
            AuthReply::AuthFailed { code: 4 }
        );
        assert_eq!(
            AuthReply::decode(&[0x10, 0x02, 0x04]).unwrap(),
            AuthReply::RandomFailed { code: 4 }
        );
        let mut r = vec![0x10, 0x82, 0x01];
        r.extend(1..=16u8);
        match AuthReply::decode(&r).unwrap() {
            AuthReply::Random { variant, random } => {
                assert_eq!(variant, AuthVariant::New);
                assert_eq!(random[0], 1);
                assert_eq!(random[15], 16);
            }
            other => panic!("{other:?}"),
        }
        assert!(AuthReply::decode(&[0x10, 0x02, 0x01, 0]).is_err());
        assert!(AuthReply::decode(&[0x11, 0x03, 0x01]).is_err());
    }

    #[test]
    fn aes_answer_matches_fips197_vector() {
        // FIPS-197 Appendix C.1: AES-128 of 00112233..ff under key 000102..0f.
        let key = AuthKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let pt: [u8; 16] = hex::decode("00112233445566778899aabbccddeeff")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            hex::encode(answer(&key, &pt)),
            "69c4e0d86a7b0430d8cdb78070b4c55a"
        );
    }
}
