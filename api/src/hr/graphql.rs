//! GraphQL of human resources.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, Object, Result};
use entity::employee;

use super::loaders::{EmployeeById, UserByEmployee};
use crate::authz::Perm;
use crate::error::{AppError, loader_error};
use crate::kernel::context::request_ctx;
use crate::kernel::money;
use crate::kernel::scalars::{Date, Decimal};
use crate::org::graphql::{Department, User};
use crate::state::app_state;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EmploymentStatus {
    Active,
    OnLeave,
    Terminated,
}

impl EmploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentStatus::Active => "ACTIVE",
            EmploymentStatus::OnLeave => "ON_LEAVE",
            EmploymentStatus::Terminated => "TERMINATED",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "ON_LEAVE" => EmploymentStatus::OnLeave,
            "TERMINATED" => EmploymentStatus::Terminated,
            _ => EmploymentStatus::Active,
        }
    }
}

#[derive(Clone)]
pub struct Employee(pub employee::Model);

impl Employee {
    pub async fn load_opt(ctx: &Context<'_>, id: Option<&str>) -> Result<Option<Employee>> {
        let Some(id) = id else { return Ok(None) };
        let loader = ctx.data_unchecked::<DataLoader<EmployeeById>>();
        Ok(loader.load_one(id.to_string()).await.map_err(loader_error)?.map(Employee))
    }

    pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Employee> {
        Self::load_opt(ctx, Some(id))
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("employee {id} is missing")).into())
    }

    /// Sensitive fields: HR of the employee's department, the auditor, or the employee themself.
    fn guard_sensitive(&self, ctx: &Context<'_>) -> Result<()> {
        let principal = request_ctx(ctx).principal()?;
        let own = principal.employee_id.as_deref() == Some(self.0.id.as_str());
        if own || app_state(ctx).authz.allows(principal, Perm::EMPLOYEE_SENSITIVE_READ, &self.0.department_code) {
            Ok(())
        } else {
            Err(AppError::forbidden().into())
        }
    }
}

#[Object]
impl Employee {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn employee_number(&self) -> &str {
        &self.0.employee_number
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn position(&self) -> &str {
        &self.0.position
    }
    async fn manager(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        Employee::load_opt(ctx, self.0.manager_id.as_deref()).await
    }
    async fn hire_date(&self) -> Date {
        Date(self.0.hire_date)
    }
    async fn termination_date(&self) -> Option<Date> {
        self.0.termination_date.map(Date)
    }
    async fn status(&self) -> EmploymentStatus {
        EmploymentStatus::parse(&self.0.status)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Sensitive: null with a FORBIDDEN error at this path for callers without access.
    async fn annual_salary(&self, ctx: &Context<'_>) -> Result<Option<Decimal>> {
        self.guard_sensitive(ctx)?;
        Ok(Some(Decimal(salary(&self.0))))
    }
    /// Sensitive, as annualSalary.
    async fn national_id(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.guard_sensitive(ctx)?;
        Ok(self.0.national_id.clone())
    }
    /// Sensitive, as annualSalary.
    async fn bank_account(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.guard_sensitive(ctx)?;
        Ok(self.0.bank_account.clone())
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let loader = ctx.data_unchecked::<DataLoader<UserByEmployee>>();
        Ok(loader.load_one(self.0.id.clone()).await.map_err(loader_error)?.map(User::new))
    }
}

/// The annual salary, rendered with the currency's decimals.
pub fn salary(e: &employee::Model) -> rust_decimal::Decimal {
    let decimals = money::Currency::parse(&e.currency).map(|c| c.decimals).unwrap_or(2);
    money::round(money::amount(e.annual_salary), decimals)
}
