//! The Casbin enforcer over `policies/`, and the questions every resolver asks of it.

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

use super::Role;
use crate::kernel::Principal;

/// The shipped policy, compiled into the binary so that a deployment cannot drift from it.
const MODEL: &str = include_str!("../../../policies/model.conf");
const POLICY: &str = include_str!("../../../policies/policy.csv");

/// The department that stands for "every department" in assignments and organisation-wide checks.
pub const ALL_DEPARTMENTS: &str = "*";

/// A resource and an action, as named in `policies/policy.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Perm {
    pub resource: &'static str,
    pub action: &'static str,
}

const fn perm(resource: &'static str, action: &'static str) -> Perm {
    Perm { resource, action }
}

impl Perm {
    pub const ORG_MANAGE: Perm = perm("org", "manage");
    pub const USERS_READ: Perm = perm("users", "read");
    pub const AUDIT_READ: Perm = perm("audit", "read");

    pub const JOURNAL_READ: Perm = perm("journal", "read");
    pub const JOURNAL_WRITE: Perm = perm("journal", "write");
    pub const INVOICE_READ: Perm = perm("invoice", "read");
    pub const INVOICE_CREATE: Perm = perm("invoice", "create");
    pub const INVOICE_APPROVE: Perm = perm("invoice", "approve");
    pub const INVOICE_APPROVE_ANY_AMOUNT: Perm = perm("invoice", "approve_any_amount");
    pub const INVOICE_PAY: Perm = perm("invoice", "pay");
    pub const INVOICE_VOID: Perm = perm("invoice", "void");
    pub const RECEIVABLE_READ: Perm = perm("receivable_invoice", "read");
    pub const RECEIVABLE_CREATE: Perm = perm("receivable_invoice", "create");
    pub const BUDGET_READ: Perm = perm("budget", "read");
    pub const BUDGET_WRITE: Perm = perm("budget", "write");
    pub const INVENTORY_READ: Perm = perm("inventory", "read");
    pub const INVENTORY_WRITE: Perm = perm("inventory", "write");
    pub const INVENTORY_COST_READ: Perm = perm("inventory_cost", "read");
    pub const PURCHASE_REQUEST_READ: Perm = perm("purchase_request", "read");

    pub const EMPLOYEE_READ: Perm = perm("employee", "read");
    pub const EMPLOYEE_SENSITIVE_READ: Perm = perm("employee_sensitive", "read");
    pub const EMPLOYEE_HIRE: Perm = perm("employee", "hire");
    pub const EMPLOYEE_UPDATE: Perm = perm("employee", "update");
    pub const EMPLOYEE_TERMINATE: Perm = perm("employee", "terminate");
    pub const PAYROLL_READ: Perm = perm("payroll", "read");
    pub const PAYROLL_CREATE: Perm = perm("payroll", "create");
    pub const PAYROLL_APPROVE: Perm = perm("payroll", "approve");
    pub const PAYROLL_POST: Perm = perm("payroll", "post");
    pub const LEAVE_READ: Perm = perm("leave", "read");
    pub const LEAVE_REQUEST: Perm = perm("leave", "request");
    pub const LEAVE_DECIDE: Perm = perm("leave", "decide");
    pub const RECRUITMENT_READ: Perm = perm("recruitment", "read");
    pub const RECRUITMENT_WRITE: Perm = perm("recruitment", "write");
    pub const TRAINING_READ: Perm = perm("training", "read");
    pub const TRAINING_WRITE: Perm = perm("training", "write");

    pub const ASSET_READ: Perm = perm("asset", "read");
    pub const ASSET_WRITE: Perm = perm("asset", "write");
    pub const ASSET_RETIRE: Perm = perm("asset", "retire");
    pub const LICENSE_READ: Perm = perm("license", "read");
    pub const LICENSE_ASSIGN: Perm = perm("license", "assign");
    pub const LICENSE_ADD: Perm = perm("license", "add");
    pub const TICKET_READ: Perm = perm("ticket", "read");
    pub const TICKET_MANAGE: Perm = perm("ticket", "manage");
    pub const ACCESS_READ: Perm = perm("access", "read");
    pub const ACCESS_WRITE: Perm = perm("access", "write");

