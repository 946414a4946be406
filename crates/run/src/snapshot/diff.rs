//! Two snapshots compared: each difference names its object ("column users.email: default
//! 'x'::text -> none", "index orders_status_idx missing"). Column order is a note, not a
//! difference: a dropped and re-added column moves to the end, which most downs cannot avoid.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::{
    Column, Constraint, Event, Index, Routine, Schema, Sequence, Snapshot, Table, Trigger,
    UserType, View,
};

/// How `actual` differs from `expected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub differences: Vec<Difference>,
    /// Differences that are not failures (column order).
    pub notes: Vec<String>,
}

impl Diff {
    /// No difference (notes aside).
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `column users.email`, `index orders_status_idx`, `function f(integer)`.
    pub object: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Expected, not there.
    Missing,
    /// There, not expected.
    Unexpected,
    /// One attribute differs; the values are the whole texts.
    Changed {
        field: String,
        expected: String,
        actual: String,
    },
}

/// Attributes whose values say what they are (`not null -> null`).
const SELF_DESCRIBING: &[&str] = &["nullability", "validity"];

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.change {
            Change::Missing => write!(f, "{} missing", self.object),
            Change::Unexpected => write!(f, "{} unexpected", self.object),
            Change::Changed {
                field,
                expected,
                actual,
            } => {
                write!(f, "{}: ", self.object)?;
                if !SELF_DESCRIBING.contains(&field.as_str()) {
                    write!(f, "{field} ")?;
                }
                f.write_str(&summary(expected, actual))
            }
        }
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.differences {
            writeln!(f, "{d}")?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

/// `a -> b` for short one-line values; for long texts (function bodies, view definitions)
/// the first line that differs.
fn summary(expected: &str, actual: &str) -> String {
    const SHORT: usize = 100;
    if expected.len() <= SHORT
        && actual.len() <= SHORT
        && !expected.contains('\n')
        && !actual.contains('\n')
    {
        return format!("{expected} -> {actual}");
    }
    let (mut a, mut b) = (expected.lines(), actual.lines());
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                let show = |l: Option<&str>| {
                    l.map_or_else(|| "(end)".to_owned(), |l| format!("`{}`", clip(l.trim())))
                };
                return format!("differs at line {line}: {} -> {}", show(x), show(y));
            }
        }
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 120;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// An object's attributes as (name, text), in a fixed order.
trait Fields {
    fn fields(&self) -> Vec<(String, String)>;
}

fn opt(v: Option<&String>) -> String {
    v.cloned().unwrap_or_else(|| "none".to_owned())
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

fn f(name: &str, value: String) -> (String, String) {
    (name.to_owned(), value)
}

fn options(o: &BTreeMap<String, String>) -> Vec<(String, String)> {
    o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl Fields for Schema {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("comment", opt(self.comment.as_ref())),
            f("grants", list(&self.grants)),
        ]
    }
}

impl Fields for String {
    fn fields(&self) -> Vec<(String, String)> {
        vec![f("version", self.clone())]
    }
}

impl Fields for Table {
    fn fields(&self) -> Vec<(String, String)> {
        let mut out = options(&self.options);
        out.push(f("comment", opt(self.comment.as_ref())));
        out.push(f("grants", list(&self.grants)));
        out
    }
}

impl Fields for Column {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("type", self.data_type.clone()),
            f(
                "nullability",
                if self.nullable { "null" } else { "not null" }.to_owned(),
            ),
            f("default", opt(self.default.as_ref())),
            f("identity", opt(self.identity.as_ref())),
            f("generated", opt(self.generated.as_ref())),
            f("charset", opt(self.charset.as_ref())),
            f("collation", opt(self.collation.as_ref())),
            f("extra", opt(self.extra.as_ref())),
            f("comment", opt(self.comment.as_ref())),
            f("grants", list(&self.grants)),
        ]
    }
}

fn validity(valid: bool) -> String {
    if valid { "valid" } else { "not valid" }.to_owned()
}

