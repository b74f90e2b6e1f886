//! Grafana's PostgreSQL macro expansion, reproduced so tests can run the exact SQL Grafana
//! would send (docs/compatibility.md §4.3; Grafana's `sqleng` Interpolate then `macros.go`).
//!
//! Order matters and is Grafana's: first the global substitutions (`$__interval_ms`,
//! `$__interval`, `$__unixEpochFrom()`, `$__unixEpochTo()`), then every `$name(args)` in one
//! left-to-right pass. Times are UTC RFC 3339 with trailing zero fractions dropped (Go's
//! `RFC3339Nano`); interval seconds print like Go's `%v` (`86400`, `1e+06`).

use chrono::{DateTime, Timelike, Utc};
use std::time::Duration;

/// Why a query could not be expanded (Grafana would fail the query the same way).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacroError {
    /// `$__foo(...)` that Grafana does not know.
    #[error("unknown macro \"{0}\"")]
    Unknown(String),
    /// A macro without its required arguments.
    #[error("macro {0} needs {1}")]
    Arguments(String, &'static str),
    /// An interval Grafana could not parse either.
    #[error("error parsing interval {0}")]
    Interval(String),
}

/// What Grafana knows when it runs a query: the time range and the query interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryContext {
    /// Start of the dashboard range.
    pub from: DateTime<Utc>,
    /// End of the dashboard range.
    pub to: DateTime<Utc>,
    /// `$__interval` (range / max data points, at least the panel's min interval).
    pub interval: Duration,
}

