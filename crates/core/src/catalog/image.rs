//! A catalog as plain data (serde), for a cache of a replayed history: the persistent maps
//! become lists in key order, and [`Catalog::from_image`] rebuilds the very same catalog.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Catalog, Index, Key, Map, Origin, Table, View};
use crate::sql::Dialect;

/// Every field of a [`Catalog`], the maps as `(key, value)` lists in key order.
#[derive(Debug, Serialize, Deserialize)]
pub struct CatalogImage {
    dialect: Dialect,
    default_schema: String,
    origin: Origin,
    schemas: BTreeMap<String, Origin>,
    tables: Vec<(Key, Table)>,
    indexes: Vec<(Key, Index)>,
    views: Vec<(Key, View)>,
    sequences: Vec<(Key, Origin)>,
    enums: Vec<(Key, Vec<String>)>,
    uncertain_statements: usize,
    fresh_tables: Vec<Key>,
    fresh_indexes: Vec<Key>,
    elsewhere: bool,
}

fn list<V: Clone>(m: &Map<V>) -> Vec<(Key, V)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl Catalog {
    /// The catalog as plain data.
    pub fn image(&self) -> CatalogImage {
        let unarc = |m: &Map<Arc<Table>>| -> Vec<(Key, Table)> {
            m.iter().map(|(k, v)| (k.clone(), (**v).clone())).collect()
        };
        CatalogImage {
            dialect: self.dialect,
            default_schema: self.default_schema.clone(),
            origin: self.origin,
            schemas: self.schemas.clone(),
            tables: unarc(&self.tables),
            indexes: self
                .indexes
                .iter()
                .map(|(k, v)| (k.clone(), (**v).clone()))
                .collect(),
            views: list(&self.views),
            sequences: list(&self.sequences),
            enums: list(&self.enums),
            uncertain_statements: self.uncertain_statements,
            fresh_tables: self.fresh_tables.iter().cloned().collect(),
            fresh_indexes: self.fresh_indexes.iter().cloned().collect(),
            elsewhere: self.elsewhere,
        }
    }

    /// The catalog an [`image`](Self::image) was taken of.
    pub fn from_image(image: CatalogImage) -> Catalog {
        Catalog {
            dialect: image.dialect,
            default_schema: image.default_schema,
            origin: image.origin,
            schemas: image.schemas,
            tables: image
                .tables
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            indexes: image
                .indexes
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            views: image.views.into_iter().collect(),
            sequences: image.sequences.into_iter().collect(),
            enums: image.enums.into_iter().collect(),
            uncertain_statements: image.uncertain_statements,
            fresh_tables: image.fresh_tables.into_iter().collect(),
            fresh_indexes: image.fresh_indexes.into_iter().collect(),
            elsewhere: image.elsewhere,
        }
    }
}
