//! Relay connections over opaque keyset cursors.
//!
//! Lists are ordered by a unique, immutable key (a UUIDv7 id, or the audit `seq`), newest
//! first unless a list says otherwise. A cursor is the key of the last row seen, wrapped so
//! clients do not depend on it; the next page is `key < cursor`, which stays correct while
//! rows are inserted, unlike offsets. Each domain declares its `XConnection` / `XEdge` types
//! with [`connection!`](crate::connection).

use std::fmt::Write;

use async_graphql::{Context, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Order, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect,
    QueryTrait, Select,
};

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;
const CURSOR_PREFIX: &str = "k1:";

#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// `first` and `after`, validated, and whether the caller asked for `totalCount`.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<String>,
    /// A `COUNT(*)` scans every matching row: run it only when `totalCount` is selected.
    pub count_total: bool,
}

impl PageRequest {
    pub fn parse(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(0..=MAX_PAGE_SIZE).contains(&first) {
            return Err(AppError::bad_input("first", format!("first must be between 0 and {MAX_PAGE_SIZE}")));
        }
        let after = after.map(|c| decode_cursor(&c)).transpose()?;
        Ok(Self { first: first as u64, after, count_total: true })
    }

    /// The page a connection field asks for, counting only if its selection has `totalCount`.
    pub fn for_connection(ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let page = Self::parse(first, after)?;
        Ok(Self { count_total: ctx.look_ahead().field("totalCount").exists(), ..page })
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

fn decode_cursor(cursor: &str) -> AppResult<String> {
    let invalid = || AppError::bad_input("after", "after is not a cursor returned by this list");
    if cursor.len() > 256 {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(CURSOR_PREFIX).map(str::to_string).ok_or_else(invalid)
}

/// One page of rows plus what the connection needs to describe it.
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(k, v)| (k, f(v))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        }
    }

    pub fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.items.first().map(|(k, _)| encode_cursor(k)),
            end_cursor: self.items.last().map(|(k, _)| encode_cursor(k)),
        }
    }
}

/// How a list is keyed: the key column, its direction, and how to read a key back from a cursor.
pub struct Keyset<C> {
    pub column: C,
    pub order: Order,
    /// Turns a cursor's key into a bound value, or `None` when it is not a valid key.
    pub parse: fn(&str) -> Option<sea_orm::Value>,
}

impl<C> Keyset<C> {
    /// Keyed by a UUIDv7 text id, newest first.
    pub fn newest_first(column: C) -> Self {
        Self { column, order: Order::Desc, parse: |k| Some(k.to_string().into()) }
    }
}

