//! Where each top-level key of a JSON object sits in the source text. serde_json gives values but
//! no positions; a problem with a setting must name its line, so this scans the (already parsed,
//! hence well-formed) text once and records each key's line. It also sees duplicate keys, which
//! serde_json silently collapses to the last one.

/// A top-level key and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    /// The key, unescaped.
    pub key: String,
    /// Its line.
    pub line: usize,
}

/// The line of the top-level value's first character, and every top-level key in order.
/// Only meaningful for text that is valid JSON.
pub fn top_level_keys(text: &str) -> (usize, Vec<KeyLine>) {
    let mut line = 1;
    let mut start_line = None;
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut keys = Vec::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        if start_line.is_none() && !c.is_whitespace() {
            start_line = Some(line);
        }
        match c {
            '\n' => line += 1,
            '"' => {
                let key_line = line;
                let Some(end) = skip_string(&mut chars, &mut line) else {
                    break;
                };
                if depth == 1 && expect_key {
                    let raw = &text[at..end];
                    let key = serde_json::from_str(raw).unwrap_or_else(|_| raw.to_string());
                    keys.push(KeyLine {
                        key,
                        line: key_line,
                    });
                    expect_key = false;
                }
            }
            '{' | '[' => {
                depth += 1;
                expect_key = depth == 1 && c == '{';
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expect_key = true,
            _ => {}
        }
    }
    (start_line.unwrap_or(1), keys)
}

/// Consumes a string body after its opening quote; returns the byte index after the closing one
/// (`None` if the text ends first, which valid JSON never does).
fn skip_string(chars: &mut std::str::CharIndices<'_>, line: &mut usize) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in chars.by_ref() {
        match c {
            '\n' => *line += 1,
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => return Some(at + 1),
            _ => {}
        }
        escaped = false;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_top_level_keys_only() {
        let text = "\n{\n  \"a\": 1,\n  \"b\": {\"inner\": \"x,\\\"y\"},\n  \"c\": [1, {\"d\": 2}],\n  \"e\\u0041\": \"multi\",\n  \"a\": 3\n}\n";
        let (start, keys) = top_level_keys(text);
        assert_eq!(start, 2);
        let got: Vec<(&str, usize)> = keys.iter().map(|k| (k.key.as_str(), k.line)).collect();
        assert_eq!(got, [("a", 3), ("b", 4), ("c", 5), ("eA", 6), ("a", 7)]);
    }

    #[test]
    fn values_that_look_like_keys_are_not_keys() {
        let (_, keys) = top_level_keys("{\"a\": \"b\", \"c\": \"d\"}");
        let got: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(got, ["a", "c"]);
    }
}
