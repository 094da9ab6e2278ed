//! Parquet input through Polars: every column is cast to text so that one validation path (with
//! the same ledger reasons and error messages) serves text and Parquet files alike.

use polars::prelude::*;
use std::path::Path;

/// Read a Parquet file into header names and text columns (`None` = null cell).
/// Header names, text columns (`None` = null cell) and the number of rows.
pub type TextColumns = (Vec<String>, Vec<Vec<Option<String>>>, usize);

/// `bytes` are the file's content, `path` names it in messages.
pub fn read_columns(bytes: Vec<u8>, path: &Path) -> anyhow::Result<TextColumns> {
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file ({e})", path.display()))?;
    let n_rows = df.height();
    let mut headers = Vec::with_capacity(df.width());
    let mut columns = Vec::with_capacity(df.width());
    for column in df.columns() {
        headers.push(column.name().to_string());
        let text = column.cast(&DataType::String).map_err(|e| {
            anyhow::anyhow!(
                "{}: column {:?} cannot be read as text ({e})",
                path.display(),
                column.name()
            )
        })?;
        let values = text
            .str()
            .map_err(|e| anyhow::anyhow!("{}: column {:?} ({e})", path.display(), column.name()))?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        columns.push(values);
    }
    Ok((headers, columns, n_rows))
}
