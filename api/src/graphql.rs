//! The schema: one `Query` and one `Mutation` merged from every domain, the request-scoped
//! DataLoaders, and the limits async-graphql enforces itself (see `http::guard` for ours).

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, MergedObject, Request, Schema, SchemaBuilder};

use crate::audit::graphql::AuditQueryRoot;
use crate::auth::graphql::AuthMutation;
use crate::authz::gate::Gate;
use crate::config::{Introspection, Settings};
use crate::hr::loaders::{EmployeeById, UserByEmployee};
use crate::org::graphql::{OrgMutation, OrgQuery};
use crate::org::loaders::{DepartmentByCode, RolesByUser, UserById};
use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct Query(OrgQuery, AuditQueryRoot);

#[derive(MergedObject, Default)]
pub struct Mutation(AuthMutation, OrgMutation);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
}

/// The schema a server runs: our gate, async-graphql's complexity and directive limits.
pub fn build(state: AppState, settings: &Settings) -> AppSchema {
    let mut builder = builder()
        .data(state)
        .extension(Gate)
        .limit_complexity(settings.limits.complexity)
        .limit_directives(8);
    if settings.introspection != Introspection::On {
        // Suggestions ("did you mean …?") would leak the schema that introspection hides.
        builder = builder.disable_suggestions();
    }
    if settings.introspection == Introspection::Off {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The SDL that `schema.graphql` holds and `trastienda schema` prints.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Fresh DataLoaders for one request: batching never crosses requests.
pub fn add_request_data(request: Request, state: &AppState) -> Request {
    let db = || state.db.conn.clone();
    request
        .data(DataLoader::new(DepartmentByCode(db()), tokio::spawn))
        .data(DataLoader::new(UserById(db()), tokio::spawn))
        .data(DataLoader::new(RolesByUser(db()), tokio::spawn))
        .data(DataLoader::new(EmployeeById(db()), tokio::spawn))
        .data(DataLoader::new(UserByEmployee(db()), tokio::spawn))
}
