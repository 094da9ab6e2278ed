//! Spreadsheets as authorities publish them (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`), read with
//! calamine, and the recognition of binary files that are not tables at all.
//!
//! A published sheet is rarely a bare table: a cover sheet comes first, title rows sit above the
//! header, the header spans two rows with a merged cell over a group of columns (`Votos` over one
//! column per candidate), and a totals row closes the sheet. The reader picks the sheet
//! (`[format] sheet`, default the sheet with the most filled cells), finds the header
//! (`[format] header_row`, default the first row that fills at least half of the widest row) and
//! its depth (`[format] header_rows`, default 2 when the row under the header holds text and no
//! number), and names each column of a two-row header "upper lower" with the upper cell carried
//! right across its merged span. Cells become text exactly as the sheet shows them, so counts go
//! through the same parsing, ledger and messages as text files; row numbers are the sheet's. The
//! totals row is excluded by the station builder (`totals_row`), not here.

use std::io::Cursor;
use std::path::Path;

use anyhow::bail;
use calamine::{Data, Reader};

use crate::mapping::FormatSection;

/// Spreadsheet formats calamine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Xlsx => "xlsx",
            Kind::Xlsb => "xlsb",
            Kind::Xls => "xls",
            Kind::Ods => "ods",
        }
    }
}

/// What a file's first bytes say it is, when it is not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Spreadsheet(Kind),
    /// A binary file of another kind, described for the error ("a PDF document").
    Other(&'static str),
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Recognise spreadsheets and other binary files by their content (not their names).
/// `None`: text (or gzip, Parquet, handled by the caller).
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        // Member names are stored uncompressed in the local headers and the central directory;
        // OpenDocument stores its mimetype first, uncompressed.
        let head = &bytes[..bytes.len().min(200)];
        return Some(
            if contains(head, b"application/vnd.oasis.opendocument.spreadsheet") {
                Sniffed::Spreadsheet(Kind::Ods)
            } else if contains(bytes, b"xl/workbook.bin") {
                Sniffed::Spreadsheet(Kind::Xlsb)
            } else if contains(bytes, b"xl/workbook.xml") {
                Sniffed::Spreadsheet(Kind::Xlsx)
            } else if contains(bytes, b"word/document.xml") {
                Sniffed::Other("a Word document (.docx)")
            } else if contains(bytes, b"ppt/presentation.xml") {
                Sniffed::Other("a PowerPoint presentation (.pptx)")
            } else if contains(head, b"application/vnd.oasis.opendocument.text") {
                Sniffed::Other("an OpenDocument text document (.odt)")
            } else {
                Sniffed::Other("a zip archive")
            },
        );
    }
    if bytes.starts_with(OLE2) {
        return Some(Sniffed::Spreadsheet(Kind::Xls));
    }
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (&[0xFF, 0xD8, 0xFF], "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"Rar!\x1a\x07", "a RAR archive"),
        (&[0xFD, b'7', b'z', b'X', b'Z', 0], "an xz-compressed file"),
        (&[0x28, 0xB5, 0x2F, 0xFD], "a zstd-compressed file"),
        (b"\x7fELF", "a program (ELF executable)"),
        (b"SQLite format 3\0", "an SQLite database"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Some(Sniffed::Other(what));
    }
    if bytes.starts_with(b"BZh") && bytes.get(3).is_some_and(u8::is_ascii_digit) {
        return Some(Sniffed::Other("a bzip2-compressed file"));
    }
    None
}

/// A sheet read as text cells: header names, columns, and each data row's number in the sheet.
pub struct Sheet {
    pub headers: Vec<String>,
    /// Column-major text cells (`None` = empty cell).
    pub columns: Vec<Vec<Option<String>>>,
    pub row_numbers: Vec<u64>,
    /// For the report: `xlsx, sheet "Resultados" (2 of 2), header rows 4–5`.
    pub description: String,
}

/// A cell as the sheet shows it: whole-number floats without `.0`, other floats in full.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Data::Float(f) => Some(format!("{f}")),
        Data::String(s) if s.trim().is_empty() => None,
        Data::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.into()),
        other => Some(other.to_string()),
    }
}

fn is_number(cell: &Data) -> bool {
    match cell {
        Data::Int(_) | Data::Float(_) => true,
        Data::String(s) => crate::input::number::parse_count(s, None).is_ok(),
        _ => false,
    }
}

