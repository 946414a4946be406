//! Token-scan fallback for statements sqlparser cannot parse.
//!
//! Recognises the schema-changing statements rules care about by keyword sequences. String
//! and dollar-quoted literals are single tokens, so SQL inside a `DO $$ .. $$` body is never
//! mistaken for a statement.

mod alter_table;
mod definitions;
mod objects;
mod tokens;

use super::Dialect;
use super::classify::statement_kind;
use super::ops::{Operation, RewriteKind, TxControl};
use alter_table::alter_table;
use objects::{alter_other, create, drop};
use tokens::{Cursor, Tok, tokenize};

/// Best-effort operations found by scanning the tokens of an unparsable statement.
pub fn scan(dialect: Dialect, sql: &str) -> Vec<Operation> {
    let toks = tokenize(dialect, sql);
    let mut c = Cursor {
        toks: &toks,
        pos: 0,
    };
    let ops = statement(dialect, &mut c);
    if ops.is_empty() {
        vec![Operation::Other {
            kind: leading_kind(&toks),
        }]
    } else {
        ops
    }
}

fn leading_kind(toks: &[Tok]) -> String {
    let words: Vec<String> = toks
        .iter()
        .take_while(|t| matches!(t, Tok::Word { quote: None, .. }))
        .take(8)
        .map(|t| t.sql(true))
        .collect();
    statement_kind(&words.join(" "))
}

fn statement(dialect: Dialect, c: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    if c.eat_kw("ALTER") {
        if c.eat_kw("TABLE") {
            return alter_table(c);
        }
        return alter_other(c);
    }
    if c.eat_kw("CREATE") {
        return create(c);
    }
    if c.eat_kw("DROP") {
        return drop(c);
    }
    if c.eat_kw("REINDEX") {
        let options = c.options();
        // the system catalogs have no concurrent rebuild: nothing to ask for
        if c.eat_kw("SYSTEM") {
            return vec![Op::Other {
                kind: "REINDEX SYSTEM".into(),
            }];
        }
        let _ =
            c.eat_kw("INDEX") || c.eat_kw("TABLE") || c.eat_kw("SCHEMA") || c.eat_kw("DATABASE");
        let concurrently =
            c.eat_kw("CONCURRENTLY") || options.iter().any(|(o, on)| o == "concurrently" && *on);
        return vec![Op::Reindex {
            target: c.name(),
            concurrently,
        }];
    }
    if c.eat_kw("TRUNCATE") {
        c.eat_kw("TABLE");
        c.eat_kw("ONLY");
        let tables = c.names();
        let cascade = c.contains_kws(&["CASCADE"]);
        return vec![Op::Truncate { tables, cascade }];
    }
    if c.eat_kw("VACUUM") {
        let mut full = c.eat_kw("FULL");
        full |= c.options().iter().any(|(o, on)| o == "full" && *on);
        while c.eat_kw("FREEZE") || c.eat_kw("VERBOSE") || c.eat_kw("ANALYZE") {}
        let table = c.name();
        return vec![if full {
            Op::TableRewrite {
                table,
                kind: RewriteKind::VacuumFull,
            }
        } else {
            Op::Vacuum
        }];
    }
    if c.eat_kw("CLUSTER") {
        c.eat_kw("VERBOSE");
        return vec![Op::TableRewrite {
            table: c.name(),
            kind: RewriteKind::Cluster,
        }];
    }
    // MariaDB's `BEGIN NOT ATOMIC .. END` is a compound statement, not a transaction
    let compound = c
        .toks
        .get(c.pos..c.pos + 3)
        .is_some_and(|w| w[0].is_kw("BEGIN") && w[1].is_kw("NOT") && w[2].is_kw("ATOMIC"));
    if !compound && c.eat_kw("BEGIN") || c.eat_kws(&["START", "TRANSACTION"]) {
        return vec![Op::Transaction(TxControl::Begin)];
    }
    // a bare END, not a procedure body's `END IF`
    if c.eat_kw("COMMIT") || (c.peek_kw("END") && c.toks.len() <= 3 && !c.contains_kws(&["IF"])) {
        return vec![Op::Transaction(TxControl::Commit)];
    }
    if c.eat_kw("ROLLBACK") {
        return vec![Op::Transaction(if c.contains_kws(&["TO"]) {
            TxControl::RollbackToSavepoint
        } else {
            TxControl::Rollback
        })];
    }
    if dialect == Dialect::Mysql && c.eat_kws(&["RENAME", "TABLE"]) {
        let mut ops = Vec::new();
        while let Some(from) = c.name() {
            if !c.eat_kw("TO") {
                break;
            }
            let Some(mut to) = c.name() else { break };
            if to.schema.is_none() {
                to.schema = from.schema.clone();
            }
            ops.push(Op::RenameTable { from, to });
            if !c.eat(",") {
                break;
            }
        }
        return ops;
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
