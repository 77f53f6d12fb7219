//! Every root field of the schema and what the gate requires before its resolver runs.
//! A field missing here is refused (default deny); `tests` checks the schema against it.

use super::Perm;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Answers anonymous callers (login and token refresh).
    Anonymous,
    /// Any signed-in user; the service decides on rows (self-service, own tickets …).
    SignedIn,
    /// Some role held by the caller must allow one of these permissions in some department.
    AnyOf(&'static [Perm]),
}

const fn needs(perms: &'static [Perm]) -> Option<Rule> {
    Some(Rule::AnyOf(perms))
}

pub fn query_rule(field: &str) -> Option<Rule> {
    use Perm as P;
    match field {
        "me" | "departments" | "accounts" | "myPayslips" | "employee" | "leaveRequests" | "leaveBalance"
        | "tickets" | "ticket" => Some(Rule::SignedIn),
        "users" => needs(&[P::USERS_READ]),
        "journalEntries" | "trialBalance" => needs(&[P::JOURNAL_READ]),
        "invoices" | "invoice" | "payments" => needs(&[P::INVOICE_READ, P::RECEIVABLE_READ]),
        "budgetReport" | "budgets" => needs(&[P::BUDGET_READ]),
        "inventoryItems" | "stockMovements" => needs(&[P::INVENTORY_READ]),
        "purchaseRequests" => needs(&[P::PURCHASE_REQUEST_READ]),
        "employees" => needs(&[P::EMPLOYEE_READ]),
        "payrollRuns" => needs(&[P::PAYROLL_READ]),
        "jobOpenings" => needs(&[P::RECRUITMENT_READ]),
        "trainingRecords" | "expiringTrainings" => needs(&[P::TRAINING_READ]),
        "assets" => needs(&[P::ASSET_READ]),
        "softwareLicenses" => needs(&[P::LICENSE_READ]),
        "accessGrants" => needs(&[P::ACCESS_READ]),
        "auditLog" | "auditTrail" | "verifyAuditChain" => needs(&[P::AUDIT_READ]),
        // §13 evidence: the auditor's, like the log itself.
        "auditCheckpoint"
        | "auditInclusionProof"
        | "auditConsistencyProof"
        | "auditVerifierKey"
        | "checkAuditCheckpoint" => needs(&[P::AUDIT_READ]),
        // Explainable access: the role table is the auditor's business (ADMIN and AUDITOR).
        "permissions" | "explainAccess" | "whoCan" => needs(&[P::AUDIT_READ]),
        _ => None,
    }
}

pub fn mutation_rule(field: &str) -> Option<Rule> {
    use Perm as P;
    match field {
        "login" | "refreshToken" => Some(Rule::Anonymous),
        // Sealing the log changes no record and is not an audit event: the auditor may do it.
        "createAuditCheckpoint" => needs(&[P::AUDIT_READ]),
        "logout" | "changePassword" | "requestLeave" | "openTicket" | "commentOnTicket" => Some(Rule::SignedIn),
        "createDepartment" | "createUser" | "assignRole" | "revokeRole" | "deactivateUser" => needs(&[P::ORG_MANAGE]),
        "postJournalEntry" | "reverseJournalEntry" => needs(&[P::JOURNAL_WRITE]),
        "createInvoice" => needs(&[P::INVOICE_CREATE, P::RECEIVABLE_CREATE]),
        "approveInvoice" => needs(&[P::INVOICE_APPROVE]),
        "voidInvoice" => needs(&[P::INVOICE_VOID]),
        "recordPayment" => needs(&[P::INVOICE_PAY]),
        "setBudget" => needs(&[P::BUDGET_WRITE]),
        "createInventoryItem" | "recordStockMovement" => needs(&[P::INVENTORY_WRITE]),
        "hireEmployee" => needs(&[P::EMPLOYEE_HIRE]),
        "updateEmployee" => needs(&[P::EMPLOYEE_UPDATE]),
        "terminateEmployee" => needs(&[P::EMPLOYEE_TERMINATE]),
        "createPayrollRun" => needs(&[P::PAYROLL_CREATE]),
        "approvePayrollRun" => needs(&[P::PAYROLL_APPROVE]),
        "postPayrollRun" => needs(&[P::PAYROLL_POST]),
        "decideLeaveRequest" => needs(&[P::LEAVE_DECIDE]),
        "openJobOpening" | "addCandidate" | "moveCandidate" => needs(&[P::RECRUITMENT_WRITE]),
        "recordTraining" => needs(&[P::TRAINING_WRITE]),
        "registerAsset" | "assignAsset" | "returnAsset" => needs(&[P::ASSET_WRITE]),
        "retireAsset" => needs(&[P::ASSET_RETIRE]),
        "addSoftwareLicense" => needs(&[P::LICENSE_ADD]),
        "assignLicenseSeat" | "releaseLicenseSeat" => needs(&[P::LICENSE_ASSIGN]),
        "assignTicket" | "updateTicketStatus" => needs(&[P::TICKET_MANAGE]),
        "grantAccess" | "revokeAccess" => needs(&[P::ACCESS_WRITE]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_schema;
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    /// Every root field of the schema has a gate rule: a new field cannot ship unguarded.
    #[test]
    fn every_root_field_of_the_schema_is_in_the_catalog() {
        let doc = parse_schema(crate::graphql::sdl()).unwrap();
        let mut checked = 0;
        for def in doc.definitions {
            let TypeSystemDefinition::Type(ty) = def else {
                continue;
            };
            let name = ty.node.name.node.as_str();
            let TypeKind::Object(object) = &ty.node.kind else {
                continue;
            };
            let rule: fn(&str) -> Option<Rule> = match name {
                "Query" => query_rule,
                "Mutation" => mutation_rule,
                _ => continue,
            };
            for field in &object.fields {
                let field = field.node.name.node.as_str();
                assert!(rule(field).is_some(), "{name}.{field} has no rule in authz/catalog.rs");
                checked += 1;
            }
        }
        assert!(checked > 10, "found the root types");
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert_eq!(query_rule("somethingNew"), None);
        assert_eq!(mutation_rule("dropEverything"), None);
    }
}