/// `A`, `B`, ..., `Z`, `AA`: a column as the spreadsheet labels it.
pub fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Header names of a two-row header: the upper cell carried right over the empty cells of its
/// merged span (where a lower cell names a sub-column), joined with the lower cell.
pub fn combine_header_rows(upper: &[Option<String>], lower: &[Option<String>]) -> Vec<String> {
    let mut carried: Option<&str> = None;
    (0..upper.len().max(lower.len()))
        .map(|i| {
            let up = upper.get(i).cloned().flatten();
            let low = lower.get(i).cloned().flatten();
            let up = match (&up, &low) {
                (Some(u), _) => {
                    carried = upper[i].as_deref();
                    Some(u.trim().to_string())
                }
                (None, Some(_)) => carried.map(|c| c.trim().to_string()),
                (None, None) => {
                    carried = None;
                    None
                }
            };
            match (up, low) {
                (Some(u), Some(l)) => format!("{u} {}", l.trim()),
                (Some(u), None) => u,
                (None, Some(l)) => l.trim().to_string(),
                (None, None) => String::new(),
            }
        })
        .collect()
}

fn open(kind: Kind, bytes: Vec<u8>) -> Result<calamine::Sheets<Cursor<Vec<u8>>>, String> {
    let c = Cursor::new(bytes);
    let e = |e: &dyn std::fmt::Display| crate::text::one_line(&e.to_string());
    match kind {
        Kind::Xlsx => calamine::Xlsx::new(c)
            .map(calamine::Sheets::Xlsx)
            .map_err(|x| e(&x)),
        Kind::Xlsb => calamine::Xlsb::new(c)
            .map(calamine::Sheets::Xlsb)
            .map_err(|x| e(&x)),
        Kind::Xls => calamine::Xls::new(c)
            .map(calamine::Sheets::Xls)
            .map_err(|x| e(&x)),
        Kind::Ods => calamine::Ods::new(c)
            .map(calamine::Sheets::Ods)
            .map_err(|x| e(&x)),
    }
}

/// Read the data sheet of a workbook. A malformed workbook is an error, never a panic: the
/// reader runs under `catch_unwind`, because a hostile file must not take the run down.
pub fn read(
    bytes: Vec<u8>,
    kind: Kind,
    path: &Path,
    format: &FormatSection,
) -> anyhow::Result<Sheet> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_unguarded(bytes, kind, path, format)
    }));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|_| {
        bail!(
            "{}: a damaged {} file (its structure cannot be read); open it in a spreadsheet program and save it again, or export CSV",
            path.display(),
            kind.label()
        )
    })
}

