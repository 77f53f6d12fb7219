//! GraphQL of explainable access (CONTRACT.md §13): `permissions`, `explainAccess`, `whoCan`.
//! ADMIN and AUDITOR (the gate's `audit:read`); the answers come from [`super::explain`].

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::Perm;
use super::explain;
use crate::org::graphql::{RoleAssignment, User};
use crate::state::app_state;

#[derive(SimpleObject)]
pub struct Permission {
    /// resource:action, e.g. invoice:approve
    pub name: String,
    pub description: String,
}

#[derive(SimpleObject)]
pub struct AccessExplanation {
    pub allowed: bool,
    /// The user's role assignments that grant the permission there (empty when not allowed).
    pub granted_by: Vec<RoleAssignment>,
    /// The decision in words: which roles grant it, or why none does.
    pub reason: String,
}

#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// Every permission of the role policy (policies/policy.csv).
    async fn permissions(&self) -> Vec<Permission> {
        Perm::ALL
            .iter()
            .map(|p| Permission { name: explain::name(*p), description: explain::description(*p).to_string() })
            .collect()
    }

    /// Whether the user's roles allow `permission` on records of `department` ("*" for
    /// organisation-wide rights), and which assignments grant it. The role policy only:
    /// record-level rules (separation of duties, approval limits, one's own record) apply on top.
    async fn explain_access(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        permission: String,
        department: String,
    ) -> Result<AccessExplanation> {
        let e = explain::explain_access(app_state(ctx), &user_id, &permission, &department).await?;
        Ok(AccessExplanation {
            allowed: e.allowed,
            granted_by: e
                .granted_by
                .into_iter()
                .map(|a| RoleAssignment { role: a.role, department: a.department })
                .collect(),
            reason: e.reason,
        })
    }

    /// The active users whose roles allow `permission` on records of `department`.
    async fn who_can(&self, ctx: &Context<'_>, permission: String, department: String) -> Result<Vec<User>> {
        let users = explain::who_can(app_state(ctx), &permission, &department).await?;
        Ok(users.into_iter().map(User::new).collect())
    }
}
