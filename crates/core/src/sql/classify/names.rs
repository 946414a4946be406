//! Identifiers and object names, normalised as the catalog compares them.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, TableFactor, TableWithJoins};

use super::super::ops::ObjName;

pub(super) fn table_of(t: &TableWithJoins) -> Option<ObjName> {
    match &t.relation {
        TableFactor::Table { name, .. } => Some(obj_name(name)),
        _ => None,
    }
}

/// An identifier normalised for comparison: unquoted ones folded to lower case.
pub fn ident(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The last two parts of a name as schema and name.
pub fn obj_name(n: &ObjectName) -> ObjName {
    let mut parts = n.0.iter().rev().map(|p| match p {
        ObjectNamePart::Identifier(id) => ident(id),
        ObjectNamePart::Function(f) => ident(&f.name),
    });
    let name = parts.next().unwrap_or_default();
    let schema = parts.next();
    ObjName { schema, name }
}

/// The new name of a renamed table; an unqualified new name stays in the old schema.
pub(super) fn renamed(from: &ObjName, to: &ObjectName) -> ObjName {
    let mut to = obj_name(to);
    if to.schema.is_none() {
        to.schema = from.schema.clone();
    }
    to
}
