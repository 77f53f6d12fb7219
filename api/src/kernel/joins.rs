//! To-one relations read in the same statement as the rows that point to them.
//!
//! A page of invoices that shows each one's department and creator would otherwise cost a query
//! per relation (batched by a DataLoader, but still a round trip each). When the selection asks
//! for them, the list's query `LEFT JOIN`s the related tables under an alias and selects their
//! columns as `<alias>_<column>`; the rows come back whole, and the records carry their related
//! rows to the resolvers.
//!
//! Those rows are read back by position ([`AtPosition`]): a column read by name costs a
//! formatted `<alias>_<column>` and a hashed lookup, which on a page of 50 invoices with their
//! department and creator was most of the time spent decoding it.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, JoinType, SelectStatement};
use sea_orm::{DbErr, EntityTrait, IdenStatic, Iterable, QueryResult, TryGetable};

/// Joins `E` as `alias` on `alias.key = from_table.from_column` and selects its columns.
/// Columns in `withheld` are never read: they come back as empty text (a password hash, say) —
/// or NULL when the join found nothing, so that the whole related row reads as absent.
pub fn join_to_one<E: EntityTrait>(
    query: &mut SelectStatement,
    alias: &'static str,
    key: E::Column,
    from: (impl IntoIden, impl IntoIden),
    withheld: &[E::Column],
) {
    let target = Alias::new(alias);
    query.join_as(
        JoinType::LeftJoin,
        E::default(),
        target.clone(),
        Expr::col((target.clone(), key)).equals((from.0.into_iden(), from.1.into_iden())),
    );
    for column in E::Column::iter() {
        let as_name = Alias::new(format!("{alias}_{}", column.as_str()));
        if withheld.iter().any(|w| w.as_str() == column.as_str()) {
            let absent = Expr::col((target.clone(), key)).is_null();
            query.expr_as(Expr::case(absent, Expr::val(None::<String>)).finally(Expr::val("")), as_name);
        } else {
            query.expr_as(Expr::col((target.clone(), column)), as_name);
        }
    }
}

/// A model read from consecutive columns of a row, by position: the columns of its entity in
/// declaration order, as `Entity::find()` and [`join_to_one`] select them.
pub trait AtPosition: Sized {
    type Entity: EntityTrait;

    /// Reads the model whose first column is at `columns`' position.
    fn read(columns: &mut Columns<'_>) -> Result<Self, DbErr>;

    /// How many columns the model takes.
    fn width() -> usize {
        <Self::Entity as EntityTrait>::Column::iter().count()
    }
}

/// A reading position in a row.
pub struct Columns<'a> {
    row: &'a QueryResult,
    at: usize,
}

impl<'a> Columns<'a> {
    pub fn at(row: &'a QueryResult, at: usize) -> Self {
        Self { row, at }
    }

    /// The value of the next column.
    pub fn take<T: TryGetable>(&mut self) -> Result<T, DbErr> {
        let value = self.row.try_get_by_index(self.at);
        self.at += 1;
        value
    }
}

/// The model at column `at`, or `None` when its first column (the joined key) is NULL: the
/// join found nothing.
pub fn joined_at<M: AtPosition>(row: &QueryResult, at: usize) -> Result<Option<M>, DbErr> {
    if row.try_get_by_index::<Option<String>>(at)?.is_none() {
        return Ok(None);
    }
    M::read(&mut Columns::at(row, at)).map(Some)
}

/// Implements [`AtPosition`] for `entity::$entity::Model`, its fields listed in column order.
#[macro_export]
macro_rules! at_position {
    ($entity:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::kernel::joins::AtPosition for entity::$entity::Model {
            type Entity = entity::$entity::Entity;

            fn read(columns: &mut $crate::kernel::joins::Columns<'_>) -> Result<Self, sea_orm::DbErr> {
                Ok(Self { $($field: columns.take()?),+ })
            }
        }
    };
}
