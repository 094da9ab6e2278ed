//! Writes a synthetic [`Election`] the way real election authorities publish
//! results, plus the mapping TOML that tells this tool how to read it.
//!
//! Why: the input side of the tool must cope with what is found in the wild
//! (semicolon or tab delimiters, windows-1252 files from spreadsheet exports,
//! UTF-8 byte-order marks, CRLF line ends, thousands separators such as
//! `3.091`, Spanish headers, wide or long layouts, gzip). Generating all of
//! these from one known election lets the reader be tested end to end.
//!
//! Pipeline: `csv` crate (correct quoting: a count `3,091` is quoted when the
//! delimiter is `,`) -> optional windows-1252 transcoding (`encoding_rs`;
//! unmappable characters are an error, never `&#...;` escapes) -> optional
//! gzip (`flate2`, when the path ends in `.gz`; header mtime 0 so output is
//! byte-for-byte reproducible) -> a temporary file in the target folder that
//! is renamed over the target only once complete (atomic write).
//!
//! References for what is being simulated: Klimek, Yegorov, Hanel & Thurner
//! 2012, PNAS 109(41):16469; Beber & Scacco 2012, Political Analysis 20(2):211.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use encoding_rs::WINDOWS_1252;
use flate2::{write::GzEncoder, Compression};

