//! What the server answers from an analysis: diagnostics, hovers, code actions, and the
//! workspace edit of "plan this migration".

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeDescription, Command, CreateFile,
    CreateFileOptions, DeleteFile, DeleteFileOptions, DiagnosticRelatedInformation,
    DiagnosticSeverity, DocumentChangeOperation, DocumentChanges, Hover, HoverContents, Location,
    MarkupContent, MarkupKind, NumberOrString, OneOf, OptionalVersionedTextDocumentIdentifier,
    Position, Range, ResourceOp, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use crate::lint::report::sarif::help_uri;
use crate::lint::{Diagnostic, Severity, registry};
use crate::plan::{Plan, PlanFiles};
use crate::source::split::{SplitOptions, split};
use crate::source::{Layout, Migration};
use crate::sql::Dialect;

use super::analysis::Analysis;
use super::text;

/// The command behind "plan this migration"; its one argument is the document's URI.
pub const PLAN_COMMAND: &str = "sluice.plan";

/// The placeholder reason of an inserted ignore comment.
const REASON: &str = "TODO say why this is safe here";

pub fn diagnostics(a: &Analysis) -> Vec<lsp_types::Diagnostic> {
    let mut out: Vec<_> = a.findings.iter().map(|d| diagnostic(a, d)).collect();
    if let Some(e) = &a.error {
        out.insert(
            0,
            lsp_types::Diagnostic {
                range: Range::default(),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some("sluice".into()),
                message: format!("cannot lint this file: {e}"),
                ..Default::default()
            },
        );
    }
    out
}

fn diagnostic(a: &Analysis, d: &Diagnostic) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if d.token_scan {
        message.push_str(" (found by a token scan)");
    }
    if let Some(lock) = &d.lock {
        message.push_str(&format!("\nlock: {}", lock.describe()));
    }
    if !d.help.is_empty() {
        message.push_str(&format!("\nhelp: {}", d.help));
    }
    let related: Vec<_> = d
        .related
        .iter()
        .filter_map(|r| {
            let at = Position {
                line: r.line.saturating_sub(1) as u32,
                character: r.column.saturating_sub(1) as u32,
            };
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: file_uri(&a.base_dir.join(&r.path))?,
                    range: Range { start: at, end: at },
                },
                message: r.message.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: text::range(&a.text, d.range.clone()),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.rule.to_owned())),
        code_description: help_uri(d.rule)
            .parse()
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("sluice".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// The findings under the cursor, each with its rule's documentation.
pub fn hover(a: &Analysis, pos: Position) -> Option<Hover> {
    let at = text::offset(&a.text, pos);
    let hits: Vec<&Diagnostic> = a
        .findings
        .iter()
        .filter(|d| d.range.start <= at && at <= d.range.end)
        .collect();
    let first = hits.first()?;
    let sections: Vec<String> = hits
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let doc = registry::lookup(d.rule).map_or("", |r| r.meta().doc);
            format!(
                "**{}** ({level}): {}\n\n{}",
                d.rule,
                d.message,
                doc.trim_end()
            )
        })
        .collect();
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: Some(text::range(&a.text, first.range.clone())),
    })
}

/// Quick fixes for the findings in `range` (an ignore comment above the statement) and, when
/// a finding in the file has a `migrate plan` recipe, "plan this migration".
pub fn code_actions(a: &Analysis, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
    let (from, to) = (
        text::offset(&a.text, range.start),
        text::offset(&a.text, range.end),
    );
    let mut out = Vec::new();
    for d in a
        .findings
        .iter()
        .filter(|d| d.range.start <= to && from <= d.range.end && d.rule != "unused-ignore")
    {
        let line_start = statement_line(a, d.range.start);
        let line = &a.text[line_start..];
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        let at = text::position(&a.text, line_start);
        let edit = TextEdit {
            range: Range { start: at, end: at },
            new_text: format!("{indent}-- sluice:ignore {} -- {REASON}\n", d.rule),
        };
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Ignore `{}` for this statement (sluice:ignore)", d.rule),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic(a, d)]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            ..Default::default()
        }));
    }
    let plannable = a.findings.iter().any(|d| {
        registry::lookup(d.rule).is_some_and(|r| r.meta().has_recipe)
            && d.range.start <= to
            && from <= d.range.end
    });
    if plannable {
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: "Plan this migration: replace it with expand / backfill / contract phases"
                .into(),
            kind: Some(CodeActionKind::REFACTOR_REWRITE),
            command: Some(Command {
                title: "Plan this migration".into(),
                command: PLAN_COMMAND.into(),
                arguments: Some(vec![serde_json::json!(uri.as_str())]),
            }),
            ..Default::default()
        }));
    }
    out
}

