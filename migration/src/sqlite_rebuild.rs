//! SQLite cannot change a column's constraints in place (no `ALTER COLUMN`),
//! so a migration that relaxes `NOT NULL` or a `CHECK` rebuilds the table:
//! the old one is renamed aside, the new definition created under the real
//! name, the rows copied, the old table dropped and the indexes made again.
//! PostgreSQL migrations use `ALTER TABLE` instead.

use sea_orm_migration::prelude::*;

/// Rebuilds `table` as `create` defines it, copying `columns` (present in
/// both definitions), then creating `indexes`. For a migration that runs in
/// a transaction (`use_transaction` → `Some(true)`), so that every step is on
/// one connection and a failure leaves the old table.
pub(crate) async fn rebuild(
    manager: &SchemaManager<'_>,
    table: &str,
    create: TableCreateStatement,
    columns: &[&str],
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let aside = format!("{table}_before_rebuild");
    db.execute_unprepared(&format!("ALTER TABLE \"{table}\" RENAME TO \"{aside}\"")).await?;
    manager.create_table(create).await?;
    let list = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    db.execute_unprepared(&format!("INSERT INTO \"{table}\" ({list}) SELECT {list} FROM \"{aside}\"")).await?;
    db.execute_unprepared(&format!("DROP TABLE \"{aside}\"")).await?;
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}