impl Fields for Constraint {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("kind", self.kind.clone()),
            f("definition", self.definition.clone()),
            f("validity", validity(self.valid)),
            f("comment", opt(self.comment.as_ref())),
        ]
    }
}

impl Fields for Index {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("table", self.table.clone()),
            f("definition", self.definition.clone()),
            f("validity", validity(self.valid)),
            f("comment", opt(self.comment.as_ref())),
        ]
    }
}

impl Fields for Sequence {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("definition", self.definition.clone()),
            f("owned by", opt(self.owned_by.as_ref())),
            f("comment", opt(self.comment.as_ref())),
            f("grants", list(&self.grants)),
        ]
    }
}

impl Fields for View {
    fn fields(&self) -> Vec<(String, String)> {
        let mut out = vec![
            f(
                "kind",
                if self.materialized {
                    "materialized view"
                } else {
                    "view"
                }
                .to_owned(),
            ),
            f("definition", self.definition.clone()),
        ];
        out.extend(options(&self.options));
        out.push(f("comment", opt(self.comment.as_ref())));
        out.push(f("grants", list(&self.grants)));
        out
    }
}

/// A body as the server keeps it (routines, MySQL triggers and events), without its layout:
/// each line trimmed, runs of blanks as one, empty lines gone. A down that re-creates a
/// function indented otherwise restores it.
fn unlaid(s: &str) -> String {
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Fields for Routine {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("kind", self.kind.clone()),
            f("definition", unlaid(&self.definition)),
            f("comment", opt(self.comment.as_ref())),
            f("grants", list(&self.grants)),
        ]
    }
}

impl Fields for Trigger {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("definition", unlaid(&self.definition)),
            f("state", self.enabled.clone()),
            f("comment", opt(self.comment.as_ref())),
        ]
    }
}

impl Fields for UserType {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("kind", self.kind.clone()),
            f("labels", list(&self.labels)),
            f("definition", self.definition.clone()),
            f("comment", opt(self.comment.as_ref())),
        ]
    }
}

impl Fields for Event {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            f("schedule", self.schedule.clone()),
            f("definition", unlaid(&self.definition)),
            f("comment", opt(self.comment.as_ref())),
        ]
    }
}

/// Attribute differences of one object present on both sides.
fn changed<T: Fields>(out: &mut Vec<Difference>, object: &str, expected: &T, actual: &T) {
    let a = expected.fields();
    let mut b: BTreeMap<String, String> = actual.fields().into_iter().collect();
    let none = || "none".to_owned();
    for (name, x) in a {
        let y = b.remove(&name).unwrap_or_else(none);
        if x != y {
            out.push(Difference {
                object: object.to_owned(),
                change: Change::Changed {
                    field: name,
                    expected: x,
                    actual: y,
                },
            });
        }
    }
    // attributes only `actual` has (a table option set later)
    for (name, y) in b {
        out.push(Difference {
            object: object.to_owned(),
            change: Change::Changed {
                field: name,
                expected: none(),
                actual: y,
            },
        });
    }
}

/// Objects of one kind: missing, unexpected, changed; `visit` goes into both-side pairs.
fn objects<T: Fields>(
    out: &mut Vec<Difference>,
    kind: &str,
    prefix: &str,
    expected: &BTreeMap<String, T>,
    actual: &BTreeMap<String, T>,
    mut visit: impl FnMut(&mut Vec<Difference>, &str, &T, &T),
) {
    let mut keys: Vec<&String> = expected.keys().chain(actual.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let object = format!("{kind} {prefix}{key}");
        match (expected.get(key), actual.get(key)) {
            (Some(_), None) => out.push(Difference {
                object,
                change: Change::Missing,
            }),
            (None, Some(_)) => out.push(Difference {
                object,
                change: Change::Unexpected,
            }),
            (Some(a), Some(b)) => {
                changed(out, &object, a, b);
                visit(out, key, a, b);
            }
            (None, None) => {}
        }
    }
}

fn leaf<T>(_: &mut Vec<Difference>, _: &str, _: &T, _: &T) {}

