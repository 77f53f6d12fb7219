//! The Casbin enforcer over `policies/`, and the questions every resolver asks of it.

use std::collections::{BTreeSet, HashMap};

use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

use super::Role;
use crate::error::{AppError, AppResult};
use crate::kernel::Principal;
use crate::kernel::db::literal;

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

    /// Every permission the policy knows, for tests that walk the whole matrix.
    pub const ALL: &'static [Perm] = &[
        Perm::ORG_MANAGE,
        Perm::USERS_READ,
        Perm::AUDIT_READ,
        Perm::JOURNAL_READ,
        Perm::JOURNAL_WRITE,
        Perm::INVOICE_READ,
        Perm::INVOICE_CREATE,
        Perm::INVOICE_APPROVE,
        Perm::INVOICE_APPROVE_ANY_AMOUNT,
        Perm::INVOICE_PAY,
        Perm::INVOICE_VOID,
        Perm::RECEIVABLE_READ,
        Perm::RECEIVABLE_CREATE,
        Perm::BUDGET_READ,
        Perm::BUDGET_WRITE,
        Perm::INVENTORY_READ,
        Perm::INVENTORY_WRITE,
        Perm::INVENTORY_COST_READ,
        Perm::PURCHASE_REQUEST_READ,
        Perm::EMPLOYEE_READ,
        Perm::EMPLOYEE_SENSITIVE_READ,
        Perm::EMPLOYEE_HIRE,
        Perm::EMPLOYEE_UPDATE,
        Perm::EMPLOYEE_TERMINATE,
        Perm::PAYROLL_READ,
        Perm::PAYROLL_CREATE,
        Perm::PAYROLL_APPROVE,
        Perm::PAYROLL_POST,
        Perm::LEAVE_READ,
        Perm::LEAVE_REQUEST,
        Perm::LEAVE_DECIDE,
        Perm::RECRUITMENT_READ,
        Perm::RECRUITMENT_WRITE,
        Perm::TRAINING_READ,
        Perm::TRAINING_WRITE,
        Perm::ASSET_READ,
        Perm::ASSET_WRITE,
        Perm::ASSET_RETIRE,
        Perm::LICENSE_READ,
        Perm::LICENSE_ASSIGN,
        Perm::LICENSE_ADD,
        Perm::TICKET_READ,
        Perm::TICKET_MANAGE,
        Perm::ACCESS_READ,
        Perm::ACCESS_WRITE,
    ];

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

    /// Does every department of this scope lie in `other`?
    pub fn is_within(&self, other: &Scope) -> bool {
        match (self, other) {
            (_, Scope::All) => true,
            (Scope::All, Scope::Only(_)) => false,
            (Scope::Only(a), Scope::Only(b)) => a.is_subset(b),
        }
    }

    /// A record of `department` is `NOT_FOUND` to a caller whose scope does not reach it.
    pub fn reveal(&self, department: &str) -> AppResult<()> {
        if self.contains(department) { Ok(()) } else { Err(AppError::NotFound) }
    }

    /// Narrows the scope to one department, if it is inside it.
    pub fn restrict_to(&self, department: &str) -> Option<Scope> {
        self.contains(department).then(|| Scope::Only(BTreeSet::from([department.to_string()])))
    }

    /// The scope as a SQL condition on a department-code column, so lists are scoped in the query.
    pub fn condition<C: ColumnTrait>(&self, column: C) -> Condition {
        Condition::all().add(self.expr(column))
    }

    pub fn expr<C: ColumnTrait>(&self, column: C) -> SimpleExpr {
        match self {
            Scope::All => Expr::cust("1 = 1"),
            Scope::Only(set) if set.is_empty() => Expr::cust("1 = 0"),
            // Codes written into the statement: see `kernel::db::literal`.
            Scope::Only(set) => {
                Expr::col((column.entity_name(), column)).is_in(set.iter().map(|d| literal(d.as_str())))
            }
        }
    }
}

/// Answers "may this principal…" from the shipped policy, through the Casbin enforcer.
///
/// The model compares departments only with each other and with `*` (`r.held == "*" ||
/// r.held == r.dom`), so a decision depends on the role, the permission and how the two
/// departments relate — never on the codes themselves. Every question is put to the enforcer
/// in that canonical form, and the answers for every (role, relation, permission) are
/// computed once at start-up: no lock, no lookup keyed on a caller's strings, so refused
/// requests cannot grow memory however many distinct codes they carry (CONTRACT.md §10).
pub struct Authorizer {
    enforcer: Enforcer,
    decisions: HashMap<(Role, Relation, Perm), bool>,
}

