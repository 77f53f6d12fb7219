//! DataLoader declarations: every relation resolves in one query per batch, never per row.
//!
//! `by_key_loader!(Name, entity, Column, field)` loads one model per key; `grouped_loader!(Name,
//! entity, Column, field, OrderColumn)` loads the models sharing a key, in order.

/// A loader of one `$entity` model per value of `$column` (a unique text column).
#[macro_export]
macro_rules! by_key_loader {
    ($name:ident, $entity:ident, $column:ident, $field:ident) => {
        pub struct $name(pub sea_orm::DatabaseConnection);

        impl async_graphql::dataloader::Loader<String> for $name {
            type Value = entity::$entity::Model;
            type Error = std::sync::Arc<sea_orm::DbErr>;

            async fn load(
                &self,
                keys: &[String],
            ) -> Result<std::collections::HashMap<String, Self::Value>, Self::Error> {
                use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                let rows = entity::$entity::Entity::find()
                    .filter(entity::$entity::Column::$column.is_in(keys.iter().cloned()))
                    .all(&self.0)
                    .await?;
                Ok(rows.into_iter().map(|m| (m.$field.clone(), m)).collect())
            }
        }
    };
}

/// A loader of every `$entity` model whose `$column` equals the key, ordered by `$order`.
#[macro_export]
macro_rules! grouped_loader {
    ($name:ident, $entity:ident, $column:ident, $field:ident, $order:ident) => {
        pub struct $name(pub sea_orm::DatabaseConnection);

        impl async_graphql::dataloader::Loader<String> for $name {
            type Value = Vec<entity::$entity::Model>;
            type Error = std::sync::Arc<sea_orm::DbErr>;

            async fn load(
                &self,
                keys: &[String],
            ) -> Result<std::collections::HashMap<String, Self::Value>, Self::Error> {
                use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
                let rows = entity::$entity::Entity::find()
                    .filter(entity::$entity::Column::$column.is_in(keys.iter().cloned()))
                    .order_by_asc(entity::$entity::Column::$order)
                    .all(&self.0)
                    .await?;
                let mut grouped: std::collections::HashMap<String, Self::Value> =
                    keys.iter().map(|k| (k.clone(), Vec::new())).collect();
                for row in rows {
                    grouped.entry(row.$field.clone()).or_default().push(row);
                }
                Ok(grouped)
            }
        }
    };
}
