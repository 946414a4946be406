//! Positions: LSP's (line, UTF-16 code unit) against byte offsets, and incremental edits.
//!
//! The server always speaks UTF-16, the encoding every client supports. The linter works on
//! the normalised text (LF line ends, no BOM); since a CR only ever ends a line, lines and
//! columns are the same in the editor's buffer.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// The byte offset of `pos` in `text`, clamped to its line and to the text.
pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0u32;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    line_end
}

/// The position of byte `offset` (snapped back to a char boundary).
pub fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() as u32,
        character: before[line_start..]
            .chars()
            .map(|c| c.len_utf16() as u32)
            .sum(),
    }
}

pub fn range(text: &str, bytes: std::ops::Range<usize>) -> Range {
    Range {
        start: position(text, bytes.start),
        end: position(text, bytes.end),
    }
}

/// Apply one `didChange` event (a ranged edit, or the whole text).
pub fn apply(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        Some(r) => {
            let start = offset(text, r.start);
            let end = offset(text, r.end).max(start);
            text.replace_range(start..end, &change.text);
        }
        None => *text = change.text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_columns() {
        // `é` is 2 bytes and 1 UTF-16 unit; `𝄞` is 4 bytes and 2 units
        let text = "ab\né𝄞x\n";
        assert_eq!(offset(text, pos(1, 0)), 3);
        assert_eq!(offset(text, pos(1, 1)), 5);
        assert_eq!(offset(text, pos(1, 3)), 9);
        assert_eq!(position(text, 9), pos(1, 3));
        assert_eq!(position(text, 5), pos(1, 1));
        // past the line's end: its end; past the text: its end
        assert_eq!(offset(text, pos(0, 99)), 2);
        assert_eq!(offset(text, pos(9, 0)), text.len());
        for o in 0..=text.len() {
            if text.is_char_boundary(o) {
                assert_eq!(offset(text, position(text, o)), o, "{o}");
            }
        }
    }

    #[test]
    fn edits() {
        let mut text = "SELECT 1;\nSELECT 2;\n".to_owned();
        apply(
            &mut text,
            TextDocumentContentChangeEvent {
                range: Some(Range {
                    start: pos(1, 7),
                    end: pos(1, 8),
                }),
                range_length: None,
                text: "42".into(),
            },
        );
        assert_eq!(text, "SELECT 1;\nSELECT 42;\n");
        apply(
            &mut text,
            TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "x".into(),
            },
        );
        assert_eq!(text, "x");
    }
}
