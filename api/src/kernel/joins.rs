//! To-one relations read in the same statement as the rows that point to them.
//!
//! A page of invoices that shows each one's department and creator would otherwise cost a query
//! per relation (batched by a DataLoader, but still a round trip each). When the selection asks
//! for them, the list's query `LEFT JOIN`s the related tables under an alias and selects their
//! columns as `<alias>_<column>`; the rows come back whole, and the resolvers find them primed
//! in their loaders.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, JoinType, SelectStatement};
use sea_orm::{DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult, TryGetError};

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

/// The joined model of a row, or `None` when the join found nothing.
pub fn joined<M: FromQueryResult>(row: &QueryResult, alias: &str) -> Result<Option<M>, DbErr> {
    match M::from_query_result_nullable(row, &format!("{alias}_")) {
        Ok(model) => Ok(Some(model)),
        Err(TryGetError::Null(_)) => Ok(None),
        Err(TryGetError::DbErr(err)) => Err(err),
    }
}
