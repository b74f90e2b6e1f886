//! The band's answers on the auth characteristic 0x0009 (docs/protocol.md §2.1).

use serde_json::{json, Value};

use super::DissectError;
use crate::protocol::auth::{answer, AuthCommand, AuthReply};
use crate::protocol::key::AuthKey;

/// `{"message","code"?,"random"?,"answer"?}`. `code` is the status byte of a failure; `random`
/// the challenge; with a key, `answer` is the exact write that answers it (`03 00`/`83 00` +
/// AES, in the framing the band used), so a capture can be checked against a known key.
pub fn auth(b: &[u8], key: Option<&AuthKey>) -> Result<Value, DissectError> {
    Ok(match AuthReply::decode(b)? {
        AuthReply::KeyStored { ok: true, .. } => json!({ "message": "key_stored" }),
        AuthReply::KeyStored { ok: false, code } => {
            json!({ "message": "key_refused", "code": code })
        }
        AuthReply::Random { variant, random } => {
            let mut v = json!({ "message": "random", "random": hex::encode(random) });
            if let Some(k) = key {
                let write = AuthCommand::SendAnswer {
                    variant,
                    answer: answer(k, &random),
                };
                v["answer"] = json!(hex::encode(write.encode()));
            }
            v
        }
        AuthReply::RandomFailed { code } => json!({ "message": "random_failed", "code": code }),
        AuthReply::AuthOk(_) => json!({ "message": "auth_ok" }),
        AuthReply::AuthFailed { code } => json!({ "message": "auth_failed", "code": code }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_variant_random_gets_an_83_answer() {
        // FIPS-197 C.1 key and plaintext, sent as a `10 82 01` challenge.
        let key = AuthKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let mut b = vec![0x10, 0x82, 0x01];
        b.extend(hex::decode("00112233445566778899aabbccddeeff").unwrap());
        assert_eq!(
            auth(&b, Some(&key)).unwrap().to_string(),
            r#"{"message":"random","random":"00112233445566778899aabbccddeeff","answer":"830069c4e0d86a7b0430d8cdb78070b4c55a"}"#
        );
        assert_eq!(
            auth(&[0x10, 0x01, 0x04], None).unwrap().to_string(),
            r#"{"message":"key_refused","code":4}"#
        );
    }
}
