//! The database password: `db_passwd` (miband-dc's key), its documented alias `db_password`
//! (accepted with a warning), or `db_password_env`, the name of an environment variable holding
//! it, so the password need not sit in a world-readable file. Exactly one of them.

use super::fields::Fields;
use super::secret::Secret;

const WHAT: &str = "a string, the database user's password";

/// Reads the password, reporting conflicts and missing values; `None` after an error.
pub fn read(f: &mut Fields, env: &dyn Fn(&str) -> Option<String>) -> Option<Secret> {
    let passwd = f.has("db_passwd");
    let alias = f.has("db_password");
    let from_env = f.has("db_password_env");
    if passwd && alias {
        f.error(
            "db_password",
            "db_password: expected only one of \"db_passwd\" and \"db_password\" (the same setting), found both",
        );
        return None;
    }
    let key = if alias { "db_password" } else { "db_passwd" };
    if from_env && (passwd || alias) {
        f.error(
            "db_password_env",
            format!(
                "db_password_env: expected either a password in {key:?} or the name of a variable holding it, found both"
            ),
        );
        return None;
    }
    if from_env {
        return read_env(f, env);
    }
    if alias {
        f.warn(
            "db_password",
            "db_password: read as \"db_passwd\", the key miband-dc reads; rename it",
        );
    }
    if !passwd && !alias {
        f.missing(
            "db_passwd",
            "a string, the database user's password (or \"db_password_env\", the name of an environment variable holding it)",
        );
        return None;
    }
    let value = f.get(if alias { "db_password" } else { "db_passwd" });
    match value {
        Some(serde_json::Value::String(s)) => Some(Secret::new(s.clone())),
        other => {
            f.wrong(key, WHAT, other.unwrap_or(&serde_json::Value::Null), true);
            None
        }
    }
}

fn read_env(f: &mut Fields, env: &dyn Fn(&str) -> Option<String>) -> Option<Secret> {
    let what = "the name of an environment variable, such as \"MIBAND_DB_PASSWORD\"";
    let value = f.get("db_password_env");
    let name = match value {
        Some(serde_json::Value::String(s)) if is_variable_name(s) => s,
        other => {
            f.wrong(
                "db_password_env",
                what,
                other.unwrap_or(&serde_json::Value::Null),
                false,
            );
            return None;
        }
    };
    match env(name) {
        Some(password) => Some(Secret::new(password)),
        None => {
            f.error(
                "db_password_env",
                format!(
                    "db_password_env: expected environment variable {name} to hold the database password, but it is not set"
                ),
            );
            None
        }
    }
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