/// How the department a role is held in relates to the department of the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Relation {
    /// Held in `*`, asked about `*` (organisation-wide rights).
    EverywhereOnAll,
    /// Held in `*`, asked about one department.
    EverywhereOnOne,
    /// Held in a department, asked about that same department.
    Same,
    /// Held in a department, asked about another one.
    Other,
    /// Held in a department, asked about `*`.
    OneOnAll,
}

impl Relation {
    const ALL: [Relation; 5] =
        [Relation::EverywhereOnAll, Relation::EverywhereOnOne, Relation::Same, Relation::Other, Relation::OneOnAll];

    fn of(held: &str, department: &str) -> Relation {
        match (held == ALL_DEPARTMENTS, department == ALL_DEPARTMENTS) {
            (true, true) => Relation::EverywhereOnAll,
            (true, false) => Relation::EverywhereOnOne,
            (false, true) => Relation::OneOnAll,
            (false, false) if held == department => Relation::Same,
            (false, false) => Relation::Other,
        }
    }

    /// Department codes standing for the relation when the enforcer is asked.
    fn canonical(self) -> (&'static str, &'static str) {
        match self {
            Relation::EverywhereOnAll => (ALL_DEPARTMENTS, ALL_DEPARTMENTS),
            Relation::EverywhereOnOne => (ALL_DEPARTMENTS, "d"),
            Relation::Same => ("d", "d"),
            Relation::Other => ("d", "e"),
            Relation::OneOnAll => ("d", ALL_DEPARTMENTS),
        }
    }
}

impl Authorizer {
    pub async fn load() -> anyhow::Result<Self> {
        let model = DefaultModel::from_str(MODEL).await?;
        let enforcer = Enforcer::new(model, StringAdapter::new(POLICY)).await?;
        let mut decisions = HashMap::new();
        for role in Role::ALL {
            for relation in Relation::ALL {
                let (held, department) = relation.canonical();
                for perm in Perm::ALL {
                    let decision = enforcer.enforce((role.as_str(), held, department, perm.resource, perm.action))?;
                    decisions.insert((role, relation, *perm), decision);
                }
            }
        }
        Ok(Self { enforcer, decisions })
    }

    /// Does a role held in `held` allow `perm` on a record of `department`?
    pub fn role_allows(&self, role: Role, held: &str, department: &str, perm: Perm) -> bool {
        self.decisions.get(&(role, Relation::of(held, department), perm)).copied().unwrap_or(false)
    }

    /// The enforcer itself, asked with the codes as given: what the precomputed decisions must
    /// always agree with (tested), and what explanations quote.
    pub fn enforce(&self, role: Role, held: &str, department: &str, perm: Perm) -> bool {
        self.enforcer.enforce((role.as_str(), held, department, perm.resource, perm.action)).unwrap_or_else(|err| {
            // A policy evaluation failure denies: never a transient allow.
            tracing::error!(error = %err, "policy evaluation failed");
            false
        })
    }

    /// May the principal do `perm` on a record of `department`?
    pub fn allows(&self, principal: &Principal, perm: Perm, department: &str) -> bool {
        // Organisation-wide rights are never a department's: ask about "*" whatever the record.
        let department = if perm.is_organisation_wide() { ALL_DEPARTMENTS } else { department };
        principal.assignments.iter().any(|a| self.role_allows(a.role, &a.department, department, perm))
    }

    /// May the principal do an organisation-wide `perm` (users, departments, audit)?
    pub fn allows_everywhere(&self, principal: &Principal, perm: Perm) -> bool {
        self.allows(principal, perm, ALL_DEPARTMENTS)
    }

    /// In which departments may the principal do `perm`?
    pub fn scope(&self, principal: &Principal, perm: Perm) -> Scope {
        if perm.is_organisation_wide() {
            return if self.allows_everywhere(principal, perm) { Scope::All } else { Scope::none() };
        }
        principal.assignments.iter().fold(Scope::none(), |scope, a| {
            if !self.role_allows(a.role, &a.department, &a.department, perm) {
                scope
            } else if a.department == ALL_DEPARTMENTS {
                Scope::All
            } else {
                scope.union(Scope::Only(BTreeSet::from([a.department.clone()])))
            }
        })
    }

    /// `FORBIDDEN` unless the principal may do `perm` in `department` (e.g. a create naming it).
    pub fn require(&self, principal: &Principal, perm: Perm, department: &str) -> AppResult<()> {
        if self.allows(principal, perm, department) { Ok(()) } else { Err(AppError::forbidden()) }
    }

