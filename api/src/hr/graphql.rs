//! GraphQL of human resources.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::employee;
use entity::{candidate, job_opening, leave_request, payroll_run, payslip, training_record};

use super::employees;
use super::loaders::{CandidatesByOpening, EmployeeById, OpeningById, PayslipsByRun, UserByEmployee};
use super::{leave, payroll, recruitment, training};
use crate::authz::Perm;
use crate::connection;
use crate::error::{AppError, loader_error};
use crate::kernel::context::request_ctx;
use crate::kernel::money;
use crate::kernel::pagination::PageRequest;
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

    /// Returns a sensitive value that passed the guard, putting a non-null one on the record
    /// (a READ audit event for the request, CONTRACT.md §13).
    fn reveal<T>(&self, ctx: &Context<'_>, field: &'static str, value: Option<T>) -> Result<Option<T>> {
        if value.is_some() {
            crate::audit::reads::record(ctx, field, &self.0.id)?;
        }
        Ok(value)
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
        self.reveal(ctx, "annualSalary", Some(Decimal(employees::salary(&self.0))))
    }
    /// Sensitive, as annualSalary.
    async fn national_id(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.guard_sensitive(ctx)?;
        self.reveal(ctx, "nationalId", self.0.national_id.clone())
    }
    /// Sensitive, as annualSalary.
    async fn bank_account(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.guard_sensitive(ctx)?;
        self.reveal(ctx, "bankAccount", self.0.bank_account.clone())
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let loader = ctx.data_unchecked::<DataLoader<UserByEmployee>>();
        Ok(loader.load_one(self.0.id.clone()).await.map_err(loader_error)?.map(User::new))
    }
}

connection!(EmployeeConnection, EmployeeEdge, Employee);

#[derive(InputObject)]
pub struct HireEmployeeInput {
    pub department: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub position: String,
    pub manager_id: Option<ID>,
    pub hire_date: Date,
    pub annual_salary: Decimal,
    pub currency: String,
    pub national_id: Option<String>,
    pub bank_account: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateEmployeeInput {
    pub position: Option<String>,
    pub manager_id: Option<ID>,
    pub department: Option<String>,
    pub annual_salary: Option<Decimal>,
    pub bank_account: Option<String>,
}

#[derive(InputObject, Default)]
pub struct EmployeeFilter {
    pub department: Option<String>,
    pub status: Option<EmploymentStatus>,
    pub search: Option<String>,
}

// ---------------------------------------------------------------- payroll

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PayrollStatus {
    Draft,
    Approved,
    Posted,
}

#[derive(Clone)]
pub struct Payslip(pub payslip::Model);

#[Object]
impl Payslip {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn employee(&self, ctx: &Context<'_>) -> Result<Employee> {
        Employee::load(ctx, &self.0.employee_id).await
    }
    async fn period(&self) -> &str {
        &self.0.period
    }
    async fn days_in_period(&self) -> i32 {
        self.0.days_in_period
    }
    async fn days_worked(&self) -> i32 {
        self.0.days_worked
    }
    async fn gross(&self) -> Decimal {
        Decimal(payroll::slip_amount(&self.0, self.0.gross))
    }
    async fn income_tax(&self) -> Decimal {
        Decimal(payroll::slip_amount(&self.0, self.0.income_tax))
    }
    async fn social_security(&self) -> Decimal {
        Decimal(payroll::slip_amount(&self.0, self.0.social_security))
    }
    async fn net(&self) -> Decimal {
        Decimal(payroll::slip_amount(&self.0, self.0.net))
    }
}

#[derive(Clone)]
pub struct PayrollRun(pub payroll_run::Model);

#[Object]
impl PayrollRun {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    /// "YYYY-MM".
    async fn period(&self) -> &str {
        &self.0.period
    }
    async fn status(&self) -> PayrollStatus {
        match self.0.status.as_str() {
            payroll::APPROVED => PayrollStatus::Approved,
            payroll::POSTED => PayrollStatus::Posted,
            _ => PayrollStatus::Draft,
        }
    }
    async fn payslips(&self, ctx: &Context<'_>) -> Result<Vec<Payslip>> {
        let loader = ctx.data_unchecked::<DataLoader<PayslipsByRun>>();
        let slips = loader.load_one(self.0.id.clone()).await.map_err(loader_error)?.unwrap_or_default();
        Ok(slips.into_iter().map(Payslip).collect())
    }
    async fn total_gross(&self) -> Decimal {
        Decimal(money::ledger(money::amount(self.0.total_gross)))
    }
    async fn total_net(&self) -> Decimal {
        Decimal(money::ledger(money::amount(self.0.total_net)))
    }
    async fn created_by(&self, ctx: &Context<'_>) -> Result<User> {
        User::load(ctx, &self.0.created_by).await
    }
    async fn approved_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        User::load_opt(ctx, self.0.approved_by.as_deref()).await
    }
}

