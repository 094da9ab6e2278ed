//! From file bytes to text: gzip, byte-order marks and character encodings.
//!
//! Electoral authorities publish UTF-8 (often with a BOM, e.g. Venezuela's and Bolivia's CSVs),
//! Windows-1252/Latin-1 (Spanish and Portuguese spreadsheets), Windows-1251 (Russian CEC exports) and
//! UTF-16 (Excel "Unicode text"). A file that is not valid UTF-8 and has no declared encoding is an
//! error naming the byte and the line, with the line to add to the mapping; we never guess silently,
//! because a wrong guess garbles names without failing.

use anyhow::bail;
use encoding_rs::Encoding;
use std::io::Read;
use std::path::Path;

/// Whether bytes start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Whether bytes are a Parquet file (magic `PAR1` at both ends).
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1")
}

/// Decompress gzip (possibly multi-member) into memory, stopping one byte past `max` (the caller
/// refuses an output that long: a gzip bomb never gets further).
pub fn gunzip(bytes: &[u8], path: &Path, max: u64) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8).min(max as usize));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| {
            anyhow::anyhow!(
                "{}: cannot decompress gzip data ({e}); the file may be truncated: download it again",
                path.display()
            )
        })?;
    Ok(out)
}

/// Decode text bytes. `declared` is the mapping's `[format] encoding`, if any.
/// Returns the text (without BOM) and the encoding name used.
pub fn decode_text(
    bytes: Vec<u8>,
    declared: Option<&str>,
    path: &Path,
) -> anyhow::Result<(String, &'static str)> {
    // A BOM wins over everything: it is unambiguous.
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        if encoding == encoding_rs::UTF_8 {
            let mut bytes = bytes;
            bytes.drain(..bom_len);
            return utf8(bytes, path).map(|s| (s, "UTF-8 (with BOM)"));
        }
        let (text, _, had_errors) = encoding.decode(&bytes);
        if had_errors {
            bail!(
                "{}: invalid {} data after its byte-order mark",
                path.display(),
                encoding.name()
            );
        }
        return Ok((text.into_owned(), encoding.name()));
    }
    match declared {
        None => utf8(bytes, path).map(|s| (s, "UTF-8")),
        Some(label) => {
            let Some(encoding) = Encoding::for_label(label.trim().as_bytes()) else {
                bail!(
                    "{}: unknown encoding {label:?} in the mapping; use a standard name such as \"utf-8\", \"windows-1252\" or \"windows-1251\"",
                    path.display()
                );
            };
            if encoding == encoding_rs::UTF_8 {
                return utf8(bytes, path).map(|s| (s, "UTF-8"));
            }
            let (text, _) = encoding.decode_without_bom_handling(&bytes);
            Ok((text.into_owned(), encoding.name()))
        }
    }
}

fn utf8(bytes: Vec<u8>, path: &Path) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let byte = bytes.get(at).copied().unwrap_or(0);
        anyhow::anyhow!(
            "{}: not valid UTF-8 (byte 0x{byte:02X} on line {line}); declare the encoding with --encoding on the command line (e.g. --encoding windows-1252 for Latin-1, Western Europe, or --encoding windows-1251 for Cyrillic) or in the dataset's mapping file ([format] encoding = \"windows-1252\")",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("x.csv")
    }

    #[test]
    fn strips_utf8_bom() {
        let (t, enc) = decode_text(b"\xEF\xBB\xBFCOD_EDO,EDO\n".to_vec(), None, p()).unwrap();
        assert_eq!(t, "COD_EDO,EDO\n");
        assert_eq!(enc, "UTF-8 (with BOM)");
    }

    #[test]
    fn decodes_declared_latin1_and_utf16() {
        let (t, _) = decode_text(b"Regi\xF3n;Ni\xF1o".to_vec(), Some("windows-1252"), p()).unwrap();
        assert_eq!(t, "Región;Niño");
        let (t, _) = decode_text(b"Regi\xF3n".to_vec(), Some("latin1"), p()).unwrap();
        assert_eq!(t, "Región");
        let utf16: Vec<u8> = [0xFF, 0xFE, b'a', 0, b'\t', 0, b'b', 0].to_vec();
        let (t, enc) = decode_text(utf16, None, p()).unwrap();
        assert_eq!((t.as_str(), enc), ("a\tb", "UTF-16LE"));
        let (t, _) = decode_text("Явка".as_bytes().to_vec(), None, p()).unwrap();
        assert_eq!(t, "Явка");
    }

    #[test]
    fn undeclared_latin1_is_a_clear_error() {
        let err = decode_text(b"a,b\nRegi\xF3n,1\n".to_vec(), None, p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("encoding = \"windows-1252\""), "{err}");
        let err = decode_text(b"a".to_vec(), Some("klingon"), p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown encoding"), "{err}");
    }

    #[test]
    fn recognises_gzip_and_parquet_magic() {
        assert!(is_gzip(&[0x1f, 0x8b, 8]));
        assert!(!is_gzip(b"a,b"));
        assert!(is_parquet(b"PAR1....PAR1"));
        assert!(!is_parquet(b"PAR1"));
    }
}
