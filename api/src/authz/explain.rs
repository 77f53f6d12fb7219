//! Explainable access (CONTRACT.md §13): `permissions`, `explainAccess`, `whoCan`.
//!
//! The answers come from the same [`Authorizer`] that guards requests, asked the same way:
//! [`Authorizer::allows`] on the principal a user's token would load (their assignments, as
//! `auth::service::authenticate` reads them), and [`Authorizer::role_allows`] per assignment for
//! which ones grant it — the very test `allows` makes. So an explanation cannot disagree with
//! what the API does (tested for every role × permission × placement).
//!
//! They explain the role policy of `policies/`: record-level rules the services add on top
//! (separation of duties, approval limits, a user's own employee record) are not part of it.

use std::collections::HashMap;

use entity::{role_assignment, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{ALL_DEPARTMENTS, Authorizer, Perm, Role};
use crate::error::{AppError, AppResult};
use crate::kernel::Principal;
use crate::kernel::context::Assignment;
use crate::org::service::{find_user, require_department, roles_of};
use crate::state::AppState;

/// `resource:action`, as `permissions` lists it.
pub fn name(perm: Perm) -> String {
    format!("{}:{}", perm.resource, perm.action)
}

/// The permission named `resource:action`, or `BAD_USER_INPUT` on `field`.
pub fn parse(field: &str, name: &str) -> AppResult<Perm> {
    Perm::ALL
        .iter()
        .copied()
        .find(|p| name.split_once(':') == Some((p.resource, p.action)))
        .ok_or_else(|| AppError::bad_input(field, "unknown permission: the permissions query lists them all"))
}

/// What a permission lets its holder do, in words.
pub fn description(perm: Perm) -> &'static str {
    match (perm.resource, perm.action) {
        ("org", "manage") => "Manage departments, users and role assignments (organisation-wide)",
        ("users", "read") => "List every user with their roles (organisation-wide)",
        ("audit", "read") => {
            "Read and verify the audit log, its checkpoints and proofs; explain access (organisation-wide)"
        }
        ("journal", "read") => "Read journal entries and the trial balance",
        ("journal", "write") => "Post and reverse journal entries",
        ("invoice", "read") => "Read invoices and their payments",
        ("invoice", "create") => "Create invoices (payable or receivable)",
        ("invoice", "approve") => "Approve invoices up to the approval limit (never one's own)",
        ("invoice", "approve_any_amount") => "Approve invoices above the approval limit",
        ("invoice", "pay") => "Record payments on approved invoices",
        ("invoice", "void") => "Void invoices",
        ("receivable_invoice", "read") => "Read receivable invoices",
        ("receivable_invoice", "create") => "Create receivable invoices, as drafts only",
        ("budget", "read") => "Read budgets and budget reports",
        ("budget", "write") => "Set budgets",
        ("inventory", "read") => "Read inventory items and stock movements",
        ("inventory", "write") => "Create inventory items and record stock movements",
        ("inventory_cost", "read") => "Read the unit cost of inventory items",
        ("purchase_request", "read") => "Read purchase requests",
        ("employee", "read") => "Read employees' basic fields",
        ("employee_sensitive", "read") => "Read employees' annual salary, national id and bank account",
        ("employee", "hire") => "Hire employees",
        ("employee", "update") => "Update employees, salary and bank account included",
        ("employee", "terminate") => "Terminate employees (with automatic offboarding)",
        ("payroll", "read") => "Read payroll runs and payslips",
        ("payroll", "create") => "Create payroll runs",
        ("payroll", "approve") => "Approve payroll runs (never one's own)",
        ("payroll", "post") => "Post approved payroll runs to the ledger",
        ("leave", "read") => "Read leave requests and balances",
        ("leave", "request") => "Request leave on behalf of employees",
        ("leave", "decide") => "Approve or reject leave requests (never one's own)",
        ("recruitment", "read") => "Read job openings and candidates",
        ("recruitment", "write") => "Open job openings, add and move candidates",
        ("training", "read") => "Read training records",
        ("training", "write") => "Record trainings",
        ("asset", "read") => "Read assets",
        ("asset", "write") => "Register, assign and return assets",
        ("asset", "retire") => "Retire assets",
        ("license", "read") => "Read software licences and their seats",
        ("license", "assign") => "Assign and release licence seats",
        ("license", "add") => "Add software licences",
        ("ticket", "read") => "Read every ticket of the department",
        ("ticket", "manage") => "Assign tickets and change their status",
        ("access", "read") => "Read access grants",
        ("access", "write") => "Grant and revoke access",
        _ => "",
    }
}

/// The principal a token of `user` would load: the assignments `authenticate` reads, parsed
/// the same way (a role name the policy does not know grants nothing).
fn principal(user: &user::Model, rows: Vec<role_assignment::Model>) -> Principal {
    let assignments = rows
        .into_iter()
        .filter_map(|a| Role::parse(&a.role).map(|role| Assignment { role, department: a.department }))
        .collect();
    Principal {
        user_id: user.id.clone(),
        email: user.email.clone(),
        employee_id: user.employee_id.clone(),
        assignments,
    }
}

/// Why a user may or may not do something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub allowed: bool,
    /// The assignments that grant it (empty when not allowed).
    pub granted_by: Vec<Assignment>,
    pub reason: String,
}