/// Expands `sql` as Grafana's PostgreSQL datasource (without TimescaleDB) does.
pub fn expand(sql: &str, ctx: &QueryContext) -> Result<String, MacroError> {
    let sql = sql
        .replace(
            "$__interval_ms",
            &(ctx.interval.as_millis() as u64).to_string(),
        )
        .replace("$__interval", &format_interval(ctx.interval))
        .replace("$__unixEpochFrom()", &ctx.from.timestamp().to_string())
        .replace("$__unixEpochTo()", &ctx.to.timestamp().to_string());
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql.as_str();
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        match macro_call(&rest[pos..]) {
            Some((whole, name, args)) => {
                let mut name = name.to_string();
                // Grafana < 5.3 compatibility: `$__timeGroup(...)` directly followed by `,`
                // (at its first occurrence in the query) gets an alias.
                if name == "__timeGroup" {
                    if let Some(i) = sql.find(whole) {
                        if sql[i + whole.len()..].starts_with(',') {
                            name = "__timeGroupAlias".into();
                        }
                    }
                }
                let args: Vec<&str> = args.split(',').map(|a| a.trim_matches(' ')).collect();
                out.push_str(&evaluate(&name, &args, ctx)?);
                rest = &rest[pos + whole.len()..];
            }
            None => {
                out.push('$');
                rest = &rest[pos + 1..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Matches Grafana's `\$([_a-zA-Z0-9]+)\(([^\)]*)\)` at the start of `s`.
fn macro_call(s: &str) -> Option<(&str, &str, &str)> {
    let body = s.strip_prefix('$')?;
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    if name_len == 0 || !body[name_len..].starts_with('(') {
        return None;
    }
    let args_start = name_len + 1;
    let close = body[args_start..].find(')')? + args_start;
    Some((
        &s[..1 + close + 1],
        &body[..name_len],
        &body[args_start..close],
    ))
}

fn evaluate(name: &str, args: &[&str], ctx: &QueryContext) -> Result<String, MacroError> {
    // Like Grafana, an empty argument list still has one (empty) argument.
    let column = || {
        args.first()
            .copied()
            .ok_or_else(|| MacroError::Arguments(name.into(), "a time column"))
    };
    let from = rfc3339_nano(ctx.from);
    let to = rfc3339_nano(ctx.to);
    Ok(match name {
        "__time" => format!("{} AS \"time\"", column()?),
        "__timeEpoch" => format!("extract(epoch from {}) as \"time\"", column()?),
        "__timeFilter" => format!("{} BETWEEN '{from}' AND '{to}'", column()?),
        "__timeFrom" => format!("'{from}'"),
        "__timeTo" => format!("'{to}'"),
        "__timeGroup" | "__timeGroupAlias" => {
            let secs = group_seconds(name, args)?;
            let alias = if name == "__timeGroupAlias" {
                " AS \"time\""
            } else {
                ""
            };
            format!(
                "floor(extract(epoch from {})/{secs})*{secs}{alias}",
                args[0]
            )
        }
        "__unixEpochFilter" => {
            let c = column()?;
            format!(
                "{c} >= {} AND {c} <= {}",
                ctx.from.timestamp(),
                ctx.to.timestamp()
            )
        }
        "__unixEpochNanoFilter" => {
            let c = column()?;
            format!("{c} >= {} AND {c} <= {}", nanos(ctx.from), nanos(ctx.to))
        }
        "__unixEpochNanoFrom" => nanos(ctx.from).to_string(),
        "__unixEpochNanoTo" => nanos(ctx.to).to_string(),
        "__unixEpochGroup" | "__unixEpochGroupAlias" => {
            let secs = group_seconds(name, args)?;
            let alias = if name == "__unixEpochGroupAlias" {
                " AS \"time\""
            } else {
                ""
            };
            format!("floor(({})/{secs})*{secs}{alias}", args[0])
        }
        other => return Err(MacroError::Unknown(other.into())),
    })
}

/// The interval argument of a group macro, as Go's `%v` prints its seconds. The optional fill
/// argument changes Grafana's post-processing, not the SQL.
fn group_seconds(name: &str, args: &[&str]) -> Result<String, MacroError> {
    if args.len() < 2 {
        return Err(MacroError::Arguments(
            name.into(),
            "time column and interval and optional fill value",
        ));
    }
    let interval = parse_interval(args[1].trim_matches('\''))
        .ok_or_else(|| MacroError::Interval(args[1].into()))?;
    Ok(go_float(interval.as_secs_f64()))
}

fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Go's `time.RFC3339Nano` in UTC: fraction only when non-zero, trailing zeros dropped.
pub fn rfc3339_nano(t: DateTime<Utc>) -> String {
    let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let ns = t.nanosecond() % 1_000_000_000;
    if ns != 0 {
        let frac = format!("{ns:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Go's `%v` of a float64: shortest digits, in exponent form when the decimal exponent is below
/// -4 or at least 6 (strconv's `'g'` with shortest precision).
fn go_float(f: f64) -> String {
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// Grafana's `gtime.FormatInterval`: the largest whole unit.
pub fn format_interval(d: Duration) -> String {
    const UNITS: [(u128, &str); 6] = [
        (365 * 86_400_000, "y"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
        (1, "ms"),
    ];
    let ms = d.as_millis();
    for (unit, suffix) in UNITS {
        if ms >= unit {
            return format!("{}{suffix}", ms / unit);
        }
    }
    "1ms".into()
}

/// Grafana's `gtime.ParseInterval` for `<n>d`, `<n>w` and Go durations (`1m`, `1h30m`,
/// `1.5h`, `500ms`). Calendar units (`M`, `y`) are refused.
pub fn parse_interval(s: &str) -> Option<Duration> {
    if let Some(n) = s.strip_suffix('d').and_then(|n| n.parse::<u64>().ok()) {
        return Some(Duration::from_secs(n * 86_400));
    }
    if let Some(n) = s.strip_suffix('w').and_then(|n| n.parse::<u64>().ok()) {
        return Some(Duration::from_secs(n * 7 * 86_400));
    }
    go_duration(s)
}

fn go_duration(s: &str) -> Option<Duration> {
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx() -> QueryContext {
        QueryContext {
            from: Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2024, 3, 8, 12, 30, 0).unwrap()
                + chrono::Duration::milliseconds(500),
            interval: Duration::from_secs(300),
        }
    }

    #[test]
    fn time_macros_expand_like_macros_go() {
        let c = ctx();
        let e = |s: &str| expand(s, &c).unwrap();
        assert_eq!(
            e("WHERE $__timeFilter(ts)"),
            "WHERE ts BETWEEN '2024-03-01T00:00:00Z' AND '2024-03-08T12:30:00.5Z'"
        );
        assert_eq!(e("SELECT $__time(ts)"), "SELECT ts AS \"time\"");
        assert_eq!(e("$__timeEpoch(ts)"), "extract(epoch from ts) as \"time\"");
        assert_eq!(e("$__timeFrom()"), "'2024-03-01T00:00:00Z'");
        assert_eq!(e("$__timeTo()"), "'2024-03-08T12:30:00.5Z'");
        assert_eq!(
            e("$__unixEpochFilter(t)"),
            "t >= 1709251200 AND t <= 1709901000"
        );
        assert_eq!(
            e("$__unixEpochFrom() $__unixEpochTo()"),
            "1709251200 1709901000"
        );
        assert_eq!(
            e("$__unixEpochGroupAlias(t, '1h')"),
            "floor((t)/3600)*3600 AS \"time\""
        );
    }

    #[test]
    fn time_group_and_interval() {
        let c = ctx();
        let e = |s: &str| expand(s, &c).unwrap();
        assert_eq!(
            e("SELECT $__timeGroupAlias(ts, $__interval)"),
            "SELECT floor(extract(epoch from ts)/300)*300 AS \"time\""
        );
        assert_eq!(
            e("GROUP BY $__timeGroup(ts, '1d')"),
            "GROUP BY floor(extract(epoch from ts)/86400)*86400"
        );
        // The pre-5.3 form: followed by a comma, it gets the alias.
        assert_eq!(
            e("SELECT $__timeGroup(ts,'30d', 0), x"),
            "SELECT floor(extract(epoch from ts)/2.592e+06)*2.592e+06 AS \"time\", x"
        );
        assert_eq!(e("$__interval_ms $__interval"), "300000 5m");
    }

    #[test]
    fn non_macros_pass_and_unknown_macros_fail() {
        let c = ctx();
        assert_eq!(expand("SELECT $1, '$x'", &c).unwrap(), "SELECT $1, '$x'");
        assert_eq!(
            expand("$__nope(a)", &c),
            Err(MacroError::Unknown("__nope".into()))
        );
        assert!(matches!(
            expand("$__timeGroup(ts)", &c),
            Err(MacroError::Arguments(..))
        ));
        assert!(matches!(
            expand("$__timeGroup(ts, 'soon')", &c),
            Err(MacroError::Interval(_))
        ));
    }

    #[test]
    fn intervals() {
        assert_eq!(format_interval(Duration::from_secs(86_400 * 2 + 5)), "2d");
        assert_eq!(format_interval(Duration::from_millis(1500)), "1s");
        assert_eq!(format_interval(Duration::from_micros(10)), "1ms");
        assert_eq!(parse_interval("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_interval("2w"), Some(Duration::from_secs(1_209_600)));
        assert_eq!(parse_interval("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_interval("1M"), None);
        assert_eq!(go_float(86400.0), "86400");
        assert_eq!(go_float(604800.0), "604800");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(0.5), "0.5");
    }
}