fn read_unguarded(
    bytes: Vec<u8>,
    kind: Kind,
    path: &Path,
    format: &FormatSection,
) -> anyhow::Result<Sheet> {
    let p = path.display();
    let mut book = match open(kind, bytes) {
        Ok(b) => b,
        Err(e) if kind == Kind::Xls => bail!(
            "{p}: an old Microsoft Office file that cannot be read as an Excel workbook ({e}); if it is a spreadsheet, save it as .xlsx or CSV"
        ),
        Err(e) => bail!("{p}: not a readable {} spreadsheet ({e}); open it in a spreadsheet program and save it again, or export CSV", kind.label()),
    };
    let names = book.sheet_names();
    if names.is_empty() {
        bail!("{p}: the workbook has no sheets");
    }
    let quoted = || {
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut ranges = Vec::new();
    let chosen = match &format.sheet {
        Some(want) => {
            let Some(i) = names.iter().position(|n| n == want) else {
                bail!(
                    "{p}: no sheet {want:?} for [format] sheet; the workbook's sheets are {}",
                    quoted()
                );
            };
            let range = book.worksheet_range(&names[i]).map_err(|e| {
                anyhow::anyhow!(
                    "{p}: cannot read sheet {:?} ({})",
                    names[i],
                    crate::text::one_line(&e.to_string())
                )
            })?;
            ranges.push((i, range));
            0
        }
        None => {
            for (i, name) in names.iter().enumerate() {
                let range = book.worksheet_range(name).map_err(|e| {
                    anyhow::anyhow!(
                        "{p}: cannot read sheet {name:?} ({})",
                        crate::text::one_line(&e.to_string())
                    )
                })?;
                ranges.push((i, range));
            }
            // The data sheet is the fullest one; ties keep the first.
            let filled: Vec<usize> = ranges.iter().map(|(_, r)| r.used_cells().count()).collect();
            let best = filled.iter().copied().max().unwrap_or(0);
            filled.iter().position(|&f| f == best).unwrap_or(0)
        }
    };
    let (sheet_index, range) = &ranges[chosen];
    let sheet_name = &names[*sheet_index];
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let rows: Vec<&[Data]> = range.rows().collect();
    if rows
        .iter()
        .all(|r| r.iter().all(|c| cell_text(c).is_none()))
    {
        bail!("{p}: sheet {sheet_name:?} is empty (the workbook's sheets are {}); choose the data sheet with [format] sheet = \"...\"", quoted());
    }
    let sheet_row = |i: usize| u64::from(row0) + i as u64 + 1;
    let filled = |r: &[Data]| r.iter().filter(|c| cell_text(c).is_some()).count();
    let header = match format.header_row {
        Some(h) => {
            let first = u64::from(row0) + 1;
            if h < first || h > sheet_row(rows.len() - 1) {
                bail!("{p}: [format] header_row = {h} is outside sheet {sheet_name:?}, whose rows run from {first} to {}", sheet_row(rows.len() - 1));
            }
            (h - first) as usize
        }
        None => {
            let widest = rows.iter().map(|r| filled(r)).max().unwrap_or(0);
            let need = widest.div_ceil(2).max(2.min(widest));
            rows.iter().position(|r| filled(r) >= need).unwrap_or(0)
        }
    };
    let depth = match format.header_rows {
        Some(d @ 1..=2) => d as usize,
        Some(d) => bail!("[format] header_rows must be 1 or 2 (got {d})"),
        None => match rows.get(header + 1) {
            Some(next) if filled(next) > 0 && !next.iter().any(is_number) => 2,
            _ => 1,
        },
    };
    if header + depth > rows.len() {
        bail!(
            "{p}: sheet {sheet_name:?} has no data rows under its header (row {})",
            sheet_row(header)
        );
    }
    let texts = |r: &[Data]| r.iter().map(cell_text).collect::<Vec<_>>();
    let mut headers = if depth == 2 {
        combine_header_rows(&texts(rows[header]), &texts(rows[header + 1]))
    } else {
        texts(rows[header])
            .into_iter()
            .map(|c| c.unwrap_or_default().trim().to_string())
            .collect()
    };
    let data: Vec<(usize, &[Data])> = rows
        .iter()
        .enumerate()
        .skip(header + depth)
        .filter(|(_, r)| filled(r) > 0)
        .map(|(i, r)| (i, *r))
        .collect();
    // Columns with neither a header nor data are padding of the used range.
    let keep: Vec<usize> = (0..headers.len())
        .filter(|&c| {
            !headers[c].is_empty()
                || data
                    .iter()
                    .any(|(_, r)| r.get(c).is_some_and(|x| cell_text(x).is_some()))
        })
        .collect();
    for &c in &keep {
        if headers[c].is_empty() {
            headers[c] = format!("column {}", column_letter(col0 as usize + c));
        }
    }
    let columns = keep
        .iter()
        .map(|&c| {
            data.iter()
                .map(|(_, r)| r.get(c).and_then(cell_text))
                .collect()
        })
        .collect();
    let header_rows = if depth == 2 {
        format!(
            "header rows {}–{}",
            sheet_row(header),
            sheet_row(header + 1)
        )
    } else {
        format!("header row {}", sheet_row(header))
    };
    Ok(Sheet {
        headers: keep.iter().map(|&c| headers[c].clone()).collect(),
        columns,
        row_numbers: data.iter().map(|(i, _)| sheet_row(*i)).collect(),
        description: format!(
            "{}, sheet {sheet_name:?} ({} of {}), {header_rows}",
            kind.label(),
            sheet_index + 1,
            names.len()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[&str]) -> Vec<Option<String>> {
        v.iter()
            .map(|s| (!s.is_empty()).then(|| s.to_string()))
            .collect()
    }

    #[test]
    fn a_merged_upper_header_names_the_columns_under_it() {
        let upper = cells(&["Ubicación", "", "Mesa", "Votos", "", "", "Nulos"]);
        let lower = cells(&["Estado", "Municipio", "", "Ana", "Bruno", "Carla", ""]);
        assert_eq!(
            combine_header_rows(&upper, &lower),
            [
                "Ubicación Estado",
                "Ubicación Municipio",
                "Mesa",
                "Votos Ana",
                "Votos Bruno",
                "Votos Carla",
                "Nulos"
            ]
        );
    }

    #[test]
    fn binary_files_are_recognised_by_content() {
        assert_eq!(
            sniff(b"%PDF-1.4\n..."),
            Some(Sniffed::Other("a PDF document"))
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(Sniffed::Other("a PNG image"))
        );
        assert_eq!(
            sniff(b"PK\x03\x04....readme.txt"),
            Some(Sniffed::Other("a zip archive"))
        );
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml"),
            Some(Sniffed::Spreadsheet(Kind::Xlsx))
        );
        assert_eq!(
            sniff(b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.spreadsheet"),
            Some(Sniffed::Spreadsheet(Kind::Ods))
        );
        assert_eq!(sniff(b"station,a\n1,2\n"), None);
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