/// The start of the line where the statement holding `offset` begins (an ignore comment goes
/// on the line above it); the finding's own line when it is in no statement.
fn statement_line(a: &Analysis, offset: usize) -> usize {
    let opts = SplitOptions {
        mysql: a.dialect == Dialect::Mysql,
        goose: a.layout == Some(Layout::Goose),
    };
    let start = split(&a.text, opts)
        .into_iter()
        .find_map(|c| {
            c.stmt
                .filter(|s| s.start <= offset && offset < c.range.end.max(s.end + 1))
        })
        .map_or(offset, |s| s.start);
    a.text[..start.min(a.text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// Where the phased files go: the migration's own directory for a native migration, else a
/// new `<version>_<name>/` beside the naive file, which is removed (with its down).
pub fn plan_target(plan: &Plan, migration: &Migration, path: &Path) -> (PathBuf, Vec<PathBuf>) {
    let dir = path.parent().unwrap_or(Path::new("."));
    if migration.layout == Layout::Native {
        return (dir.to_path_buf(), Vec::new());
    }
    let replaced: Vec<PathBuf> = migration
        .scripts
        .iter()
        .map(|s| s.file.path.clone())
        .filter(|p| p.is_file())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    (
        dir.join(format!("{}_{}", plan.version, plan.name)),
        replaced,
    )
}

/// The workspace edit writing the plan: each phased file created (or overwritten) with its
/// text, the phase files the plan does not need removed, the naive files removed.
pub fn plan_edit(files: &PlanFiles, dir: &Path, removed: &[PathBuf]) -> Option<WorkspaceEdit> {
    let mut ops = Vec::new();
    for (name, content) in &files.files {
        let uri = file_uri(&dir.join(name))?;
        ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
            CreateFile {
                uri: uri.clone(),
                options: Some(CreateFileOptions {
                    overwrite: Some(true),
                    ignore_if_exists: None,
                }),
                annotation_id: None,
            },
        )));
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits: vec![OneOf::Left(TextEdit {
                range: Range::default(),
                new_text: content.clone(),
            })],
        }));
    }
    let stale = super::super::plan_out::PLAN_FILES
        .iter()
        .filter(|n| !files.files.iter().any(|(f, _)| f == *n))
        .map(|n| dir.join(n))
        .filter(|p| p.is_file());
    for p in stale.chain(removed.iter().cloned()) {
        ops.push(DocumentChangeOperation::Op(ResourceOp::Delete(
            DeleteFile {
                uri: file_uri(&p)?,
                options: Some(DeleteFileOptions {
                    recursive: None,
                    ignore_if_not_exists: Some(true),
                    annotation_id: None,
                }),
            },
        )));
    }
    Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(ops)),
        ..Default::default()
    })
}

pub fn file_uri(path: &Path) -> Option<Uri> {
    url::Url::from_file_path(path).ok()?.as_str().parse().ok()
}

pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

#[cfg(test)]
mod tests {
    use super::super::analysis::Workspace;
    use super::*;

    fn edit_of(action: &CodeActionOrCommand) -> &TextEdit {
        let CodeActionOrCommand::CodeAction(a) = action else {
            panic!("a code action: {action:?}")
        };
        let edit = a.edit.as_ref().unwrap();
        &edit.changes.as_ref().unwrap().values().next().unwrap()[0]
    }

    #[test]
    fn ignore_goes_above_the_statement_with_its_indent() {
        let path = Path::new("/nonexistent/0001_x.sql");
        let uri = file_uri(path).unwrap();
        let mut ws = Workspace::new(None);
        let text = "SELECT 1;\n  ALTER TABLE users\n    RENAME COLUMN name TO full_name;\n";
        let a = ws.analyse(path, text);
        assert_eq!(a.error, None);
        let finding = a
            .findings
            .iter()
            .find(|d| d.rule == "renaming-column")
            .expect("a rename finding");
        assert_eq!(
            finding.start.line, 3,
            "the span is on the statement's 2nd line"
        );
        let at = text::range(&a.text, finding.range.clone());
        let actions = code_actions(&a, &uri, at);
        let edit = edit_of(&actions[0]);
        assert_eq!(
            edit.range.start,
            Position {
                line: 1,
                character: 0
            }
        );
        assert_eq!(
            edit.new_text,
            format!("  -- sluice:ignore renaming-column -- {REASON}\n")
        );
        let mut fixed = text.to_owned();
        fixed.insert_str(text::offset(text, edit.range.start), &edit.new_text);
        let again = ws.analyse(path, &fixed);
        assert!(
            again.findings.iter().all(|d| d.rule != "renaming-column"),
            "{:?}",
            again.findings
        );
        // nothing under the cursor: no action
        let none = code_actions(&a, &uri, text::range(&a.text, 0..3));
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn plan_edit_writes_the_files_then_removes_the_naive_one() {
        let files = PlanFiles {
            files: vec![("expand.up.sql".into(), "SELECT 1;\n".into())],
        };
        let dir = Path::new("/nonexistent/20240101_x");
        let edit = plan_edit(&files, dir, &[PathBuf::from("/nonexistent/1_x.sql")]).unwrap();
        let Some(DocumentChanges::Operations(ops)) = edit.document_changes else {
            panic!("operations")
        };
        assert_eq!(ops.len(), 3, "{ops:?}");
        assert!(
            matches!(&ops[0], DocumentChangeOperation::Op(ResourceOp::Create(c))
            if c.uri.as_str() == "file:///nonexistent/20240101_x/expand.up.sql")
        );
        assert!(
            matches!(&ops[2], DocumentChangeOperation::Op(ResourceOp::Delete(d))
            if d.uri.as_str() == "file:///nonexistent/1_x.sql")
        );
    }
}
