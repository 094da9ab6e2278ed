//! Reading tally files as publishers produce them, and finding the datasets in an input folder.
//!
//! Only this module reads input files; inputs are opened read-only and never modified. A file's
//! kind is recognised from its bytes (gzip and Parquet magic numbers, spreadsheet containers,
//! and the binary files that are not tables: PDF, images, archives), not only its name.

pub mod decode;
pub mod delimited;
pub mod discover;
pub mod number;
pub mod parquet;
pub mod spreadsheet;

use std::path::{Path, PathBuf};

use crate::text::hex;
use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use crate::mapping::FormatSection;

/// Default null markers (besides the empty cell), case-sensitive after trimming.
pub const DEFAULT_NULL_MARKERS: [&str; 6] = ["", "NA", "N/A", "<null>", "null", "NULL"];

/// Convert a declared delimiter (`","`, `";"`, `"\t"`, `"tab"`, `"|"`) to its byte.
pub fn delimiter_byte(declared: &str) -> anyhow::Result<u8> {
    match declared {
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        d if d.len() == 1 && d.is_ascii() && !d.as_bytes()[0].is_ascii_alphanumeric() && d != "\"" => {
            Ok(d.as_bytes()[0])
        }
        d => bail!("[format] delimiter must be one ASCII character such as \",\", \";\", \"\\t\" or \"|\" (got {d:?})"),
    }
}

/// Bounds on one input file, so that a huge or hostile file (a gzip bomb, a 2 GB export) is refused
/// with a message naming the limit and the option that raises it, instead of exhausting memory.
/// The whole file is held in memory as text while its rows are parsed, and each row then takes
/// a few hundred bytes (README.md, "Resource bounds").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of a file, as stored and after decompression (`--max-input-bytes`).
    pub max_input_bytes: u64,
    /// Most data rows of a file (`--max-rows`).
    pub max_rows: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_input_bytes: 2 << 30,
            max_rows: 10_000_000,
        }
    }
}

/// Bytes for people: 2.0 GiB, 512.0 MiB, 900 bytes.
pub fn fmt_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n => format!("{n} bytes"),
    }
}

/// A size on the command line: bytes, or with a K, M, G or T suffix (powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("unknown size suffix in {text:?}: use K, M, G or T")),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is not a size: give bytes, or e.g. 512M, 4G"))
}

/// A table read from one file: header names and rows of text cells.
pub struct RawTable {
    /// The file, as given on the command line (joined with the folder).
    pub path: PathBuf,
    /// SHA-256 of the file's bytes as stored (before decompression).
    pub sha256: String,
    /// Header names, trimmed.
    pub headers: Vec<String>,
    /// "csv", "csv (gzip)", "parquet", ...: for the report.
    pub format: String,
    /// Encoding used to decode text ("UTF-8 (with BOM)", "windows-1252", ...; "binary" for Parquet).
    pub encoding: &'static str,
    body: Body,
    /// `Limits::max_rows`, checked while rows are read.
    max_rows: u64,
}

enum Body {
    Text {
        text: String,
        delimiter: u8,
        /// Lines above the header (`[format] header_row` − 1), added to row numbers.
        skipped_lines: u64,
    },
    Columns {
        columns: Vec<Vec<Option<String>>>,
        n_rows: usize,
        /// Each row's number as the source shows it (spreadsheets); default: 1, 2, ...
        row_numbers: Option<Vec<u64>>,
    },
}

