//! The online constraint statements, each rendered from its one template: the planner's
//! recipes write them into phased files and the runner's strategies (`sluice-run`) run them
//! for a naive statement, so a NOT VALID, a VALIDATE or a NOT NULL proof reads the same in
//! both. Every text ends with `;` (a file's statement); the runner trims it.

use serde_json::json;

use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;

use crate::render::{RenderError, Renderer};

/// The PostgreSQL renderer, for callers without one (the runner).
pub fn postgres() -> &'static Renderer {
    Renderer::of(Dialect::Postgres)
}

fn table(t: &ObjName) -> serde_json::Value {
    json!({ "schema": t.schema, "name": t.name })
}

/// `ALTER TABLE t ADD [CONSTRAINT name] <definition> NOT VALID`: new writes are checked,
/// old rows are not scanned. `name` is `None` when the definition names the constraint.
pub fn not_valid(
    r: &Renderer,
    t: &ObjName,
    name: Option<&str>,
    definition: &str,
) -> Result<String, RenderError> {
    r.render(
        "not_valid.sql",
        &json!({ "table": table(t), "name": name, "definition": definition }),
    )
}

/// `ALTER TABLE t VALIDATE CONSTRAINT name`: a scan under SHARE UPDATE EXCLUSIVE.
pub fn validate(r: &Renderer, t: &ObjName, name: &str) -> Result<String, RenderError> {
    r.render("validate.sql", &json!({ "table": table(t), "name": name }))
}

/// `ADD CONSTRAINT name CHECK (column IS NOT NULL) NOT VALID`: the proof that lets a later
/// SET NOT NULL skip its scan.
pub fn not_null_check(
    r: &Renderer,
    t: &ObjName,
    name: &str,
    column: &str,
) -> Result<String, RenderError> {
    r.render(
        "not_null_check.sql",
        &json!({ "table": table(t), "name": name, "column": column }),
    )
}

/// PostgreSQL 18: `ADD CONSTRAINT name NOT NULL column NOT VALID`.
pub fn not_null_not_valid(
    r: &Renderer,
    t: &ObjName,
    name: &str,
    column: &str,
) -> Result<String, RenderError> {
    r.render(
        "not_null_not_valid.sql",
        &json!({ "table": table(t), "name": name, "column": column }),
    )
}

/// `ALTER COLUMN column SET NOT NULL`.
pub fn set_not_null(r: &Renderer, t: &ObjName, column: &str) -> Result<String, RenderError> {
    r.render(
        "set_not_null.sql",
        &json!({ "table": table(t), "column": column }),
    )
}

/// `ALTER COLUMN column DROP NOT NULL`.
pub fn drop_not_null(r: &Renderer, t: &ObjName, column: &str) -> Result<String, RenderError> {
    r.render(
        "drop_not_null.sql",
        &json!({ "table": table(t), "column": column }),
    )
}

/// `DROP CONSTRAINT IF EXISTS name`.
pub fn drop_constraint(r: &Renderer, t: &ObjName, name: &str) -> Result<String, RenderError> {
    r.render(
        "drop_constraint.sql",
        &json!({ "table": table(t), "name": name }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_their_names() {
        let r = postgres();
        let t = ObjName::new(Some("app"), "order");
        assert_eq!(
            not_null_check(r, &t, "order_total_not_null", "total").unwrap(),
            "ALTER TABLE app.\"order\" ADD CONSTRAINT order_total_not_null CHECK (total IS NOT NULL) NOT VALID;"
        );
        assert_eq!(
            validate(r, &t, "Fk").unwrap(),
            "ALTER TABLE app.\"order\" VALIDATE CONSTRAINT \"Fk\";"
        );
        assert_eq!(
            not_valid(r, &t, None, "CONSTRAINT c CHECK (a > 0)").unwrap(),
            "ALTER TABLE app.\"order\" ADD CONSTRAINT c CHECK (a > 0) NOT VALID;"
        );
    }
}