/// Runs a scoped, filtered query as one page: a `COUNT` and a `LIMIT first + 1` keyset query.
pub async fn paginate<E, C, Db>(
    db: &Db,
    select: Select<E>,
    keyset: Keyset<C>,
    page: &PageRequest,
    key_of: impl Fn(&E::Model) -> String,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
    E::Model: Sync,
    Db: ConnectionTrait,
{
    let total_count = if page.count_total { select.clone().count(db).await? } else { 0 };
    let (rows, has_next_page) = fetch(db, select, keyset, page).await?;
    let items = rows.into_iter().map(|m| (key_of(&m), m)).collect();
    Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
}

/// Like [`paginate`], for a query that `widen` extends beyond one entity (joined to-one
/// relations, `kernel::joins`): the page's raw rows, whether more follow, and the count.
pub async fn paginate_rows<E, C, Db>(
    db: &Db,
    select: Select<E>,
    keyset: Keyset<C>,
    page: &PageRequest,
    widen: impl FnOnce(&mut SelectStatement),
) -> AppResult<(Vec<QueryResult>, bool, u64)>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
    E::Model: Sync,
    Db: ConnectionTrait,
{
    let total_count = if page.count_total { select.clone().count(db).await? } else { 0 };
    let mut query = after_cursor(select, keyset, page)?.into_query();
    widen(&mut query);
    let mut statement = db.get_database_backend().build(&query);
    // The page's size as a literal rather than a parameter: PostgreSQL then plans the statement
    // once per connection and size (a generic plan) instead of on every execution — with LIMIT a
    // parameter, it estimates the generic plan at a tenth of the table and never chooses it.
    write!(statement.sql, " LIMIT {}", page.first + 1).expect("writing to a String");
    let mut rows = db.query_all_raw(statement).await?;
    let has_more = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    Ok((rows, has_more, total_count))
}

/// `select` after the cursor, in key order (the caller takes one row more than asked).
fn after_cursor<E, C>(select: Select<E>, keyset: Keyset<C>, page: &PageRequest) -> AppResult<Select<E>>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
{
    let mut query = select;
    if let Some(after) = &page.after {
        let value = (keyset.parse)(after).ok_or_else(|| AppError::bad_input("after", "after is not a valid cursor"))?;
        query = match keyset.order {
            Order::Asc => query.filter(keyset.column.gt(value)),
            _ => query.filter(keyset.column.lt(value)),
        };
    }
    Ok(query.order_by(keyset.column, keyset.order))
}

/// One page of rows by keyset, and whether more follow; for lists that return a plain list.
pub async fn fetch<E, C, Db>(
    db: &Db,
    select: Select<E>,
    keyset: Keyset<C>,
    page: &PageRequest,
) -> AppResult<(Vec<E::Model>, bool)>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
    Db: ConnectionTrait,
{
    let mut rows = after_cursor(select, keyset, page)?.limit(page.first + 1).all(db).await?;
    let has_more = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    Ok((rows, has_more))
}

/// Declares `$conn { edges, nodes, pageInfo, totalCount }` and `$edge { cursor, node }`.
#[macro_export]
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty) => {
        $crate::connection!(@define $conn, $edge, $node, $node, Vec<$node>);
    };
    // Nodes that are projected when their selection is plain (kernel::projection).
    ($conn:ident, $edge:ident, $node:ty, projected) => {
        $crate::connection!(
            @define $conn, $edge, $node,
            $crate::kernel::projection::Projected<$node>,
            $crate::kernel::projection::ProjectedList<$node>
        );
    };
    (@define $conn:ident, $edge:ident, $node:ty, $edge_node:ty, $nodes:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $edge_node,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $conn {
            pub edges: Vec<$edge>,
            pub nodes: $nodes,
            pub page_info: $crate::kernel::pagination::PageInfo,
            pub total_count: i32,
        }

        impl From<$crate::kernel::pagination::Page<$node>> for $conn {
            fn from(page: $crate::kernel::pagination::Page<$node>) -> Self {
                let page_info = page.page_info();
                let total_count = i32::try_from(page.total_count).unwrap_or(i32::MAX);
                let nodes = page.items.iter().map(|(_, n)| n.clone()).collect::<Vec<$node>>().into();
                let edges = page
                    .items
                    .into_iter()
                    .map(|(key, node)| $edge {
                        cursor: $crate::kernel::pagination::encode_cursor(&key),
                        node: node.into(),
                    })
                    .collect();
                Self { edges, nodes, page_info, total_count }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_to_twenty_and_stops_at_one_hundred() {
        assert_eq!(PageRequest::parse(None, None).unwrap().first, 20);
        assert_eq!(PageRequest::parse(Some(100), None).unwrap().first, 100);
        for bad in [101, 1000, -1] {
            let err = PageRequest::parse(Some(bad), None).unwrap_err();
            assert!(matches!(err, AppError::BadInput { ref field, .. } if field == "first"), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let cursor = encode_cursor("0190f1c2-0000-7000-8000-000000000000");
        let page = PageRequest::parse(None, Some(cursor)).unwrap();
        assert_eq!(page.after.as_deref(), Some("0190f1c2-0000-7000-8000-000000000000"));
        for bad in ["", "not base64!", "a2V5", &"A".repeat(400)] {
            assert!(PageRequest::parse(None, Some(bad.to_string())).is_err(), "{bad}");
        }
    }
}
