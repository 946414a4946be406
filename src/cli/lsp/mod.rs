//! `migrate lsp`: a language server over stdio (JSON-RPC, `lsp-server`).
//!
//! - diagnostics of the open `.sql` migration on open and on change (debounced), from the same
//!   engine as `migrate lint <file>`: the unsaved text is the change, the earlier migrations of
//!   its directory the history; saving any file re-lints the open ones;
//! - hover on a finding: the rule's documentation (`lint-rules/<id>.md`);
//! - code actions: `-- sluice:ignore <rule> -- <reason>` above the statement, and "plan this
//!   migration" (the `sluice.plan` command) on a finding with a `migrate plan` recipe: the
//!   server asks the client to apply a workspace edit that writes the phased files, as
//!   `migrate plan <file> --out <dir>` followed by removing the naive file would, and answers
//!   the command with the plan (files, recipes, notes) and whether the edit was applied.
//!
//! No database I/O: the schema comes from the migration files only.

mod analysis;
mod features;
mod text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{
    ApplyWorkspaceEdit, CodeActionRequest, ExecuteCommand, HoverRequest, Request as _,
};
use lsp_types::{
    ApplyWorkspaceEditParams, ApplyWorkspaceEditResponse, CodeActionKind, CodeActionOptions,
    CodeActionParams, CodeActionProviderCapability, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, ExecuteCommandOptions,
    ExecuteCommandParams, HoverParams, HoverProviderCapability, InitializeParams, InitializeResult,
    MessageType, PublishDiagnosticsParams, ResourceOperationKind, SaveOptions, ServerCapabilities,
    ServerInfo, ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde_json::{Value, json};

use self::analysis::{Analysis, Planned, Workspace};
use super::exit;

/// Quiet time after an edit before the document is linted again.
const DEBOUNCE: Duration = Duration::from_millis(150);

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Talk over stdin / stdout (the only transport; accepted because editors pass it).
    #[arg(long)]
    stdio: bool,
}

pub fn run(config: Option<&Path>, _args: &LspArgs) -> anyhow::Result<u8> {
    let (conn, io) = Connection::stdio();
    let (id, params) = conn
        .initialize_start()
        .context("the client did not initialize")?;
    let params: InitializeParams =
        serde_json::from_value(params).context("invalid initialize params")?;
    let result = InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "sluice".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    conn.initialize_finish(id, serde_json::to_value(result)?)?;
    let edits = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.workspace_edit.as_ref());
    let can_write_files = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.apply_edit)
        .unwrap_or(false)
        && edits.and_then(|e| e.document_changes).unwrap_or(false)
        && edits
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| {
                ops.contains(&ResourceOperationKind::Create)
                    && ops.contains(&ResourceOperationKind::Delete)
            });
    let mut server = Server {
        conn: &conn,
        workspace: Workspace::new(config.map(Path::to_path_buf)),
        docs: BTreeMap::new(),
        can_write_files,
        pending: Vec::new(),
        next_id: 0,
    };
    server.main_loop()?;
    drop(conn);
    io.join().context("the stdio transport failed")?;
    Ok(exit::OK)
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::REFACTOR_REWRITE,
            ]),
            ..Default::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![features::PLAN_COMMAND.into()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An open document.
struct Doc {
    uri: Uri,
    /// The editor's text, as it sent it.
    raw: String,
    version: i32,
    /// `None` for a document that is not a file (e.g. `untitled:`).
    path: Option<PathBuf>,
    /// The last analysis; `None` while an edit waits to be linted.
    analysis: Option<Analysis>,
}

struct Server<'c> {
    conn: &'c Connection,
    workspace: Workspace,
    /// By URI (as text: `Uri` caches parts of itself, so it makes no good map key).
    docs: BTreeMap<String, Doc>,
    /// The client applies workspace edits that create and delete files.
    can_write_files: bool,
    /// Our `workspace/applyEdit` requests: the `sluice.plan` command waiting for each answer.
    pending: Vec<(RequestId, RequestId, Value)>,
    next_id: i32,
}