/// The decision for a loaded principal, and the assignments behind it.
pub fn explain(authz: &Authorizer, principal: &Principal, active: bool, perm: Perm, department: &str) -> Explanation {
    let permission = name(perm);
    // `allows` asks about "*" for organisation-wide rights, whatever the department: so do we.
    let asked = if perm.is_organisation_wide() { ALL_DEPARTMENTS } else { department };
    let allowed = active && authz.allows(principal, perm, department);
    let granted_by: Vec<Assignment> = principal
        .assignments
        .iter()
        .filter(|a| active && authz.role_allows(a.role, &a.department, asked, perm))
        .cloned()
        .collect();
    debug_assert_eq!(allowed, !granted_by.is_empty(), "allows and role_allows disagree");
    let held = |a: &Assignment| format!("{} in {}", a.role.as_str(), a.department);
    let scope = if perm.is_organisation_wide() {
        "organisation-wide, so only a role held in \"*\" grants it".to_string()
    } else {
        format!("on records of department {department}")
    };
    let reason = if !active {
        format!("denied: the user is deactivated, so no role of theirs counts ({permission}, {scope})")
    } else if allowed {
        let grants: Vec<String> = granted_by.iter().map(held).collect();
        format!("allowed: {} grants {permission} ({scope})", grants.join("; "))
    } else if principal.assignments.is_empty() {
        format!("denied: the user holds no role ({permission}, {scope})")
    } else {
        // Roles that would grant it in the departments they are held in, but not here.
        let elsewhere: Vec<String> = principal
            .assignments
            .iter()
            .filter(|a| authz.role_allows(a.role, &a.department, &a.department, perm))
            .map(held)
            .collect();
        let holds: Vec<String> = principal.assignments.iter().map(held).collect();
        let mut reason = format!("denied: no role the user holds ({}) grants {permission} ({scope})", holds.join("; "));
        if !elsewhere.is_empty() {
            reason.push_str(&format!("; {} grants it only where it is held", elsewhere.join("; ")));
        }
        reason
    };
    Explanation { allowed, granted_by, reason }
}

/// Checks `explainAccess`'s and `whoCan`'s arguments: a known permission, `*` or an existing
/// department.
async fn arguments(state: &AppState, permission: &str, department: &str) -> AppResult<Perm> {
    let perm = parse("permission", permission)?;
    require_department(&state.db.conn, "department", department, true).await?;
    Ok(perm)
}

/// `explainAccess(userId, permission, department)`.
pub async fn explain_access(
    state: &AppState,
    user_id: &str,
    permission: &str,
    department: &str,
) -> AppResult<Explanation> {
    let user = find_user(&state.db.conn, user_id).await?;
    let perm = arguments(state, permission, department).await?;
    let principal = principal(&user, roles_of(&state.db.conn, &user.id).await?);
    Ok(explain(&state.authz, &principal, user.active, perm, department))
}

/// `whoCan(permission, department)`: the active users whose roles grant it, by email. Two
/// queries (users, assignments), then the enforcer for each user.
pub async fn who_can(state: &AppState, permission: &str, department: &str) -> AppResult<Vec<user::Model>> {
    let perm = arguments(state, permission, department).await?;
    let db = &state.db.conn;
    let users =
        user::Entity::find().filter(user::Column::Active.eq(true)).order_by_asc(user::Column::Email).all(db).await?;
    let mut rows: HashMap<String, Vec<role_assignment::Model>> = HashMap::new();
    for row in role_assignment::Entity::find().all(db).await? {
        rows.entry(row.user_id.clone()).or_default().push(row);
    }
    Ok(users
        .into_iter()
        .filter(|user| {
            let principal = principal(user, rows.remove(&user.id).unwrap_or_default());
            state.authz.allows(&principal, perm, department)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_has_a_name_that_parses_back_and_a_description() {
        for perm in Perm::ALL {
            assert_eq!(parse("permission", &name(*perm)).unwrap(), *perm);
            assert!(!description(*perm).is_empty(), "{perm:?} has no description");
        }
        for bad in ["invoice", "invoice:", ":read", "invoice:read:x", "INVOICE:READ", ""] {
            assert!(parse("permission", bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn explanations_agree_with_allows_and_name_the_granting_assignments() {
        let authz = Authorizer::load().await.unwrap();
        let principal = |assignments: &[(Role, &str)]| Principal {
            user_id: "u".into(),
            email: "u@example.com".into(),
            employee_id: None,
            assignments: assignments.iter().map(|(r, d)| Assignment { role: *r, department: d.to_string() }).collect(),
        };
        let clerk = principal(&[(Role::FinanceClerk, "fin"), (Role::ItTechnician, "*")]);
        let here = explain(&authz, &clerk, true, Perm::INVOICE_APPROVE, "fin");
        assert!(here.allowed);
        assert_eq!(here.granted_by, vec![Assignment { role: Role::FinanceClerk, department: "fin".into() }]);
        assert!(here.reason.contains("FINANCE_CLERK in fin"), "{}", here.reason);

        let there = explain(&authz, &clerk, true, Perm::INVOICE_APPROVE, "ops");
        assert!(!there.allowed && there.granted_by.is_empty());
        assert!(there.reason.contains("only where it is held"), "{}", there.reason);

        let gone = explain(&authz, &clerk, false, Perm::INVOICE_APPROVE, "fin");
        assert!(!gone.allowed && gone.granted_by.is_empty() && gone.reason.contains("deactivated"));

        for role in Role::ALL {
            for held in ["fin", "ops", "*"] {
                let p = principal(&[(role, held)]);
                for perm in Perm::ALL {
                    let e = explain(&authz, &p, true, *perm, "fin");
                    assert_eq!(e.allowed, authz.allows(&p, *perm, "fin"), "{role:?} in {held} {perm:?}");
                    assert_eq!(e.allowed, !e.granted_by.is_empty());
                }
            }
        }
    }
}