connection!(PayrollRunConnection, PayrollRunEdge, PayrollRun);

// ---------------------------------------------------------------- leave

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LeaveType {
    Vacation,
    Sick,
    Personal,
    Unpaid,
}

impl LeaveType {
    fn as_str(self) -> &'static str {
        match self {
            LeaveType::Vacation => "VACATION",
            LeaveType::Sick => "SICK",
            LeaveType::Personal => "PERSONAL",
            LeaveType::Unpaid => "UNPAID",
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl LeaveStatus {
    fn as_str(self) -> &'static str {
        match self {
            LeaveStatus::Pending => "PENDING",
            LeaveStatus::Approved => "APPROVED",
            LeaveStatus::Rejected => "REJECTED",
            LeaveStatus::Cancelled => "CANCELLED",
        }
    }
}

#[derive(Clone)]
pub struct LeaveRequest(pub leave_request::Model);

#[Object]
impl LeaveRequest {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn employee(&self, ctx: &Context<'_>) -> Result<Employee> {
        Employee::load(ctx, &self.0.employee_id).await
    }
    #[graphql(name = "type")]
    async fn leave_type(&self) -> LeaveType {
        [LeaveType::Vacation, LeaveType::Sick, LeaveType::Personal, LeaveType::Unpaid]
            .into_iter()
            .find(|t| t.as_str() == self.0.leave_type)
            .unwrap_or(LeaveType::Personal)
    }
    async fn start_date(&self) -> Date {
        Date(self.0.start_date)
    }
    async fn end_date(&self) -> Date {
        Date(self.0.end_date)
    }
    /// Working days (Monday to Friday) between startDate and endDate inclusive.
    async fn days(&self) -> i32 {
        self.0.days
    }
    async fn status(&self) -> LeaveStatus {
        [LeaveStatus::Pending, LeaveStatus::Approved, LeaveStatus::Rejected, LeaveStatus::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == self.0.status)
            .unwrap_or(LeaveStatus::Pending)
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn decided_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        User::load_opt(ctx, self.0.decided_by.as_deref()).await
    }
    /// The decider's note, if any.
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
}

connection!(LeaveRequestConnection, LeaveRequestEdge, LeaveRequest);

#[derive(InputObject)]
pub struct RequestLeaveInput {
    /// Defaults to the caller's own employee record.
    pub employee_id: Option<ID>,
    #[graphql(name = "type")]
    pub leave_type: LeaveType,
    pub start_date: Date,
    pub end_date: Date,
    pub reason: Option<String>,
}

#[derive(InputObject, Default)]
pub struct LeaveRequestFilter {
    pub department: Option<String>,
    pub status: Option<LeaveStatus>,
    pub employee_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct LeaveBalance {
    pub year: i32,
    pub allowance: i32,
    pub taken: i32,
    pub pending: i32,
    pub remaining: i32,
}

// ---------------------------------------------------------------- recruitment

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum JobOpeningStatus {
    Open,
    Closed,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum CandidateStage {
    Applied,
    Screening,
    Interview,
    Offer,
    Hired,
    Rejected,
}

const STAGE_ENUM: [CandidateStage; 6] = [
    CandidateStage::Applied,
    CandidateStage::Screening,
    CandidateStage::Interview,
    CandidateStage::Offer,
    CandidateStage::Hired,
    CandidateStage::Rejected,
];

impl CandidateStage {
    fn as_str(self) -> &'static str {
        super::rules::STAGES[STAGE_ENUM.iter().position(|s| *s == self).expect("every stage is listed")]
    }
}

#[derive(Clone)]
pub struct JobOpening(pub job_opening::Model);

#[Object]
impl JobOpening {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn headcount(&self) -> i32 {
        self.0.headcount
    }
    async fn status(&self) -> JobOpeningStatus {
        if self.0.status == recruitment::CLOSED { JobOpeningStatus::Closed } else { JobOpeningStatus::Open }
    }
    async fn candidates(&self, ctx: &Context<'_>) -> Result<Vec<Candidate>> {
        let loader = ctx.data_unchecked::<DataLoader<CandidatesByOpening>>();
        let rows = loader.load_one(self.0.id.clone()).await.map_err(loader_error)?.unwrap_or_default();
        Ok(rows.into_iter().map(Candidate).collect())
    }
}

#[derive(Clone)]
pub struct Candidate(pub candidate::Model);

#[Object]
impl Candidate {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn opening(&self, ctx: &Context<'_>) -> Result<JobOpening> {
        let loader = ctx.data_unchecked::<DataLoader<OpeningById>>();
        let found = loader.load_one(self.0.opening_id.clone()).await.map_err(loader_error)?;
        found.map(JobOpening).ok_or_else(|| AppError::internal(anyhow::anyhow!("opening missing")).into())
    }
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn stage(&self) -> CandidateStage {
        STAGE_ENUM.into_iter().find(|s| s.as_str() == self.0.stage).unwrap_or(CandidateStage::Applied)
    }
}

#[derive(InputObject)]
pub struct OpenJobOpeningInput {
    pub department: String,
    pub title: String,
    pub headcount: i32,
}

#[derive(InputObject)]
pub struct AddCandidateInput {
    pub opening_id: ID,
    pub full_name: String,
    pub email: String,
}

// ---------------------------------------------------------------- training

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TrainingKind {
    Training,
    Certification,
}

/// A course completed or a certification held, and when it lapses (labour compliance).
#[derive(Clone)]
pub struct TrainingRecord(pub training_record::Model);

#[Object]
impl TrainingRecord {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn employee(&self, ctx: &Context<'_>) -> Result<Employee> {
        Employee::load(ctx, &self.0.employee_id).await
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> TrainingKind {
        if self.0.kind == "CERTIFICATION" { TrainingKind::Certification } else { TrainingKind::Training }
    }
    async fn completed_on(&self) -> Date {
        Date(self.0.completed_on)
    }
    async fn expires_on(&self) -> Option<Date> {
        self.0.expires_on.map(Date)
    }
}

#[derive(InputObject)]
pub struct RecordTrainingInput {
    pub employee_id: ID,
    pub title: String,
    pub kind: TrainingKind,
    pub completed_on: Date,
    pub expires_on: Option<Date>,
}

// ---------------------------------------------------------------- roots

#[derive(Default)]
pub struct HrQuery;

#[Object]
impl HrQuery {
    async fn employees(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<EmployeeFilter>,
    ) -> Result<EmployeeConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let f = filter.unwrap_or_default();
        let filter = employees::Filter {
            department: f.department,
            status: f.status.map(EmploymentStatus::as_str),
            search: f.search,
        };
        let principal = request_ctx(ctx).principal()?;
        Ok(employees::list(app_state(ctx), principal, filter, &page).await?.map(Employee).into())
    }

