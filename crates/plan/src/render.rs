//! SQL templates (tera, embedded in the binary) and the quoting filters they must use.
//!
//! tera's autoescaping is for HTML and does nothing for SQL, so it is off; every value a
//! template prints goes through one of the filters below (a test checks each template):
//! `ident` (an identifier), `qname` (a possibly schema-qualified name `{schema, name}`),
//! `lit` (a string literal) or `sql` (a fragment that came out of the SQL parser: a type, an
//! expression, a whole statement).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use tera::{Context, Tera, Value};

use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::quote;

/// Every template, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("header.sql", include_str!("templates/header.sql")),
    ("add_index.sql", include_str!("templates/add_index.sql")),
    ("drop_index.sql", include_str!("templates/drop_index.sql")),
    ("not_valid.sql", include_str!("templates/not_valid.sql")),
    ("validate.sql", include_str!("templates/validate.sql")),
    (
        "not_null_not_valid.sql",
        include_str!("templates/not_null_not_valid.sql"),
    ),
    (
        "drop_constraint.sql",
        include_str!("templates/drop_constraint.sql"),
    ),
    (
        "not_null_check.sql",
        include_str!("templates/not_null_check.sql"),
    ),
    (
        "set_not_null.sql",
        include_str!("templates/set_not_null.sql"),
    ),
    (
        "drop_not_null.sql",
        include_str!("templates/drop_not_null.sql"),
    ),
    (
        "unique_using_index.sql",
        include_str!("templates/unique_using_index.sql"),
    ),
    ("add_column.sql", include_str!("templates/add_column.sql")),
    ("drop_column.sql", include_str!("templates/drop_column.sql")),
    ("set_default.sql", include_str!("templates/set_default.sql")),
    (
        "fill_trigger.sql",
        include_str!("templates/fill_trigger.sql"),
    ),
    (
        "drop_trigger.sql",
        include_str!("templates/drop_trigger.sql"),
    ),
    (
        "sync_trigger.sql",
        include_str!("templates/sync_trigger.sql"),
    ),
    (
        "rename_table.sql",
        include_str!("templates/rename_table.sql"),
    ),
    ("compat_view.sql", include_str!("templates/compat_view.sql")),
    ("copy_grants.sql", include_str!("templates/copy_grants.sql")),
    ("drop_view.sql", include_str!("templates/drop_view.sql")),
    (
        "rename_column.sql",
        include_str!("templates/rename_column.sql"),
    ),
    (
        "swap_rename_column.sql",
        include_str!("templates/swap_rename_column.sql"),
    ),
    (
        "rename_index.sql",
        include_str!("templates/rename_index.sql"),
    ),
    (
        "rename_sequence.sql",
        include_str!("templates/rename_sequence.sql"),
    ),
    (
        "rename_constraint.sql",
        include_str!("templates/rename_constraint.sql"),
    ),
    (
        "soft_drop_column.sql",
        include_str!("templates/soft_drop_column.sql"),
    ),
    (
        "restore_column.sql",
        include_str!("templates/restore_column.sql"),
    ),
    ("sync_back.sql", include_str!("templates/sync_back.sql")),
    ("passthrough.sql", include_str!("templates/passthrough.sql")),
    // MySQL / MariaDB: DDL is not transactional; every ALTER pins ALGORITHM (and LOCK)
    (
        "mysql/add_column.sql",
        include_str!("templates/mysql/add_column.sql"),
    ),
    (
        "mysql/drop_column.sql",
        include_str!("templates/mysql/drop_column.sql"),
    ),
    (
        "mysql/modify_column.sql",
        include_str!("templates/mysql/modify_column.sql"),
    ),
    (
        "mysql/set_default.sql",
        include_str!("templates/mysql/set_default.sql"),
    ),
    (
        "mysql/sync_triggers.sql",
        include_str!("templates/mysql/sync_triggers.sql"),
    ),
    (
        "mysql/drop_triggers.sql",
        include_str!("templates/mysql/drop_triggers.sql"),
    ),
    (
        "mysql/fill_trigger.sql",
        include_str!("templates/mysql/fill_trigger.sql"),
    ),
    (
        "mysql/add_index.sql",
        include_str!("templates/mysql/add_index.sql"),
    ),
    (
        "mysql/drop_index.sql",
        include_str!("templates/mysql/drop_index.sql"),
    ),
    ("mysql/swap.sql", include_str!("templates/mysql/swap.sql")),
    (
        "mysql/sync_back.sql",
        include_str!("templates/mysql/sync_back.sql"),
    ),
    (
        "mysql/soft_drop_column.sql",
        include_str!("templates/mysql/soft_drop_column.sql"),
    ),
    (
        "mysql/rename_column.sql",
        include_str!("templates/mysql/rename_column.sql"),
    ),
    (
        "mysql/rename_table.sql",
        include_str!("templates/mysql/rename_table.sql"),
    ),
    (
        "mysql/view_of_table.sql",
        include_str!("templates/mysql/view_of_table.sql"),
    ),
    (
        "mysql/swap_view.sql",
        include_str!("templates/mysql/swap_view.sql"),
    ),
    (
        "mysql/add_foreign_key.sql",
        include_str!("templates/mysql/add_foreign_key.sql"),
    ),
    (
        "mysql/drop_foreign_key.sql",
        include_str!("templates/mysql/drop_foreign_key.sql"),
    ),
];