/// How `actual` differs from `expected`, object by object in a fixed order.
pub fn diff(expected: &Snapshot, actual: &Snapshot) -> Diff {
    let mut out = Diff::default();
    let d = &mut out.differences;
    objects(d, "schema", "", &expected.schemas, &actual.schemas, leaf);
    objects(
        d,
        "extension",
        "",
        &expected.extensions,
        &actual.extensions,
        leaf,
    );
    let mut notes = Vec::new();
    objects(
        d,
        "table",
        "",
        &expected.tables,
        &actual.tables,
        |d, name, a, b| {
            let prefix = format!("{name}.");
            objects(d, "column", &prefix, &a.columns, &b.columns, leaf);
            objects(
                d,
                "constraint",
                &prefix,
                &a.constraints,
                &b.constraints,
                leaf,
            );
            if let Some(n) = order_note(name, a, b) {
                notes.push(n);
            }
        },
    );
    out.notes = notes;
    let d = &mut out.differences;
    objects(d, "index", "", &expected.indexes, &actual.indexes, leaf);
    objects(
        d,
        "sequence",
        "",
        &expected.sequences,
        &actual.sequences,
        leaf,
    );
    objects(d, "view", "", &expected.views, &actual.views, leaf);
    objects(d, "routine", "", &expected.routines, &actual.routines, leaf);
    objects(d, "trigger", "", &expected.triggers, &actual.triggers, leaf);
    objects(d, "type", "", &expected.types, &actual.types, leaf);
    objects(d, "event", "", &expected.events, &actual.events, leaf);
    out
}