    /// An employee of a department in scope, or the caller's own record.
    async fn employee(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Employee>> {
        let state = app_state(ctx);
        let principal = request_ctx(ctx).principal()?;
        Ok(Some(Employee(employees::find_visible(&state.db.conn, state, principal, &id).await?)))
    }

    async fn payroll_runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        department: Option<String>,
        period: Option<String>,
    ) -> Result<PayrollRunConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let principal = request_ctx(ctx).principal()?;
        let runs =
            payroll::list_runs(app_state(ctx), principal, department.as_deref(), period.as_deref(), &page).await?;
        Ok(runs.map(PayrollRun).into())
    }

    /// The caller's payslips, of APPROVED and POSTED runs.
    async fn my_payslips(&self, ctx: &Context<'_>) -> Result<Vec<Payslip>> {
        let principal = request_ctx(ctx).principal()?;
        Ok(payroll::my_payslips(app_state(ctx), principal).await?.into_iter().map(Payslip).collect())
    }

    async fn leave_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<LeaveRequestFilter>,
    ) -> Result<LeaveRequestConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let f = filter.unwrap_or_default();
        let filter = leave::Filter {
            department: f.department,
            status: f.status.map(LeaveStatus::as_str),
            employee_id: f.employee_id.map(|i| i.0),
        };
        let principal = request_ctx(ctx).principal()?;
        Ok(leave::list(app_state(ctx), principal, filter, &page).await?.map(LeaveRequest).into())
    }

    async fn leave_balance(&self, ctx: &Context<'_>, employee_id: ID, year: i32) -> Result<LeaveBalance> {
        let principal = request_ctx(ctx).principal()?;
        let b = leave::balance(app_state(ctx), principal, &employee_id, year).await?;
        Ok(LeaveBalance {
            year: b.year,
            allowance: b.allowance,
            taken: b.taken,
            pending: b.pending,
            remaining: b.remaining,
        })
    }

    /// Openings in scope, newest first (`first` at most 100, default 20).
    async fn job_openings(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
        status: Option<JobOpeningStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<JobOpening>> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let status =
            status.map(|s| if s == JobOpeningStatus::Closed { recruitment::CLOSED } else { recruitment::OPEN });
        let principal = request_ctx(ctx).principal()?;
        let rows = recruitment::openings(app_state(ctx), principal, department.as_deref(), status, &page).await?;
        Ok(rows.into_iter().map(JobOpening).collect())
    }

    /// An employee's training and certification records, newest first.
    async fn training_records(&self, ctx: &Context<'_>, employee_id: ID) -> Result<Vec<TrainingRecord>> {
        let principal = request_ctx(ctx).principal()?;
        Ok(training::of_employee(app_state(ctx), principal, &employee_id)
            .await?
            .into_iter()
            .map(TrainingRecord)
            .collect())
    }

    /// Records in scope that lapse within `withinDays` (default 30), soonest first; with
    /// `includeExpired`, those already lapsed too. At most `first` (default 20, max 100).
    async fn expiring_trainings(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
        #[graphql(default = 30)] within_days: i32,
        #[graphql(default = false)] include_expired: bool,
        first: Option<i32>,
    ) -> Result<Vec<TrainingRecord>> {
        let page = PageRequest::parse(first, None)?;
        let principal = request_ctx(ctx).principal()?;
        let rows = training::expiring(
            app_state(ctx),
            principal,
            department.as_deref(),
            within_days,
            include_expired,
            page.first,
        )
        .await?;
        Ok(rows.into_iter().map(TrainingRecord).collect())
    }
}