/// The template engine for one dialect.
pub struct Renderer {
    tera: Tera,
    pub dialect: Dialect,
}

#[derive(Debug, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct RenderError {
    pub name: String,
    pub message: String,
}

/// A template that does not render is the planner's bug: its callers report it as internal.
impl From<RenderError> for String {
    fn from(e: RenderError) -> String {
        format!("internal error: {e}")
    }
}

fn as_str<'v>(v: &'v Value, filter: &str) -> tera::Result<&'v str> {
    v.as_str()
        .ok_or_else(|| tera::Error::msg(format!("`{filter}` expects a string, got {v}")))
}

static POSTGRES: LazyLock<Renderer> = LazyLock::new(|| Renderer::new(Dialect::Postgres));
static MYSQL: LazyLock<Renderer> = LazyLock::new(|| Renderer::new(Dialect::Mysql));

impl Renderer {
    /// The renderer of `dialect`, built once: compiling the templates costs more than
    /// planning a migration.
    pub fn of(dialect: Dialect) -> &'static Renderer {
        match dialect {
            Dialect::Postgres => &POSTGRES,
            Dialect::Mysql => &MYSQL,
        }
    }

    pub fn new(dialect: Dialect) -> Renderer {
        let mut tera = Tera::default();
        tera.autoescape_on(Vec::new());
        // templates are compiled into the binary: a broken one is caught by the tests
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .unwrap_or_else(|e| panic!("embedded SQL templates must compile: {e:?}"));
        tera.register_filter(
            "ident",
            move |v: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
                Ok(Value::String(quote::ident_min(
                    dialect,
                    as_str(v, "ident")?,
                )))
            },
        );
        tera.register_filter(
            "lit",
            move |v: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
                Ok(Value::String(quote::literal(dialect, as_str(v, "lit")?)))
            },
        );
        tera.register_filter(
            "qname",
            move |v: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
                let name = v.get("name").and_then(Value::as_str).ok_or_else(|| {
                    tera::Error::msg(format!("`qname` expects {{schema, name}}, got {v}"))
                })?;
                let schema = v.get("schema").and_then(Value::as_str);
                let name = ObjName::new(schema, name);
                Ok(Value::String(quote::qualified(dialect, &name)))
            },
        );
        tera.register_filter(
            "sql",
            |v: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
                Ok(Value::String(as_str(v, "sql")?.to_owned()))
            },
        );
        Renderer { tera, dialect }
    }

    /// Render `name` with `ctx` (any serializable map).
    pub fn render(&self, name: &str, ctx: &impl Serialize) -> Result<String, RenderError> {
        let context = Context::from_serialize(ctx).map_err(|e| RenderError {
            name: name.to_owned(),
            message: e.to_string(),
        })?;
        self.tera
            .render(name, &context)
            .map(|s| s.trim().to_owned())
            .map_err(|e| {
                let mut message = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(s) = src {
                    message.push_str(": ");
                    message.push_str(&s.to_string());
                    src = s.source();
                }
                RenderError {
                    name: name.to_owned(),
                    message,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `{{ .. }}` ends in a quoting filter: nothing reaches SQL unquoted by accident.
    #[test]
    fn every_output_goes_through_a_quoting_filter() {
        let re = regex::Regex::new(r"\{\{-?\s*(.*?)\s*-?\}\}").unwrap();
        for (name, text) in TEMPLATES {
            for cap in re.captures_iter(text) {
                let expr = &cap[1];
                let last = expr.rsplit('|').next().unwrap_or("").trim();
                assert!(
                    ["ident", "qname", "lit", "sql"].contains(&last),
                    "{name}: `{{{{ {expr} }}}}` must end in | ident, qname, lit or sql"
                );
            }
        }
    }

    #[test]
    fn templates_compile_and_quote_per_dialect() {
        #[derive(Serialize)]
        struct Cx {
            table: ObjName,
            column: String,
        }
        let cx = Cx {
            table: ObjName::new(Some("App"), "my table"),
            column: "Name".into(),
        };
        let pg = Renderer::new(Dialect::Postgres)
            .render("drop_not_null.sql", &cx)
            .unwrap();
        assert_eq!(
            pg,
            "ALTER TABLE \"App\".\"my table\" ALTER COLUMN \"Name\" DROP NOT NULL;"
        );
    }
}