    /// The scope of a list, narrowed to the `department` filter when one is given; a filter
    /// naming a department outside the scope is `FORBIDDEN` (CONTRACT.md §4).
    pub fn list_scope(&self, principal: &Principal, perm: Perm, department: Option<&str>) -> AppResult<Scope> {
        let scope = self.scope(principal, perm);
        match department {
            None => Ok(scope),
            Some(d) => scope.restrict_to(d).ok_or_else(AppError::forbidden),
        }
    }

    /// Does the principal hold `perm` in at least one department? (The root-field gate.)
    pub fn allows_somewhere(&self, principal: &Principal, perm: Perm) -> bool {
        !self.scope(principal, perm).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::context::Assignment;
    use std::collections::HashSet;

    #[test]
    fn a_scope_lies_within_another_only_when_every_department_does() {
        let only = |codes: &[&str]| Scope::Only(codes.iter().map(|c| c.to_string()).collect());
        assert!(only(&["fin"]).is_within(&only(&["fin", "ops"])));
        assert!(only(&[]).is_within(&only(&["fin"])));
        assert!(only(&["fin", "hr"]).is_within(&Scope::All));
        assert!(Scope::All.is_within(&Scope::All));
        assert!(!only(&["fin", "hr"]).is_within(&only(&["fin"])));
        assert!(!Scope::All.is_within(&only(&["fin"])));
    }
    fn principal(assignments: &[(Role, &str)]) -> Principal {
        Principal {
            user_id: "u".into(),
            email: "u@example.com".into(),
            employee_id: None,
            assignments: assignments
                .iter()
                .map(|(role, d)| Assignment { role: *role, department: d.to_string() })
                .collect(),
        }
    }

    /// CONTRACT.md §4, restated independently of policies/policy.csv: the rights each role
    /// holds in a department it is assigned to.
    fn expected(role: Role) -> HashSet<Perm> {
        use Perm as P;
        let finance_clerk = [
            P::JOURNAL_READ,
            P::JOURNAL_WRITE,
            P::INVOICE_READ,
            P::INVOICE_CREATE,
            P::INVOICE_APPROVE,
            P::INVOICE_PAY,
            P::INVOICE_VOID,
            P::BUDGET_READ,
            P::INVENTORY_READ,
            P::INVENTORY_WRITE,
            P::INVENTORY_COST_READ,
            P::PURCHASE_REQUEST_READ,
            P::PAYROLL_READ,
            P::PAYROLL_POST,
            P::EMPLOYEE_READ,
        ];
        let hr_officer = [
            P::EMPLOYEE_READ,
            P::EMPLOYEE_SENSITIVE_READ,
            P::EMPLOYEE_HIRE,
            P::EMPLOYEE_UPDATE,
            P::PAYROLL_READ,
            P::PAYROLL_CREATE,
            P::LEAVE_READ,
            P::LEAVE_REQUEST,
            P::LEAVE_DECIDE,
            P::RECRUITMENT_READ,
            P::RECRUITMENT_WRITE,
            P::TRAINING_READ,
            P::TRAINING_WRITE,
        ];
        let it_technician = [
            P::ASSET_READ,
            P::ASSET_WRITE,
            P::LICENSE_READ,
            P::LICENSE_ASSIGN,
            P::TICKET_READ,
            P::TICKET_MANAGE,
            P::ACCESS_READ,
            P::ACCESS_WRITE,
            P::EMPLOYEE_READ,
        ];
        let set = |perms: &[Perm]| perms.iter().copied().collect::<HashSet<_>>();
        match role {
            Role::Admin => set(P::ALL),
            Role::Auditor => {
                P::ALL.iter().copied().filter(|p| p.action == "read" && p.resource != "receivable_invoice").collect()
            }
            Role::FinanceClerk => set(&finance_clerk),
            Role::FinanceManager => &set(&finance_clerk) | &set(&[P::INVOICE_APPROVE_ANY_AMOUNT, P::BUDGET_WRITE]),
            Role::HrOfficer => set(&hr_officer),
            Role::HrManager => &set(&hr_officer) | &set(&[P::EMPLOYEE_TERMINATE, P::PAYROLL_APPROVE]),
            Role::ItTechnician => set(&it_technician),
            Role::ItManager => &set(&it_technician) | &set(&[P::ASSET_RETIRE, P::LICENSE_ADD]),
            Role::DepartmentManager => set(&[
                P::EMPLOYEE_READ,
                P::LEAVE_READ,
                P::LEAVE_DECIDE,
                P::RECRUITMENT_READ,
                P::TRAINING_READ,
                P::JOURNAL_READ,
                P::INVOICE_READ,
                P::BUDGET_READ,
                P::INVENTORY_READ,
                P::INVENTORY_COST_READ,
                P::PURCHASE_REQUEST_READ,
                P::ASSET_READ,
                P::LICENSE_READ,
                P::TICKET_READ,
                P::ACCESS_READ,
            ]),
            Role::FrontOffice => set(&[P::INVENTORY_READ, P::RECEIVABLE_READ, P::RECEIVABLE_CREATE]),
        }
    }

    #[tokio::test]
    async fn the_policy_matrix_matches_the_contract_for_every_role_and_permission() {
        let authz = Authorizer::load().await.unwrap();
        for role in Role::ALL {
            let expected = expected(role);
            for perm in Perm::ALL {
                // Held in "*": organisation-wide rights included.
                let everywhere = principal(&[(role, "*")]);
                let department_rights = !perm.is_organisation_wide() && expected.contains(perm);
                if perm.is_organisation_wide() {
                    assert_eq!(
                        authz.allows_everywhere(&everywhere, *perm),
                        expected.contains(perm),
                        "{role:?} {perm:?}"
                    );
                } else {
                    assert_eq!(authz.allows(&everywhere, *perm, "fin"), department_rights, "{role:?} in * on {perm:?}");
                }
                // Held in one department: rights there, nowhere else, never organisation-wide.
                let in_fin = principal(&[(role, "fin")]);
                assert_eq!(authz.allows(&in_fin, *perm, "fin"), department_rights, "{role:?} in fin on {perm:?}");
                assert!(!authz.allows(&in_fin, *perm, "ops"), "{role:?} in fin acts in ops: {perm:?}");
                assert!(!authz.allows_everywhere(&in_fin, *perm), "{role:?} in fin is org-wide: {perm:?}");
            }
        }
    }

    #[tokio::test]
    async fn departments_match_exactly_never_by_prefix() {
        let authz = Authorizer::load().await.unwrap();
        let clerk = principal(&[(Role::FinanceClerk, "fin"), (Role::FinanceClerk, "1")]);
        for twin in ["fin-eu", "fi", "finance", "FIN", "10", "1*", "*"] {
            assert!(!authz.allows(&clerk, Perm::INVOICE_READ, twin), "{twin}");
        }
        assert!(authz.allows(&clerk, Perm::INVOICE_READ, "fin"));
        assert_eq!(authz.scope(&clerk, Perm::INVOICE_READ), Scope::Only(["1".to_string(), "fin".to_string()].into()));
        let wildcard_lookalike = principal(&[(Role::FinanceClerk, "fin*")]);
        assert!(!authz.allows(&wildcard_lookalike, Perm::INVOICE_READ, "fin"));
        assert!(!authz.allows(&wildcard_lookalike, Perm::INVOICE_READ, "fin-eu"));
    }

    #[tokio::test]
    async fn a_role_held_everywhere_scopes_to_all() {
        let authz = Authorizer::load().await.unwrap();
        let hr = principal(&[(Role::HrOfficer, "*"), (Role::FinanceClerk, "fin")]);
        assert_eq!(authz.scope(&hr, Perm::EMPLOYEE_READ), Scope::All);
        assert_eq!(authz.scope(&hr, Perm::INVOICE_READ), Scope::Only(["fin".to_string()].into()));
        assert!(authz.scope(&hr, Perm::ASSET_READ).is_empty());
        assert!(authz.scope(&principal(&[]), Perm::EMPLOYEE_READ).is_empty(), "no role, no rights");
    }

    #[tokio::test]
    async fn precomputed_decisions_agree_with_the_enforcer_for_any_codes() {
        let authz = Authorizer::load().await.unwrap();
        let codes = ["fin", "ops", "*", "d", "e", "fin-eu", "x".repeat(32).leak() as &str, "ünï", ""];
        for role in Role::ALL {
            for perm in Perm::ALL {
                for held in codes {
                    for department in codes {
                        assert_eq!(
                            authz.role_allows(role, held, department, *perm),
                            authz.enforce(role, held, department, *perm),
                            "{role:?} held in {held:?} on {department:?}: {perm:?}"
                        );
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn the_shared_enforcer_answers_from_many_threads() {
        let authz = std::sync::Arc::new(Authorizer::load().await.unwrap());
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let authz = authz.clone();
                std::thread::spawn(move || {
                    let p = principal(&[(Role::FinanceClerk, &format!("d{i}"))]);
                    (0..500).all(|n| {
                        authz.allows(&p, Perm::INVOICE_READ, &format!("d{i}"))
                            && !authz.allows(&p, Perm::INVOICE_READ, &format!("d{}", n % 7 + 100))
                    })
                })
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap()));
    }
}
