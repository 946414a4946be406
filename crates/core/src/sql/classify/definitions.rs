//! Column, constraint and index definitions, and a MySQL table's charset options.

use sqlparser::ast::{
    ColumnDef, ColumnOption, CreateIndex, Expr, GeneratedAs, GeneratedExpressionMode, Ident,
    IndexColumn, IndexType, TableConstraint,
};
use sqlparser::tokenizer::Token;

use super::super::ops::{ColumnSpec, ConstraintKind, ConstraintSpec, Generated, IndexShape};
use super::super::volatility;

use super::names::{ident, obj_name};

pub(super) fn column_spec(def: &ColumnDef) -> ColumnSpec {
    let mut spec = ColumnSpec::new(ident(&def.name), def.data_type.to_string());
    for opt in &def.options {
        match &opt.option {
            ColumnOption::NotNull => spec.not_null = true,
            ColumnOption::Null => spec.not_null = false,
            ColumnOption::Default(e) => {
                spec.default = Some(e.to_string());
                spec.default_volatility = Some(volatility::of_ast(e));
            }
            // a primary key column is NOT NULL whether or not it says so
            ColumnOption::PrimaryKey(_) => {
                spec.primary_key = true;
                spec.not_null = true;
            }
            ColumnOption::Unique(_) => spec.unique = true,
            ColumnOption::ForeignKey(fk) => {
                spec.references = Some(obj_name(&fk.foreign_table));
                spec.fk_clause = references_clause(&fk.to_string());
                spec.fk_name = opt.name.as_ref().or(fk.name.as_ref()).map(ident);
            }
            ColumnOption::Check(_) => spec.check = true,
            ColumnOption::CharacterSet(cs) => {
                spec.charset = Some(obj_name(cs).name.to_ascii_lowercase());
            }
            // `COLLATE latin1_bin` implies its charset
            ColumnOption::Collation(c) => {
                let c = obj_name(c).name.to_ascii_lowercase();
                if spec.charset.is_none() {
                    spec.charset = charset_of_collation(&c);
                }
                spec.collation = Some(c);
            }
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| {
                    matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTO_INCREMENT"))
                }) =>
            {
                spec.serial = true;
            }
            ColumnOption::Identity(_) => spec.generated = Some(Generated::Identity),
            ColumnOption::Generated {
                generated_as,
                generation_expr,
                generation_expr_mode,
                ..
            } => {
                spec.generation = generation_expr.as_ref().map(ToString::to_string);
                spec.generated = Some(match (generation_expr, generation_expr_mode) {
                    (None, _) => Generated::Identity,
                    (Some(_), Some(GeneratedExpressionMode::Stored)) => Generated::Stored,
                    (Some(_), Some(GeneratedExpressionMode::Virtual)) => Generated::Virtual,
                    _ if matches!(generated_as, GeneratedAs::ExpStored) => Generated::Stored,
                    // no keyword: VIRTUAL on MySQL and PostgreSQL 18 (earlier PostgreSQL
                    // rejects the statement: it has STORED only, always spelled out)
                    _ => Generated::Virtual,
                });
            }
            _ => {}
        }
    }
    spec
}

/// The charset a MySQL collation belongs to (`utf8mb4_0900_ai_ci` -> `utf8mb4`).
pub fn charset_of_collation(collation: &str) -> Option<String> {
    let cs = collation.split('_').next()?.to_ascii_lowercase();
    (!cs.is_empty()).then_some(cs)
}

/// The default charset of a MySQL `CREATE TABLE` (`DEFAULT CHARSET=latin1`,
/// `CHARACTER SET utf8mb3`, or the charset of `COLLATE=..`), lower case.
pub fn table_charset(ct: &sqlparser::ast::CreateTable) -> Option<String> {
    table_option(ct, "charset")
        .or_else(|| table_option(ct, "character set"))
        .or_else(|| table_option(ct, "collate").and_then(|c| charset_of_collation(&c)))
}

/// The default collation of a MySQL `CREATE TABLE` (`COLLATE=utf8mb4_bin`), lower case.
pub fn table_collation(ct: &sqlparser::ast::CreateTable) -> Option<String> {
    table_option(ct, "collate")
}

/// The word after `key` (and an optional `=`) in a `CREATE TABLE`'s options, lower case.
fn table_option(ct: &sqlparser::ast::CreateTable, key: &str) -> Option<String> {
    option_value(&ct.table_options.to_string().to_ascii_lowercase(), key)
}

/// The word after the first `key` in `text` and an optional `=` (`ENGINE = InnoDB` ->
/// `InnoDB`), as written: a MySQL table option's value.
pub fn option_value(text: &str, key: &str) -> Option<String> {
    let i = text.find(key)? + key.len();
    let rest = text[i..].trim_start().trim_start_matches('=').trim_start();
    let v: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!v.is_empty()).then_some(v)
}

