//! The schema: one `Query` and one `Mutation` merged from every domain, the `Subscription` of
//! live updates (`live`), the request-scoped
//! DataLoaders, and the limits async-graphql enforces itself (see `http::guard` for ours).

use std::sync::{Arc, Mutex};

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{
    MergedObject, MergedSubscription, Request, Response, Schema, SchemaBuilder, ServerError, ServerResult, Value,
};

use crate::audit::graphql::{AuditMutation, AuditQueryRoot};
use crate::audit::reads::{ReadEvidence, SensitiveReads};
use crate::auth::graphql::AuthMutation;
use crate::authz::gate;
use crate::authz::graphql::AccessQuery;
use crate::config::{Introspection, Settings};
use crate::finance::graphql::{FinanceMutation, FinanceQuery};
use crate::finance::loaders::{AccountById, EntryById, InvoiceById, ItemById, LinesByEntry, LinesByInvoice};
use crate::hr::graphql::{HrMutation, HrQuery};
use crate::hr::loaders::{CandidatesByOpening, EmployeeById, OpeningById, PayslipsByRun, UserByEmployee};
use crate::it::graphql::{ItMutation, ItQuery};
use crate::it::loaders::{CommentsByTicket, HeldSeatsByLicense};
use crate::live::graphql::LiveSubscription;
use crate::org::graphql::{OrgMutation, OrgQuery};
use crate::org::loaders::{DepartmentByCode, RolesByUser, UserById};
use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct Query(OrgQuery, FinanceQuery, HrQuery, ItQuery, AuditQueryRoot, AccessQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(AuditMutation, AuthMutation, OrgMutation, FinanceMutation, HrMutation, ItMutation);

#[derive(MergedSubscription, Default)]
pub struct Subscription(LiveSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
}

/// The schema a server runs: our gate, async-graphql's complexity and directive limits.
pub fn build(state: AppState, settings: &Settings) -> AppSchema {
    let mut builder = builder()
        .data(state)
        // The validation and execution spans of traces (telemetry.rs), around everything else.
        .extension(crate::telemetry::graphql::Traced)
        .extension(FieldHook)
        // Writes the READ events of sensitive fields once the operation has run (§13).
        .extension(ReadEvidence)
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

/// Fresh DataLoaders for one request: batching (and caching) never crosses requests. Each waits
/// its default millisecond for a batch to fill: on a multi-threaded runtime a shorter wait lets
/// the first key leave alone. (Lists hand what they joined to their records, not to the
/// loaders: see `finance::graphql::Invoice`.) Also the request's collector of sensitive reads, written as READ audit events after execution.
pub fn add_request_data(request: Request, state: &AppState) -> Request {
    let db = || state.db.conn.clone();
    let cached = || HashMapCache::default();
    request
        .data(FieldErrors::default())
        .data(Arc::new(SensitiveReads::default()))
        .data(DataLoader::with_cache(DepartmentByCode(db()), tokio::spawn, cached()))
        .data(DataLoader::with_cache(UserById(db()), tokio::spawn, cached()))
        .data(DataLoader::new(RolesByUser(db()), tokio::spawn))
        .data(DataLoader::new(EmployeeById(db()), tokio::spawn))
        .data(DataLoader::new(UserByEmployee(db()), tokio::spawn))
        .data(DataLoader::new(AccountById(db()), tokio::spawn))
        .data(DataLoader::new(EntryById(db()), tokio::spawn))
        .data(DataLoader::new(InvoiceById(db()), tokio::spawn))
        .data(DataLoader::new(ItemById(db()), tokio::spawn))
        .data(DataLoader::new(LinesByEntry(db()), tokio::spawn))
        .data(DataLoader::new(LinesByInvoice(db()), tokio::spawn))
        .data(DataLoader::new(OpeningById(db()), tokio::spawn))
        .data(DataLoader::new(PayslipsByRun(db()), tokio::spawn))
        .data(DataLoader::new(CandidatesByOpening(db()), tokio::spawn))
        .data(DataLoader::new(CommentsByTicket(db()), tokio::spawn))
        .data(DataLoader::new(HeldSeatsByLicense(db()), tokio::spawn))
}

/// Errors of nullable fields, set aside while the field itself resolves to `null`.
#[derive(Default)]
pub struct FieldErrors(Mutex<Vec<ServerError>>);

impl FieldErrors {
    /// Adds the set-aside errors to the response, in path order.
    pub fn merge_into(&self, response: &mut Response) {
        let mut errors = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        errors.sort_by(|a, b| format!("{:?}", a.path).cmp(&format!("{:?}", b.path)));
        response.errors.extend(errors);
    }
}

/// The one hook every field goes through (an extension per concern would cost a boxed future
/// each, per field): root fields are named for the READ evidence (`audit::reads`), the
/// authorization gate ([`gate::resolve`]: hostile arguments, the catalog,
/// DENIED events), then the GraphQL spec's field errors — a nullable field that fails is `null`
/// in `data` with its error in `errors` (async-graphql 7 drops the key instead, so a guarded
/// `annualSalary` would vanish rather than read `null`). The gate sees the raw results first.
struct FieldHook;

impl ExtensionFactory for FieldHook {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldHook)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for FieldHook {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let nullable = !info.return_type.ends_with('!');
        if info.path_node.parent.is_none() {
            crate::audit::reads::enter_root_field(ctx, &info);
        }
        match gate::resolve(ctx, info, next).await {
            Err(error) if nullable => match ctx.data_opt::<Arc<FieldErrors>>() {
                Some(collected) => {
                    collected.0.lock().unwrap_or_else(|e| e.into_inner()).push(error);
                    Ok(Some(Value::Null))
                }
                None => Err(error),
            },
            other => other,
        }
    }
}
