//! Statements that may already have taken effect. Outside a transaction a statement commits
//! before its progress is written: a runner killed (or its session or server lost) between
//! the two leaves a statement done but not recorded, and MySQL's DDL always commits on its
//! own. Such a statement must not run again (`CREATE TRIGGER`: "already exists"). The same
//! holds for a down script run after an up that stopped part-way, or after an interrupted
//! rollback: some of its statements find their work already done.
//!
//! [`applied`] reads the catalog for what a statement creates, drops or renames;
//! it says yes only when every such effect is there (a statement is atomic, so its other
//! actions, `MODIFY` and the like, went with them). Statements whose effect cannot be read
//! are run again (they are the idempotent kind: `MODIFY`, `SET NOT NULL`, `DROP .. IF
//! EXISTS`).

use super::driver::{CatalogObject, DbError, Driver};
use sluice_core::sql::ops::{ObjName, ObjectKind};
use sluice_core::sql::{self, Dialect, Operation};

impl Effect {
    fn same_object(&self, o: &Effect) -> bool {
        match (self, o) {
            (Effect::Table(a, _), Effect::Table(b, _)) => a == b,
            (Effect::Column(a, x, _), Effect::Column(b, y, _))
            | (Effect::Index(a, x, _), Effect::Index(b, y, _))
            | (Effect::Constraint(a, x, _), Effect::Constraint(b, y, _)) => a == b && x == y,
            // `DROP TRIGGER` may not name the table (MySQL)
            (Effect::Trigger(_, x, _), Effect::Trigger(_, y, _)) => x == y,
            _ => false,
        }
    }
}

/// A statement that sets a session variable (`SET [SESSION] name = ..`, not `SET LOCAL`):
/// a resumed run starts on a new session, so the ones before the resume point are sent
/// again (a MySQL `SET SESSION foreign_key_checks = 0` the next statement needs).
pub(crate) fn session_setting(d: Dialect, sql_text: &str) -> bool {
    let Ok(asts) = sql::parse(d, sql_text) else {
        return false;
    };
    let ops: Vec<Operation> = asts
        .iter()
        .flat_map(|a| sql::classify::classify(d, a))
        .collect();
    !ops.is_empty()
        && ops
            .iter()
            .all(|o| matches!(o, Operation::SetVariable { local: false, .. }))
}

/// What one operation leaves in the catalog, when it can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Table(ObjName, bool),
    Column(ObjName, String, bool),
    Index(ObjName, String, bool),
    Constraint(ObjName, String, bool),
    Trigger(Option<ObjName>, String, bool),
}

/// The effects of `sql`; `None` when it has none to read, or an operation of a kind that
/// is neither readable nor a column change (then the statement is run again).
fn effects(d: Dialect, sql_text: &str) -> Option<Vec<Effect>> {
    let ops: Vec<Operation> = match sql::parse(d, sql_text) {
        Ok(asts) => asts
            .iter()
            .flat_map(|a| sql::classify::classify(d, a))
            .collect(),
        // sqlparser takes no MySQL trigger body without BEGIN .. END
        Err(_) => match create_trigger(sql_text) {
            Some(op) => vec![op],
            None => sql::tokscan::scan(d, sql_text),
        },
    };
    let mut out = Vec::new();
    for op in ops {
        match op {
            Operation::CreateTable { table, .. } => out.push(Effect::Table(table, true)),
            Operation::DropTable { tables, .. } => {
                out.extend(tables.into_iter().map(|t| Effect::Table(t, false)));
            }
            Operation::RenameTable { from, to } => {
                let to = ObjName {
                    schema: to.schema.or_else(|| from.schema.clone()),
                    name: to.name,
                };
                out.push(Effect::Table(from, false));
                out.push(Effect::Table(to, true));
            }
            Operation::AddColumn { table, column, .. } => {
                out.push(Effect::Column(table, column.name, true));
            }
            Operation::DropColumn { table, column, .. } => {
                out.push(Effect::Column(table, column, false));
            }
            Operation::RenameColumn { table, from, to } => {
                out.push(Effect::Column(table.clone(), from, false));
                out.push(Effect::Column(table, to, true));
            }
            Operation::AddConstraint { table, constraint } => {
                out.push(Effect::Constraint(table, constraint.name?, true));
            }
            Operation::DropConstraint { table, name, .. } => {
                out.push(Effect::Constraint(table, name, false));
            }
            Operation::CreateIndex {
                name: Some(name),
                table,
                ..
            } => out.push(Effect::Index(table, name, true)),
            Operation::DropIndex {
                names,
                table: Some(table),
                ..
            } => out.extend(
                names
                    .into_iter()
                    .map(|n| Effect::Index(table.clone(), n.name, false)),
            ),
            Operation::CreateTrigger { table, name } => {
                out.push(Effect::Trigger(Some(table), name, true));
            }
            Operation::DropObject {
                kind: ObjectKind::Trigger,
                names,
                ..
            } => out.extend(
                names
                    .into_iter()
                    .map(|n| Effect::Trigger(None, n.name, false)),
            ),
            Operation::AlterColumnType { .. }
            | Operation::RedefineColumn { .. }
            | Operation::SetNotNull { .. }
            | Operation::DropNotNull { .. }
            | Operation::SetDefault { .. }
            | Operation::DropDefault { .. }
            | Operation::AlterTableOptions { .. } => {}
            _ => return None,
        }
    }
    // the net effect: in `RENAME a TO b, RENAME c TO a` the last word on `a` is that it
    // is there
    let mut net: Vec<Effect> = Vec::new();
    for e in out {
        net.retain(|n| !n.same_object(&e));
        net.push(e);
    }
    // a statement that only changes columns leaves nothing to read
    (!net.is_empty()).then_some(net)
}

