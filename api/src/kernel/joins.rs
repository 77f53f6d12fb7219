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
//!
//! A statement may read only the columns a selection [`Needed`]: PostgreSQL then sends, and the
//! server decodes, nothing more (a page of 50 invoices showing 3 of their 20 columns, and a
//! creator's email of its 11, cost a third less on both sides). The columns left out keep their
//! type's default in the model, so whoever chooses them must choose every column the fields
//! shown read.

use async_graphql::SelectionField;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, JoinType, SelectStatement};
use sea_orm::sqlx::{Decode, Postgres, Row};
use sea_orm::{DbErr, EntityTrait, IdenStatic, Iterable, QueryResult, TryGetable};

/// Which of an entity's columns a statement reads, by position in declaration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needed(u64);

impl Needed {
    pub const ALL: Self = Self(u64::MAX);
    pub const NONE: Self = Self(0);
    /// The first column only: the primary key, for every entity read this way.
    pub const KEY: Self = Self(1);

    /// These columns of their entity.
    pub fn of<C: Iterable + IdenStatic>(columns: &[C]) -> Self {
        columns.iter().fold(Self::NONE, |needed, column| needed.with(*column))
    }

    pub fn with<C: Iterable + IdenStatic>(self, column: C) -> Self {
        let at = C::iter().position(|c| c.as_str() == column.as_str()).expect("a column of its own entity");
        assert!(at < 64, "an entity of more than 64 columns");
        Self(self.0 | 1 << at)
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn has(self, at: usize) -> bool {
        at < 64 && self.0 >> at & 1 == 1
    }

    /// The columns of `C` it names, in declaration order.
    pub fn columns<C: Iterable>(self) -> impl Iterator<Item = C> {
        C::iter().enumerate().filter(move |(at, _)| self.has(*at)).map(|(_, column)| column)
    }
}

/// The columns of `C`'s entity that a selection's `fields` read, by `columns_of` (`None`: a
/// field it does not know, which reads them all, so that a field added later is never short).
pub fn needed_by<'a, C: Iterable + IdenStatic>(
    fields: impl IntoIterator<Item = SelectionField<'a>>,
    columns_of: impl Fn(&str) -> Option<&'static [C]>,
) -> Needed {
    fields.into_iter().fold(Needed::NONE, |needed, field| match columns_of(field.name()) {
        Some(columns) => columns.iter().fold(needed, |needed, column| needed.with(*column)),
        None => Needed::ALL,
    })
}

/// Joins `E` as `alias` on `alias.key = from_table.from_column` and selects its `needed`
/// columns (always its first, the primary key: NULL there means the join found nothing).
/// Columns in `withheld` are never read: they come back as empty text (a password hash, say) —
/// or NULL when the join found nothing, so that the whole related row reads as absent.
pub fn join_to_one<E: EntityTrait>(
    query: &mut SelectStatement,
    alias: &'static str,
    key: E::Column,
    from: (impl IntoIden, impl IntoIden),
    withheld: &[E::Column],
    needed: Needed,
) {
    let target = Alias::new(alias);
    query.join_as(
        JoinType::LeftJoin,
        E::default(),
        target.clone(),
        Expr::col((target.clone(), key)).equals((from.0.into_iden(), from.1.into_iden())),
    );
    for column in needed.union(Needed::KEY).columns::<E::Column>() {
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

    /// Reads the model whose first column is at `columns`' position, from its `needed` columns
    /// only; the others take their type's default.
    fn read_needed(columns: &mut Columns<'_>, needed: Needed) -> Result<Self, DbErr>;

    /// Reads the model whose first column is at `columns`' position.
    fn read(columns: &mut Columns<'_>) -> Result<Self, DbErr> {
        Self::read_needed(columns, Needed::ALL)
    }

    /// How many columns the model takes when reading its `needed` ones.
    fn width(needed: Needed) -> usize {
        needed.columns::<<Self::Entity as EntityTrait>::Column>().count()
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
    ///
    /// On PostgreSQL it is decoded without sqlx's check that the column's type fits `T` (a
    /// comparison with every compatible type, for every value: an eighth of a page's CPU). The
    /// types are the entity's own, and `tests/finance.rs` checks every model read this way
    /// against sea-orm's checked reading by name.
    pub fn take<T>(&mut self) -> Result<T, DbErr>
    where
        T: TryGetable + for<'r> Decode<'r, Postgres>,
    {
        let at = self.at;
        self.at += 1;
        match self.row.try_as_pg_row() {
            Some(row) => row.try_get_unchecked(at).map_err(|e| DbErr::Type(e.to_string())),
            None => self.row.try_get_by_index(at),
        }
    }
}

/// The model at column `at` as [`join_to_one`] selected it, or `None` when its first column
/// (the joined key) is NULL: the join found nothing.
pub fn joined_at<M: AtPosition>(row: &QueryResult, at: usize, needed: Needed) -> Result<Option<M>, DbErr> {
    if row.try_get_by_index::<Option<String>>(at)?.is_none() {
        return Ok(None);
    }
    M::read_needed(&mut Columns::at(row, at), needed.union(Needed::KEY)).map(Some)
}

/// Implements [`AtPosition`] for `entity::$entity::Model`, its fields listed in column order.
#[macro_export]
macro_rules! at_position {
    ($entity:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::kernel::joins::AtPosition for entity::$entity::Model {
            type Entity = entity::$entity::Entity;

            fn read_needed(
                columns: &mut $crate::kernel::joins::Columns<'_>,
                needed: $crate::kernel::joins::Needed,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut at = 0;
                let mut next = move || {
                    at += 1;
                    needed.has(at - 1)
                };
                Ok(Self { $($field: if next() { columns.take()? } else { Default::default() }),+ })
            }
        }
    };
}