    /// Rights over the organisation itself, granted only by a role held in `*`.
    pub fn is_organisation_wide(self) -> bool {
        matches!(self.resource, "org" | "users" | "audit")
    }
}

/// The departments in which a principal may do something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(BTreeSet<String>),
}

impl Scope {
    pub fn none() -> Self {
        Scope::Only(BTreeSet::new())
    }

    pub fn contains(&self, department: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(set) => set.contains(department),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Only(set) if set.is_empty())
    }

    pub fn union(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::All, _) | (_, Scope::All) => Scope::All,
            (Scope::Only(mut a), Scope::Only(b)) => {
                a.extend(b);
                Scope::Only(a)
            }
        }
    }

    /// Narrows the scope to one department, if it is inside it.
    pub fn restrict_to(&self, department: &str) -> Option<Scope> {
        self.contains(department)
            .then(|| Scope::Only(BTreeSet::from([department.to_string()])))
    }

    /// The scope as a SQL condition on a department-code column, so lists are scoped in the query.
    pub fn condition<C: ColumnTrait>(&self, column: C) -> Condition {
        Condition::all().add(self.expr(column))
    }

    pub fn expr<C: ColumnTrait>(&self, column: C) -> SimpleExpr {
        match self {
            Scope::All => Expr::cust("1 = 1"),
            Scope::Only(set) if set.is_empty() => Expr::cust("1 = 0"),
            Scope::Only(set) => column.is_in(set.iter().cloned()),
        }
    }
}

/// Answers "may this principal…" from the shipped policy. The enforcer is built once and never
/// changed afterwards, so it is shared by every worker without a lock; role assignments come
/// from the database with each request, so a role change counts from the next request on.
pub struct Authorizer {
    enforcer: Enforcer,
    /// Decisions are pure functions of their arguments: remember them.
    memo: RwLock<HashMap<(Role, String, String, Perm), bool>>,
}

const MEMO_LIMIT: usize = 50_000;

impl Authorizer {
    pub async fn load() -> anyhow::Result<Self> {
        let model = DefaultModel::from_str(MODEL).await?;
        let enforcer = Enforcer::new(model, StringAdapter::new(POLICY)).await?;
        Ok(Self {
            enforcer,
            memo: RwLock::new(HashMap::new()),
        })
    }

    /// Does a role held in `held` allow `perm` on a record of `department`?
    pub fn role_allows(&self, role: Role, held: &str, department: &str, perm: Perm) -> bool {
        let key = (role, held.to_string(), department.to_string(), perm);
        if let Some(hit) = self
            .memo
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *hit;
        }
        let decision = self
            .enforcer
            .enforce((role.as_str(), held, department, perm.resource, perm.action))
            .unwrap_or_else(|err| {
                // A policy evaluation failure denies: never a transient allow.
                tracing::error!(error = %err, "policy evaluation failed");
                false
            });
        let mut memo = self.memo.write().unwrap_or_else(|e| e.into_inner());
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(key, decision);
        decision
    }

    /// May the principal do `perm` on a record of `department`?
    pub fn allows(&self, principal: &Principal, perm: Perm, department: &str) -> bool {
        principal
            .assignments
            .iter()
            .any(|a| self.role_allows(a.role, &a.department, department, perm))
    }

    /// May the principal do an organisation-wide `perm` (users, departments, audit)?
    pub fn allows_everywhere(&self, principal: &Principal, perm: Perm) -> bool {
        self.allows(principal, perm, ALL_DEPARTMENTS)
    }

    /// In which departments may the principal do `perm`?
    pub fn scope(&self, principal: &Principal, perm: Perm) -> Scope {
        if perm.is_organisation_wide() {
            return if self.allows_everywhere(principal, perm) {
                Scope::All
            } else {
                Scope::none()
            };
        }
        principal
            .assignments
            .iter()
            .fold(Scope::none(), |scope, a| {
                if !self.role_allows(a.role, &a.department, &a.department, perm) {
                    scope
                } else if a.department == ALL_DEPARTMENTS {
                    Scope::All
                } else {
                    scope.union(Scope::Only(BTreeSet::from([a.department.clone()])))
                }
            })
    }

    /// Does the principal hold `perm` in at least one department? (The root-field gate.)
    pub fn allows_somewhere(&self, principal: &Principal, perm: Perm) -> bool {
        !self.scope(principal, perm).is_empty()
    }
}
