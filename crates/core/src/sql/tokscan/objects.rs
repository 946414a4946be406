//! `CREATE INDEX` / `DOMAIN`, `DROP` and `ALTER` of objects other than tables.

use super::super::ops::{IndexShape, ObjectKind, Operation};
use super::definitions::create_table;
use super::tokens::Cursor;

pub(super) fn create(c: &mut Cursor) -> Vec<Operation> {
    if c.eat_kw("TABLE") {
        return create_table(c);
    }
    // `CREATE DOMAIN d AS t [COLLATE ..] [DEFAULT ..] [CONSTRAINT c] CHECK (..) | NOT NULL`
    if c.eat_kw("DOMAIN") {
        let Some(domain) = c.name() else {
            return Vec::new();
        };
        let constrained = c.contains_kws(&["CHECK"])
            || c.contains_kws(&["NOT", "NULL"])
            || c.contains_kws(&["CONSTRAINT"]);
        return if constrained {
            vec![Operation::DomainConstraint {
                domain,
                create: true,
                not_valid: false,
            }]
        } else {
            Vec::new()
        };
    }
    let unique = c.eat_kw("UNIQUE");
    let fulltext_or_spatial = c.eat_kw("FULLTEXT") || c.eat_kw("SPATIAL");
    if !c.eat_kw("INDEX") {
        return Vec::new();
    }
    let concurrently = c.eat_kw("CONCURRENTLY");
    let if_not_exists = c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name = if c.peek_kw("ON") {
        None
    } else {
        c.name().map(|n| n.name)
    };
    if !c.eat_kw("ON") {
        return Vec::new();
    }
    c.eat_kw("ONLY");
    let Some(table) = c.name() else {
        return Vec::new();
    };
    if c.eat_kw("USING") {
        c.ident();
    }
    vec![Operation::CreateIndex {
        name,
        table,
        columns: c.paren_list(),
        unique,
        concurrently,
        if_not_exists,
        fulltext_or_spatial,
        // the scanner skips the method, options and predicate
        shape: IndexShape::Unknown,
        partial: false,
    }]
}

pub(super) fn drop(c: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    if c.eat_kw("TABLE") {
        let if_exists = c.eat_kws(&["IF", "EXISTS"]);
        let tables = c.names();
        let cascade = c.eat_kw("CASCADE");
        return vec![Op::DropTable {
            tables,
            if_exists,
            cascade,
        }];
    }
    if c.eat_kw("INDEX") {
        let concurrently = c.eat_kw("CONCURRENTLY");
        let if_exists = c.eat_kws(&["IF", "EXISTS"]);
        let names = c.names();
        let table = if c.eat_kw("ON") { c.name() } else { None };
        return vec![Op::DropIndex {
            names,
            table,
            concurrently,
            if_exists,
        }];
    }
    let kind = if c.eat_kws(&["MATERIALIZED", "VIEW"]) {
        ObjectKind::MaterializedView
    } else if let Some(kind) = object_kind(c) {
        kind
    } else {
        return Vec::new();
    };
    let if_exists = c.eat_kws(&["IF", "EXISTS"]);
    vec![Op::DropObject {
        kind,
        names: c.names(),
        if_exists,
    }]
}

fn object_kind(c: &mut Cursor) -> Option<ObjectKind> {
    const KINDS: &[(&str, ObjectKind)] = &[
        ("VIEW", ObjectKind::View),
        ("INDEX", ObjectKind::Index),
        ("SEQUENCE", ObjectKind::Sequence),
        ("SCHEMA", ObjectKind::Schema),
        ("DATABASE", ObjectKind::Database),
        ("FUNCTION", ObjectKind::Function),
        ("PROCEDURE", ObjectKind::Procedure),
        ("TYPE", ObjectKind::Type),
        ("DOMAIN", ObjectKind::Domain),
        ("EXTENSION", ObjectKind::Extension),
        ("TRIGGER", ObjectKind::Trigger),
    ];
    let kind = KINDS.iter().find(|(kw, _)| c.peek_kw(kw))?.1;
    c.pos += 1;
    Some(kind)
}

/// `ALTER INDEX|VIEW|SEQUENCE|TYPE|... name RENAME TO x | SET SCHEMA s | ADD VALUE ..`.
pub(super) fn alter_other(c: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    let kind = if c.eat_kws(&["MATERIALIZED", "VIEW"]) {
        ObjectKind::MaterializedView
    } else if let Some(kind) = object_kind(c) {
        kind
    } else {
        return Vec::new();
    };
    c.eat_kws(&["IF", "EXISTS"]);
    let Some(name) = c.name() else {
        return Vec::new();
    };
    if kind == ObjectKind::Type && c.eat_kws(&["ADD", "VALUE"]) {
        return vec![Op::AddEnumValue {
            type_name: name,
            positioned: c.contains_kws(&["BEFORE"]) || c.contains_kws(&["AFTER"]),
        }];
    }
    if kind == ObjectKind::Domain && c.eat_kw("ADD") {
        return vec![Op::DomainConstraint {
            domain: name,
            create: false,
            not_valid: c.contains_kws(&["NOT", "VALID"]),
        }];
    }
    if c.eat_kws(&["RENAME", "TO"]) {
        if let Some(to) = c.ident() {
            return vec![Op::RenameObject {
                kind,
                from: name,
                to,
            }];
        }
    } else if c.eat_kws(&["SET", "SCHEMA"])
        && let Some(schema) = c.ident()
    {
        return vec![Op::SetSchema { kind, name, schema }];
    }
    Vec::new()
}
