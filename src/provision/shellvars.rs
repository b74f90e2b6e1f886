//! The `KEY=VALUE` shell syntax of ARCO's `configuration.conf`, which its Bash script `source`d.
//!
//! We read the subset such files use — comments, `export`, unquoted, `'single'` and `"double"`
//! quoted values (which may span lines), backslash escapes — and refuse what only a shell could
//! evaluate (`$VAR`, backquotes, `;`, `&`, ...), with the line, instead of guessing what Bash
//! would have made of it.

use std::iter::Peekable;
use std::str::Chars;

/// One `KEY=VALUE` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The variable name.
    pub key: String,
    /// The value with quotes and escapes resolved.
    pub value: String,
    /// 1-based line the assignment starts on.
    pub line: usize,
}

/// Something the file says that is not `KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxProblem {
    /// 1-based line.
    pub line: usize,
    /// What was expected.
    pub message: String,
}

struct Lexer<'a> {
    chars: Peekable<Chars<'a>>,
    line: usize,
}

impl Lexer<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\r')) {
            self.bump();
        }
    }

    /// Skips the rest of the line, newline included.
    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    fn word(&mut self) -> String {
        let mut w = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            w.push(c);
            self.bump();
        }
        w
    }
}

/// Parses the whole file: every assignment, and every problem with its line.
pub fn parse(text: &str) -> (Vec<Assignment>, Vec<SyntaxProblem>) {
    let mut lx = Lexer {
        chars: text.chars().peekable(),
        line: 1,
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    loop {
        lx.skip_blanks();
        match lx.peek() {
            None => break,
            Some('\n') => {
                lx.bump();
            }
            Some('#') => lx.skip_line(),
            Some(_) => match assignment(&mut lx) {
                Ok(a) => out.push(a),
                Err(p) => {
                    problems.push(p);
                    lx.skip_line();
                }
            },
        }
    }
    (out, problems)
}

fn assignment(lx: &mut Lexer) -> Result<Assignment, SyntaxProblem> {
    let line = lx.line;
    let problem = |message: String| SyntaxProblem { line, message };
    let mut key = lx.word();
    if key == "export" && matches!(lx.peek(), Some(' ' | '\t')) {
        lx.skip_blanks();
        key = lx.word();
    }
    let starts_ok = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_ok {
        return Err(problem("expected KEY=VALUE".into()));
    }
    if lx.peek() != Some('=') {
        return Err(problem(format!(
            "expected '=' right after {key} (KEY=VALUE, no spaces around '=')"
        )));
    }
    lx.bump();
    let value = value(lx, &key).map_err(problem)?;
    Ok(Assignment { key, value, line })
}

fn value(lx: &mut Lexer, key: &str) -> Result<String, String> {
    let mut v = String::new();
    loop {
        match lx.peek() {
            None | Some('\n') => return Ok(v),
            Some(' ' | '\t' | '\r') => {
                lx.skip_blanks();
                return match lx.peek() {
                    None | Some('\n') => Ok(v),
                    Some('#') => {
                        lx.skip_line();
                        Ok(v)
                    }
                    Some(_) => Err(format!(
                        "unexpected text after the value of {key} (quote values that contain spaces)"
                    )),
                };
            }
            Some('\'') => {
                lx.bump();
                loop {
                    match lx.bump() {
                        None => return Err(format!("unterminated single quote in {key}")),
                        Some('\'') => break,
                        Some(c) => v.push(c),
                    }
                }
            }
            Some('"') => {
                lx.bump();
                double_quoted(lx, key, &mut v)?;
            }
            Some('\\') => {
                lx.bump();
                match lx.bump() {
                    None | Some('\n') => {}
                    Some(c) => v.push(c),
                }
            }
            Some(c @ ('$' | '`')) => return Err(expansion(key, c)),
            Some(c @ (';' | '&' | '|' | '<' | '>' | '(' | ')')) => {
                return Err(format!(
                    "unquoted '{c}' in {key} is shell syntax; put the value in single quotes"
                ))
            }
            Some(c) => {
                v.push(c);
                lx.bump();
            }
        }
    }
}

fn double_quoted(lx: &mut Lexer, key: &str, v: &mut String) -> Result<(), String> {
    loop {
        match lx.bump() {
            None => return Err(format!("unterminated double quote in {key}")),
            Some('"') => return Ok(()),
            Some('\\') => match lx.bump() {
                None => return Err(format!("unterminated double quote in {key}")),
                Some('\n') => {}
                Some(c @ ('$' | '`' | '"' | '\\')) => v.push(c),
                Some(c) => {
                    v.push('\\');
                    v.push(c);
                }
            },
            Some(c @ ('$' | '`')) => return Err(expansion(key, c)),
            Some(c) => v.push(c),
        }
    }
}

fn expansion(key: &str, c: char) -> String {
    format!(
        "'{c}' in {key} would be expanded by a shell; write \\{c} or put the value in single quotes"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Assignment {
        let (a, p) = parse(text);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(a.len(), 1, "{a:?}");
        a.into_iter().next().unwrap()
    }

    fn problem(text: &str) -> SyntaxProblem {
        let (_, p) = parse(text);
        assert_eq!(p.len(), 1, "{p:?}");
        p.into_iter().next().unwrap()
    }

    #[test]
    fn arco_sample_parses() {
        let (a, p) = parse(
            "# Grafana DB user\nDBNAME=miband\nDBUSER=grafana\nDBPASSWORD=secret\n\nDBHOST=localhost\nDBPORT=5432\n",
        );
        assert!(p.is_empty());
        let kv: Vec<(&str, &str, usize)> = a
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str(), a.line))
            .collect();
        assert_eq!(
            kv,
            [
                ("DBNAME", "miband", 2),
                ("DBUSER", "grafana", 3),
                ("DBPASSWORD", "secret", 4),
                ("DBHOST", "localhost", 6),
                ("DBPORT", "5432", 7)
            ]
        );
    }

    #[test]
    fn quoting_forms() {
        assert_eq!(one("export A='x $y \"z\"'").value, "x $y \"z\"");
        assert_eq!(one("A=\"a\\\"b\\\\c\\$d\\n\"").value, "a\"b\\c$d\\n");
        assert_eq!(one("A=a\\ b  # comment").value, "a b");
        assert_eq!(one("A='multi\nline'\n").value, "multi\nline");
        assert_eq!(one("A=").value, "");
        assert_eq!(one("A=x'y z'\"!\"").value, "xy z!");
    }

    #[test]
    fn lines_count_across_multiline_values() {
        let (a, _) = parse("A='1\n2\n3'\nB=4\n");
        assert_eq!(a[1].line, 4);
    }

    #[test]
    fn shell_only_constructs_are_refused_with_their_line() {
        let p = problem("A=1\nB=$HOME\n");
        assert_eq!(p.line, 2);
        assert!(p.message.contains("single quotes"), "{}", p.message);
        assert_eq!(problem("A=\"x`y`\"").line, 1);
        assert_eq!(problem("A=x;y").line, 1);
        assert!(problem("A=one two").message.contains("quote"));
        assert!(problem("A = 1").message.contains("no spaces"));
        assert!(problem("=1").message.contains("KEY=VALUE"));
        assert!(problem("A='open\n").message.contains("unterminated"));
    }

    #[test]
    fn any_input_is_handled_without_panicking() {
        for text in [
            "\"",
            "'",
            "\\",
            "A=\\",
            "A=\"\\",
            "export",
            "export ",
            "\u{0}=\u{0}",
        ] {
            let _ = parse(text);
        }
    }
}
