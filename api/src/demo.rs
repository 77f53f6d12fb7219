//! `serve --demo`: a small company to try the product with, seeded once through the same
//! services (and audit trail) as any client would use, then its sign-ins printed.

use entity::department;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::auth::service::authenticate;
use crate::authz::{ALL_DEPARTMENTS, Role};
use crate::kernel::{Auth, RequestCtx};
use crate::org::service::{self as org, NewDepartment, NewUser, RoleChange};
use crate::state::AppState;

/// (email, password, display name, role, department)
pub const DEMO_USERS: &[(&str, &str, &str, Role, &str)] = &[
    (
        "admin@demo.trastienda",
        "demo-password-admin",
        "Ada Admin",
        Role::Admin,
        ALL_DEPARTMENTS,
    ),
    (
        "auditor@demo.trastienda",
        "demo-password-auditor",
        "Olga Auditor",
        Role::Auditor,
        ALL_DEPARTMENTS,
    ),
    (
        "finance.manager@demo.trastienda",
        "demo-password-finmgr",
        "Felix Finance",
        Role::FinanceManager,
        "fin",
    ),
    (
        "finance.clerk@demo.trastienda",
        "demo-password-clerk",
        "Carla Clerk",
        Role::FinanceClerk,
        "fin",
    ),
    (
        "hr.manager@demo.trastienda",
        "demo-password-hrmgr",
        "Helena Human",
        Role::HrManager,
        ALL_DEPARTMENTS,
    ),
    (
        "hr.officer@demo.trastienda",
        "demo-password-hrofficer",
        "Hugo Officer",
        Role::HrOfficer,
        ALL_DEPARTMENTS,
    ),
    (
        "it.manager@demo.trastienda",
        "demo-password-itmgr",
        "Iris Infra",
        Role::ItManager,
        ALL_DEPARTMENTS,
    ),
    (
        "it.tech@demo.trastienda",
        "demo-password-ittech",
        "Tomas Tech",
        Role::ItTechnician,
        ALL_DEPARTMENTS,
    ),
    (
        "ops.manager@demo.trastienda",
        "demo-password-opsmgr",
        "Marta Manager",
        Role::DepartmentManager,
        "ops",
    ),
    (
        "front.office@demo.trastienda",
        "demo-password-front",
        "Fran Front",
        Role::FrontOffice,
        "sales",
    ),
];

const DEMO_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("fin", "Finance", "FINANCE"),
    ("hr", "People", "HR"),
    ("it", "Information Technology", "IT"),
    ("ops", "Operations", "OPERATIONS"),
    ("sales", "Sales floor", "OTHER"),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let already = department::Entity::find().count(&state.db.conn).await? > 0;
    if already {
        tracing::info!("demo data already present: not seeding again");
    } else {
        seed_company(state)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo company: {e:?}"))?;
    }
    print_sign_ins();
    Ok(())
}

async fn seed_company(state: &AppState) -> crate::error::AppResult<()> {
    let system = RequestCtx::system(format!("demo-{}", uuid::Uuid::new_v4()));
    let (email, password, name, _, _) = DEMO_USERS[0];
    let hash = crate::auth::password::hash(password.into()).await?;
    org::create_administrator(state, &system, email, hash, name).await?;
    let admin = as_user(state, email, &system.request_id).await?;

    for (code, name, kind) in DEMO_DEPARTMENTS {
        let kind = crate::org::service::DEPARTMENT_KINDS
            .iter()
            .find(|k| *k == kind)
            .copied()
            .unwrap_or("OTHER");
        org::create_department(
            state,
            &admin,
            NewDepartment {
                code: code.to_string(),
                name: name.to_string(),
                kind,
            },
        )
        .await?;
    }
    for (email, password, name, role, dept) in &DEMO_USERS[1..] {
        let new = NewUser {
            email: email.to_string(),
            password: password.to_string(),
            display_name: name.to_string(),
            employee_id: None,
        };
        let user = org::create_user(state, &admin, new).await?;
        org::change_role(state, &admin, RoleChange::Assign, &user.id, *role, dept).await?;
    }
    Ok(())
}

/// A request context acting as the given demo user (their current roles).
async fn as_user(
    state: &AppState,
    email: &str,
    request_id: &str,
) -> crate::error::AppResult<RequestCtx> {
    let user = crate::org::service::find_user_by_email(&state.db.conn, email).await?;
    let token = state.tokens.issue(&user.id, user.token_version);
    let auth = authenticate(state, Some(&format!("Bearer {token}"))).await?;
    debug_assert!(matches!(auth, Auth::User(_)));
    Ok(RequestCtx {
        request_id: request_id.to_string(),
        client_ip: None,
        auth,
    })
}

fn print_sign_ins() {
    println!("\nDemo company ready. Sign in with any of these (mutation login):\n");
    for (email, password, _, role, dept) in DEMO_USERS {
        println!(
            "  {:<34} {:<26} {} in {}",
            email,
            password,
            role.as_str(),
            dept
        );
    }
    println!();
}
