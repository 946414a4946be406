//! Source text: normalisation (BOM, CRLF), checksums and byte-offset -> line/column mapping.

use sha2::{Digest, Sha256};

/// A file's bytes were not valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid UTF-8 at line {line}, column {column} (byte {offset}); save the file as UTF-8")]
pub struct NotUtf8 {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

/// Decode and normalise a migration file: strip a UTF-8 BOM, turn CRLF (and lone CR) into LF.
///
/// Checksums and spans are computed on the normalised text, so a checkout with
/// `core.autocrlf` gives the same checksum as one without.
pub fn normalize(bytes: &[u8]) -> Result<String, NotUtf8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.valid_up_to();
            let before = &bytes[..offset];
            #[allow(clippy::naive_bytecount)] // error path only: no crate for one count
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            // valid_up_to guarantees the prefix is UTF-8
            let column =
                std::str::from_utf8(&before[line_start..]).map_or(1, |s| s.chars().count() + 1);
            return Err(NotUtf8 {
                offset,
                line,
                column,
            });
        }
    };
    if !text.contains('\r') {
        return Ok(text.to_owned());
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// SHA-256 of the normalised text, lower-case hex.
pub fn checksum(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// A 1-based line/column position (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets of one text to 1-based lines and columns.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// Position of byte `offset` (clamped to the text; snapped back to a char boundary).
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        LineCol {
            line,
            column: text[start..offset].chars().count() + 1,
        }
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_bom_and_crlf() {
        let t = normalize(b"\xEF\xBB\xBFselect 1;\r\nselect 2;\rselect 3;").unwrap();
        assert_eq!(t, "select 1;\nselect 2;\nselect 3;");
        assert_eq!(checksum(&t), checksum("select 1;\nselect 2;\nselect 3;"));
    }

    #[test]
    fn non_utf8_names_line_and_column() {
        let err = normalize(b"select 1;\nselect '\xff';").unwrap_err();
        assert_eq!((err.line, err.column), (2, 9));
    }

    #[test]
    fn line_col_counts_chars() {
        let t = "ab\néé x\n";
        let idx = LineIndex::new(t);
        assert_eq!(idx.line_col(t, 0), LineCol { line: 1, column: 1 });
        let x = t.find('x').unwrap();
        assert_eq!(idx.line_col(t, x), LineCol { line: 2, column: 4 });
        assert_eq!(idx.line_col(t, t.len()).line, 3);
    }
}
