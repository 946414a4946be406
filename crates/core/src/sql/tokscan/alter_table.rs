//! `ALTER TABLE` and its actions.

use super::super::ops::{
    ConstraintKind, ConstraintSpec, IndexShape, ObjName, ObjectKind, Operation, RewriteKind,
};
use super::super::volatility;
use super::definitions::{column, column_type, constraint};
use super::tokens::{Cursor, Tok, render};

pub(super) fn alter_table(c: &mut Cursor) -> Vec<Operation> {
    c.eat_kws(&["IF", "EXISTS"]);
    c.eat_kw("ONLY");
    let Some(table) = c.name() else {
        return Vec::new();
    };
    c.eat("*");
    let mut ops = Vec::new();
    let (mut algorithm, mut lock) = (None, None);
    let mut unread = false;
    loop {
        let action = c.until_comma();
        let mut a = Cursor {
            toks: action,
            pos: 0,
        };
        if a.eat_kw("ALGORITHM") {
            a.eat("=");
            algorithm = a.peek().map(|t| t.sql(true));
        } else if a.eat_kw("LOCK") {
            a.eat("=");
            lock = a.peek().map(|t| t.sql(true));
        } else if !action.is_empty() {
            let op = alter_action(&table, &mut a);
            unread |= op.is_empty();
            ops.extend(op);
        }
        if !c.eat(",") {
            break;
        }
    }
    if algorithm.is_some() || lock.is_some() {
        ops.push(Operation::AlterTableOptions {
            table,
            algorithm,
            lock,
        });
    }
    // an action the scan cannot type: said, so that nothing counts the statement as read
    if ops.is_empty() || unread {
        ops.push(Operation::Other {
            kind: "ALTER TABLE".into(),
        });
    }
    ops
}

/// `ALTER CONSTRAINT n` and its timing; anything else in the action (PostgreSQL 18's
/// `[NOT] ENFORCED`, `[NO] INHERIT`) is not typed.
fn alter_constraint(table: &ObjName, a: &mut Cursor) -> Vec<Operation> {
    let Some(name) = a.ident() else {
        return Vec::new();
    };
    let (mut deferrable, mut initially_deferred) = (None, None);
    while !a.at_end() {
        if a.eat_kws(&["NOT", "DEFERRABLE"]) {
            deferrable = Some(false);
        } else if a.eat_kw("DEFERRABLE") {
            deferrable = Some(true);
        } else if a.eat_kws(&["INITIALLY", "DEFERRED"]) {
            initially_deferred = Some(true);
        } else if a.eat_kws(&["INITIALLY", "IMMEDIATE"]) {
            initially_deferred = Some(false);
        } else {
            return Vec::new();
        }
    }
    if deferrable.is_none() && initially_deferred.is_none() {
        return Vec::new();
    }
    vec![Operation::AlterConstraint {
        table: table.clone(),
        name,
        deferrable,
        initially_deferred,
    }]
}

