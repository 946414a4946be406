//! The columns a view returns, named as PostgreSQL names them (its `FigureColname`): an
//! alias, else a column reference's last name, a function's name, a cast's operand (else
//! its type), a scalar subquery's first column; `*` and `t.*` expand to the columns the
//! catalog knows. The planner compares a view's columns before and after a migration that
//! drops and creates it again (lemmy's views over `*`, created again whenever a table
//! gains a column): the running code keeps working when none of the old columns is gone.

use std::collections::BTreeMap;

use sqlparser::ast::{
    CreateView, Expr, JoinConstraint, JoinOperator, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableFactor, TableWithJoins,
};

use super::Catalog;
use crate::sql::classify::{ident, obj_name};

/// The relations in scope by name: the query's CTEs, with their columns when known.
type Scope = BTreeMap<String, Option<Vec<String>>>;

/// The columns `v` returns (PostgreSQL); `None` when a `*` meets a relation the catalog does
/// not know, or the query has a form whose columns are not read here.
pub fn of_view(cat: &Catalog, v: &CreateView) -> Option<Vec<String>> {
    // MySQL names an unaliased expression by its text: not read here
    if cat.dialect != crate::sql::Dialect::Postgres {
        return None;
    }
    let mut cols = of_query(cat, &Scope::new(), &v.query)?;
    // `CREATE VIEW v (a, b) AS ..` names the first columns
    for (c, named) in cols.iter_mut().zip(&v.columns) {
        *c = ident(&named.name);
    }
    Some(cols)
}

fn of_query(cat: &Catalog, outer: &Scope, q: &Query) -> Option<Vec<String>> {
    let mut scope = outer.clone();
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            let mut cols = of_query(cat, &scope, &cte.query);
            if let Some(cols) = cols.as_mut() {
                for (c, named) in cols.iter_mut().zip(&cte.alias.columns) {
                    *c = ident(&named.name);
                }
            }
            scope.insert(ident(&cte.alias.name), cols);
        }
    }
    of_set_expr(cat, &scope, &q.body)
}

fn of_set_expr(cat: &Catalog, scope: &Scope, body: &SetExpr) -> Option<Vec<String>> {
    match body {
        SetExpr::Select(s) => of_select(cat, scope, s),
        SetExpr::Query(q) => of_query(cat, scope, q),
        // a set operation's columns are its first branch's
        SetExpr::SetOperation { left, .. } => of_set_expr(cat, scope, left),
        SetExpr::Values(v) => {
            let n = v.rows.first().map_or(0, |r| r.len());
            Some((1..=n).map(|i| format!("column{i}")).collect())
        }
        _ => None,
    }
}

/// One relation of a FROM clause: the name it is referred to by, and its columns.
struct Relation {
    name: Option<String>,
    columns: Option<Vec<String>>,
}

fn of_select(cat: &Catalog, scope: &Scope, s: &Select) -> Option<Vec<String>> {
    let mut from = Vec::new();
    let mut merges = false;
    for twj in &s.from {
        merges |= relations(cat, scope, twj, &mut from);
    }
    let mut out = Vec::new();
    for item in &s.projection {
        match item {
            SelectItem::UnnamedExpr(e) => out.push(name_of(cat, scope, e).0),
            SelectItem::ExprWithAlias { alias, .. } => out.push(ident(alias)),
            SelectItem::ExprWithAliases { aliases, .. } => out.extend(aliases.iter().map(ident)),
            // a join USING / NATURAL merges columns under `*`: not read here
            SelectItem::Wildcard(_) if merges => return None,
            SelectItem::Wildcard(_) => {
                for r in &from {
                    out.extend(r.columns.clone()?);
                }
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                let want = obj_name(n).name;
                let r = from.iter().find(|r| r.name.as_deref() == Some(&want))?;
                out.extend(r.columns.clone()?);
            }
            SelectItem::QualifiedWildcard(..) => return None,
        }
    }
    Some(out)
}

/// Push the relations of `twj`; whether one of its joins merges columns (USING, NATURAL).
fn relations(cat: &Catalog, scope: &Scope, twj: &TableWithJoins, out: &mut Vec<Relation>) -> bool {
    let mut merges = false;
    relation(cat, scope, &twj.relation, out);
    for j in &twj.joins {
        merges |= matches!(
            constraint(&j.join_operator),
            Some(
                JoinConstraint::Using(_) | JoinConstraint::UsingAlias(..) | JoinConstraint::Natural
            )
        );
        relation(cat, scope, &j.relation, out);
    }
    merges
}

