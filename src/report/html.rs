//! report.html: one self-contained file (inline CSS, figures embedded as base64 PNG data URIs) that
//! opens offline in any browser. Every data string is HTML-escaped; the only markup added to text
//! is built here from fixed patterns (file links, number spans, `<code>`), never from data.
//!
//! Navigation: every heading has a stable id (its slug, deduplicated `-2`, `-3` …) and a "§"
//! self-link; a table of contents after the title lists the h2 sections with their h3 children;
//! each h2 section ends with a link back to the contents.
//!
//! Tables: verdict cells carry a class (`v-deviates` …) that colours them, the word stays; cells
//! that are one number (`1.7e-5`, `47.13 %`, `< 1e-300`) do not wrap, and a number with a sign,
//! exponent or separator inside other text is kept whole in a span; each table scrolls
//! horizontally in its own wrapper instead of squeezing the page.
//!
//! Links: text naming an output file that the dataset folder holds (`results.json`,
//! `excluded_rows.csv` …) links to it, relatively; `docs/methods.md#…` (a repository path, not in
//! the folder) is shown as code.
//!
//! Figures: the PNG carries its title and caption, so the caption is the image's `alt` text and is
//! not printed again under it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::Context;
use base64::Engine;

use super::document::{Block, Document};

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1a1a1a;line-height:1.5}\
a{color:#0b57a4}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:0.2em;margin-top:2em}h2,h3{scroll-margin-top:0.6em}\
a.self{margin-left:0.35em;color:#aaa;text-decoration:none;font-weight:normal;font-size:0.75em}a.self:hover,a.self:focus{color:#0b57a4}\
nav.toc{background:#f7f7f7;border:1px solid #e3e3e3;border-radius:4px;padding:0.6em 1.2em 0.7em;margin:1.2em 0 1.5em}\
nav.toc .toc-title{font-weight:600;margin:0 0 0.3em}nav.toc ol{margin:0;padding-left:1.4em}nav.toc>ol>li{margin:0.2em 0}\
nav.toc ol ol{padding:0;list-style:none;font-size:0.9em}nav.toc ol ol.cols{columns:2 22em;column-gap:2.5em}nav.toc ol ol li{break-inside:avoid;padding-left:1em;text-indent:-1em}\
.table-wrap{overflow-x:auto;max-width:100%;margin:1em 0}table{border-collapse:collapse;font-size:0.9em}\
th,td{border:1px solid #ccc;padding:0.3em 0.6em;text-align:left;vertical-align:top}th{background:#f3f3f3}\
.num{white-space:nowrap;font-variant-numeric:tabular-nums}td.v{white-space:nowrap;font-weight:600}\
td.v-deviates{background:#f9d4cd;color:#7a1708}td.v-consistent{background:#d8efd3;color:#1b5016}\
td.v-not-applicable{background:#e9e9e9;color:#555}td.v-descriptive{background:#dae6f7;color:#1a447d}\
figure{margin:1.5em 0}img{display:block;width:auto;height:auto;max-width:100%;max-height:80vh;object-fit:contain;border:1px solid #ddd}\
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:0.9em}pre{background:#f6f6f6;padding:0.8em;overflow-x:auto}\
p.back{font-size:0.85em;margin:1.5em 0 0}";

/// Ids used by the page itself, never given to a heading.
const RESERVED_IDS: [&str; 2] = ["top", "contents"];

/// Extensions of the output files text may link to (when the dataset folder holds them).
const LINKED_EXTENSIONS: [&str; 5] = ["csv", "json", "md", "parquet", "toml"];

/// The repository's methods document: cited as a path, shown as code (it is not in the folder).
const METHODS_DOC: &str = "docs/methods.md";

/// Render the document; figures are read from `dir` (the dataset folder) and embedded, and text
/// naming a file that `dir` holds links to it.
pub fn render(doc: &Document, dir: &Path) -> anyhow::Result<String> {
    let mut ids = Slugger::default();
    let heading_ids: Vec<Option<String>> = doc
        .blocks
        .iter()
        .map(|b| match b {
            Block::Heading(_, text) => Some(ids.id(text)),
            _ => None,
        })
        .collect();
    let mut text = Inline::new(dir);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1 id=\"top\">{}</h1>\n",
        escape(&doc.title),
        escape(&doc.title)
    );
    // The contents come after the lines that precede the first heading (tool, seed, options).
    let first_heading = doc
        .blocks
        .iter()
        .position(|b| matches!(b, Block::Heading(..)))
        .unwrap_or(doc.blocks.len());
    let mut in_h2 = false;
    for (i, block) in doc.blocks.iter().enumerate() {
        if i == first_heading {
            out.push_str(&contents(doc, &heading_ids));
        }
        match block {
            Block::Heading(level, heading) => {
                let level = (*level).clamp(2, 6);
                if level == 2 {
                    if in_h2 {
                        out.push_str(BACK);
                    }
                    in_h2 = true;
                }
                let id = escape(heading_ids[i].as_deref().unwrap_or_default());
                out.push_str(&format!(
                    "<h{level} id=\"{id}\">{}<a class=\"self\" href=\"#{id}\" aria-label=\"Link to this section\">\u{a7}</a></h{level}>\n",
                    escape(heading)
                ))
            }
            Block::Paragraph(t) => out.push_str(&format!("<p>{}</p>\n", text.render(t))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", text.render(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::LinkedList(items) => {
                out.push_str("<ul>\n");
                for (item, section) in items {
                    // The id of the first heading with the section's text.
                    let target = doc
                        .blocks
                        .iter()
                        .zip(&heading_ids)
                        .find(|(b, _)| matches!(b, Block::Heading(_, h) if h == section))
                        .and_then(|(_, id)| id.as_deref());
                    let link = target
                        .map(|id| format!(" <a href=\"#{}\">→ {}</a>", escape(id), escape(section)))
                        .unwrap_or_default();
                    out.push_str(&format!("<li>{}{link}</li>\n", text.render(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { header, rows } => {
                out.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
                for h in header {
                    out.push_str(&format!("<th>{}</th>", escape(h)));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        out.push_str(&text.cell(c));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table></div>\n");
            }
            Block::Figure { path, caption } => {
                let bytes = std::fs::read(dir.join(path))
                    .with_context(|| format!("cannot embed figure {path}"))?;
                let size = png_size(&bytes)
                    .map(|(w, h)| format!(" width=\"{w}\" height=\"{h}\""))
                    .unwrap_or_default();
                let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                // The PNG shows the title and the caption; the caption is its text alternative.
                let alt = if caption.trim().is_empty() {
                    "chart"
                } else {
                    caption
                };
                out.push_str(&format!(
                    "<figure><img alt=\"{}\"{size} loading=\"lazy\" decoding=\"async\" src=\"data:image/png;base64,{data}\"></figure>\n",
                    escape(alt)
                ));
            }
            Block::Code(t) => out.push_str(&format!("<pre><code>{}</code></pre>\n", escape(t))),
        }
    }
    if in_h2 {
        out.push_str(BACK);
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

const BACK: &str = "<p class=\"back\"><a href=\"#contents\">\u{2191} Contents</a></p>\n";

/// The table of contents: h2 headings, each with its h3 children (an h3 before any h2 is listed
/// at the top level).
fn contents(doc: &Document, ids: &[Option<String>]) -> String {
    let link = |text: &str, id: &str| format!("<a href=\"#{}\">{}</a>", escape(id), escape(text));
    // (the h2's link, its h3 links); an h3 before any h2 is an entry of its own.
    let mut entries: Vec<(String, Vec<String>)> = Vec::new();
    let mut under_h2 = false;
    for (block, id) in doc.blocks.iter().zip(ids) {
        let (Block::Heading(level, text), Some(id)) = (block, id) else {
            continue;
        };
        match level {
            ..=2 => {
                entries.push((link(text, id), Vec::new()));
                under_h2 = true;
            }
            3 if under_h2 => entries.last_mut().expect("an h2").1.push(link(text, id)),
            3 => entries.push((link(text, id), Vec::new())),
            _ => {}
        }
    }
    let mut out = String::from(
        "<nav class=\"toc\" id=\"contents\" aria-label=\"Contents\"><p class=\"toc-title\">Contents</p>\n<ol>",
    );
    for (h2, h3s) in entries {
        out.push_str(&format!("<li>{h2}"));
        if !h3s.is_empty() {
            // Many children (the tests of Findings) flow in columns.
            let class = if h3s.len() >= 5 {
                " class=\"cols\""
            } else {
                ""
            };
            out.push_str(&format!("<ol{class}>"));
            for h3 in h3s {
                out.push_str(&format!("<li>{h3}</li>"));
            }
            out.push_str("</ol>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol></nav>\n");
    out
}

/// Heading ids: GitHub's slug of the text (lower case, letters, digits, `-` and `_` kept, spaces
/// to `-`, the rest dropped), made unique with `-2`, `-3` …
#[derive(Default)]
struct Slugger {
    used: HashSet<String>,
}

impl Slugger {
    fn id(&mut self, text: &str) -> String {
        if self.used.is_empty() {
            self.used.extend(RESERVED_IDS.map(String::from));
        }
        let mut base: String = text
            .trim()
            .chars()
            .flat_map(char::to_lowercase)
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                c if c.is_whitespace() => Some('-'),
                _ => None,
            })
            .collect();
        if base.is_empty() {
            base = "section".into();
        }
        let mut id = base.clone();
        let mut n = 2;
        while self.used.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(id.clone());
        id
    }
}

/// Text rendering with file links, kept-whole numbers and code paths.
struct Inline<'a> {
    dir: &'a Path,
    /// File name → whether the dataset folder holds it (asked once per name).
    exists: HashMap<String, bool>,
}

impl<'a> Inline<'a> {
    fn new(dir: &'a Path) -> Self {
        Self {
            dir,
            exists: HashMap::new(),
        }
    }

    /// Whether `name` is a plain output file name (`excluded_rows.csv`) that the folder holds.
    fn linkable(&mut self, name: &str) -> bool {
        let plain = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !name.starts_with('.')
            && name
                .rsplit_once('.')
                .is_some_and(|(stem, ext)| !stem.is_empty() && LINKED_EXTENSIONS.contains(&ext));
        if !plain {
            return false;
        }
        let dir = self.dir;
        *self.exists.entry(name.to_string()).or_insert_with(|| {
            std::fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_file())
        })
    }

    /// A table cell: verdicts get their class, single numbers do not wrap, other text as `render`.
    fn cell(&mut self, text: &str) -> String {
        let t = text.trim();
        if let Some(class) = verdict_class(t) {
            format!("<td class=\"v {class}\">{}</td>", escape(t))
        } else if is_number_cell(t) {
            format!("<td class=\"num\">{}</td>", escape(t))
        } else {
            format!("<td>{}</td>", self.render(text))
        }
    }

    /// Escaped text in which output file names are links, `docs/methods.md#…` is code and
    /// numbers that a browser could break (`1.7e-5`, `−0.3`, `47.13 %`) are kept whole.
    fn render(&mut self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len() + 16);
        let mut i = 0;
        while i < chars.len() {
            let word_start = i == 0 || !is_path_char(chars[i - 1]);
            if word_start && is_path_char(chars[i]) {
                let mut end = i;
                while end < chars.len() && is_path_char(chars[end]) {
                    end += 1;
                }
                // Sentence punctuation is not part of a name ("see results.json.").
                while end > i && matches!(chars[end - 1], '.' | '-' | '/' | '#') {
                    end -= 1;
                }
                let word: String = chars[i..end].iter().collect();
                if word == METHODS_DOC || word.starts_with(&format!("{METHODS_DOC}#")) {
                    out.push_str(&format!("<code>{}</code>", escape(&word)));
                    i = end;
                    continue;
                }
                if self.linkable(&word) {
                    let w = escape(&word);
                    out.push_str(&format!("<a href=\"{w}\">{w}</a>"));
                    i = end;
                    continue;
                }
            }
            let number_start = i == 0 || !is_word_char(chars[i - 1]);
            if number_start {
                if let Some(len) = number_len(&chars[i..]) {
                    let number: String = chars[i..i + len].iter().collect();
                    if number.chars().any(is_break_char) {
                        out.push_str(&format!("<span class=\"num\">{}</span>", escape(&number)));
                    } else {
                        out.push_str(&escape(&number));
                    }
                    i += len;
                    continue;
                }
            }
            out.push_str(&escape(&chars[i].to_string()));
            i += 1;
        }
        out
    }
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '#')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Characters inside a number where a browser may break the line.
fn is_break_char(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2212}'
            | '+'
            | '\u{b1}'
            | ' '
            | '\u{2009}'
            | '\u{202f}'
            | '\u{a0}'
            | '\u{d7}'
            | '%'
    )
}

/// Length of the number at the start of `s`: an optional sign, digits grouped by `.`, `,` or thin
/// spaces, an optional exponent (`e-5`), optional `× 10…` factors and a `%` (after an optional
/// space). None when `s` does not start with a number or the number runs into a word ("2BL").
fn number_len(s: &[char]) -> Option<usize> {
    let digit = |i: usize| s.get(i).is_some_and(char::is_ascii_digit);
    let mut i = 0;
    if matches!(s.first(), Some('-' | '+' | '\u{2212}' | '\u{b1}')) {
        i = 1;
    }
    loop {
        if !digit(i) {
            return None;
        }
        while digit(i) {
            i += 1;
        }
        while matches!(s.get(i), Some('.' | ',' | '\u{2009}' | '\u{202f}')) && digit(i + 1) {
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        if matches!(s.get(i), Some('e' | 'E')) {
            let sign = usize::from(matches!(s.get(i + 1), Some('-' | '+' | '\u{2212}')));
            if digit(i + 1 + sign) {
                i += 1 + sign;
                while digit(i) {
                    i += 1;
                }
            }
        }
        if s.get(i) == Some(&'\u{d7}') && digit(i + 1) {
            i += 1;
            continue;
        }
        break;
    }
    if s.get(i) == Some(&'%') {
        i += 1;
    } else if matches!(s.get(i), Some(' ' | '\u{a0}' | '\u{202f}')) && s.get(i + 1) == Some(&'%') {
        i += 2;
    }
    if s.get(i).is_some_and(|&c| is_word_char(c)) {
        return None;
    }
    Some(i)
}

/// A cell that is one number, possibly after a comparison (`< 1e-300`), or `n/a`.
fn is_number_cell(t: &str) -> bool {
    if t == "n/a" {
        return true;
    }
    let rest = t
        .strip_prefix(['<', '>', '\u{2264}', '\u{2265}', '\u{2248}', '~'])
        .map(str::trim_start)
        .unwrap_or(t);
    let chars: Vec<char> = rest.chars().collect();
    number_len(&chars).is_some_and(|n| n == chars.len())
}

/// The class of a verdict cell.
fn verdict_class(t: &str) -> Option<&'static str> {
    match t {
        "deviates" => Some("v-deviates"),
        "consistent" => Some("v-consistent"),
        "not applicable" | "not_applicable" => Some("v-not-applicable"),
        "descriptive" => Some("v-descriptive"),
        _ => None,
    }
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (w, h) = (be(16), be(20));
    (w > 0 && h > 0).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names_render_as_text() {
        let doc = Document {
            title: "<script>alert(1)</script>".into(),
            blocks: vec![Block::Paragraph("a & \"b\"".into())],
        };
        let html = render(&doc, Path::new(".")).unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("a &amp; &quot;b&quot;"));
    }

    #[test]
    fn headings_get_unique_ids_and_a_table_of_contents() {
        let doc = Document {
            title: "t".into(),
            blocks: vec![
                Block::Paragraph("intro".into()),
                Block::Heading(2, "Summary".into()),
                Block::Heading(3, "What deviates".into()),
                Block::Heading(2, "Findings".into()),
                Block::Heading(3, "Benford's law (benford_first_digit)".into()),
                Block::Heading(3, "What deviates".into()),
                Block::Heading(2, "Contents".into()),
                Block::Heading(2, "<b>?!</b>".into()),
            ],
        };
        let html = render(&doc, Path::new(".")).unwrap();
        for id in [
            "summary",
            "what-deviates",
            "findings",
            "benfords-law-benford_first_digit",
            "what-deviates-2",
            "contents-2",
            "bb",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
            assert!(
                html.contains(&format!("<a href=\"#{id}\">")),
                "{id} in the contents"
            );
        }
        let toc = &html[html.find("<nav").unwrap()..html.find("</nav>").unwrap()];
        assert!(html.find("<p>intro</p>").unwrap() < html.find("<nav").unwrap());
        assert!(toc.contains(
            "<li><a href=\"#findings\">Findings</a><ol><li><a href=\"#benfords-law-benford_first_digit\">"
        ));
        assert!(html.contains("<h2 id=\"bb\">&lt;b&gt;?!&lt;/b&gt;<a class=\"self\" href=\"#bb\""));
        assert_eq!(html.matches("class=\"back\"").count(), 4);
    }

    #[test]
    fn verdicts_are_classed_and_numbers_kept_whole() {
        let mut t = Inline::new(Path::new("/nonexistent"));
        assert_eq!(
            t.cell("deviates"),
            "<td class=\"v v-deviates\">deviates</td>"
        );
        assert_eq!(
            t.cell("not applicable"),
            "<td class=\"v v-not-applicable\">not applicable</td>"
        );
        for n in [
            "1.7e-5",
            "0.004",
            "5\u{2009}000",
            "5,000",
            "47.13 %",
            "< 1e-300",
            "-0.35",
            "n/a",
            "2\u{d7}10",
        ] {
            assert_eq!(
                t.cell(n),
                format!("<td class=\"num\">{}</td>", escape(n)),
                "{n}"
            );
        }
        for text in ["2BL", "x1", "1+1", "chi_square = 41.49", "Costa Norte"] {
            assert!(!t.cell(text).contains("class"), "{text}");
        }
        assert_eq!(
            t.render("p = 1.7e-5, q 0.03 and -2 of 2BL (12.5 %)"),
            "p = <span class=\"num\">1.7e-5</span>, q 0.03 and <span class=\"num\">-2</span> of 2BL (<span class=\"num\">12.5 %</span>)"
        );
        assert_eq!(t.render("@SUM(1+1)"), "@SUM(1+1)");
    }

    #[test]
    fn existing_output_files_become_links() {
        let dir = tempfile::TempDir::new().unwrap();
        for f in ["excluded_rows.csv", "results.json", "report.md"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let mut t = Inline::new(dir.path());
        assert_eq!(
            t.render("Listed in excluded_rows.csv. See results.json and report.md, not flagged_stations.csv."),
            "Listed in <a href=\"excluded_rows.csv\">excluded_rows.csv</a>. See <a href=\"results.json\">results.json</a> and <a href=\"report.md\">report.md</a>, not flagged_stations.csv."
        );
        // Paths, other folders' files and names glued to other text stay text.
        for text in [
            "data/excluded_rows.csv",
            "x.excluded_rows.csv",
            "../results.json",
            "<dataset>.results.json",
        ] {
            assert!(!t.render(text).contains("<a "), "{text}");
        }
        assert_eq!(
            t.render("see docs/methods.md#klimek_model."),
            "see <code>docs/methods.md#klimek_model</code>."
        );
    }
}