fn alter_action(table: &ObjName, a: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    let t = || table.clone();
    let rewrite = |kind| {
        vec![Op::TableRewrite {
            table: Some(table.clone()),
            kind,
        }]
    };
    if a.eat_kw("ADD") {
        // PG 18 `ADD CONSTRAINT n NOT NULL col` is a SET NOT NULL with a name
        if a.peek_kw("CONSTRAINT")
            && a.toks.get(a.pos + 2).is_some_and(|t| t.is_kw("NOT"))
            && a.toks.get(a.pos + 3).is_some_and(|t| t.is_kw("NULL"))
        {
            let name = a.toks.get(a.pos + 1).and_then(Tok::ident);
            a.pos += 4;
            let Some(column) = a.ident() else {
                return Vec::new();
            };
            if a.eat_kws(&["NOT", "VALID"]) {
                return vec![Op::AddConstraint {
                    table: t(),
                    constraint: ConstraintSpec {
                        name,
                        kind: ConstraintKind::NotNull,
                        columns: vec![column],
                        references: None,
                        fk_clause: None,
                        not_valid: true,
                        using_index: None,
                        check_expr: None,
                    },
                }];
            }
            return vec![Op::SetNotNull { table: t(), column }];
        }
        if let Some(constraint) = constraint(a) {
            return vec![Op::AddConstraint {
                table: t(),
                constraint,
            }];
        }
        let fulltext_or_spatial = a.eat_kw("FULLTEXT") || a.eat_kw("SPATIAL");
        if a.eat_kw("INDEX") || a.eat_kw("KEY") || fulltext_or_spatial {
            let _ = a.eat_kw("INDEX") || a.eat_kw("KEY");
            let name = if a.peek().is_some_and(|t| t.is("(")) {
                None
            } else {
                a.ident()
            };
            return vec![Op::CreateIndex {
                name,
                table: t(),
                columns: a.paren_list(),
                unique: false,
                concurrently: false,
                if_not_exists: false,
                fulltext_or_spatial,
                shape: IndexShape::Unknown,
                partial: false,
            }];
        }
        a.eat_kw("COLUMN");
        let if_not_exists = a.eat_kws(&["IF", "NOT", "EXISTS"]);
        return match column(a) {
            Some(column) => vec![Op::AddColumn {
                table: t(),
                column,
                if_not_exists,
            }],
            None => Vec::new(),
        };
    }
    if a.eat_kw("DROP") {
        if a.eat_kw("CONSTRAINT") {
            let if_exists = a.eat_kws(&["IF", "EXISTS"]);
            return a
                .ident()
                .map(|name| Op::DropConstraint {
                    table: t(),
                    name,
                    if_exists,
                })
                .into_iter()
                .collect();
        }
        if a.eat_kws(&["PRIMARY", "KEY"]) {
            return vec![Op::DropConstraint {
                table: t(),
                name: "primary".into(),
                if_exists: false,
            }];
        }
        if a.eat_kws(&["FOREIGN", "KEY"]) || a.eat_kw("CHECK") {
            return a
                .ident()
                .map(|name| Op::DropConstraint {
                    table: t(),
                    name,
                    if_exists: false,
                })
                .into_iter()
                .collect();
        }
        if a.eat_kw("INDEX") || a.eat_kw("KEY") {
            return a
                .ident()
                .map(|n| Op::DropIndex {
                    names: vec![ObjName::new(None, &n)],
                    table: Some(t()),
                    concurrently: false,
                    if_exists: false,
                })
                .into_iter()
                .collect();
        }
        a.eat_kw("COLUMN");
        let if_exists = a.eat_kws(&["IF", "EXISTS"]);
        return a
            .ident()
            .map(|column| Op::DropColumn {
                table: t(),
                column,
                if_exists,
            })
            .into_iter()
            .collect();
    }
    if a.eat_kw("RENAME") {
        if a.eat_kw("TO") || a.eat_kw("AS") {
            return a
                .name()
                .map(|mut to| {
                    if to.schema.is_none() {
                        to.schema = table.schema.clone();
                    }
                    Op::RenameTable { from: t(), to }
                })
                .into_iter()
                .collect();
        }
        if a.eat_kw("CONSTRAINT") {
            let from = a.ident();
            a.eat_kw("TO");
            if let (Some(from), Some(to)) = (from, a.ident()) {
                return vec![Op::RenameObject {
                    kind: ObjectKind::Constraint,
                    from: ObjName::new(None, &from),
                    to,
                }];
            }
            return Vec::new();
        }
        // MySQL `RENAME new_name`: the table, without TO
        if a.toks.len() == a.pos + 1 {
            return a
                .name()
                .map(|mut to| {
                    to.schema = table.schema.clone();
                    Op::RenameTable { from: t(), to }
                })
                .into_iter()
                .collect();
        }
        let is_index = a.eat_kw("INDEX") || a.eat_kw("KEY");
        a.eat_kw("COLUMN");
        let from = a.ident();
        a.eat_kw("TO");
        return match (from, a.ident()) {
            (Some(from), Some(to)) if is_index => vec![Op::RenameObject {
                kind: ObjectKind::Index,
                from: ObjName::new(table.schema.as_deref(), &from),
                to,
            }],
            (Some(from), Some(to)) => vec![Op::RenameColumn {
                table: t(),
                from,
                to,
            }],
            _ => Vec::new(),
        };
    }
    if a.eat_kws(&["ALTER", "CONSTRAINT"]) {
        return alter_constraint(table, a);
    }
    if a.eat_kw("ALTER") {
        a.eat_kw("COLUMN");
        let Some(column) = a.ident() else {
            return Vec::new();
        };
        if a.eat_kws(&["SET", "DATA", "TYPE"]) || a.eat_kw("TYPE") {
            let rest = a.until_comma();
            let using_at = rest.iter().position(|t| t.is_kw("USING"));
            let (ty, using) = match using_at {
                Some(i) => (&rest[..i], Some(render(&rest[i + 1..], false))),
                None => (rest, None),
            };
            return vec![Op::AlterColumnType {
                table: t(),
                column,
                new_type: render(ty, true),
                using,
            }];
        }
        if a.eat_kws(&["SET", "NOT", "NULL"]) {
            return vec![Op::SetNotNull { table: t(), column }];
        }
        if a.eat_kws(&["DROP", "NOT", "NULL"]) {
            return vec![Op::DropNotNull { table: t(), column }];
        }
        if a.eat_kws(&["SET", "DEFAULT"]) {
            let default = render(a.until_comma(), false);
            let volatility = volatility::of_expr(&default);
            return vec![Op::SetDefault {
                table: t(),
                column,
                default,
                volatility,
            }];
        }
        if a.eat_kws(&["DROP", "DEFAULT"]) {
            return vec![Op::DropDefault { table: t(), column }];
        }
        if a.eat_kws(&["DROP", "EXPRESSION"]) {
            return vec![Op::DropExpression { table: t(), column }];
        }
        if a.eat_kws(&["ADD", "GENERATED"])
            || a.eat_kws(&["DROP", "IDENTITY"])
            || a.eat_kws(&["SET", "GENERATED"])
            || a.peek_kw("RESTART")
        {
            return vec![Op::AlterIdentity { table: t(), column }];
        }
        return Vec::new();
    }
    if a.eat_kws(&["VALIDATE", "CONSTRAINT"]) {
        return a
            .ident()
            .map(|name| Op::ValidateConstraint { table: t(), name })
            .into_iter()
            .collect();
    }
    if a.eat_kw("SET") {
        if a.eat_kw("TABLESPACE") {
            return rewrite(RewriteKind::SetTablespace);
        }
        if a.eat_kw("LOGGED") {
            return rewrite(RewriteKind::SetLogged);
        }
        if a.eat_kw("UNLOGGED") {
            return rewrite(RewriteKind::SetUnlogged);
        }
        if a.eat_kws(&["ACCESS", "METHOD"]) {
            return rewrite(RewriteKind::SetAccessMethod);
        }
        if a.eat_kw("SCHEMA") {
            return a
                .ident()
                .map(|schema| Op::SetSchema {
                    kind: ObjectKind::Table,
                    name: t(),
                    schema,
                })
                .into_iter()
                .collect();
        }
        return Vec::new();
    }
    if a.eat_kws(&["CONVERT", "TO"]) {
        // `CHARACTER SET cs [COLLATE c]`; `CHARACTER SET DEFAULT` names no charset
        let _ = a.eat_kws(&["CHARACTER", "SET"]) || a.eat_kw("CHARSET");
        a.eat("=");
        let charset = a
            .ident()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c != "default");
        let collation = if a.eat_kw("COLLATE") {
            a.eat("=");
            a.ident().map(|c| c.to_ascii_lowercase())
        } else {
            None
        };
        return match charset {
            Some(charset) => vec![Op::ConvertCharset {
                table: t(),
                charset,
                collation,
            }],
            None => rewrite(RewriteKind::Rebuild),
        };
    }
    if a.eat_kw("ENGINE") || a.eat_kw("FORCE") {
        return rewrite(RewriteKind::Rebuild);
    }
    if a.eat_kw("MODIFY") || a.eat_kw("CHANGE") {
        let change = a.toks[0].is_kw("CHANGE");
        a.eat_kw("COLUMN");
        let Some(from) = a.ident() else {
            return Vec::new();
        };
        let mut ops = Vec::new();
        let mut column = from.clone();
        let mut def_at = a.pos - 1;
        if change && let Some(to) = a.ident() {
            def_at = a.pos - 1;
            if to != from {
                ops.push(Op::RenameColumn {
                    table: t(),
                    from,
                    to: to.clone(),
                });
            }
            column = to;
        }
        let ty = column_type(a);
        ops.push(Op::AlterColumnType {
            table: t(),
            column,
            new_type: render(ty, true),
            using: None,
        });
        let mut def = Cursor {
            toks: a.toks,
            pos: def_at,
        };
        if let Some(column) = self::column(&mut def) {
            ops.push(Op::RedefineColumn { table: t(), column });
        }
        return ops;
    }
    if a.eat_kws(&["DETACH", "PARTITION"]) {
        a.name();
        return vec![Op::DetachPartition {
            table: t(),
            concurrently: a.eat_kw("CONCURRENTLY"),
            finalize: a.eat_kw("FINALIZE"),
        }];
    }
    if a.eat_kws(&["ATTACH", "PARTITION"]) {
        return vec![Op::AttachPartition { table: t() }];
    }
    Vec::new()
}