/// Words of `sql`, a quoted identifier (and a dotted name) as one word, unquoted.
fn words(sql_text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in sql_text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '`' || c == '"' => quote = Some(c),
            None if c.is_whitespace() || c == '(' || c == ';' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn obj(word: &str) -> ObjName {
    match word.split_once('.') {
        Some((s, n)) => ObjName::new(Some(s), n),
        None => ObjName::new(None, word),
    }
}

/// `CREATE [OR REPLACE] [DEFINER = ..] TRIGGER [IF NOT EXISTS] name .. ON table ..`.
fn create_trigger(sql_text: &str) -> Option<Operation> {
    let w = words(sql_text);
    let up = |i: usize| w.get(i).map(|s| s.to_ascii_uppercase());
    if up(0).as_deref() != Some("CREATE") {
        return None;
    }
    let mut i = w.iter().position(|x| x.eq_ignore_ascii_case("TRIGGER"))? + 1;
    if up(i).as_deref() == Some("IF") {
        i += 3;
    }
    let name = obj(w.get(i)?).name;
    let on = i + w[i..].iter().position(|x| x.eq_ignore_ascii_case("ON"))?;
    Some(Operation::CreateTrigger {
        table: obj(w.get(on + 1)?),
        name,
    })
}

/// A query returning one row when the object exists (the driver's catalog query).
fn exists_sql(d: Dialect, e: &Effect) -> String {
    let o = match e {
        Effect::Table(t, _) => CatalogObject::Table(t),
        Effect::Column(t, c, _) => CatalogObject::Column(t, c),
        Effect::Index(t, i, _) => CatalogObject::Index(t, i),
        Effect::Constraint(t, c, _) => CatalogObject::Constraint(t, c),
        Effect::Trigger(t, name, _) => CatalogObject::Trigger(t.as_ref(), name),
    };
    super::driver::database(d).exists_sql(&o)
}

fn wanted(e: &Effect) -> bool {
    match e {
        Effect::Table(_, w)
        | Effect::Column(_, _, w)
        | Effect::Index(_, _, w)
        | Effect::Constraint(_, _, w)
        | Effect::Trigger(_, _, w) => *w,
    }
}

/// Whether `sql`'s effect is already in the database `conn` is connected to (see the
/// module's doc); `None` when it cannot be read. Reads only; on MySQL it works under `LOCK
/// TABLES` (information_schema needs no lock), on PostgreSQL inside the caller's transaction.
pub(crate) async fn applied(
    conn: &mut dyn Driver,
    d: Dialect,
    sql_text: &str,
) -> Result<Option<bool>, DbError> {
    applied_all(conn, d, &[sql_text]).await
}

/// The readable effects of `sqls` run in order, the last word on each object kept.
fn net_effects(d: Dialect, sqls: &[&str]) -> Vec<Effect> {
    let mut net: Vec<Effect> = Vec::new();
    for e in sqls.iter().filter_map(|s| effects(d, s)).flatten() {
        net.retain(|n| !n.same_object(&e));
        net.push(e);
    }
    net
}

/// Whether the net effect of `sqls` (run in this order, one atomic block) is already
/// there; `None` when none of them has an effect to read (those without one are left out).
pub(crate) async fn applied_all(
    conn: &mut dyn Driver,
    d: Dialect,
    sqls: &[&str],
) -> Result<Option<bool>, DbError> {
    let net = net_effects(d, sqls);
    if net.is_empty() {
        return Ok(None);
    }
    for e in &net {
        let sql = exists_sql(d, e);
        // once more on an error: MariaDB materialises information_schema in temporary files,
        // whose clean-up can fail on a busy /tmp without anything being wrong with the query
        let rows = match conn.query_text(&sql).await {
            Ok(r) => r,
            Err(err) => {
                tracing::debug!(error = %err, "catalog read failed; once more");
                conn.query_text(&sql).await?
            }
        };
        let there = !rows.is_empty();
        if there != wanted(e) {
            return Ok(Some(false));
        }
    }
    Ok(Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> ObjName {
        ObjName::new(None, name)
    }

    #[test]
    fn readable_effects() {
        let my = Dialect::Mysql;
        assert_eq!(
            effects(
                my,
                "CREATE TRIGGER `s`.`trg` BEFORE UPDATE ON `accounts` FOR EACH ROW\n  SET NEW.a = IF(NEW.b IS NULL, NEW.a, NEW.b), NEW.b = NEW.a"
            ),
            Some(vec![Effect::Trigger(
                Some(t("accounts")),
                "trg".into(),
                true
            )])
        );
        assert_eq!(
            effects(my, "ALTER TABLE accounts RENAME COLUMN name TO full_name"),
            Some(vec![
                Effect::Column(t("accounts"), "name".into(), false),
                Effect::Column(t("accounts"), "full_name".into(), true),
            ])
        );
        // CHANGE renames and redefines in one atomic statement: the rename tells
        assert!(effects(my, "ALTER TABLE accounts CHANGE a b bigint NOT NULL").is_some());
        assert_eq!(
            effects(
                Dialect::Postgres,
                "ALTER TABLE accounts ADD COLUMN tier int"
            ),
            Some(vec![Effect::Column(t("accounts"), "tier".into(), true)])
        );
    }

    #[test]
    fn mysql_algorithm_and_lock_clauses_are_no_effect() {
        assert_eq!(
            effects(
                Dialect::Mysql,
                "ALTER TABLE accounts DROP FOREIGN KEY accounts_owner_id_fkey, ALGORITHM=INPLACE, LOCK=NONE"
            ),
            Some(vec![Effect::Constraint(
                t("accounts"),
                "accounts_owner_id_fkey".into(),
                false
            )])
        );
    }

    #[test]
    fn a_column_swap_is_read_by_its_net_effect() {
        assert_eq!(
            effects(
                Dialect::Mysql,
                "ALTER TABLE accounts RENAME COLUMN balance TO _old, RENAME COLUMN balance_new TO balance, ALGORITHM=INSTANT"
            ),
            Some(vec![
                Effect::Column(t("accounts"), "_old".into(), true),
                Effect::Column(t("accounts"), "balance_new".into(), false),
                Effect::Column(t("accounts"), "balance".into(), true),
            ])
        );
    }

    #[test]
    fn a_trigger_dropped_then_created_again_is_there() {
        let sqls = [
            "DROP TRIGGER IF EXISTS trg ON accounts",
            "CREATE TRIGGER trg BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION f()",
        ];
        assert_eq!(
            net_effects(Dialect::Postgres, &sqls),
            vec![Effect::Trigger(Some(t("accounts")), "trg".into(), true)]
        );
    }

    #[test]
    fn session_settings_are_told_apart() {
        assert!(session_setting(
            Dialect::Mysql,
            "SET SESSION foreign_key_checks = 0"
        ));
        assert!(session_setting(
            Dialect::Postgres,
            "SET lock_timeout = '1s'"
        ));
        assert!(!session_setting(
            Dialect::Postgres,
            "SET LOCAL lock_timeout = '1s'"
        ));
        assert!(!session_setting(Dialect::Mysql, "UPDATE t SET a = 1"));
    }

    #[test]
    fn unreadable_effects_run_again() {
        let my = Dialect::Mysql;
        assert_eq!(
            effects(my, "ALTER TABLE accounts MODIFY tier int NOT NULL"),
            None
        );
        assert_eq!(effects(my, "UPDATE accounts SET tier = 0"), None);
        assert_eq!(effects(my, "LOCK TABLES accounts WRITE"), None);
        assert_eq!(
            effects(
                Dialect::Postgres,
                "ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL"
            ),
            None
        );
        assert_eq!(
            effects(
                Dialect::Postgres,
                "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"
            ),
            None
        );
    }
}
