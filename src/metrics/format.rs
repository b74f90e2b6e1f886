//! The two exposition formats `/metrics` speaks, and which one a client gets.
//!
//! Prometheus asks for OpenMetrics first in its default `Accept` (2.x:
//! `application/openmetrics-text;version=1.0.0,…;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`),
//! so it gets OpenMetrics. Everybody else — `promtool check metrics`, `curl`, a browser, a client
//! sending `text/plain; version=0.0.4`, or no `Accept` at all — gets the classic text format,
//! which is what they can parse (promtool reads only that one, docs/testing.md §5).
//!
//! The classic text is derived from the OpenMetrics rendering line by line: the two differ, for
//! what we export, only in counter family names (OpenMetrics names the family without `_total`,
//! the classic format with it), in the `# UNIT` lines and in the final `# EOF`.

use super::names::{self, Kind};

/// OpenMetrics 1.0 (Prometheus 3 refuses a scrape without a parsable content type).
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The classic Prometheus text format.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// OpenMetrics 1.0 text.
    OpenMetrics,
    /// Prometheus text format 0.0.4.
    Text,
}

impl Format {
    /// The `Content-Type` of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Format::Text => TEXT_CONTENT_TYPE,
        }
    }
}

/// The format for a request's `Accept` header: OpenMetrics when it is acceptable and preferred
/// at least as much as the classic text (by `q`), else the classic text.
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text;
    };
    let mut openmetrics: f32 = 0.0;
    let mut text: f32 = 0.0;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/openmetrics-text" => openmetrics = openmetrics.max(q),
            "text/plain" => text = text.max(q),
            _ => {}
        }
    }
    if openmetrics > 0.0 && openmetrics >= text {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

/// The classic text format of an OpenMetrics body written by our exporter.
pub fn classic_from_openmetrics(openmetrics: &str) -> String {
    let counters: Vec<&str> = names::ALL
        .iter()
        .filter(|m| m.kind == Kind::Counter)
        .map(|m| m.registered_name())
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 64);
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find(|p| line.starts_with(p));
        if let Some(prefix) = meta {
            let rest = &line[prefix.len()..];
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            if counters.contains(&name) {
                out.push_str(prefix);
                out.push_str(name);
                out.push_str("_total ");
                out.push_str(tail);
                out.push('\n');
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_default_accept_gets_openmetrics() {
        // Prometheus 2.x and 3.x scrape Accept headers.
        for accept in [
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8,application/openmetrics-text;version=0.0.1;q=0.9,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.8,text/plain;version=0.0.4;q=0.7,*/*;q=0.6",
        ] {
            assert_eq!(negotiate(Some(accept)), Format::OpenMetrics, "{accept}");
        }
    }

    #[test]
    fn everybody_else_gets_the_classic_text() {
        for accept in [
            None,
            Some("text/plain; version=0.0.4"),
            Some("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5"),
            Some("*/*"),
            Some("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some("application/openmetrics-text;q=0"),
            Some(""),
        ] {
            assert_eq!(negotiate(accept), Format::Text, "{accept:?}");
        }
        assert_eq!(
            Format::Text.content_type(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
    }

    #[test]
    fn counters_take_their_total_name_and_openmetrics_only_lines_go() {
        let om = "# HELP miband_up Up.\n# TYPE miband_up gauge\nmiband_up{id=\"1\"} 1\n\
                  # HELP miband_samples_stored Samples.\n# TYPE miband_samples_stored counter\n\
                  miband_samples_stored_total{id=\"1\"} 5\n# UNIT miband_x seconds\n# EOF\n";
        assert_eq!(
            classic_from_openmetrics(om),
            "# HELP miband_up Up.\n# TYPE miband_up gauge\nmiband_up{id=\"1\"} 1\n\
             # HELP miband_samples_stored_total Samples.\n# TYPE miband_samples_stored_total counter\n\
             miband_samples_stored_total{id=\"1\"} 5\n"
        );
    }
}
