//! Gapless counters (invoice, employee and ticket numbers), incremented inside the
//! transaction that uses the number: a rolled-back transaction gives its number back, and the
//! counter's row lock makes concurrent takers queue (PostgreSQL) as the write lock does (SQLite).

use entity::counter;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::error::{AppError, AppResult};

#[derive(FromQueryResult)]
struct Value {
    value: i64,
}

/// The next value of counter `name`, starting at 1.
pub async fn next<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<i64> {
    let create = Query::insert()
        .into_table(counter::Entity)
        .columns([counter::Column::Name, counter::Column::Value])
        .values_panic([name.into(), 0i64.into()])
        .on_conflict(OnConflict::column(counter::Column::Name).do_nothing().to_owned())
        .to_owned();
    db.execute(&create).await?;
    let bump = Query::update()
        .table(counter::Entity)
        .value(counter::Column::Value, Expr::col(counter::Column::Value).add(1))
        .and_where(Expr::col(counter::Column::Name).eq(name))
        .returning_col(counter::Column::Value)
        .to_owned();
    let row =
        db.query_one(&bump).await?.ok_or_else(|| AppError::internal(anyhow::anyhow!("counter {name} vanished")))?;
    Ok(Value::from_query_result(&row, "")?.value)
}
