//! report.md: the document as GitHub-flavoured Markdown. Data strings are escaped so that names
//! with `|`, backticks, brackets, `<` or leading `#` cannot break tables or inject links or HTML.
//!
//! Only what Markdown could read as markup is escaped, so plain prose stays readable in the raw
//! file ("p < 0.001", "EFToolkit _2BL"). The rules follow CommonMark 0.31 and GFM:
//! `\`, `` ` ``, `*`, `[`, `]` and `|` always (code spans, emphasis, links, table cells); `<` only
//! before a letter, `/`, `!` or `?` (an HTML tag, comment or autolink), and `>` after such a `<` or
//! at the start (block quote); `_` and `~` only when the text has another one that could pair
//! with it (emphasis, strikethrough; `_` inside a word never can); `#` at the start or after a
//! space (headings and their closing sequence); `!` before `[`; a list marker (`-`, `+`, `1.`,
//! `1)`) at the start. GFM's extended autolinks are broken up too, so a name cannot become a link
//! by itself: the `:` of `http://`, `https://` and `ftp://`, the `.` of `www.` at a word start,
//! and the `@` of an e-mail address shape (`a@b`). Every text block is a single line (line breaks
//! become spaces).

use super::document::{Block, Document};

/// Escape plain text for Markdown (inline and table cells).
pub fn escape(s: &str) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let alnum = |j: Option<usize>| {
        j.and_then(|j| chars.get(j))
            .is_some_and(|c| c.is_alphanumeric())
    };
    // An underscore inside a word (snake_case) cannot open or close emphasis in GFM.
    let intraword = |i: usize| alnum(i.checked_sub(1)) && alnum(Some(i + 1));
    let free_underscores = (0..chars.len())
        .filter(|&i| chars[i] == '_' && !intraword(i))
        .count();
    let tildes = chars.iter().filter(|&&c| c == '~').count();
    let first = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(0);
    // A list marker at the start: "-", "+" or digits followed by "." or ")", then a space.
    let marker_end = {
        let digits = chars[first..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let at = first + digits;
        let punct = chars.get(at).copied();
        let list = match punct {
            Some('-' | '+') if digits == 0 => true,
            Some('.' | ')') => digits > 0,
            _ => false,
        };
        (list && chars.get(at + 1).is_none_or(|c| c.is_whitespace())).then_some(at)
    };
    let mut out = String::with_capacity(s.len() + 8);
    let mut tag_opened = false;
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let needs = match c {
            '\\' | '`' | '*' | '[' | ']' | '|' => true,
            '<' => {
                let tag =
                    next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'));
                tag_opened |= tag;
                tag
            }
            '>' => tag_opened || i == first,
            '_' => !intraword(i) && free_underscores > 1,
            '~' => tildes > 1,
            '#' => i == first || chars[i - 1].is_whitespace(),
            '!' => next == Some('['),
            ':' => {
                chars.get(i + 1..i + 3) == Some(&['/', '/'][..])
                    && ["http", "https", "ftp"].iter().any(|scheme| {
                        let n = scheme.len();
                        i >= n
                            && chars[i - n..i]
                                .iter()
                                .zip(scheme.chars())
                                .all(|(a, b)| a.to_ascii_lowercase() == b)
                            && !alnum(i.checked_sub(n + 1))
                    })
            }
            '.' => {
                Some(i) == marker_end
                    || i >= 3
                        && chars[i - 3..i].iter().all(|c| c.eq_ignore_ascii_case(&'w'))
                        && !alnum(i.checked_sub(4))
            }
            '@' => alnum(i.checked_sub(1)) && alnum(Some(i + 1)),
            _ => Some(i) == marker_end,
        };
        if needs {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn render(doc: &Document) -> String {
    let mut out = format!("# {}\n\n", escape(&doc.title));
    for block in &doc.blocks {
        match block {
            Block::Heading(level, text) => out.push_str(&format!(
                "{} {}\n\n",
                "#".repeat(*level as usize),
                escape(text)
            )),
            Block::Paragraph(text) => out.push_str(&format!("{}\n\n", escape(text))),
            Block::List(items) => {
                for item in items {
                    out.push_str(&format!("- {}\n", escape(item)));
                }
                out.push('\n');
            }
            Block::LinkedList(items) => {
                for (item, section) in items {
                    out.push_str(&format!(
                        "- {} (Section: {}.)\n",
                        escape(item),
                        escape(section)
                    ));
                }
                out.push('\n');
            }
            Block::Table { header, rows } => {
                let row = |cells: &[String]| {
                    format!(
                        "| {} |\n",
                        cells
                            .iter()
                            .map(|c| escape(c))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    )
                };
                out.push_str(&row(header));
                out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
                for r in rows {
                    out.push_str(&row(r));
                }
                out.push('\n');
            }
            Block::Figure { path, caption } => {
                out.push_str(&format!("![chart]({path})\n\n*{}*\n\n", escape(caption)))
            }
            Block::Code(text) => {
                out.push_str(&format!("```\n{}\n```\n\n", text.replace("```", "'''")))
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_stay_text() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("[x](http://evil)"), "\\[x\\](http\\://evil)");
        assert_eq!(escape("<script>"), "\\<script\\>");
        assert_eq!(escape("cand_a _x_"), "cand_a \\_x\\_");
        let doc = Document {
            title: "t".into(),
            blocks: vec![Block::Table {
                header: vec!["name".into()],
                rows: vec![vec!["A|B\nC".into()]],
            }],
        };
        assert!(render(&doc).contains("| A\\|B C |"));
        // Still markup-proof: HTML, links, emphasis, headings, quotes, lists, code.
        assert_eq!(escape("<b>x</b>"), "\\<b\\>x\\</b\\>");
        assert_eq!(escape("<!-- c -->"), "\\<!-- c --\\>");
        assert_eq!(escape("![i](x)"), "\\!\\[i\\](x)");
        assert_eq!(escape("*a*"), "\\*a\\*");
        assert_eq!(escape("~~a~~"), "\\~\\~a\\~\\~");
        assert_eq!(escape("# Title #"), "\\# Title \\#");
        assert_eq!(escape("> quote"), "\\> quote");
        assert_eq!(escape("- item"), "\\- item");
        assert_eq!(escape("12. item"), "12\\. item");
        assert_eq!(escape("`code`"), "\\`code\\`");
        // GFM extended autolinks: no bare URL, www. address or e-mail becomes a link.
        assert_eq!(
            escape("see http://evil.example"),
            "see http\\://evil.example"
        );
        assert_eq!(escape("HTTPS://x"), "HTTPS\\://x");
        assert_eq!(escape("www.evil.example"), "www\\.evil.example");
        assert_eq!(escape("mail a@b.example"), "mail a\\@b.example");
        assert_eq!(escape("awww.x, xhttp://y"), "awww.x, xhttp://y");
    }

    #[test]
    fn plain_prose_is_not_escaped() {
        // The report's own sentences: nothing here can become markup.
        let plain = [
            "Orange panels have p < 0.001 before multiple-testing correction",
            "the statistic the Election Forensics Toolkit reports as _2BL",
            "counts ≥ 100 (benford_py uses 1000); 12.5 % → 12, a > b, 3-4 votes, Mesa 12#",
            "Costa Norte: 0/5 endings! 5 - 3 = 2",
            "Región Andina > Distrito 1",
        ];
        for text in plain {
            assert_eq!(escape(text), text);
        }
    }
}