fn constraint(op: &JoinOperator) -> Option<&JoinConstraint> {
    use JoinOperator as J;
    match op {
        J::Join(c)
        | J::Inner(c)
        | J::Left(c)
        | J::LeftOuter(c)
        | J::Right(c)
        | J::RightOuter(c)
        | J::FullOuter(c)
        | J::CrossJoin(c)
        | J::Semi(c)
        | J::LeftSemi(c)
        | J::RightSemi(c)
        | J::Anti(c)
        | J::LeftAnti(c)
        | J::RightAnti(c)
        | J::StraightJoin(c)
        | J::AsOf { constraint: c, .. } => Some(c),
        _ => None,
    }
}

fn relation(cat: &Catalog, scope: &Scope, f: &TableFactor, out: &mut Vec<Relation>) {
    let (name, mut columns, alias) = match f {
        TableFactor::Table { name, alias, .. } => {
            let n = obj_name(name);
            let columns = match (&n.schema, scope.get(&n.name)) {
                (None, Some(cte)) => cte.clone(),
                // a table only altered in the replayed history, or touched by a statement the
                // catalog could not read, may have columns it does not know
                _ => match cat.table(&n) {
                    Some(t) if t.stub || t.uncertain => None,
                    Some(t) => Some(t.columns.iter().map(|c| c.name.clone()).collect()),
                    None => cat.view_columns(&n).map(<[String]>::to_vec),
                },
            };
            (Some(n.name), columns, alias)
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => (None, of_query(cat, scope, subquery), alias),
        TableFactor::NestedJoin {
            table_with_joins,
            alias: None,
        } => {
            relations(cat, scope, table_with_joins, out);
            return;
        }
        _ => (None, None, &None),
    };
    let name = alias.as_ref().map(|a| ident(&a.name)).or(name);
    if let (Some(cols), Some(a)) = (columns.as_mut(), alias) {
        for (c, named) in cols.iter_mut().zip(&a.columns) {
            *c = ident(&named.name);
        }
    }
    out.push(Relation { name, columns });
}

/// The name PostgreSQL gives an unaliased expression, and whether it is a strong one (a
/// column's or a function's: a `CASE` takes its `ELSE`'s name only then).
fn name_of(cat: &Catalog, scope: &Scope, e: &Expr) -> (String, bool) {
    match e {
        Expr::Identifier(id) => (ident(id), true),
        Expr::CompoundIdentifier(ids) => (ids.last().map(ident).unwrap_or_default(), true),
        Expr::Function(f) => (obj_name(&f.name).name, true),
        Expr::Nested(inner) => name_of(cat, scope, inner),
        Expr::Cast {
            expr, data_type, ..
        } => match name_of(cat, scope, expr) {
            named @ (_, true) => named,
            _ => (type_name(&data_type.to_string()), false),
        },
        Expr::Subquery(q) => match of_query(cat, scope, q).and_then(|c| c.into_iter().next()) {
            Some(c) => (c, true),
            None => ("?column?".into(), false),
        },
        Expr::Exists { .. } => ("exists".into(), false),
        Expr::Case { else_result, .. } => {
            match else_result.as_deref().map(|e| name_of(cat, scope, e)) {
                Some(named @ (_, true)) => named,
                _ => ("case".into(), false),
            }
        }
        Expr::Array(_) => ("array".into(), false),
        _ => ("?column?".into(), false),
    }
}

/// A cast's type as PostgreSQL names the column: its internal name for the common ones.
fn type_name(written: &str) -> String {
    let base = written
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "integer" | "int" => "int4".into(),
        "bigint" => "int8".into(),
        "smallint" => "int2".into(),
        "boolean" => "bool".into(),
        "real" => "float4".into(),
        "double precision" => "float8".into(),
        "character varying" => "varchar".into(),
        "character" | "char" => "bpchar".into(),
        "timestamp with time zone" => "timestamptz".into(),
        "timestamp without time zone" => "timestamp".into(),
        other => other.rsplit('.').next().unwrap_or(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{self, Dialect};

    fn catalog(sql_text: &str) -> Catalog {
        let mut c = Catalog::new(Dialect::Postgres);
        for s in sql::parse(Dialect::Postgres, sql_text).expect("parses") {
            let ops = sql::classify::classify(Dialect::Postgres, &s);
            c.apply_statement(Some(std::slice::from_ref(&s)), &ops, false);
        }
        c
    }

    fn columns(cat: &Catalog, view: &str) -> Option<Vec<String>> {
        let parsed = sql::parse(Dialect::Postgres, view).expect("parses");
        let [sqlparser::ast::Statement::CreateView(v)] = parsed.as_slice() else {
            panic!("not a CREATE VIEW: {view}");
        };
        of_view(cat, v)
    }

    const TABLES: &str = "CREATE TABLE community (id int PRIMARY KEY, name text, creator_id int);
        CREATE TABLE user_ (id int PRIMARY KEY, name text);";

    /// The names PostgreSQL 15 gave this view (`pg_attribute`); `tests/it/view_columns_pg.rs`
    /// compares on the live server.
    #[test]
    fn stars_expand_to_the_known_columns_and_names_follow_postgres() {
        let c = catalog(TABLES);
        let v = "CREATE VIEW cv AS
            WITH ac AS (SELECT *, (SELECT name FROM user_ u WHERE c.creator_id = u.id) AS creator_name,
                        (SELECT count(*) FROM user_) AS n FROM community c)
            SELECT ac.*, u.id AS user_id, (SELECT u.id::boolean FROM user_) AS subscribed,
                   upper(u.name), 1::bigint, CASE WHEN true THEN 1::text ELSE u.name END AS c1,
                   CASE WHEN true THEN 1 END, (SELECT name AS uname FROM user_ LIMIT 1),
                   u.id::text AS t, 1::int AS i, now(), coalesce(u.name, 'x'), exists (SELECT 1)
            FROM user_ u CROSS JOIN ac
            UNION ALL SELECT ac.*, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ac";
        assert_eq!(
            columns(&c, v).unwrap(),
            [
                "id",
                "name",
                "creator_id",
                "creator_name",
                "n",
                "user_id",
                "subscribed",
                "upper",
                "int8",
                "c1",
                "case",
                "uname",
                "t",
                "i",
                "now",
                "coalesce",
                "exists"
            ]
        );
    }

    #[test]
    fn aliases_of_views_relations_and_ctes_rename_columns() {
        let c = catalog(TABLES);
        assert_eq!(
            columns(&c, "CREATE VIEW v (a, b) AS SELECT * FROM community").unwrap(),
            ["a", "b", "creator_id"]
        );
        assert_eq!(
            columns(&c, "CREATE VIEW v AS SELECT x.* FROM community AS x (i, n)").unwrap(),
            ["i", "n", "creator_id"]
        );
        assert_eq!(
            columns(&c, "CREATE VIEW v AS WITH w (k) AS (SELECT id FROM user_) SELECT * FROM w, (SELECT 1 AS a, 2::smallint) s").unwrap(),
            ["k", "a", "int2"]
        );
        assert_eq!(
            columns(&c, "CREATE VIEW v AS VALUES (1, 2)").unwrap(),
            ["column1", "column2"]
        );
    }

    #[test]
    fn a_star_the_catalog_cannot_expand_is_unknown() {
        let c = catalog(TABLES);
        assert_eq!(
            columns(&c, "CREATE VIEW v AS SELECT * FROM elsewhere"),
            None
        );
        // a table the history only altered: its other columns are not known
        let stub = catalog(&format!("{TABLES}\nALTER TABLE altered ADD COLUMN x int;"));
        assert_eq!(
            columns(&stub, "CREATE VIEW v AS SELECT * FROM altered"),
            None
        );
        assert_eq!(
            columns(
                &c,
                "CREATE VIEW v AS SELECT * FROM community JOIN user_ USING (id)"
            ),
            None
        );
        // a named column of an unknown table is still named
        assert_eq!(
            columns(&c, "CREATE VIEW v AS SELECT e.a, e.b AS c FROM elsewhere e").unwrap(),
            ["a", "c"]
        );
    }

    #[test]
    fn a_view_over_a_view_expands_through_the_catalog() {
        let c = catalog(&format!(
            "{TABLES}\nCREATE VIEW named AS SELECT id, name AS label FROM user_;"
        ));
        assert_eq!(
            c.view_columns(&crate::sql::ops::ObjName::new(None, "named")),
            Some(&["id".to_owned(), "label".to_owned()][..])
        );
        assert_eq!(
            columns(&c, "CREATE VIEW v AS SELECT n.*, 1 AS one FROM named n").unwrap(),
            ["id", "label", "one"]
        );
    }
}