/// `serial` & co. (also quoted: `"serial"` is the same to PostgreSQL); an array of them is
/// not a serial column (PostgreSQL refuses it).
pub(crate) fn is_serial(data_type: &str) -> bool {
    let t = crate::catalog::SqlType::parse(data_type);
    !t.array
        && matches!(
            t.base.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
        )
}

/// A table constraint as a [`ConstraintSpec`]; `None` for MySQL plain indexes.
pub(super) fn constraint_spec(c: &TableConstraint) -> Option<ConstraintSpec> {
    let spec = |name: &Option<Ident>, kind, columns: Vec<String>| ConstraintSpec {
        name: name.as_ref().map(ident),
        kind,
        columns,
        references: None,
        fk_clause: None,
        not_valid: false,
        using_index: None,
        check_expr: None,
    };
    Some(match c {
        TableConstraint::Unique(u) => ConstraintSpec {
            // MySQL `UNIQUE KEY idx (a)` names the index rather than the constraint
            name: u.name.as_ref().or(u.index_name.as_ref()).map(ident),
            ..spec(
                &None,
                ConstraintKind::Unique,
                u.columns.iter().map(index_column).collect(),
            )
        },
        TableConstraint::PrimaryKey(p) => spec(
            &p.name,
            ConstraintKind::PrimaryKey,
            p.columns.iter().map(index_column).collect(),
        ),
        TableConstraint::ForeignKey(f) => ConstraintSpec {
            references: Some(obj_name(&f.foreign_table)),
            fk_clause: references_clause(&f.to_string()),
            ..spec(
                &f.name,
                ConstraintKind::ForeignKey,
                f.columns.iter().map(ident).collect(),
            )
        },
        TableConstraint::Check(ch) => ConstraintSpec {
            check_expr: Some(ch.expr.to_string()),
            ..spec(&ch.name, ConstraintKind::Check, Vec::new())
        },
        TableConstraint::PrimaryKeyUsingIndex(u) => ConstraintSpec {
            using_index: Some(ident(&u.index_name)),
            ..spec(&u.name, ConstraintKind::PrimaryKey, Vec::new())
        },
        TableConstraint::UniqueUsingIndex(u) => ConstraintSpec {
            using_index: Some(ident(&u.index_name)),
            ..spec(&u.name, ConstraintKind::Unique, Vec::new())
        },
        TableConstraint::Exclude(x) => spec(
            &x.name,
            ConstraintKind::Exclude,
            x.elements.iter().map(|e| index_column(&e.column)).collect(),
        ),
        TableConstraint::Index(_) | TableConstraint::FulltextOrSpatial(_) => return None,
    })
}

/// [`IndexShape::Columns`] for a b-tree on plain columns, else what follows `ON <table>`.
pub(super) fn index_shape(ci: &CreateIndex) -> IndexShape {
    let plain = |c: &IndexColumn| {
        c.operator_class.is_none()
            && matches!(c.column.expr, Expr::Identifier(_))
            && c.column.options.sort.is_none()
            && c.column.options.nulls_first.is_none()
    };
    if matches!(ci.using, None | Some(IndexType::BTree))
        && ci.columns.iter().all(plain)
        && ci.include.is_empty()
        && ci.nulls_distinct.is_none()
        && ci.with.is_empty()
        && ci.predicate.is_none()
        && ci.index_options.is_empty()
    {
        return IndexShape::Columns;
    }
    if !ci.index_options.is_empty() {
        // MySQL's `USING BTREE` / `COMMENT` after the columns: its plans do not rebuild
        return IndexShape::Unknown;
    }
    let mut text = String::new();
    if let Some(using) = &ci.using {
        text.push_str(&format!("USING {using} "));
    }
    text.push_str(&format!("({})", join(&ci.columns)));
    if !ci.include.is_empty() {
        text.push_str(&format!(" INCLUDE ({})", join(&ci.include)));
    }
    match ci.nulls_distinct {
        Some(true) => text.push_str(" NULLS DISTINCT"),
        Some(false) => text.push_str(" NULLS NOT DISTINCT"),
        None => {}
    }
    if !ci.with.is_empty() {
        text.push_str(&format!(" WITH ({})", join(&ci.with)));
    }
    if let Some(p) = &ci.predicate {
        text.push_str(&format!(" WHERE {p}"));
    }
    IndexShape::Written(text)
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An index column as a name, or its expression text for expression indexes.
pub(crate) fn index_column(c: &IndexColumn) -> String {
    match &c.column.expr {
        Expr::Identifier(id) => ident(id),
        Expr::CompoundIdentifier(ids) => ids.last().map(ident).unwrap_or_default(),
        e => e.to_string(),
    }
}

/// A foreign key's definition from `REFERENCES` on (`REFERENCES o (id) ON DELETE CASCADE`).
pub fn references_clause(definition: &str) -> Option<String> {
    let at = definition.find("REFERENCES ")?;
    Some(definition[at..].trim_end().to_owned())
}