/// The cells of one row. `get` returns `None` when the row is shorter than the header.
pub enum Cells<'a> {
    Record(&'a csv::StringRecord),
    Columns(&'a [Vec<Option<String>>], usize),
}

impl Cells<'_> {
    pub fn get(&self, column: usize) -> Option<&str> {
        match self {
            Cells::Record(r) => r.get(column),
            Cells::Columns(cols, i) => cols.get(column).map(|c| c[*i].as_deref().unwrap_or("")),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Cells::Record(r) => r.len(),
            Cells::Columns(cols, _) => cols.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when every cell is empty or whitespace.
    pub fn all_blank(&self) -> bool {
        (0..self.len()).all(|i| self.get(i).is_none_or(|v| v.trim().is_empty()))
    }
}

impl RawTable {
    /// Read a file (text, gzip text or Parquet) with the mapping's format options.
    pub fn read(path: &Path, format: &FormatSection, limits: &Limits) -> anyhow::Result<RawTable> {
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        check_size(path, size, limits, "is")?;
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        RawTable::from_bytes(path, bytes, format, limits)
    }

    /// Parse a file's bytes (as stored: gzip, Parquet or text); `path` names it in messages.
    /// Reads nothing from disk, so the fuzz and property tests can drive it directly.
    pub fn from_bytes(
        path: &Path,
        bytes: Vec<u8>,
        format: &FormatSection,
        limits: &Limits,
    ) -> anyhow::Result<RawTable> {
        check_size(path, bytes.len() as u64, limits, "is")?;
        let sha256 = hex(&Sha256::digest(&bytes));
        if bytes.is_empty() {
            bail!(
                "{}: the file is empty; it needs a header row and at least one data row",
                path.display()
            );
        }
        if decode::is_parquet(&bytes) {
            let (headers, columns, n_rows) = parquet::read_columns(bytes, path)?;
            return Ok(RawTable {
                path: path.to_path_buf(),
                sha256,
                headers: headers.iter().map(|h| h.trim().to_string()).collect(),
                format: "parquet".into(),
                encoding: "binary",
                body: Body::Columns {
                    columns,
                    n_rows,
                    row_numbers: None,
                },
                max_rows: limits.max_rows,
            });
        }
        let (bytes, kind) = if decode::is_gzip(&bytes) {
            let text = decode::gunzip(&bytes, path, limits.max_input_bytes)?;
            check_size(path, text.len() as u64, limits, "decompresses to")?;
            (text, "text (gzip)")
        } else {
            (bytes, "text")
        };
        match spreadsheet::sniff(&bytes) {
            Some(spreadsheet::Sniffed::Spreadsheet(k)) => {
                let sheet = spreadsheet::read(bytes, k, path, format)?;
                let n_rows = sheet.row_numbers.len();
                if n_rows as u64 > limits.max_rows {
                    return Err(too_many_rows(path, limits.max_rows));
                }
                return Ok(RawTable {
                    path: path.to_path_buf(),
                    sha256,
                    headers: sheet.headers,
                    format: sheet.description,
                    encoding: "binary",
                    body: Body::Columns {
                        columns: sheet.columns,
                        n_rows,
                        row_numbers: Some(sheet.row_numbers),
                    },
                    max_rows: limits.max_rows,
                });
            }
            Some(spreadsheet::Sniffed::Other(what)) => bail!(
                "{}: this is {what}, not a table of results; give the tally as CSV, TSV, Parquet or a spreadsheet (.xlsx, .xls, .ods){}",
                path.display(),
                if what.contains("PDF") { " (tables in a PDF need extracting first, e.g. with tabula or pdfplumber)" } else if what.contains("archive") || what.contains("compressed") { " (extract the archive and point --input at its files)" } else { "" }
            ),
            None => {}
        }
        if format.header_rows.is_some_and(|d| d != 1) {
            bail!("{}: [format] header_rows = 2 is for spreadsheets; for a text file, join the two header rows into one in a copy of the file", path.display());
        }
        let (text, encoding) = decode::decode_text(bytes, format.encoding.as_deref(), path)?;
        if text.trim().is_empty() {
            bail!(
                "{}: the file holds no text; it needs a header row and at least one data row",
                path.display()
            );
        }
        // Title lines above the header (`[format] header_row`) are dropped; row numbers keep
        // counting them, as an editor shows the file.
        let (text, skipped_lines) = match format.header_row {
            None | Some(1) => (text, 0),
            Some(0) => bail!("[format] header_row counts from 1 (the first line)"),
            Some(h) => {
                let skip = (h - 1) as usize;
                let at = text
                    .match_indices('\n')
                    .nth(skip - 1)
                    .map(|(i, _)| i + 1)
                    .filter(|&i| i < text.len())
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "{}: [format] header_row = {h}, but the file has fewer lines",
                            path.display()
                        )
                    })?;
                (text[at..].to_string(), skip as u64)
            }
        };
        let delimiter = match &format.delimiter {
            Some(d) => delimiter_byte(d)?,
            None => delimited::sniff_delimiter(&text).unwrap_or(b','),
        };
        let mut reader = delimited::reader(&text, delimiter);
        let headers = reader
            .headers()
            .map_err(|e| anyhow::anyhow!("{}: cannot read the header row ({e})", path.display()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        // Refuse a file over the row limit before its rows take memory: line feeds bound the data
        // records from above (the header's ends one), so only a file with more lines than the limit
        // is counted exactly. `for_each_row` checks again (files with CR-only line ends).
        if count_lines(text.as_bytes()) > limits.max_rows {
            let mut reader = delimited::reader(&text, delimiter);
            let mut record = csv::ByteRecord::new();
            let mut records = 0u64;
            while records <= limits.max_rows
                && reader.read_byte_record(&mut record).unwrap_or(false)
            {
                records += 1;
            }
            if records > limits.max_rows {
                return Err(too_many_rows(path, limits.max_rows));
            }
        }
        let shown = match delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        };
        Ok(RawTable {
            path: path.to_path_buf(),
            sha256,
            headers,
            format: format!("{kind}, delimiter {shown}"),
            encoding,
            body: Body::Text {
                text,
                delimiter,
                skipped_lines,
            },
            max_rows: limits.max_rows,
        })
    }

    /// Index of a header, or a clear error listing what the file has.
    pub fn column_index(&self, name: &str) -> anyhow::Result<usize> {
        self.column_for(name, "")
    }

    /// Index of the header the mapping key `key` (e.g. `[counts] registered`) names, or an error
    /// that names the key, suggests the headers that differ only in accents, case, punctuation
    /// or a letter or two (`Pais` → `País`, `Inscrito` → `Inscritos`), and lists the headers.
    pub fn column_for(&self, name: &str, key: &str) -> anyhow::Result<usize> {
        let hits: Vec<usize> = (0..self.headers.len())
            .filter(|&i| self.headers[i] == name)
            .collect();
        match hits.as_slice() {
            [i] => Ok(*i),
            [] => {
                let near = near_headers(&self.headers, name);
                let near = if near.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (did you mean {}? names must match exactly, accents and case included)",
                        near.iter()
                            .map(|h| format!("{h:?}"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                };
                let key = if key.is_empty() {
                    String::new()
                } else {
                    format!(" for {key}")
                };
                bail!(
                    "{}, row 1: no column {name:?}{key}{near}; the file's columns are: {}. Fix the column name in the mapping",
                    self.path.display(),
                    preview_list(&self.headers, 30)
                )
            }
            _ => bail!(
                "{}, row 1: column {name:?} appears {} times in the header; rename the duplicates in a copy of the file",
                self.path.display(),
                hits.len()
            ),
        }
    }

    /// Call `f(row_number, cells)` for each data row. Row numbers count the header as row 1 (as a
    /// spreadsheet shows them); for Parquet, row 1 is the first row.
    pub fn for_each_row(
        &self,
        mut f: impl FnMut(u64, &Cells<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match &self.body {
            Body::Text {
                text,
                delimiter,
                skipped_lines,
            } => {
                let mut reader = delimited::reader(text, *delimiter);
                let mut record = csv::StringRecord::new();
                // A spreadsheet shows blank lines as rows and a record with quoted line breaks as one
                // row: the row is the line where the record ends, minus the line breaks inside
                // fields so far.
                let mut embedded = 0u64;
                let mut row = 1u64;
                let mut records = 0u64;
                loop {
                    match reader.read_record(&mut record) {
                        Ok(false) => break,
                        Ok(true) => {
                            let pos = reader.position();
                            let ended_line = pos.byte() > 0
                                && text.as_bytes().get(pos.byte() as usize - 1) == Some(&b'\n');
                            embedded += record
                                .iter()
                                .map(|f| f.bytes().filter(|&b| b == b'\n').count() as u64)
                                .sum::<u64>();
                            row = (pos.line() - u64::from(ended_line))
                                .saturating_sub(embedded)
                                .max(row + 1);
                            records += 1;
                            if records > self.max_rows {
                                return Err(self.too_many_rows());
                            }
                            f(row + skipped_lines, &Cells::Record(&record))?;
                        }
                        Err(e) => bail!(
                            "{}, row {}: malformed text ({e})",
                            self.path.display(),
                            row + 1 + skipped_lines
                        ),
                    }
                }
            }
            Body::Columns {
                columns,
                n_rows,
                row_numbers,
            } => {
                if *n_rows as u64 > self.max_rows {
                    return Err(self.too_many_rows());
                }
                for i in 0..*n_rows {
                    let row = row_numbers.as_ref().map_or(i as u64 + 1, |r| r[i]);
                    f(row, &Cells::Columns(columns, i))?;
                }
            }
        }
        Ok(())
    }

    /// The number of data rows, approximately (lines for text), for progress messages.
    pub fn approx_rows(&self) -> u64 {
        match &self.body {
            Body::Text { text, .. } => count_lines(text.as_bytes()).saturating_sub(1),
            Body::Columns { n_rows, .. } => *n_rows as u64,
        }
    }

    fn too_many_rows(&self) -> anyhow::Error {
        too_many_rows(&self.path, self.max_rows)
    }

    /// The first `n` rows as text cells (for mapping inference).
    pub fn sample_rows(&self, n: usize) -> anyhow::Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        let stop = "sample complete";
        let result = self.for_each_row(|_, cells| {
            if out.len() >= n {
                bail!(stop);
            }
            out.push(
                (0..cells.len())
                    .map(|i| cells.get(i).unwrap_or("").to_string())
                    .collect(),
            );
            Ok(())
        });
        match result {
            Err(e) if e.to_string() != stop => Err(e),
            _ => Ok(out),
        }
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn too_many_rows(path: &Path, max_rows: u64) -> anyhow::Error {
    anyhow::anyhow!(
            "{}: more than {} data rows, the limit (--max-rows {}) that keeps memory bounded (a few hundred bytes per row); raise it, e.g. --max-rows {}, on a machine with the memory (README.md, \"Resource bounds\"), or split the file",
            path.display(),
            crate::text::fmt_int(max_rows),
            max_rows,
            max_rows.saturating_mul(2)
        )
}

/// Refuse a file over `Limits::max_input_bytes` (`what`: "is", "decompresses to").
fn check_size(path: &Path, size: u64, limits: &Limits, what: &str) -> anyhow::Result<()> {
    if size > limits.max_input_bytes {
        bail!(
            "{}: the file {what} {}, over the input limit of {} (--max-input-bytes) that keeps memory bounded (the text is held in memory, plus a few hundred bytes per row); raise it, e.g. --max-input-bytes {}, on a machine with the memory (README.md, \"Resource bounds\"), or split the file",
            path.display(),
            if what == "is" { fmt_bytes(size) } else { format!("more than {}", fmt_bytes(limits.max_input_bytes)) },
            fmt_bytes(limits.max_input_bytes),
            suggest(size.max(limits.max_input_bytes.saturating_add(1)))
        );
    }
    Ok(())
}

/// A `--max-input-bytes` value just above `size`, in whole GiB or MiB.
fn suggest(size: u64) -> String {
    if size >= 1 << 30 {
        format!("{}G", size.div_ceil(1 << 30))
    } else {
        format!("{}M", size.div_ceil(1 << 20))
    }
}

/// Headers that `name` probably meant: equal once accents, case and punctuation are dropped
/// (`crate::mapping::infer::normalise`), or within one edit of it then (a missing plural "s", a
/// typo; two edits from 8 characters on, none below 4, where one edit makes another word). At
/// most three, closest first.
fn near_headers<'a>(headers: &'a [String], name: &str) -> Vec<&'a String> {
    let want = crate::mapping::infer::normalise(name);
    let mut near: Vec<(usize, &String)> = headers
        .iter()
        .filter_map(|h| {
            let d = edit_distance(&crate::mapping::infer::normalise(h), &want);
            let allowed = match want.chars().count() {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            (d <= allowed).then_some((d, h))
        })
        .collect();
    near.sort_by_key(|&(d, _)| d);
    near.into_iter().take(3).map(|(_, h)| h).collect()
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// `a, b, c, ... (N more)` for error messages.
pub fn preview_list(items: &[String], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .map(|h| format!("{h:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(", ... ({} more)", items.len() - max));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    fn rows(t: &RawTable) -> Vec<(u64, Vec<String>)> {
        let mut out = vec![];
        t.for_each_row(|r, c| {
            out.push((
                r,
                (0..c.len())
                    .map(|i| c.get(i).unwrap().to_string())
                    .collect(),
            ));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn reads_bom_crlf_quoted_newlines_and_semicolons() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.csv",
            "\u{feff}Región ; votos\r\n\"Costa\r\nNorte\";\"1.234\"\r\n\r\nSur;5\r\n".as_bytes(),
        );
        let t = RawTable::read(&p, &FormatSection::default(), &Limits::default()).unwrap();
        assert_eq!(t.headers, vec!["Región", "votos"]);
        assert_eq!(t.encoding, "UTF-8 (with BOM)");
        let r = rows(&t);
        assert_eq!(r.len(), 2, "blank lines are not data rows");
        assert_eq!(
            r[0],
            (2, vec!["Costa\r\nNorte".to_string(), "1.234".to_string()])
        );
        assert_eq!(
            r[1].0, 4,
            "numbered as a spreadsheet shows it: the blank line is row 3"
        );
        assert_eq!(t.column_index("votos").unwrap(), 1);
        let err = t.column_index("Votos").unwrap_err().to_string();
        assert!(err.contains("did you mean \"votos\""), "{err}");
    }

    #[test]
    fn sizes_read_with_suffixes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("4g"), Ok(4 << 30));
        assert_eq!(parse_size(" 2 G "), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("9999999999T").is_err(), "overflow refused");
        assert_eq!(fmt_bytes(2 << 30), "2.0 GiB");
        assert_eq!(suggest(134), "1M");
        assert_eq!(suggest((5 << 30) + 1), "6G");
    }

    #[test]
    fn missing_columns_name_the_key_and_near_matches() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "bo.csv",
            "Número Mesa,País,Departamento,Inscritos,CC\n1,Bolivia,La Paz,230,80\n".as_bytes(),
        );
        let t = RawTable::read(&p, &FormatSection::default(), &Limits::default()).unwrap();
        let err = t
            .column_for("Pais", "[[regions]] column")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no column \"Pais\" for [[regions]] column (did you mean \"País\"?"),
            "{err}"
        );
        let err = t
            .column_for("Inscrito", "[counts] registered")
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean \"Inscritos\"?"), "{err}");
        let err = t
            .column_for("numero_mesa", "[station] key")
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean \"Número Mesa\"?"), "{err}");
        // Nothing close: no suggestion, but the columns are listed.
        let err = t
            .column_for("MAS", "[[candidates]] column")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("did you mean"), "{err}");
        assert!(err.contains("\"CC\""), "{err}");
        assert_eq!(edit_distance("inscrito", "inscritos"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn reads_gzip_and_declared_latin1() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"Regi\xF3n\tvotos\nA\t1\n").unwrap();
        let p = write(dir.path(), "a.tsv.gz", &gz.finish().unwrap());
        let format = FormatSection {
            encoding: Some("latin1".into()),
            ..Default::default()
        };
        let t = RawTable::read(&p, &format, &Limits::default()).unwrap();
        assert_eq!(t.headers, vec!["Región", "votos"]);
        assert_eq!(t.format, "text (gzip), delimiter tab");
    }

    #[test]
    fn empty_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "e.csv", b"");
        let err = RawTable::read(&p, &FormatSection::default(), &Limits::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("the file is empty"), "{err}");
    }

    #[test]
    fn duplicate_headers_are_reported_when_used() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "d.csv", b"a,a,b\n1,2,3\n");
        let t = RawTable::read(&p, &FormatSection::default(), &Limits::default()).unwrap();
        assert!(t
            .column_index("a")
            .unwrap_err()
            .to_string()
            .contains("appears 2 times"));
        assert_eq!(t.sample_rows(10).unwrap(), vec![vec!["1", "2", "3"]]);
    }
}
