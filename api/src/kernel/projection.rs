//! Plain projections: rows already read, turned into their response in one synchronous walk.
//!
//! async-graphql resolves every field of every object as a future of its own, through the
//! schema's field hook; on a page of 50 invoices with their lines, department and creator that
//! is 700 futures, and most of the request's CPU. Yet nearly all of those fields are plain: a
//! column, formatted, or a relation the page already read. [`Projected`] and [`ProjectedList`]
//! wrap what a resolver returns; when every field the client selected below them is plain
//! ([`Project::plain`]), the value is built directly from the rows, and otherwise the wrapped
//! value resolves as usual, field by field. The schema is the same either way.
//!
//! The walk keeps what the field hook gives these fields: they take no arguments (a field with
//! arguments is never projected, so the gate still checks every argument), none is sensitive
//! (READ evidence) and none can fail (a relation that was not read is not plain). Fragments
//! apply when their type condition names the object itself; `@skip`/`@include` were applied
//! by async-graphql before execution. Anything else — an interface condition, a response key
//! selected twice (merged by async-graphql), another directive — falls back to the resolvers.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::indexmap::map::Entry;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

/// What a plain field holds.
pub enum Plain<'a> {
    /// A scalar or enum value (or null).
    Value(Value),
    /// A related object that was read with the row, or null.
    Object(Option<&'a dyn Project>),
    /// Related objects that were read with the row.
    List(Vec<&'a dyn Project>),
}

/// An object whose fields can be read straight from the rows behind it.
pub trait Project: Send + Sync {
    /// The GraphQL type's name (`__typename`, fragment conditions).
    fn type_name(&self) -> &'static str;

    /// The value of the field named `field`, or `None` when it needs its resolver: it is
    /// computed, authorized, or a relation that was not read.
    fn plain(&self, field: &str) -> Option<Plain<'_>>;
}

/// Builds the response of `item` for the selection set, or `None` when some field in it (at
/// any depth) is not plain.
pub fn project(ctx: &ContextSelectionSet<'_>, set: &SelectionSet, item: &dyn Project) -> Option<Value> {
    let mut fields = IndexMap::with_capacity(set.items.len());
    collect(ctx, set, item, &mut fields)?;
    Some(Value::Object(fields))
}

fn collect(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    item: &dyn Project,
    fields: &mut IndexMap<Name, Value>,
) -> Option<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                if !field.arguments.is_empty() || !only_conditions(field) {
                    return None;
                }
                let value = field_value(ctx, field, item)?;
                match fields.entry(field.response_key().node.clone()) {
                    Entry::Vacant(entry) => entry.insert(value),
                    Entry::Occupied(_) => return None,
                };
            }
            Selection::FragmentSpread(spread) => {
                let fragment = ctx.query_env.fragments.get(&spread.node.fragment_name.node)?;
                if fragment.node.type_condition.node.on.node != item.type_name() || !spread.node.directives.is_empty() {
                    return None;
                }
                collect(ctx, &fragment.node.selection_set.node, item, fields)?;
            }
            Selection::InlineFragment(fragment) => {
                let condition = fragment.node.type_condition.as_ref().map(|c| c.node.on.node.as_str());
                if condition.is_some_and(|on| on != item.type_name()) || !fragment.node.directives.is_empty() {
                    return None;
                }
                collect(ctx, &fragment.node.selection_set.node, item, fields)?;
            }
        }
    }
    Some(())
}

/// `@skip` and `@include` were applied before execution; any other directive needs the resolvers.
fn only_conditions(field: &Field) -> bool {
    field.directives.iter().all(|d| matches!(d.node.name.node.as_str(), "skip" | "include"))
}

fn field_value(ctx: &ContextSelectionSet<'_>, field: &Field, item: &dyn Project) -> Option<Value> {
    let name = field.name.node.as_str();
    if name == "__typename" {
        return Some(Value::String(item.type_name().to_string()));
    }
    let below = &field.selection_set.node;
    match item.plain(name)? {
        Plain::Value(value) if below.items.is_empty() => Some(value),
        Plain::Value(_) => None,
        Plain::Object(None) => Some(Value::Null),
        Plain::Object(Some(related)) => project(ctx, below, related),
        Plain::List(related) => {
            related.into_iter().map(|r| project(ctx, below, r)).collect::<Option<Vec<_>>>().map(Value::List)
        }
    }
}

