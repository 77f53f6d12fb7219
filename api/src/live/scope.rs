//! Which events a `changes` subscriber sees: `SUCCESS` events on entities it would see in the
//! matching list or lookup. The same questions the lists put to the authorizer (`scope` of the
//! list's permission), asked once at subscribe time; the caller's principal cannot change while
//! the connection lives (a change of roles bumps the token version, which closes the socket).
//!
//! Deciding needs the entity's department, its type and — for "my own" records and front-office
//! receivables — a field of the stored snapshot. The snapshot never leaves the server.

use entity::audit_event;
use serde_json::Value;

use crate::audit::Outcome;
use crate::authz::{Authorizer, Perm, Scope};
use crate::error::{AppError, AppResult};
use crate::finance::invoices::RECEIVABLE;
use crate::kernel::Principal;

/// A record the caller sees whatever the scope, because it is its own (the self-service lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Own {
    /// `me`: the caller's user.
    User,
    /// `employee`: the caller's employee record.
    Employee,
    /// `tickets`: tickets the caller opened (`requesterId`), with or without a department filter.
    Requester,
    /// `leaveRequests`: the caller's requests (`employeeId`), only without a department filter.
    LeaveOf,
}

/// An entity type and how its list is scoped.
struct Kind {
    entity_type: &'static str,
    /// Any of these permissions' scopes lets the caller see a record of the department.
    perms: &'static [Perm],
    /// Every signed-in user sees every record (`departments`).
    everyone: bool,
    own: Option<Own>,
}

const fn kind(entity_type: &'static str, perms: &'static [Perm], own: Option<Own>) -> Kind {
    Kind { entity_type, perms, everyone: false, own }
}

/// Every entity type the log records, with the list (or lookup) that shows it. A type missing
/// here is never sent (default deny), and naming it is `BAD_USER_INPUT`.
const KINDS: &[Kind] = &[
    Kind { entity_type: "Department", perms: &[], everyone: true, own: None },
    kind("User", &[Perm::USERS_READ], Some(Own::User)),
    kind("JournalEntry", &[Perm::JOURNAL_READ], None),
    // Receivables are also the front office's: see `Watch::sees`.
    kind("Invoice", &[Perm::INVOICE_READ], None),
    kind("Payment", &[Perm::INVOICE_READ], None),
    kind("Budget", &[Perm::BUDGET_READ], None),
    kind("InventoryItem", &[Perm::INVENTORY_READ], None),
    kind("StockMovement", &[Perm::INVENTORY_READ], None),
    kind("PurchaseRequest", &[Perm::PURCHASE_REQUEST_READ], None),
    kind("Employee", &[Perm::EMPLOYEE_READ], Some(Own::Employee)),
    kind("PayrollRun", &[Perm::PAYROLL_READ], None),
    kind("LeaveRequest", &[Perm::LEAVE_READ], Some(Own::LeaveOf)),
    kind("JobOpening", &[Perm::RECRUITMENT_READ], None),
    kind("Candidate", &[Perm::RECRUITMENT_READ], None),
    kind("TrainingRecord", &[Perm::TRAINING_READ], None),
    kind("Asset", &[Perm::ASSET_READ], None),
    kind("SoftwareLicense", &[Perm::LICENSE_READ], None),
    kind("AccessGrant", &[Perm::ACCESS_READ], None),
    kind("Ticket", &[Perm::TICKET_READ], Some(Own::Requester)),
    kind("TicketComment", &[Perm::TICKET_READ], None),
];

/// One watched entity type, with the caller's scope over it.
struct Watched {
    kind: &'static Kind,
    scope: Scope,
    /// Departments whose receivable invoices the caller reads (front office).
    receivables: Scope,
}

/// A `changes` subscription's filter, fixed at subscribe time.
pub struct Watch {
    watched: Vec<Watched>,
    department: Option<String>,
    user_id: String,
    employee_id: Option<String>,
}

impl Watch {
    /// `entity_types` unknown → `BAD_USER_INPUT`; a `department` outside the caller's scope of
    /// every watched list → `FORBIDDEN`, as a list's department filter is.
    pub fn new(
        authz: &Authorizer,
        principal: &Principal,
        entity_types: Option<&[String]>,
        department: Option<String>,
    ) -> AppResult<Self> {
        let kinds: Vec<&'static Kind> = match entity_types {
            None => KINDS.iter().collect(),
            Some(names) => names
                .iter()
                .map(|name| {
                    KINDS.iter().find(|k| k.entity_type == name).ok_or_else(|| {
                        AppError::bad_input("entityTypes", format!("unknown entity type {:?}", clip(name)))
                    })
                })
                .collect::<AppResult<_>>()?,
        };
        let scope_of =
            |perms: &[Perm]| perms.iter().fold(Scope::none(), |scope, perm| scope.union(authz.scope(principal, *perm)));
        let watched: Vec<Watched> = kinds
            .into_iter()
            .map(|kind| Watched {
                kind,
                scope: if kind.everyone { Scope::All } else { scope_of(kind.perms) },
                receivables: match kind.entity_type {
                    "Invoice" => authz.scope(principal, Perm::RECEIVABLE_READ),
                    _ => Scope::none(),
                },
            })
            .collect();
        if let Some(d) = &department {
            let reaches = |w: &Watched| !w.kind.everyone && (w.scope.contains(d) || w.receivables.contains(d));
            if !watched.iter().any(reaches) {
                return Err(AppError::forbidden());
            }
        }
        Ok(Self { watched, department, user_id: principal.user_id.clone(), employee_id: principal.employee_id.clone() })
    }

    /// May the caller see this event?
    pub fn sees(&self, e: &audit_event::Model) -> bool {
        if e.outcome != Outcome::Success.as_str() {
            return false;
        }
        let Some(w) = self.watched.iter().find(|w| w.kind.entity_type == e.entity_type) else {
            return false;
        };
        let department = e.department.as_deref();
        if self.department.is_some() && department != self.department.as_deref() {
            return false;
        }
        let in_scope = match department {
            Some(d) => w.scope.contains(d),
            // Records of no department (users) are the organisation's: an organisation-wide scope.
            None => w.scope == Scope::All,
        };
        in_scope || self.receivable(w, e) || self.own(w.kind.own, e)
    }

    fn receivable(&self, w: &Watched, e: &audit_event::Model) -> bool {
        e.department.as_deref().is_some_and(|d| w.receivables.contains(d))
            && snapshot_field(e, "kind").as_deref() == Some(RECEIVABLE)
    }

    fn own(&self, own: Option<Own>, e: &audit_event::Model) -> bool {
        let is = |want: Option<&str>, have: Option<String>| want.is_some() && have.as_deref() == want;
        match own {
            None => false,
            Some(Own::User) => is(Some(&self.user_id), e.entity_id.clone()),
            Some(Own::Employee) => is(self.employee_id.as_deref(), e.entity_id.clone()),
            Some(Own::Requester) => is(Some(&self.user_id), snapshot_field(e, "requesterId")),
            Some(Own::LeaveOf) => {
                self.department.is_none() && is(self.employee_id.as_deref(), snapshot_field(e, "employeeId"))
            }
        }
    }
}

