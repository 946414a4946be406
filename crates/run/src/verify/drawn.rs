//! Columns the naive migration's own statements fill from a volatile function
//! (`INSERT INTO t (id, c) SELECT gen_random_uuid(), ..`, `UPDATE t SET c = now()`): two runs
//! of the same statements draw other values, so `verify --naive` does not count them as a
//! difference (lemmy's `multi-community` draws `gen_random_uuid()` names in an INSERT).

use sqlparser::ast::{AssignmentTarget, Query, SelectItem, SetExpr, Statement, TableObject};

use sluice_core::source::split::{self, SplitOptions};
use sluice_core::sql::{self, Dialect, classify};

/// `(table, column, expression)`: the table's unqualified name and the column as stored.
pub(super) type Drawn = Vec<(String, String, String)>;

/// What the statements of `sql` fill from a function whose value differs per run (`volatile`
/// says so of an expression, as text).
pub(super) fn drawn(dialect: Dialect, sql: &str, volatile: impl Fn(&str) -> bool) -> Drawn {
    let mut out = Drawn::new();
    // one statement at a time: one sqlparser cannot read leaves the others
    for chunk in split::split(sql, SplitOptions::new(dialect, false)) {
        let Some(range) = chunk.stmt else { continue };
        if let Ok(st) = sql::parse(dialect, &sql[range]) {
            statements_drawn(&st, &volatile, &mut out);
        }
    }
    out
}

fn statements_drawn(statements: &[Statement], volatile: &impl Fn(&str) -> bool, out: &mut Drawn) {
    for st in statements {
        statement_drawn(st, volatile, out);
    }
}

/// Whether `expr`, written into `table`, draws per run: a volatile function, or a column of
/// the same table drawn earlier (lemmy's `ap_id = .. || person.name`, the name drawn by the
/// INSERT before it).
fn draws(table: &str, expr: &str, volatile: &impl Fn(&str) -> bool, out: &Drawn) -> bool {
    let lower = expr.to_ascii_lowercase();
    volatile(&lower)
        || lower
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| out.iter().any(|(t, c, _)| t == table && c == w))
}

fn statement_drawn(st: &Statement, volatile: &impl Fn(&str) -> bool, out: &mut Drawn) {
    match st {
        Statement::Insert(ins) => {
            let Some(source) = &ins.source else { return };
            // writes inside its source first (`INSERT .. WITH x AS (UPDATE ..) SELECT ..`)
            query_drawn(source, volatile, out);
            let TableObject::TableName(name) = &ins.table else {
                return;
            };
            let table = classify::obj_name(name).name;
            // per position: the expressions that fill it
            let rows: Vec<Vec<String>> = match source.body.as_ref() {
                SetExpr::Values(v) => v
                    .rows
                    .iter()
                    .map(|r| r.iter().map(ToString::to_string).collect())
                    .collect(),
                SetExpr::Select(s) => vec![
                    s.projection
                        .iter()
                        .map(|p| match p {
                            SelectItem::UnnamedExpr(e)
                            | SelectItem::ExprWithAlias { expr: e, .. } => e.to_string(),
                            other => other.to_string(),
                        })
                        .collect(),
                ],
                _ => return,
            };
            for row in rows {
                for (col, expr) in ins.columns.iter().zip(row) {
                    if let Some(col) = col.0.last().and_then(|p| p.as_ident())
                        && draws(&table, &expr, volatile, out)
                    {
                        out.push((table.clone(), classify::ident(col), expr));
                    }
                }
            }
        }
        Statement::Update(u) => {
            let sqlparser::ast::TableFactor::Table { name, .. } = &u.table.relation else {
                return;
            };
            let table = classify::obj_name(name).name;
            for a in &u.assignments {
                let AssignmentTarget::ColumnName(n) = &a.target else {
                    continue;
                };
                let expr = a.value.to_string();
                if let Some(col) = n.0.last().and_then(|p| p.as_ident())
                    && draws(&table, &expr, volatile, out)
                {
                    out.push((table.clone(), classify::ident(col), expr));
                }
            }
        }
        Statement::Query(q) => query_drawn(q, volatile, out),
        _ => {}
    }
}

/// The writes inside a query: its `WITH` parts (`WITH x AS (INSERT ..) UPDATE ..`) and its
/// body.
fn query_drawn(q: &Query, volatile: &impl Fn(&str) -> bool, out: &mut Drawn) {
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            query_drawn(&cte.query, volatile, out);
        }
    }
    match q.body.as_ref() {
        SetExpr::Insert(s) | SetExpr::Update(s) => statement_drawn(s, volatile, out),
        SetExpr::Query(q) => query_drawn(q, volatile, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuid(e: &str) -> bool {
        e.contains("gen_random_uuid") || e.contains("now()")
    }

    #[test]
    fn inserts_and_updates_that_draw_values() {
        let d = drawn(
            Dialect::Postgres,
            "INSERT INTO app.community (id, name, ap_id) SELECT id, gen_random_uuid()::text, 'x' FROM person;\nINSERT INTO t (a, b) VALUES (1, now()), (2, 'fixed');\nUPDATE t SET b = now(), a = 1;\nUPDATE t SET a = 2;\n",
            uuid,
        );
        assert_eq!(
            d,
            [
                (
                    "community".to_owned(),
                    "name".to_owned(),
                    "gen_random_uuid()::TEXT".to_owned()
                ),
                ("t".to_owned(), "b".to_owned(), "now()".to_owned()),
                ("t".to_owned(), "b".to_owned(), "now()".to_owned()),
            ]
        );
    }

    /// lemmy's `multi-community`: a drawn name inserted inside a `WITH`, then another column
    /// made from it.
    #[test]
    fn a_write_inside_with_and_what_is_made_from_it() {
        let d = drawn(
            Dialect::Postgres,
            "WITH x AS (INSERT INTO person (name, bot) SELECT 'lemmy_' || substr(gen_random_uuid()::text, 0, 14), TRUE FROM site RETURNING person.id) UPDATE local_site SET system_account = x.id FROM x;\nUPDATE person SET ap_id = 'https://h/u/' || person.name FROM local_site WHERE person.id = local_site.system_account;\n",
            uuid,
        );
        let cols: Vec<_> = d.iter().map(|(t, c, _)| format!("{t}.{c}")).collect();
        assert_eq!(cols, ["person.name", "person.ap_id"]);
    }

    #[test]
    fn an_unreadable_statement_leaves_the_others() {
        let d = drawn(
            Dialect::Postgres,
            "CREATE STATISTICS s ON (a IS NULL), (b IS NULL) FROM t;\nUPDATE t SET b = gen_random_uuid();\n",
            uuid,
        );
        assert_eq!(d.len(), 1, "{d:?}");
    }
}