/// A value that is projected when its selection is plain, and resolved field by field otherwise.
#[derive(Clone)]
pub struct Projected<T>(pub T);

impl<T: OutputType + Project> OutputType for Projected<T> {
    fn type_name() -> Cow<'static, str> {
        <T as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        match project(ctx, &ctx.item.node, &self.0) {
            Some(value) => Ok(value),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// A list that is projected when its items' selection is plain, and resolved item by item otherwise.
#[derive(Clone)]
pub struct ProjectedList<T>(pub Vec<T>);

impl<T: OutputType + Project> OutputType for ProjectedList<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let projected = self.0.iter().map(|item| project(ctx, &ctx.item.node, item)).collect::<Option<Vec<_>>>();
        match projected {
            Some(items) => Ok(Value::List(items)),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

impl<T> From<T> for Projected<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> From<Vec<T>> for ProjectedList<T> {
    fn from(items: Vec<T>) -> Self {
        Self(items)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};
    use serde_json::json;

    use super::*;

    /// Its resolvers answer "resolved", its projection "projected": the response tells which ran.
    #[derive(Clone)]
    struct Thing {
        name: &'static str,
        part: Part,
    }

    #[derive(SimpleObject, Clone)]
    struct Part {
        label: String,
    }

    impl Project for Part {
        fn type_name(&self) -> &'static str {
            "Part"
        }
        fn plain(&self, field: &str) -> Option<Plain<'_>> {
            (field == "label").then(|| Plain::Value(Value::String("projected".into())))
        }
    }

    #[Object]
    impl Thing {
        async fn name(&self) -> String {
            format!("resolved {}", self.name)
        }
        async fn part(&self) -> &Part {
            &self.part
        }
        async fn shout(&self, loud: bool) -> bool {
            loud
        }
        async fn computed(&self) -> i32 {
            1
        }
    }

    impl Project for Thing {
        fn type_name(&self) -> &'static str {
            "Thing"
        }
        fn plain(&self, field: &str) -> Option<Plain<'_>> {
            match field {
                "name" => Some(Plain::Value(Value::String(format!("projected {}", self.name)))),
                "part" => Some(Plain::Object(Some(&self.part))),
                "shout" => Some(Plain::Value(Value::Boolean(true))),
                _ => None,
            }
        }
    }

    struct Query;

    #[Object]
    impl Query {
        async fn things(&self) -> ProjectedList<Thing> {
            let part = Part { label: "resolved".into() };
            ProjectedList(vec![Thing { name: "a", part: part.clone() }, Thing { name: "b", part }])
        }
        async fn thing(&self) -> Projected<Thing> {
            Projected(Thing { name: "c", part: Part { label: "resolved".into() } })
        }
    }

    async fn run(query: &str) -> serde_json::Value {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let response = schema.execute(query).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        response.data.into_json().unwrap()
    }

    #[tokio::test]
    async fn a_plain_selection_is_projected_with_aliases_fragments_and_typename() {
        let data = run("{ things { __typename n: name part { label } ...F ... on Thing { p: part { __typename } } } \
                        thing { name } } fragment F on Thing { name2: name }")
        .await;
        assert_eq!(
            data,
            json!({
                "things": [
                    {"__typename": "Thing", "n": "projected a", "part": {"label": "projected"}, "name2": "projected a", "p": {"__typename": "Part"}},
                    {"__typename": "Thing", "n": "projected b", "part": {"label": "projected"}, "name2": "projected b", "p": {"__typename": "Part"}},
                ],
                "thing": {"name": "projected c"},
            })
        );
    }

    #[tokio::test]
    async fn anything_not_plain_resolves_the_whole_value_field_by_field() {
        // A field that is not plain, at any depth.
        assert_eq!(run("{ thing { name computed } }").await, json!({"thing": {"name": "resolved c", "computed": 1}}));
        // A field with arguments: the gate must see them.
        let data = run("{ things { name shout(loud: false) } }").await;
        assert_eq!(data["things"][0], json!({"name": "resolved a", "shout": false}));
        // A response key selected twice is merged by async-graphql.
        let data = run("{ thing { name part { label } part { __typename } } }").await;
        assert_eq!(data["thing"], json!({"name": "resolved c", "part": {"label": "resolved", "__typename": "Part"}}));
        // Skipped fields were removed before execution: what is left is plain.
        let data = run("{ thing { name computed @skip(if: true) } }").await;
        assert_eq!(data["thing"], json!({"name": "projected c"}));
    }
}