#[derive(Default)]
pub struct HrMutation;

#[Object]
impl HrMutation {
    /// Hires an employee (number assigned by the system) and opens their IT onboarding ticket.
    async fn hire_employee(&self, ctx: &Context<'_>, input: HireEmployeeInput) -> Result<Employee> {
        let hire = employees::Hire {
            department: input.department,
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            position: input.position,
            manager_id: input.manager_id.map(|i| i.0),
            hire_date: input.hire_date.0,
            annual_salary: input.annual_salary.0,
            currency: input.currency,
            national_id: input.national_id,
            bank_account: input.bank_account,
        };
        Ok(Employee(crate::workflows::hiring::hire_employee(app_state(ctx), request_ctx(ctx), hire).await?))
    }

    async fn update_employee(&self, ctx: &Context<'_>, id: ID, input: UpdateEmployeeInput) -> Result<Employee> {
        let update = employees::Update {
            position: input.position,
            manager_id: input.manager_id.map(|i| i.0),
            department: input.department,
            annual_salary: input.annual_salary.map(|d| d.0),
            bank_account: input.bank_account,
        };
        Ok(Employee(employees::update(app_state(ctx), request_ctx(ctx), &id, update).await?))
    }

    /// Terminates the employee and, in the same transaction, offboards them from IT.
    async fn terminate_employee(
        &self,
        ctx: &Context<'_>,
        id: ID,
        termination_date: Date,
        reason: String,
    ) -> Result<Employee> {
        let (state, rc) = (app_state(ctx), request_ctx(ctx));
        let leaver = crate::workflows::offboarding::terminate_employee(state, rc, &id, termination_date.0, &reason);
        Ok(Employee(leaver.await?))
    }

