//! Escaping for values put into rendered JSON, JavaScript and YAML files.
//!
//! Every `{{ value }}` in `templates/*.json`, `*.js` and `*.yaml` goes through one of these
//! escapers (configured in `askama.toml`), and templates always put string values inside double
//! quotes. The output is the *content* of a double-quoted string that is valid in JSON, in
//! JavaScript and in YAML at once, so a band name or password holding quotes, backslashes,
//! newlines, `/`, `&` or `{{` can never break a file (ARCO's `sed` did). YAML's printable set is
//! narrower than JSON's, so C1 controls, DEL and the BOM are escaped too.

use std::fmt::{self, Write};

/// Writes `s` as the content of a double-quoted JSON/JS/YAML string.
fn write_quoted_content<W: Write>(mut dest: W, s: &str, double_dollar: bool) -> fmt::Result {
    for c in s.chars() {
        match c {
            '"' => dest.write_str("\\\"")?,
            '\\' => dest.write_str("\\\\")?,
            '\n' => dest.write_str("\\n")?,
            '\r' => dest.write_str("\\r")?,
            '\t' => dest.write_str("\\t")?,
            '$' if double_dollar => dest.write_str("$$")?,
            c if needs_unicode_escape(c) => write!(dest, "\\u{:04X}", c as u32)?,
            c => dest.write_char(c)?,
        }
    }
    Ok(())
}

/// Characters that are not printable in YAML or are line breaks in JavaScript.
fn needs_unicode_escape(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7F..=0x9F).contains(&u)
        || matches!(u, 0x2028 | 0x2029 | 0xFEFF | 0xFFFE | 0xFFFF)
}

/// Escaper for `*.json` and `*.js` templates: JSON string content.
#[derive(Debug, Clone, Copy)]
pub struct JsonString;

impl askama::filters::Escaper for JsonString {
    fn write_escaped_str<W: Write>(&self, dest: W, string: &str) -> fmt::Result {
        write_quoted_content(dest, string, false)
    }
}

/// Escaper for `*.yaml` provisioning templates: YAML double-quoted content, plus `$` doubled
/// because Grafana expands `$VAR`, `${VAR}` and `$__env{VAR}` in every provisioning value and
/// reads `$$` as a literal `$` (pkg/services/provisioning/values). A password `pa$word` must
/// reach Grafana as `pa$word`, not as `pa` + the variable `word`.
#[derive(Debug, Clone, Copy)]
pub struct ProvisioningYaml;

impl askama::filters::Escaper for ProvisioningYaml {
    fn write_escaped_str<W: Write>(&self, dest: W, string: &str) -> fmt::Result {
        write_quoted_content(dest, string, true)
    }
}

/// `s` as a complete double-quoted JSON (and JavaScript) string literal, for text reports.
pub fn json_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    // Writing into a String cannot fail.
    let _ = write_quoted_content(&mut out, s, false);
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "a\"b\\c/d&e\nf{{g}}$h\u{0}\u{85}\u{2028}\u{7f}'é🙂";

    #[test]
    fn json_literal_round_trips_through_serde_json() {
        let lit = json_literal(NASTY);
        let back: String = serde_json::from_str(&lit).unwrap();
        assert_eq!(back, NASTY);
        assert!(!lit.contains('\n'));
    }

    #[test]
    fn json_content_round_trips_through_yaml() {
        let lit = json_literal(NASTY);
        let back: String = serde_norway::from_str(&lit).unwrap();
        assert_eq!(back, NASTY);
    }

    #[test]
    fn provisioning_yaml_doubles_dollars_only() {
        let mut out = String::new();
        askama::filters::Escaper::write_escaped_str(&ProvisioningYaml, &mut out, "a$b$$c\"")
            .unwrap();
        assert_eq!(out, "a$$b$$$$c\\\"");
    }
}
