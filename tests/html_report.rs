//! report.html as a reader uses it, end to end through the `analyze` binary (no browser; the
//! browser check is bench/check_html.sh): a table of contents whose links all land on a heading,
//! verdict cells that carry their class, numbers that cannot wrap, links to the output files the
//! folder holds, and every figure caption once (the PNG shows it; the page gives it as alt text).

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};

use tempfile::TempDir;

/// The value of every `attr="…"` in `html`.
fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!(" {attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            &rest[..rest.find('"').expect("closing quote")]
        })
        .collect()
}

/// HTML text back to plain text: tags dropped, the entities `escape` writes decoded.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `<td …>inner</td>`: (its class attribute, its inner HTML).
fn cells(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<td") {
        let open_end = i + rest[i..].find('>').expect("end of <td");
        let open = &rest[i..open_end];
        let close = open_end + rest[open_end..].find("</td>").expect("</td>");
        let class = attr_values(open, "class").first().copied().unwrap_or("");
        out.push((class.to_string(), rest[open_end + 1..close].to_string()));
        rest = &rest[close..];
    }
    out
}

/// Whether `t` is one number as reports print them (`5,000`, `1.7e-5`, `-0.35`, `47.13 %`,
/// `< 1e-300`), written independently of html.rs's scanner.
fn looks_like_a_number(t: &str) -> bool {
    let t = t.trim();
    let chars: Vec<char> = t.chars().collect();
    t == "n/a"
        || (chars.iter().any(char::is_ascii_digit)
            && chars.iter().enumerate().all(|(i, &c)| {
                c.is_ascii_digit()
                    || ".,+-−%<>≤≥ \u{2009}\u{202f}×".contains(c)
                    || (matches!(c, 'e' | 'E')
                        && i > 0
                        && chars[i - 1].is_ascii_digit()
                        && chars
                            .get(i + 1)
                            .is_some_and(|n| n.is_ascii_digit() || "-+−".contains(*n)))
            }))
}

/// Words of a mixed cell that are numbers a browser could break: a sign or an exponent.
fn breakable_numbers(t: &str) -> Vec<String> {
    t.split_whitespace()
        .map(|w| w.trim_end_matches([',', ';', ')', '(']))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_digit() || "-+−".contains(c)))
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()) && w.contains(['-', '+', '−']))
        .filter(|w| looks_like_a_number(w))
        .map(str::to_string)
        .collect()
}

