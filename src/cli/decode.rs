//! `miband decode`: the CLI edge of the dissector. It parses arguments and hex, hands the bytes to
//! [`crate::dissect`] and prints one JSON object; a decode failure is one line on stderr and exit
//! code 1 (clap's own usage errors keep exit code 2).

use std::ffi::OsStr;

use chrono::{DateTime, FixedOffset};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;

use crate::dissect::{self, Kind, Options};
use crate::protocol::activity::SampleSize;
use crate::protocol::key::AuthKey;

const AFTER_HELP: &str = "\
HEX: bytes as hex digits; spaces, colons and 0x prefixes are ignored, so `0c 10 27`, \
`0c:10:27`, `0x0c 0x10 0x27` and `0c1027` are the same bytes.

For every kind except `activity`, all HEX arguments are joined into one message. For `activity`, \
each HEX argument is one 0x0005 packet (counter byte first), in the order received; quote a \
packet that contains spaces (\"00 01 10 05 48\"). The first packet's counter may be any value, \
the following ones must count up by one.

Output: one JSON object on stdout, exit 0. Bytes that do not decode: one line on stderr, exit 1.";

/// Arguments of `miband decode`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "HEX arguments are joined into one message, except for `activity` where each is one \
                  packet; see --help.",
    after_long_help = AFTER_HELP
)]
pub struct Args {
    /// What the bytes are.
    #[arg(value_name = "KIND")]
    pub kind: Kind,

    /// Auth key (32 hex digits, optionally 0x-prefixed): with `auth`, a random challenge also
    /// gives the exact bytes that answer it.
    #[arg(long, value_name = "HEX", env = "MIBAND_AUTH_KEY", hide_env_values = true,
          value_parser = KeyParser)]
    pub key: Option<AuthKey>,

    /// Bytes per activity sample: 4 (Mi Band 4) or 8 (Mi Band 5/6).
    #[arg(long, value_name = "4|8", default_value = "4", value_parser = parse_sample_size)]
    pub sample_size: SampleSize,

    /// Time of the first activity sample (RFC 3339, e.g. the fetch-control `start`); adds `time`
    /// to every sample, in this offset.
    #[arg(long, value_name = "RFC3339", value_parser = parse_start)]
    pub start: Option<DateTime<FixedOffset>>,

    /// The captured bytes (see below).
    #[arg(value_name = "HEX", required = true, num_args = 1..)]
    pub hex: Vec<String>,
}

impl clap::ValueEnum for Kind {
    fn value_variants<'a>() -> &'a [Self] {
        &Kind::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

/// Parses the key without ever putting the typed text into an error message: clap's usual
/// "invalid value '<text>'" would print the secret.
#[derive(Debug, Clone, Copy)]
struct KeyParser;

impl TypedValueParser for KeyParser {
    type Value = AuthKey;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<AuthKey, clap::Error> {
        let text = value.to_str().unwrap_or("\u{fffd}");
        AuthKey::from_hex(text).map_err(|e| {
            clap::Error::raw(ErrorKind::ValueValidation, format!("invalid --key: {e}\n"))
                .with_cmd(cmd)
        })
    }
}

fn parse_sample_size(s: &str) -> Result<SampleSize, String> {
    s.parse::<usize>()
        .ok()
        .and_then(SampleSize::from_bytes)
        .ok_or_else(|| "must be 4 or 8".to_string())
}

fn parse_start(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("not an RFC 3339 time like 2021-02-17T14:17:00+01:00 ({e})"))
}

/// Why a HEX argument is not bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is neither a hex digit nor an allowed separator.
    #[error("HEX argument {arg}: {ch:?} is not a hex digit")]
    NotHex {
        /// 1-based argument number.
        arg: usize,
        /// The offending character.
        ch: char,
    },
    /// A group of hex digits of odd length, e.g. `c` or `0x123`.
    #[error("HEX argument {arg}: {group:?} has an odd number of hex digits")]
    OddDigits {
        /// 1-based argument number.
        arg: usize,
        /// The group.
        group: String,
    },
}

/// Parses one HEX argument (`arg` is its 1-based number, for messages): groups separated by
/// whitespace or colons, each optionally `0x`-prefixed and of an even number of digits.
pub fn parse_hex(arg: usize, text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::new();
    for group in text.split(|c: char| c.is_whitespace() || c == ':') {
        let digits = group
            .strip_prefix("0x")
            .or_else(|| group.strip_prefix("0X"))
            .unwrap_or(group);
        if let Some(ch) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(HexError::NotHex { arg, ch });
        }
        if digits.len() % 2 != 0 {
            return Err(HexError::OddDigits {
                arg,
                group: group.to_string(),
            });
        }
        out.extend(
            digits
                .as_bytes()
                .chunks_exact(2)
                .map(|p| (hex_value(p[0]) << 4) | hex_value(p[1])),
        );
    }
    Ok(out)
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

/// Runs the subcommand; returns the process exit code.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let result = args
        .hex
        .iter()
        .enumerate()
        .map(|(i, h)| parse_hex(i + 1, h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
        .and_then(|packets| {
            let opts = Options {
                sample_size: args.sample_size,
                start: args.start,
                key: args.key,
            };
            dissect::dissect(args.kind, &packets, &opts).map_err(|e| e.to_string())
        });
    match result {
        Ok(json) => {
            println!("{json}");
            Ok(0)
        }
        Err(reason) => {
            eprintln!("miband decode: {reason}");
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_accepts_spaces_colons_and_prefixes() {
        let want = vec![0x0c, 0x10, 0x27];
        for t in [
            "0c 10 27",
            "0c:10:27",
            "0x0c 0x10 0X27",
            "0c1027",
            " 0C10\t27 ",
        ] {
            assert_eq!(parse_hex(1, t).unwrap(), want, "{t}");
        }
        assert_eq!(parse_hex(1, "").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn hex_errors_name_the_argument() {
        assert_eq!(
            parse_hex(2, "0c zz").unwrap_err().to_string(),
            "HEX argument 2: 'z' is not a hex digit"
        );
        assert_eq!(
            parse_hex(1, "0x123").unwrap_err().to_string(),
            "HEX argument 1: \"0x123\" has an odd number of hex digits"
        );
        assert!(parse_hex(1, "0c,10").is_err());
        assert!(parse_hex(1, "é").is_err());
    }
}