    async fn create_payroll_run(&self, ctx: &Context<'_>, department: String, period: String) -> Result<PayrollRun> {
        Ok(PayrollRun(payroll::create_run(app_state(ctx), request_ctx(ctx), &department, &period).await?))
    }

    async fn approve_payroll_run(&self, ctx: &Context<'_>, id: ID) -> Result<PayrollRun> {
        Ok(PayrollRun(payroll::approve_run(app_state(ctx), request_ctx(ctx), &id).await?))
    }

    async fn post_payroll_run(&self, ctx: &Context<'_>, id: ID) -> Result<PayrollRun> {
        Ok(PayrollRun(crate::workflows::postings::post_payroll_run(app_state(ctx), request_ctx(ctx), &id).await?))
    }

    async fn request_leave(&self, ctx: &Context<'_>, input: RequestLeaveInput) -> Result<LeaveRequest> {
        let new = leave::NewRequest {
            employee_id: input.employee_id.map(|i| i.0),
            leave_type: input.leave_type.as_str(),
            start_date: input.start_date.0,
            end_date: input.end_date.0,
            reason: input.reason,
        };
        Ok(LeaveRequest(leave::request(app_state(ctx), request_ctx(ctx), new).await?))
    }

    async fn decide_leave_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        approve: bool,
        note: Option<String>,
    ) -> Result<LeaveRequest> {
        Ok(LeaveRequest(leave::decide(app_state(ctx), request_ctx(ctx), &id, approve, note).await?))
    }

    async fn open_job_opening(&self, ctx: &Context<'_>, input: OpenJobOpeningInput) -> Result<JobOpening> {
        let opening =
            recruitment::open(app_state(ctx), request_ctx(ctx), &input.department, &input.title, input.headcount)
                .await?;
        Ok(JobOpening(opening))
    }

    async fn add_candidate(&self, ctx: &Context<'_>, input: AddCandidateInput) -> Result<Candidate> {
        let (state, rc) = (app_state(ctx), request_ctx(ctx));
        Ok(Candidate(recruitment::add_candidate(state, rc, &input.opening_id, &input.full_name, &input.email).await?))
    }

    /// Forward (steps may be skipped) or to REJECTED; HIRED closes the opening at headcount.
    async fn move_candidate(&self, ctx: &Context<'_>, id: ID, stage: CandidateStage) -> Result<Candidate> {
        Ok(Candidate(recruitment::move_candidate(app_state(ctx), request_ctx(ctx), &id, stage.as_str()).await?))
    }

    /// Records a completed course or a certification (labour compliance).
    async fn record_training(&self, ctx: &Context<'_>, input: RecordTrainingInput) -> Result<TrainingRecord> {
        let new = training::NewRecord {
            employee_id: input.employee_id.0,
            title: input.title,
            kind: if input.kind == TrainingKind::Certification { "CERTIFICATION" } else { "TRAINING" },
            completed_on: input.completed_on.0,
            expires_on: input.expires_on.map(|d| d.0),
        };
        Ok(TrainingRecord(training::record(app_state(ctx), request_ctx(ctx), new).await?))
    }
}