/// The order of the columns both sides have, when it differs.
fn order_note(table: &str, expected: &Table, actual: &Table) -> Option<String> {
    let common = |t: &Table, other: &Table| -> Vec<String> {
        t.column_order
            .iter()
            .filter(|c| other.columns.contains_key(*c))
            .cloned()
            .collect()
    };
    let (a, b) = (common(expected, actual), common(actual, expected));
    (a != b).then(|| {
        format!(
            "table {table}: column order {} -> {}",
            a.join(", "),
            b.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(data_type: &str, default: Option<&str>) -> Column {
        Column {
            data_type: data_type.into(),
            nullable: true,
            default: default.map(Into::into),
            ..Column::default()
        }
    }

    fn users() -> Snapshot {
        let mut t = Table::default();
        for (name, c) in [
            ("id", col("bigint", None)),
            ("email", col("text", Some("'x'::text"))),
            ("name", col("text", None)),
        ] {
            t.column_order.push(name.into());
            t.columns.insert(name.into(), c);
        }
        t.constraints.insert(
            "users_pkey".into(),
            Constraint {
                kind: "primary key".into(),
                definition: "PRIMARY KEY (id)".into(),
                valid: true,
                comment: None,
            },
        );
        let mut s = Snapshot::default();
        s.tables.insert("users".into(), t);
        s.indexes.insert(
            "users_email_idx".into(),
            Index {
                table: "users".into(),
                definition: "CREATE INDEX users_email_idx ON public.users USING btree (email)"
                    .into(),
                unique: false,
                valid: true,
                comment: None,
            },
        );
        s.types.insert(
            "mood".into(),
            UserType {
                kind: "enum".into(),
                labels: vec!["happy".into(), "sad".into()],
                ..UserType::default()
            },
        );
        s
    }

    fn lines(d: &Diff) -> Vec<String> {
        d.differences.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn routine_layout_is_no_difference_but_its_text_is() {
        let routine = |body: &str| {
            let mut s = Snapshot::default();
            s.routines.insert(
                "f()".into(),
                Routine {
                    kind: "function".into(),
                    definition: body.into(),
                    ..Routine::default()
                },
            );
            s
        };
        let a = routine("CREATE FUNCTION f()\n AS $$\nBEGIN\n  RETURN 1;\nEND $$");
        let b = routine("CREATE FUNCTION f()\n AS $$\n\n BEGIN  \n\tRETURN  1;\nEND $$");
        assert!(diff(&a, &b).is_empty(), "{}", diff(&a, &b));
        let c = routine("CREATE FUNCTION f()\n AS $$\nBEGIN\n  RETURN 2;\nEND $$");
        assert_eq!(
            lines(&diff(&a, &c)),
            ["routine f(): definition differs at line 4: `RETURN 1;` -> `RETURN 2;`"]
        );
    }

    #[test]
    fn equal_snapshots_have_no_difference() {
        let d = diff(&users(), &users());
        assert!(d.is_empty() && d.notes.is_empty(), "{d}");
    }

    #[test]
    fn each_difference_names_its_object() {
        let before = users();
        let mut after = users();
        let t = after.tables.get_mut("users").unwrap();
        t.columns.get_mut("email").unwrap().default = None;
        t.columns.get_mut("name").unwrap().nullable = false;
        t.constraints.get_mut("users_pkey").unwrap().valid = false;
        t.columns.insert("nick".into(), col("text", None));
        t.column_order.push("nick".into());
        after.indexes.clear();
        after.types.get_mut("mood").unwrap().labels.pop();
        assert_eq!(
            lines(&diff(&before, &after)),
            [
                "column users.email: default 'x'::text -> none",
                "column users.name: null -> not null",
                "column users.nick unexpected",
                "constraint users.users_pkey: valid -> not valid",
                "index users_email_idx missing",
                "type mood: labels happy, sad -> happy",
            ]
        );
    }

    #[test]
    fn column_order_is_a_note_not_a_difference() {
        let before = users();
        let mut after = users();
        after.tables.get_mut("users").unwrap().column_order =
            vec!["id".into(), "name".into(), "email".into()];
        let d = diff(&before, &after);
        assert!(d.is_empty(), "{d}");
        assert_eq!(
            d.notes,
            ["table users: column order id, email, name -> id, name, email"]
        );
        // a column re-added at the end, the rest in order: no note
        let mut readded = users();
        let t = readded.tables.get_mut("users").unwrap();
        t.columns.remove("email");
        t.column_order.retain(|c| c != "email");
        let d = diff(&before, &readded);
        assert!(d.notes.is_empty(), "{:?}", d.notes);
        assert_eq!(lines(&d), ["column users.email missing"]);
    }

    #[test]
    fn long_definitions_show_the_first_line_that_differs() {
        let body = |x: &str| {
            format!(
                "CREATE OR REPLACE FUNCTION public.f()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$\nBEGIN\n  NEW.x := {x};\n  RETURN NEW;\nEND\n$function$"
            )
        };
        let mut a = Snapshot::default();
        let mut b = Snapshot::default();
        let r = |d: String| Routine {
            kind: "function".into(),
            definition: d,
            ..Routine::default()
        };
        a.routines.insert("f()".into(), r(body("1")));
        b.routines.insert("f()".into(), r(body("2")));
        assert_eq!(
            lines(&diff(&a, &b)),
            ["routine f(): definition differs at line 6: `NEW.x := 1;` -> `NEW.x := 2;`"]
        );
    }

    #[test]
    fn objects_on_both_sides_compare_every_attribute() {
        let mut a = Snapshot::default();
        a.sequences.insert(
            "users_id_seq".into(),
            Sequence {
                definition: "bigint START 1".into(),
                owned_by: Some("users.id".into()),
                ..Sequence::default()
            },
        );
        let mut b = a.clone();
        b.sequences.get_mut("users_id_seq").unwrap().owned_by = None;
        a.triggers.insert(
            "users.t".into(),
            Trigger {
                table: "users".into(),
                definition: "CREATE TRIGGER t ...".into(),
                enabled: "enabled".into(),
                comment: None,
            },
        );
        b.views.insert("v".into(), View::default());
        b.tables.insert("t".into(), Table::default());
        a.tables.insert("t".into(), Table::default());
        b.tables
            .get_mut("t")
            .unwrap()
            .options
            .insert("unlogged".into(), "yes".into());
        assert_eq!(
            lines(&diff(&a, &b)),
            [
                "table t: unlogged none -> yes",
                "sequence users_id_seq: owned by users.id -> none",
                "view v unexpected",
                "trigger users.t missing",
            ]
        );
    }
}