/// A string field of the entity as the event left it (`after`, else `before`).
fn snapshot_field(e: &audit_event::Model, field: &str) -> Option<String> {
    let text = e.after.as_deref().or(e.before.as_deref())?;
    match serde_json::from_str::<Value>(text).ok()?.get(field)? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Enough of a caller's string to recognise it in an error, never all of it.
fn clip(name: &str) -> String {
    name.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Role;
    use crate::kernel::context::Assignment;
    use serde_json::json;

    fn principal(assignments: &[(Role, &str)], employee_id: Option<&str>) -> Principal {
        Principal {
            user_id: "u1".into(),
            email: "u1@example.com".into(),
            employee_id: employee_id.map(String::from),
            assignments: assignments
                .iter()
                .map(|(role, d)| Assignment { role: *role, department: d.to_string() })
                .collect(),
        }
    }

    fn event(entity_type: &str, department: Option<&str>, after: Value) -> audit_event::Model {
        audit_event::Model {
            seq: 1,
            id: "e1".into(),
            occurred_at: chrono::Utc::now(),
            actor_id: None,
            actor_email: None,
            action: "x".into(),
            entity_type: entity_type.into(),
            entity_id: Some("id1".into()),
            department: department.map(String::from),
            before: None,
            after: Some(after.to_string()),
            outcome: "SUCCESS".into(),
            request_id: "r".into(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[tokio::test]
    async fn changes_follow_the_lists_scopes() {
        let authz = Authorizer::load().await.unwrap();
        let clerk = principal(&[(Role::FinanceClerk, "FIN")], None);
        let watch = Watch::new(&authz, &clerk, None, None).unwrap();
        assert!(watch.sees(&event("Invoice", Some("FIN"), json!({}))));
        assert!(!watch.sees(&event("Invoice", Some("OPS"), json!({}))), "another department");
        assert!(!watch.sees(&event("Asset", Some("FIN"), json!({}))), "not a finance list");
        assert!(watch.sees(&event("Department", Some("OPS"), json!({}))), "everyone lists departments");
        assert!(!watch.sees(&event("User", None, json!({}))), "users are the auditor's");
        let mut denied = event("Invoice", Some("FIN"), json!({}));
        denied.outcome = "DENIED".into();
        assert!(!watch.sees(&denied), "SUCCESS only");

        let front = principal(&[(Role::FrontOffice, "SHOP")], None);
        let watch = Watch::new(&authz, &front, Some(&["Invoice".into()]), None).unwrap();
        assert!(watch.sees(&event("Invoice", Some("SHOP"), json!({"kind": "RECEIVABLE"}))));
        assert!(!watch.sees(&event("Invoice", Some("SHOP"), json!({"kind": "PAYABLE"}))));
    }

    #[tokio::test]
    async fn own_records_and_department_filters() {
        let authz = Authorizer::load().await.unwrap();
        let nobody = principal(&[], Some("emp1"));
        let watch = Watch::new(&authz, &nobody, None, None).unwrap();
        assert!(watch.sees(&event("Ticket", Some("IT"), json!({"requesterId": "u1"}))));
        assert!(!watch.sees(&event("Ticket", Some("IT"), json!({"requesterId": "u2"}))));
        assert!(watch.sees(&event("LeaveRequest", Some("OPS"), json!({"employeeId": "emp1"}))));
        let mut me = event("User", None, json!({}));
        me.entity_id = Some("u1".into());
        assert!(watch.sees(&me));
        assert!(matches!(Watch::new(&authz, &nobody, None, Some("OPS".into())), Err(AppError::Forbidden(_))));
        assert!(matches!(
            Watch::new(&authz, &nobody, Some(&["Nonsense".into()]), None),
            Err(AppError::BadInput { .. })
        ));

        let hr = principal(&[(Role::HrOfficer, "OPS"), (Role::HrOfficer, "FIN")], None);
        let watch = Watch::new(&authz, &hr, Some(&["Employee".into()]), Some("OPS".into())).unwrap();
        assert!(watch.sees(&event("Employee", Some("OPS"), json!({}))));
        assert!(!watch.sees(&event("Employee", Some("FIN"), json!({}))), "outside the filter");
        assert!(matches!(
            Watch::new(&authz, &hr, Some(&["Employee".into()]), Some("IT".into())),
            Err(AppError::Forbidden(_))
        ));
    }
}