/// The checks every report.html must pass; returns the verdict classes seen.
fn check_report(run: &Run) -> BTreeMap<String, usize> {
    let html = run.file("report.html");
    let dir = run.dir();

    // Contents after the title, linking headings.
    let toc_at = html
        .find("<nav class=\"toc\"")
        .expect("a table of contents");
    assert!(
        html.find("<h1").unwrap() < toc_at,
        "contents after the title"
    );
    let toc = &html[toc_at..toc_at + html[toc_at..].find("</nav>").unwrap()];
    let toc_links = attr_values(toc, "href");
    assert!(
        toc_links.contains(&"#summary") && toc_links.contains(&"#findings"),
        "contents list the sections: {toc}"
    );
    // Every heading has an id, listed in the contents when it is an h2 or h3, with a self-link.
    for level in 2..=3 {
        for (i, _) in html.match_indices(&format!("<h{level} ")) {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            let id = attr_values(tag, "id")
                .first()
                .copied()
                .unwrap_or_else(|| panic!("heading without an id: {tag}"));
            assert!(
                toc_links.contains(&format!("#{id}").as_str()),
                "h{level} #{id} missing from the contents"
            );
            let end = i + html[i..].find(&format!("</h{level}>")).unwrap();
            assert!(
                html[i..end].contains(&format!("href=\"#{id}\"")),
                "h{level} #{id} has no self-link"
            );
        }
    }

    // Every #-link lands on exactly one element.
    let ids = attr_values(&html, "id");
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids: {ids:?}");
    let hrefs = attr_values(&html, "href");
    for h in &hrefs {
        if let Some(target) = h.strip_prefix('#') {
            assert!(
                unique.contains(target),
                "href=\"{h}\" has no id=\"{target}\""
            );
        } else {
            // Links to files: relative, plain names, files the dataset folder holds.
            assert!(
                !h.contains('/') && !h.contains(':') && dir.join(h).is_file(),
                "link to {h:?}, which is not a file of the dataset folder"
            );
        }
    }
    for f in ["results.json", "report.md"] {
        assert!(
            hrefs.contains(&f),
            "the Reproduce paragraph links {f}: {hrefs:?}"
        );
    }

    // Verdict cells carry their class; number cells do not wrap.
    assert!(
        html.contains(".num{white-space:nowrap"),
        "the number class does not wrap"
    );
    let mut verdicts = BTreeMap::new();
    for (class, inner) in cells(&html) {
        let text = plain(&inner);
        let classes: Vec<&str> = class.split_whitespace().collect();
        let verdict = match text.trim() {
            "deviates" => Some("v-deviates"),
            "consistent" => Some("v-consistent"),
            "not applicable" | "not_applicable" => Some("v-not-applicable"),
            "descriptive" => Some("v-descriptive"),
            _ => None,
        };
        if let Some(v) = verdict {
            assert!(classes.contains(&v), "verdict cell without {v}: {inner}");
            *verdicts.entry(v.to_string()).or_insert(0) += 1;
        } else if looks_like_a_number(&text) {
            assert!(
                classes.contains(&"num"),
                "number cell without the nowrap class: <td class=\"{class}\">{inner}"
            );
        } else {
            for n in breakable_numbers(&text) {
                assert!(
                    inner.contains(&format!("<span class=\"num\">{n}</span>")),
                    "{n:?} can wrap inside the cell {inner:?}"
                );
            }
        }
    }

    // Figures: once, sized, lazily loaded; the caption is the alt text and is not printed again.
    assert!(!html.contains("<figcaption"), "captions are in the PNGs");
    let md = run.file("report.md");
    let md_captions: Vec<String> = md
        .split("![chart](")
        .skip(1)
        .map(|s| {
            let line = s.lines().nth(2).expect("caption line after the image");
            let caption = line.trim().trim_matches('*');
            // Markdown escapes are a backslash before punctuation.
            let mut out = String::new();
            let mut chars = caption.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
                    continue;
                }
                out.push(c);
            }
            out
        })
        .collect();
    let images: Vec<&str> = html
        .match_indices("<img ")
        .map(|(i, _)| &html[i..])
        .collect();
    assert_eq!(images.len(), md_captions.len(), "one image per figure");
    for (img, caption) in images.iter().zip(&md_captions) {
        let tag = &img[..img.find('>').unwrap()];
        for a in ["loading=\"lazy\"", " width=\"", " height=\""] {
            assert!(tag.contains(a), "img without {a}");
        }
        let escaped = election_forensics::report::html::escape(caption);
        assert_eq!(
            attr_values(tag, "alt").first().copied(),
            Some(escaped.as_str()),
            "the caption is the image's alt text"
        );
        // Regional grids of different candidates share their caption: once per figure.
        let figures = md_captions.iter().filter(|c| *c == caption).count();
        assert_eq!(
            html.matches(&escaped).count(),
            figures,
            "caption shown more than once per figure: {caption}"
        );
    }
    assert!(html.contains("max-height:80vh"), "figures fit the screen");
    assert!(
        html.contains("<div class=\"table-wrap\"><table>"),
        "tables scroll in a wrapper"
    );
    verdicts
}

#[test]
fn tiny_report_has_contents_links_and_classed_cells() {
    let run = run_ok(&fixture("tiny", "tiny.csv"), &[]);
    // Too small for any test: the not-applicable findings are listed, not tabulated.
    check_report(&run);
}

#[test]
fn generated_report_with_figures_passes_the_same_checks() {
    let dir = TempDir::new().unwrap();
    let run = run_ok(&three_region_dataset(&dir), &["--replicates", "200"]);
    let html = run.file("report.html");
    assert!(html.contains("<img "), "the generated election has charts");
    let verdicts = check_report(&run);
    assert!(
        verdicts.len() >= 2,
        "several kinds of verdict coloured: {verdicts:?}"
    );
}

/// The CSV files named in the Data section link to the files (report.html is written last, after
/// every file it may link to).
#[test]
fn ledger_files_named_in_the_report_are_links() {
    let dir = TempDir::new().unwrap();
    let run = run_ok(&three_region_dataset(&dir), &["--replicates", "200"]);
    let html = run.file("report.html");
    for f in ["excluded_rows.csv", "flagged_stations.csv"] {
        assert!(run.dir().join(f).is_file(), "{f} written");
        if html.contains(f) {
            assert!(
                html.contains(&format!("<a href=\"{f}\">{f}</a>")),
                "{f} is not a link"
            );
        }
    }
}
