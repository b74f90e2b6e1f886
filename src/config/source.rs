//! Reading a configuration file into text, with the file's place in every failure.

use std::path::Path;

use super::error::Diagnostic;

/// Reads `path` as UTF-8 text (a leading byte-order mark, as Windows editors write, is dropped).
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::whole_file(path, format!("cannot read the file: {e}")))?;
    decode(path, bytes)
}

/// Decodes file contents, pointing at the line of the first byte that is not UTF-8.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
            Err(Diagnostic::at(
                path,
                line,
                "expected UTF-8 text, found bytes in another encoding",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_bom_and_locates_bad_bytes() {
        let p = Path::new("f");
        assert_eq!(decode(p, b"\xef\xbb\xbfa\n".to_vec()).unwrap(), "a\n");
        let err = decode(p, b"a\nb\n\xffc".to_vec()).unwrap_err();
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn missing_file_is_a_diagnostic() {
        let err = read_text(Path::new("/nonexistent/devices.csv")).unwrap_err();
        assert!(err.to_string().starts_with(
            "/nonexistent/devices.csv: cannot read the file: No such file or directory"
        ));
    }
}
