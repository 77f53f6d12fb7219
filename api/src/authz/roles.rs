use async_graphql::Enum;

/// The roles of CONTRACT.md §4. Their rights are in `policies/policy.csv`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Auditor,
    FinanceManager,
    FinanceClerk,
    HrManager,
    HrOfficer,
    ItManager,
    ItTechnician,
    DepartmentManager,
    FrontOffice,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::Auditor,
        Role::FinanceManager,
        Role::FinanceClerk,
        Role::HrManager,
        Role::HrOfficer,
        Role::ItManager,
        Role::ItTechnician,
        Role::DepartmentManager,
        Role::FrontOffice,
    ];

    /// The name used in the policy files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Auditor => "AUDITOR",
            Role::FinanceManager => "FINANCE_MANAGER",
            Role::FinanceClerk => "FINANCE_CLERK",
            Role::HrManager => "HR_MANAGER",
            Role::HrOfficer => "HR_OFFICER",
            Role::ItManager => "IT_MANAGER",
            Role::ItTechnician => "IT_TECHNICIAN",
            Role::DepartmentManager => "DEPARTMENT_MANAGER",
            Role::FrontOffice => "FRONT_OFFICE",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
