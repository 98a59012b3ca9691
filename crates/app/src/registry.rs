//! The voter registry in: voters placed on tables the store knows, every voter once, stored
//! whole. Whatever builds the list (a CSV import, a synthetic registry) goes through the same
//! checks here.

use std::collections::HashMap;

use veedor_core::{Registry, RegistryBuilder, TableId, TableKey, VoterId};
use veedor_store::{BatchOutcome, SourceFile, Store};

use crate::AppError;

/// The key of every table the store knows, to place voters with.
pub fn table_keys(store: &dyn Store) -> Result<HashMap<TableId, TableKey>, AppError> {
    Ok(store
        .tables()?
        .into_iter()
        .map(|(key, table)| (table.id, key))
        .collect())
}

/// Builds a registry from voters and their tables, refusing a voter on a table the store does
/// not know (naming both) and a voter listed twice.
pub fn build(
    keys: &HashMap<TableId, TableKey>,
    voters: impl IntoIterator<Item = (VoterId, TableId)>,
    capacity: usize,
) -> Result<Registry, AppError> {
    let mut builder = RegistryBuilder::with_capacity(capacity);
    for (voter, table) in voters {
        let key = keys
            .get(&table)
            .ok_or(AppError::RegistryUnknownTable { voter, table })?;
        builder.push(voter, *key);
    }
    builder
        .build()
        .map_err(|error| AppError::Registry(error.to_string()))
}

/// Replaces the store's registry with `registry`, read from `source`.
pub fn replace(
    store: &mut dyn Store,
    registry: &Registry,
    source: &SourceFile,
) -> Result<BatchOutcome, AppError> {
    Ok(store.replace_registry(registry, source)?)
}

#[cfg(test)]
mod tests {
    use veedor_core::{CentreCode, TableNumber};

    use super::*;

    fn table(number: u16) -> TableId {
        TableId::new(CentreCode::new(10_101_001), TableNumber::new(number))
    }

    #[test]
    fn voters_are_placed_by_key_and_unknown_tables_and_repeats_are_refused() {
        let keys: HashMap<TableId, TableKey> = [(table(1), TableKey::new(0))].into();
        let registry = build(&keys, [(VoterId::new(7), table(1))], 1).expect("builds");
        assert_eq!(registry.len(), 1);
        assert!(matches!(
            build(&keys, [(VoterId::new(7), table(2))], 1),
            Err(AppError::RegistryUnknownTable { .. })
        ));
        assert!(matches!(
            build(
                &keys,
                [(VoterId::new(7), table(1)), (VoterId::new(7), table(1))],
                2
            ),
            Err(AppError::Registry(_))
        ));
    }
}
