//! The login rate limit: at most `LOGIN_RATE_LIMIT_PER_MINUTE` attempts a minute per client
//! address, across every process of the deployment (CONTRACT.md §3, §11).
//!
//! The count lives in the database (`login_throttle`, one row per address) and moves by one
//! atomic upsert per attempt, so N processes — or N concurrent requests — never let more through
//! than one would. A window opens with an address's first attempt and lasts a minute; the
//! attempt that first goes over the limit is told so, so that exactly one refusal per window is
//! put on the audit record.

use std::net::IpAddr;

use chrono::Utc;
use entity::login_throttle::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter};

use crate::error::AppResult;
use crate::kernel::db::Database;

const WINDOW_MS: i64 = 60_000;

/// What the limit says about one login attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    /// Over the limit; `first` for the first refusal of the address's window.
    Refused {
        first: bool,
    },
}

#[derive(FromQueryResult)]
struct Counted {
    attempts: i64,
}

/// Counts an attempt from `client` and says whether it may go on. No address (a test client
/// without a socket) or a limit of 0 is never throttled.
pub async fn admit(db: &Database, client: Option<IpAddr>, per_minute: u32) -> AppResult<Admission> {
    let (Some(client), true) = (client, per_minute > 0) else {
        return Ok(Admission::Allowed);
    };
    let now = Utc::now().timestamp_millis();
    let expired = Expr::col((login_throttle::Entity, Column::WindowStartMs)).lte(now - WINDOW_MS);
    let upsert = Query::insert()
        .into_table(login_throttle::Entity)
        .columns([Column::Client, Column::WindowStartMs, Column::Attempts])
        .values_panic([client.to_string().into(), now.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(Column::Client)
                .values([
                    (
                        Column::Attempts,
                        Expr::case(expired.clone(), 1i64)
                            .finally(Expr::col((login_throttle::Entity, Column::Attempts)).add(1i64))
                            .into(),
                    ),
                    (
                        Column::WindowStartMs,
                        Expr::case(expired, now)
                            .finally(Expr::col((login_throttle::Entity, Column::WindowStartMs)))
                            .into(),
                    ),
                ])
                .to_owned(),
        )
        .returning_col(Column::Attempts)
        .to_owned();
    let statement = db.backend().build(&upsert);
    let counted = db
        .autocommit_write(|conn| async move { Counted::find_by_statement(statement).one(&conn).await })
        .await?
        .map_or(1, |c| c.attempts);
    let limit = i64::from(per_minute);
    Ok(if counted <= limit { Admission::Allowed } else { Admission::Refused { first: counted == limit + 1 } })
}

/// Forgets windows that ended long ago (the table holds one row per address ever seen).
pub async fn prune(db: &Database) -> AppResult<u64> {
    let cutoff = Utc::now().timestamp_millis() - 10 * WINDOW_MS;
    let delete = login_throttle::Entity::delete_many().filter(Column::WindowStartMs.lt(cutoff));
    Ok(db.autocommit_write(|conn| async move { delete.exec(&conn).await }).await?.rows_affected)
}