use super::model::Election;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Layout {
    /// One row per station, one column per candidate.
    #[default]
    Wide,
    /// One row per station and candidate.
    Long,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextEncoding {
    #[default]
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    #[value(name = "windows-1252", alias = "cp1252")]
    Windows1252,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Language {
    /// English column names.
    #[default]
    En,
    /// Spanish column names (estado, municipio, mesa, ...).
    Es,
}

/// How the data file is formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSpec {
    pub layout: Layout,
    pub delimiter: u8,
    pub encoding: TextEncoding,
    /// UTF-8 byte-order mark (UTF-8 only).
    pub bom: bool,
    pub crlf: bool,
    /// Digit-group separator for counts >= 1000 (`.` or `,`).
    pub thousands_separator: Option<u8>,
    pub language: Language,
}

impl Default for WriteSpec {
    fn default() -> Self {
        WriteSpec {
            layout: Layout::Wide,
            delimiter: b',',
            encoding: TextEncoding::Utf8,
            bom: false,
            crlf: false,
            thousands_separator: None,
            language: Language::En,
        }
    }
}

/// Column names of one language.
pub struct Columns {
    pub region: &'static str,
    pub district: &'static str,
    pub station: &'static str,
    pub registered: &'static str,
    pub ballots_cast: &'static str,
    pub valid: &'static str,
    pub null: &'static str,
    pub blank: &'static str,
    /// Long layout only.
    pub candidate: &'static str,
    pub votes: &'static str,
}

#[rustfmt::skip]
pub fn columns(language: Language) -> Columns {
    match language {
        Language::En => Columns {
            region: "region", district: "district", station: "station_id", registered: "registered",
            ballots_cast: "ballots_cast", valid: "valid", null: "null", blank: "blank",
            candidate: "candidate", votes: "votes",
        },
        Language::Es => Columns {
            region: "estado", district: "municipio", station: "mesa", registered: "electores_inscritos",
            ballots_cast: "votantes", valid: "votos_validos", null: "votos_nulos", blank: "votos_blancos",
            candidate: "candidato", votes: "votos",
        },
    }
}

/// Format a count, grouping digits by three with `sep` when given.
fn fmt_count(v: u32, sep: Option<u8>, buf: &mut [u8; 16]) -> &[u8] {
    let (mut i, mut v, mut digits) = (buf.len(), v, 0);
    loop {
        if digits > 0 && digits % 3 == 0 {
            if let Some(s) = sep {
                i -= 1;
                buf[i] = s;
            }
        }
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        digits += 1;
        if v == 0 {
            return &buf[i..];
        }
    }
}

/// Passes UTF-8 through, or transcodes it to windows-1252, holding back a
/// character split across two writes.
struct Transcoder<W: Write> {
    inner: W,
    cp1252: bool,
    pending: Vec<u8>,
}

impl<W: Write> Write for Transcoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.cp1252 {
            return self.inner.write(buf);
        }
        self.pending.extend_from_slice(buf);
        let upto = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        };
        let text = std::str::from_utf8(&self.pending[..upto])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let (bytes, _, unmappable) = WINDOWS_1252.encode(text);
        if unmappable {
            let c = text
                .chars()
                .find(|c| WINDOWS_1252.encode(c.encode_utf8(&mut [0; 4])).2)
                .unwrap_or('?');
            let msg = format!("character {c:?} cannot be written in windows-1252");
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        self.inner.write_all(&bytes)?;
        self.pending.drain(..upto);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Write the election as CSV text (BOM, encoding, CRLF, separators applied)
/// into `out`, and give `out` back.
pub fn write_csv_to<W: Write>(e: &Election, spec: &WriteSpec, mut out: W) -> anyhow::Result<W> {
    let cp1252 = spec.encoding == TextEncoding::Windows1252;
    if spec.bom {
        if cp1252 {
            bail!("a byte-order mark only exists for UTF-8, not windows-1252");
        }
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let terminator = if spec.crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let sink = Transcoder {
        inner: out,
        cp1252,
        pending: Vec::new(),
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(spec.delimiter)
        .terminator(terminator)
        .from_writer(sink);
    let c = columns(spec.language);
    let mut header = vec![
        c.region,
        c.district,
        c.station,
        c.registered,
        c.ballots_cast,
        c.valid,
        c.null,
        c.blank,
    ];
    match spec.layout {
        Layout::Wide => header.extend(e.candidates.iter().map(|k| k.code.as_str())),
        Layout::Long => header.extend([c.candidate, c.votes]),
    }
    w.write_record(&header)?;
    let sep = spec.thousands_separator;
    let mut buf = [0u8; 16];
    for i in 0..e.n_stations() {
        let station = |w: &mut csv::Writer<_>, buf: &mut [u8; 16]| -> csv::Result<()> {
            w.write_field(&e.region_names[e.station_region(i)])?;
            w.write_field(&e.district_names[e.station_district[i] as usize])?;
            w.write_field(&e.station_ids[i])?;
            for v in [
                e.registered[i],
                e.ballots_cast[i],
                e.valid[i],
                e.null[i],
                e.blank[i],
            ] {
                w.write_field(fmt_count(v, sep, buf))?;
            }
            Ok(())
        };
        match spec.layout {
            Layout::Wide => {
                station(&mut w, &mut buf)?;
                for votes in &e.votes {
                    w.write_field(fmt_count(votes[i], sep, &mut buf))?;
                }
                w.write_record(std::iter::empty::<&[u8]>())?;
            }
            Layout::Long => {
                for (cand, votes) in e.candidates.iter().zip(&e.votes) {
                    station(&mut w, &mut buf)?;
                    w.write_field(&cand.name)?;
                    w.write_field(fmt_count(votes[i], sep, &mut buf))?;
                    w.write_record(std::iter::empty::<&[u8]>())?;
                }
            }
        }
    }
    w.flush()?;
    let sink = w
        .into_inner()
        .map_err(|err| anyhow!("writing CSV: {}", err.error()))?;
    if !sink.pending.is_empty() {
        bail!("internal error: CSV text ended inside a UTF-8 character");
    }
    Ok(sink.inner)
}

/// Write `path` atomically: the content goes to a temporary file in the same
/// folder, which is renamed over `path` when complete (removed on error).
/// Gzip-compresses when `gzip` is true.
pub fn write_atomically(
    path: &Path,
    gzip: bool,
    body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file path", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        if gzip {
            let mut gz = GzEncoder::new(&mut out, Compression::default());
            body(&mut gz)?;
            gz.finish()?;
        } else {
            body(&mut out)?;
        }
        let file = out.into_inner().map_err(|err| err.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// True when the file name ends in `.gz` (any case).
pub fn is_gzip_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("gz"))
}

/// Write the election to `path` (gzip when it ends in `.gz`), atomically.
pub fn write_csv(e: &Election, spec: &WriteSpec, path: &Path) -> anyhow::Result<()> {
    write_atomically(path, is_gzip_path(path), |out| {
        write_csv_to(e, spec, out).map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::model::generate;
    use crate::simulate::spec::SimSpec;
    use std::io::Read;

    fn election(seed: u64, stations: usize) -> Election {
        generate(&SimSpec {
            seed,
            stations,
            ..SimSpec::default()
        })
    }

    /// The default format changed by `f`.
    fn format(f: impl FnOnce(&mut WriteSpec)) -> WriteSpec {
        let mut spec = WriteSpec::default();
        f(&mut spec);
        spec
    }

    fn csv_bytes(e: &Election, spec: &WriteSpec) -> Vec<u8> {
        write_csv_to(e, spec, Vec::new()).unwrap()
    }

    #[test]
    fn same_seed_same_bytes_other_seed_differs() {
        let spec = WriteSpec::default();
        let a = csv_bytes(&election(4, 300), &spec);
        assert_eq!(a, csv_bytes(&election(4, 300), &spec));
        assert_ne!(a, csv_bytes(&election(5, 300), &spec));
        let text = String::from_utf8(a).unwrap();
        let header = "region,district,station_id,registered,ballots_cast,valid,null,blank,cand_a,";
        assert!(text.starts_with(header) && text.lines().next().unwrap().ends_with(",cand_e"));
        assert_eq!(text.lines().count(), 301);
    }

    #[test]
    fn thousands_separators_group_large_counts() {
        let mut buf = [0u8; 16];
        assert_eq!(fmt_count(3091, Some(b'.'), &mut buf), b"3.091");
        assert_eq!(fmt_count(999, Some(b'.'), &mut buf), b"999");
        assert_eq!(fmt_count(u32::MAX, Some(b','), &mut buf), b"4,294,967,295");
        assert_eq!(fmt_count(0, None, &mut buf), b"0");
        let e = election(1, 500);
        let dots = format(|s| (s.delimiter, s.thousands_separator) = (b';', Some(b'.')));
        let text = String::from_utf8(csv_bytes(&e, &dots)).unwrap();
        let registered = text.lines().skip(1).filter_map(|l| l.split(';').nth(3));
        let grouped: Vec<&str> = registered.filter(|f| f.contains('.')).collect();
        assert!(!grouped.is_empty(), "no 3.091-style cell");
        assert!(grouped
            .iter()
            .all(|f| f.len() >= 5 && f.as_bytes()[f.len() - 4] == b'.'));
        // A separator equal to the delimiter forces quoting, so rows still parse.
        let bytes = csv_bytes(&e, &format(|s| s.thousands_separator = Some(b',')));
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        for (i, row) in reader.records().enumerate() {
            let row = row.unwrap();
            assert_eq!(row.len(), 13);
            assert_eq!(row[3].replace(',', ""), e.registered[i].to_string());
        }
    }

    #[test]
    fn windows_1252_is_not_utf8_but_decodes_back() {
        let e = election(2, 200);
        let cp1252 = format(|s| s.encoding = TextEncoding::Windows1252);
        let (utf8, cp) = (csv_bytes(&e, &WriteSpec::default()), csv_bytes(&e, &cp1252));
        assert!(
            std::str::from_utf8(&cp).is_err(),
            "accented names are not UTF-8"
        );
        let (decoded, _, errors) = WINDOWS_1252.decode(&cp);
        assert!(!errors);
        assert_eq!(decoded.as_bytes(), utf8.as_slice());
        let mut polish = e.clone();
        polish.region_names[0] = "Łódź".into();
        let err = write_csv_to(&polish, &cp1252, Vec::new()).unwrap_err();
        assert!(err.to_string().contains("windows-1252"), "{err}");
    }

    #[test]
    fn bom_crlf_tab_and_spanish_header() {
        let e = election(3, 100);
        let spec = format(|s| {
            (s.bom, s.crlf, s.delimiter, s.language) = (true, true, b'\t', Language::Es)
        });
        let bytes = csv_bytes(&e, &spec);
        let header =
            "\u{feff}estado\tmunicipio\tmesa\telectores_inscritos\tvotantes\tvotos_validos\t\
                      votos_nulos\tvotos_blancos\tcand_a";
        assert!(bytes.starts_with(header.as_bytes()));
        assert_eq!(bytes.windows(2).filter(|w| w == b"\r\n").count(), 101);
        let bom_cp1252 = WriteSpec {
            encoding: TextEncoding::Windows1252,
            ..spec
        };
        assert!(write_csv_to(&e, &bom_cp1252, Vec::new()).is_err());
    }

    #[test]
    fn long_layout_has_a_row_per_station_and_candidate() {
        let e = election(6, 250);
        let bytes = csv_bytes(&e, &format(|s| s.layout = Layout::Long));
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers().unwrap().iter().next_back(), Some("votes"));
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 250 * 5);
        assert_eq!(&rows[1][8], "Bruno Barrios");
        assert_eq!(rows[1][9].parse::<u32>().unwrap(), e.votes[1][0]);
    }

    #[test]
    fn gzip_file_holds_the_plain_bytes_and_writes_are_atomic() {
        let dir = std::env::temp_dir().join(format!("simulate-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = election(8, 400);
        let spec = format(|s| s.encoding = TextEncoding::Windows1252);
        write_csv(&e, &spec, &dir.join("a.csv")).unwrap();
        write_csv(&e, &spec, &dir.join("a.csv.gz")).unwrap();
        let plain = std::fs::read(dir.join("a.csv")).unwrap();
        let mut unzipped = Vec::new();
        let gz = std::fs::File::open(dir.join("a.csv.gz")).unwrap();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(plain, unzipped);
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary files left behind: {names:?}");
        assert!(write_csv(&e, &spec, &dir.join("missing/x.csv")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