impl Server<'_> {
    fn main_loop(&mut self) -> anyhow::Result<()> {
        loop {
            let dirty = self.docs.values().any(|d| d.analysis.is_none());
            let msg = if dirty {
                match self.conn.receiver.recv_timeout(DEBOUNCE) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => {
                        self.lint_dirty();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
            } else {
                match self.conn.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                }
            };
            match msg {
                Message::Request(req) => {
                    if self.conn.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    self.request(req);
                }
                Message::Notification(n) if n.method == "exit" => return Ok(()),
                Message::Notification(n) => self.notification(n),
                Message::Response(r) => self.response(r),
            }
        }
    }

    fn send(&self, msg: impl Into<Message>) {
        // the writer thread only stops when the client is gone; the loop ends on that
        let _ = self.conn.sender.send(msg.into());
    }

    fn notify<P: serde::Serialize>(&self, method: &str, params: P) {
        self.send(Notification::new(method.to_owned(), params));
    }

    fn show(&self, typ: MessageType, message: String) {
        self.notify(ShowMessage::METHOD, ShowMessageParams { typ, message });
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                    return;
                };
                let d = p.text_document;
                let path = features::uri_path(&d.uri);
                self.docs.insert(
                    d.uri.as_str().to_owned(),
                    Doc {
                        uri: d.uri.clone(),
                        raw: d.text,
                        version: d.version,
                        path,
                        analysis: None,
                    },
                );
                self.lint(d.uri.as_str());
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                    return;
                };
                if let Some(doc) = self.docs.get_mut(p.text_document.uri.as_str()) {
                    for change in p.content_changes {
                        text::apply(&mut doc.raw, change);
                    }
                    doc.version = p.text_document.version;
                    doc.analysis = None;
                }
            }
            DidSaveTextDocument::METHOD => {
                // another migration's text or the application code may have changed
                self.workspace.saved();
                for doc in self.docs.values_mut() {
                    doc.analysis = None;
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                self.docs.remove(uri.as_str());
                self.notify(
                    PublishDiagnostics::METHOD,
                    PublishDiagnosticsParams {
                        uri,
                        diagnostics: Vec::new(),
                        version: None,
                    },
                );
            }
            _ => {}
        }
    }

    fn lint_dirty(&mut self) {
        let dirty: Vec<String> = self
            .docs
            .iter()
            .filter(|(_, d)| d.analysis.is_none())
            .map(|(u, _)| u.clone())
            .collect();
        for uri in dirty {
            self.lint(&uri);
        }
    }

    /// Lint the document (unless its analysis is current) and publish its diagnostics.
    fn lint(&mut self, uri: &str) {
        let Some(doc) = self.docs.get_mut(uri) else {
            return;
        };
        if doc.analysis.is_some() {
            return;
        }
        let path = doc
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from(doc.uri.path().as_str()));
        let analysis = self.workspace.analyse(&path, &doc.raw);
        let params = PublishDiagnosticsParams {
            uri: doc.uri.clone(),
            diagnostics: features::diagnostics(&analysis),
            version: Some(doc.version),
        };
        tracing::debug!(uri, findings = analysis.findings.len(), "linted");
        doc.analysis = Some(analysis);
        self.notify(PublishDiagnostics::METHOD, params);
    }

    /// The current analysis of an open document.
    fn analysis(&mut self, uri: &Uri) -> Option<&Analysis> {
        let uri = uri.as_str();
        self.lint(uri);
        self.docs.get(uri)?.analysis.as_ref()
    }

    fn request(&mut self, req: Request) {
        let id = req.id.clone();
        let reply = match req.method.as_str() {
            HoverRequest::METHOD => parse::<HoverParams>(req).map(|p| {
                let at = p.text_document_position_params;
                let hover = self
                    .analysis(&at.text_document.uri)
                    .and_then(|a| features::hover(a, at.position));
                json!(hover)
            }),
            CodeActionRequest::METHOD => parse::<CodeActionParams>(req).map(|p| {
                let uri = p.text_document.uri;
                let actions = self
                    .analysis(&uri)
                    .map(|a| features::code_actions(a, &uri, p.range))
                    .unwrap_or_default();
                json!(actions)
            }),
            ExecuteCommand::METHOD => match parse::<ExecuteCommandParams>(req) {
                Ok(p) if p.command == features::PLAN_COMMAND => match self.plan(id.clone(), &p) {
                    Ok(Some(result)) => Ok(result),
                    // answered once the client has applied the edit
                    Ok(None) => return,
                    Err(e) => Err((ErrorCode::RequestFailed, e)),
                },
                Ok(p) => Err((
                    ErrorCode::InvalidParams,
                    format!("unknown command `{}`", p.command),
                )),
                Err(e) => Err(e),
            },
            other => Err((
                ErrorCode::MethodNotFound,
                format!("`{other}` is not supported"),
            )),
        };
        self.send(match reply {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        });
    }

    /// `sluice.plan <uri>`: plan the document's migration and ask the client to write it.
    /// `Ok(None)` when the answer waits for the client's `workspace/applyEdit` response.
    fn plan(&mut self, id: RequestId, p: &ExecuteCommandParams) -> Result<Option<Value>, String> {
        let uri: Uri = p
            .arguments
            .first()
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or("sluice.plan takes the document's URI")?;
        let doc = self
            .docs
            .get(uri.as_str())
            .ok_or("the document is not open")?;
        let path = doc
            .path
            .clone()
            .ok_or("only a file on disk can be planned")?;
        let planned = self
            .workspace
            .plan(&path, &doc.raw)
            .map_err(|e| format!("{e:#}"))?;
        let (plan, files, migration) = match planned {
            Planned::Plan {
                plan,
                files,
                migration,
            } => (plan, files, migration),
            Planned::Refused(refusals) => {
                let reasons: Vec<String> = refusals
                    .iter()
                    .map(|r| format!("line {}: {}", r.line, r.reason))
                    .collect();
                let message = format!(
                    "{} statement(s) cannot be made safe: {}",
                    refusals.len(),
                    reasons.join("; ")
                );
                self.show(MessageType::ERROR, message.clone());
                return Err(message);
            }
        };
        let (dir, removed) = features::plan_target(&plan, &migration, &path);
        let mut result = json!({
            "dir": dir,
            "files": files.files.iter().map(|(name, text)| json!({"name": name, "text": text})).collect::<Vec<_>>(),
            "removed": removed,
            "recipes": plan.recipes,
            "notes": plan.notes,
            "applied": false,
        });
        let edit = features::plan_edit(&files, &dir, &removed);
        match edit {
            Some(edit) if self.can_write_files => {
                self.next_id += 1;
                let out_id = RequestId::from(format!("sluice-{}", self.next_id));
                self.send(Request::new(
                    out_id.clone(),
                    ApplyWorkspaceEdit::METHOD.to_owned(),
                    ApplyWorkspaceEditParams {
                        label: Some(format!("Plan {}_{}", plan.version, plan.name)),
                        edit,
                    },
                ));
                self.pending.push((out_id, id, result));
                Ok(None)
            }
            _ => {
                self.show(
                    MessageType::INFO,
                    format!(
                        "this editor cannot create files from a language server: run `migrate plan {} --out {}`",
                        path.display(),
                        dir.display()
                    ),
                );
                result["applied"] = json!(false);
                Ok(Some(result))
            }
        }
    }

    fn response(&mut self, r: Response) {
        let Some(i) = self.pending.iter().position(|(out, _, _)| *out == r.id) else {
            return;
        };
        let (_, id, mut result) = self.pending.swap_remove(i);
        let applied = r
            .response_result
            .ok()
            .and_then(|v| serde_json::from_value::<ApplyWorkspaceEditResponse>(v).ok());
        result["applied"] = json!(applied.as_ref().is_some_and(|a| a.applied));
        if let Some(reason) = applied.and_then(|a| a.failure_reason) {
            result["failure_reason"] = json!(reason);
        }
        self.send(Response::new_ok(id, result));
    }
}

fn parse<P: serde::de::DeserializeOwned>(req: Request) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(req.params).map_err(|e| {
        (
            ErrorCode::InvalidParams,
            format!("invalid `{}` params: {e}", req.method),
        )
    })
}
