//! Key-range batches over a table, as the backfill and the shadow-table copy walk it: the
//! batch's upper key is the row `n` rows after the checkpoint in key order, and a batch
//! covers `key > last AND key <= upper` (no upper for the last batch). Key values travel as
//! text and reach SQL as literals; identifiers through the database's quoting.

use super::driver::Database;
use sluice_core::sql::ops::ObjName;

/// One table's key, quoted for one database.
#[derive(Debug, Clone)]
pub(crate) struct KeyRange {
    db: &'static dyn Database,
    target: String,
    keys: Vec<String>,
    /// Per key column: numeric (values go unquoted, so MySQL compares numbers, not floats).
    numeric: Vec<bool>,
}

impl KeyRange {
    pub(crate) fn new(
        db: &'static dyn Database,
        table: &ObjName,
        keys: &[String],
        numeric: Vec<bool>,
    ) -> KeyRange {
        let target = db.qualified(table);
        KeyRange {
            db,
            target,
            keys: keys.iter().map(|k| db.ident(k)).collect(),
            numeric,
        }
    }

    /// The same range with its key columns qualified by `by` (a quoted table or alias): an
    /// `UPDATE .. FROM` may join tables with columns of the key's names.
    pub(crate) fn qualified(&self, by: &str) -> KeyRange {
        KeyRange {
            keys: self.keys.iter().map(|k| format!("{by}.{k}")).collect(),
            ..self.clone()
        }
    }

    /// The table, quoted.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// The key column, when the key has one.
    pub(crate) fn single(&self) -> Option<&str> {
        match self.keys.as_slice() {
            [k] => Some(k),
            _ => None,
        }
    }

    /// The key columns, quoted, comma-separated (key order).
    pub(crate) fn list(&self) -> String {
        self.keys.join(", ")
    }

    /// The key as a row value (or a lone column).
    pub(crate) fn tuple(&self) -> String {
        if self.keys.len() == 1 {
            self.keys[0].clone()
        } else {
            format!("({})", self.list())
        }
    }

    fn literal(&self, i: usize, v: &str) -> String {
        key_literal(self.db, self.numeric.get(i) == Some(&true), v)
    }

    fn values(&self, vals: &[String]) -> String {
        let lits: Vec<String> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| self.literal(i, v))
            .collect();
        if lits.len() == 1 {
            lits[0].clone()
        } else {
            format!("({})", lits.join(", "))
        }
    }

    /// `key > vals` or `key <= vals` in key order. PostgreSQL compares row values with an
    /// index range; MariaDB scans (and so locks) the whole index for them, so there a
    /// composite key is spelled out: `a > x OR (a = x AND b > y)`.
    pub(crate) fn compare(&self, op: &str, vals: &[String]) -> String {
        if self.db.row_value_ranges() || self.keys.len() == 1 {
            return format!("{} {op} {}", self.tuple(), self.values(vals));
        }
        let lit = |i: usize| self.literal(i, vals.get(i).map_or("", String::as_str));
        let strict = if op == ">" { ">" } else { "<" };
        let n = self.keys.len();
        let terms: Vec<String> = (0..n)
            .map(|i| {
                let mut parts: Vec<String> = (0..i)
                    .map(|j| format!("{} = {}", self.keys[j], lit(j)))
                    .collect();
                let last_op = if i + 1 == n { op } else { strict };
                parts.push(format!("{} {last_op} {}", self.keys[i], lit(i)));
                if parts.len() == 1 {
                    parts.remove(0)
                } else {
                    format!("({})", parts.join(" AND "))
                }
            })
            .collect();
        format!("({})", terms.join(" OR "))
    }

    /// The conditions of the batch after `last` up to `upper` (both optional).
    pub(crate) fn bounds(&self, last: Option<&[String]>, upper: Option<&[String]>) -> Vec<String> {
        let mut conds = Vec::new();
        if let Some(l) = last {
            conds.push(self.compare(">", l));
        }
        if let Some(u) = upper {
            conds.push(self.compare("<=", u));
        }
        conds
    }

    /// The key of the batch's last row, as text: `n` rows after `last` in key order.
    pub(crate) fn upper_sql(&self, last: Option<&[String]>, n: u64) -> String {
        // aliased: ORDER BY "id" must sort the column, not a text output named "id"
        let cols: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{} AS sluice_k{i}", self.db.as_text(k)))
            .collect();
        let after = last.map_or_else(String::new, |l| format!(" WHERE {}", self.compare(">", l)));
        format!(
            "SELECT {} FROM {}{after} ORDER BY {} LIMIT 1 OFFSET {}",
            cols.join(", "),
            self.target,
            self.list(),
            n.max(1) - 1
        )
    }
}

/// ` WHERE a AND b`, or nothing for no condition.
pub(crate) fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

/// A key value as SQL: a plain number for numeric columns, else a quoted literal.
pub(crate) fn key_literal(db: &dyn Database, numeric: bool, v: &str) -> String {
    let plain_number = {
        let digits = v.strip_prefix('-').unwrap_or(v);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    if numeric && plain_number {
        v.to_owned()
    } else {
        db.literal(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::sql::Dialect;

    #[test]
    fn key_values_are_literals() {
        // a numeric column takes plain numbers only; anything else is quoted
        assert_eq!(
            key_literal(crate::driver::database(Dialect::Postgres), true, "-12"),
            "-12"
        );
        assert_eq!(
            key_literal(crate::driver::database(Dialect::Postgres), true, "1.5"),
            "1.5"
        );
        assert_eq!(
            key_literal(crate::driver::database(Dialect::Postgres), true, "1; DROP"),
            "'1; DROP'"
        );
        assert_eq!(
            key_literal(crate::driver::database(Dialect::Postgres), false, "12"),
            "'12'"
        );
        assert_eq!(
            key_literal(crate::driver::database(Dialect::Postgres), false, "o'k"),
            "'o''k'"
        );
    }
}
