//! report.md: the document as GitHub-flavoured Markdown. Data strings are escaped so that names
//! with `|`, backticks, brackets, `<` or leading `#` cannot break tables or inject links or HTML.

use super::document::{Block, Document};

/// Escape plain text for Markdown (inline and table cells).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // An underscore inside a word (snake_case) cannot start emphasis in GFM: keep it readable.
        let inside_word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        if c == '_' && inside_word(i.checked_sub(1)) && inside_word(Some(i + 1)) {
            out.push(c);
            continue;
        }
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
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
        assert_eq!(escape("[x](http://evil)"), "\\[x\\](http://evil)");
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
    }
}
