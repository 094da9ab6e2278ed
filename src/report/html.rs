//! report.html: one self-contained file (inline CSS, figures embedded as base64 PNG data URIs) that
//! opens offline in any browser. Every data string is HTML-escaped.

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
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:0.3em 0.6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td:nth-child(n+4){font-variant-numeric:tabular-nums}figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}\
figcaption{font-size:0.9em;color:#444}pre{background:#f6f6f6;padding:0.8em;overflow-x:auto}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:0.2em;margin-top:2em}";

/// Render the document; figures are read from `dir` (the dataset folder) and embedded.
pub fn render(doc: &Document, dir: &Path) -> anyhow::Result<String> {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&doc.title),
        escape(&doc.title)
    );
    for block in &doc.blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!("<h{level}>{}</h{level}>\n", escape(text)))
            }
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", escape(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { header, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for h in header {
                    out.push_str(&format!("<th>{}</th>", escape(h)));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        out.push_str(&format!("<td>{}</td>", escape(c)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
            Block::Figure { path, caption } => {
                let bytes = std::fs::read(dir.join(path))
                    .with_context(|| format!("cannot embed figure {path}"))?;
                let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                out.push_str(&format!(
                    "<figure><img alt=\"{}\" src=\"data:image/png;base64,{data}\"><figcaption>{}</figcaption></figure>\n",
                    escape(caption),
                    escape(caption)
                ));
            }
            Block::Code(text) => {
                out.push_str(&format!("<pre><code>{}</code></pre>\n", escape(text)))
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
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
}
