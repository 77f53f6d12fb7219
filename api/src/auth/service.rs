//! Sessions: login with lockout and throttling, refresh-token rotation with reuse detection,
//! logout, password change; and turning a bearer token into the request's principal.

use std::sync::Arc;

use chrono::Duration;
use entity::{refresh_token, role_assignment, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde_json::json;

use super::throttle::{self, Admission};
use super::{password, tokens};
use crate::audit::{NewEvent, Outcome};
use crate::authz::Role;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::kernel::context::Assignment;
use crate::kernel::inputs;
use crate::kernel::uow::record_refusal;
use crate::kernel::{Auth, Change, Principal, RequestCtx, UnitOfWork, ids, time};
use crate::org::service::{UserRecord, bump_token_version, revoke_refresh_tokens, roles_of};
use crate::state::AppState;
use crate::telemetry::metrics::{self, LoginOutcome};

/// What a successful login or refresh hands back.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: user::Model,
}

/// Longest email we look up or record; anything longer cannot be a user's.
const MAX_EMAIL_LEN: usize = 320;

pub async fn login(state: &AppState, rc: &RequestCtx, email: &str, password: String) -> AppResult<Session> {
    let result = attempt_login(state, rc, email, password).await;
    metrics::login_attempt(match &result {
        Ok(_) => LoginOutcome::Success,
        Err(AppError::Unauthenticated) => LoginOutcome::Failure,
        Err(AppError::TooManyRequests) => LoginOutcome::RateLimited,
        Err(_) => LoginOutcome::Error,
    });
    result
}

async fn attempt_login(state: &AppState, rc: &RequestCtx, email: &str, password: String) -> AppResult<Session> {
    let tried: String = email.trim().chars().take(MAX_EMAIL_LEN).collect::<String>().to_lowercase();
    match throttle::admit(&state.db, rc.client_ip, state.settings.login_rate_limit_per_minute).await? {
        Admission::Allowed => {}
        Admission::Refused { first } => {
            if first {
                record_rate_limited(state, rc, tried).await?;
            }
            return Err(AppError::TooManyRequests);
        }
    }
    let found = user::Entity::find().filter(user::Column::Email.eq(&tried)).one(&state.db.conn).await?;
    // Always verify, against a dummy hash when there is no user: every failure costs the same.
    let verified = password::verify(password, found.as_ref().map(|u| u.password_hash.clone())).await;

    let mut uow = UnitOfWork::begin(&state.db, rc, "login").await?;
    // Re-read inside the write transaction: a lock set meanwhile counts.
    let user = match &found {
        Some(u) => user::Entity::find_by_id(u.id.clone()).one(uow.conn()).await?,
        None => None,
    };
    match user {
        Some(user) if verified && user.active && !is_locked(&user) => {
            let mut active = user.clone().into_active_model();
            active.failed_logins = Set(0);
            active.locked_until = Set(None);
            let user = active.update(uow.conn()).await?;
            let family = ids::new_id();
            let refresh =
                issue_refresh_token(uow.conn(), &user.id, &family, state.settings.refresh_token_ttl_secs).await?;
            uow.set_actor(Some(user.id.clone()), Some(user.email.clone()));
            let roles = roles_of(uow.conn(), &user.id).await?;
            uow.record(Change::touched(&UserRecord { user: &user, roles: &roles }, json!({"session": "opened"})));
            uow.commit().await?;
            Ok(session(state, user, refresh))
        }
        user => {
            uow.set_actor(None, Some(tried));
            if let Some(user) = &user {
                count_failure(uow.conn(), &user.id, &state.settings).await?;
            }
            uow.record_denied("User", user.map(|u| u.id));
            uow.commit().await?;
            Err(AppError::Unauthenticated)
        }
    }
}

fn is_locked(user: &user::Model) -> bool {
    user.locked_until.is_some_and(|until| until > time::now())
}

/// The first refusal of a client's window goes on the record (CONTRACT.md §10); the rest of the
/// flood does not, or it would fill the log.
async fn record_rate_limited(state: &AppState, rc: &RequestCtx, tried: String) -> AppResult<()> {
    let user_id = user::Entity::find().filter(user::Column::Email.eq(&tried)).one(&state.db.conn).await?.map(|u| u.id);
    let event = NewEvent {
        actor_id: None,
        actor_email: Some(inputs::storable(&tried, MAX_EMAIL_LEN)),
        action: "login".into(),
        entity_type: "User".into(),
        entity_id: user_id,
        department: None,
        before: None,
        after: Some(json!({"reason": "rate-limited"})),
        outcome: Outcome::Denied,
        request_id: rc.request_id.clone(),
    };
    record_refusal(&state.db, event).await
}

/// One more consecutive failure, counted in a single statement so that concurrent failures each
/// count (CONTRACT.md §10: a read-then-write would lose updates); the one that reaches
/// `LOGIN_MAX_FAILURES` locks the account. Attempts during a lock neither count nor extend it.
async fn count_failure<C: ConnectionTrait>(db: &C, user_id: &str, settings: &Settings) -> AppResult<()> {
    use user::Column as C;
    let now = time::now();
    let until = now + Duration::seconds(settings.login_lockout_secs);
    let reaches_limit = || Expr::col(C::FailedLogins).add(1).gte(settings.login_max_failures);
    user::Entity::update_many()
        .col_expr(C::FailedLogins, Expr::case(reaches_limit(), 0).finally(Expr::col(C::FailedLogins).add(1)).into())
        .col_expr(
            C::LockedUntil,
            Expr::case(reaches_limit(), Expr::val(Some(until))).finally(Expr::col(C::LockedUntil)).into(),
        )
        .filter(C::Id.eq(user_id))
        .filter(Condition::any().add(C::LockedUntil.is_null()).add(C::LockedUntil.lte(now)))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn refresh(state: &AppState, rc: &RequestCtx, presented: &str) -> AppResult<Session> {
    if presented.len() > 256 {
        return Err(AppError::Unauthenticated);
    }
    let hash = tokens::hash_refresh_token(presented);
    let mut uow = UnitOfWork::begin(&state.db, rc, "refreshToken").await?;
    let Some(token) =
        refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(&hash)).one(uow.conn()).await?
    else {
        uow.rollback().await?;
        return Err(AppError::Unauthenticated);
    };
    let user =
        user::Entity::find_by_id(token.user_id.clone()).one(uow.conn()).await?.ok_or(AppError::Unauthenticated)?;
    uow.set_actor(Some(user.id.clone()), Some(user.email.clone()));
    let now = time::now();

    // Single use: claim the token atomically, so two racing refreshes cannot both succeed.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(&token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(uow.conn())
        .await?
        .rows_affected
        == 1;
    if !claimed {
        // A retired token presented again: someone holds a copy. Revoke the whole family.
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::FamilyId.eq(&token.family_id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(uow.conn())
            .await?;
        uow.record_denied("User", Some(user.id.clone()));
        uow.commit().await?;
        return Err(AppError::Unauthenticated);
    }
    if token.expires_at <= now || !user.active {
        uow.rollback().await?;
        return Err(AppError::Unauthenticated);
    }
    let refresh =
        issue_refresh_token(uow.conn(), &user.id, &token.family_id, state.settings.refresh_token_ttl_secs).await?;
    let roles = roles_of(uow.conn(), &user.id).await?;
    uow.record(Change::touched(&UserRecord { user: &user, roles: &roles }, json!({"session": "refreshed"})));
    uow.commit().await?;
    Ok(session(state, user, refresh))
}

pub async fn logout(state: &AppState, rc: &RequestCtx, presented: &str) -> AppResult<bool> {
    let principal = rc.principal()?;
    if presented.len() > 256 {
        return Ok(false);
    }
    let mut uow = UnitOfWork::begin(&state.db, rc, "logout").await?;
    let revoked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(time::now()))
        .filter(refresh_token::Column::TokenHash.eq(tokens::hash_refresh_token(presented)))
        .filter(refresh_token::Column::UserId.eq(&principal.user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(uow.conn())
        .await?
        .rows_affected;
    if revoked == 0 {
        uow.rollback().await?;
        return Ok(false);
    }
    let user = crate::org::service::find_user(uow.conn(), &principal.user_id).await?;
    let roles = roles_of(uow.conn(), &user.id).await?;
    uow.record(Change::touched(&UserRecord { user: &user, roles: &roles }, json!({"session": "closed"})));
    uow.commit().await?;
    Ok(true)
}

/// Needs the current password. A wrong one counts toward the lockout exactly like a failed
/// login and is a DENIED event; while the account is locked every attempt fails the same way,
/// whatever was sent (CONTRACT.md §10).
pub async fn change_password(state: &AppState, rc: &RequestCtx, current: String, new: String) -> AppResult<bool> {
    let principal = rc.principal()?;
    password::check_policy("newPassword", &new)?;
    let user = crate::org::service::find_user(&state.db.conn, &principal.user_id).await?;
    let verified = password::verify(current, Some(user.password_hash.clone())).await;
    let new_hash = if verified { Some(password::hash(new).await?) } else { None };

    let mut uow = UnitOfWork::begin(&state.db, rc, "changePassword").await?;
    let user = crate::org::service::find_user(uow.conn(), &principal.user_id).await?;
    let (Some(new_hash), false) = (new_hash, is_locked(&user)) else {
        count_failure(uow.conn(), &user.id, &state.settings).await?;
        uow.record_denied("User", Some(user.id.clone()));
        uow.commit().await?;
        return Err(AppError::bad_input("currentPassword", "the current password is not correct"));
    };
    let mut active = user.clone().into_active_model();
    active.password_hash = Set(new_hash);
    active.failed_logins = Set(0);
    active.updated_at = Set(time::now());
    let updated = active.update(uow.conn()).await?;
    let updated = bump_token_version(&mut uow, &updated).await?;
    revoke_refresh_tokens(uow.conn(), &user.id).await?;
    let roles = roles_of(uow.conn(), &user.id).await?;
    uow.record(Change::touched(&UserRecord { user: &updated, roles: &roles }, json!({"password": "changed"})));
    uow.commit().await?;
    Ok(true)
}

async fn issue_refresh_token<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    family: &str,
    ttl_secs: i64,
) -> AppResult<String> {
    let (token, hash) = tokens::new_refresh_token();
    let now = time::now();
    refresh_token::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_string()),
        family_id: Set(family.to_string()),
        token_hash: Set(hash),
        expires_at: Set(now + Duration::seconds(ttl_secs)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn session(state: &AppState, user: user::Model, refresh_token: String) -> Session {
    Session {
        access_token: state.tokens.issue(&user.id, user.token_version),
        refresh_token,
        expires_in: state.tokens.access_ttl_secs,
        user,
    }
}

/// The caller behind an `Authorization` header value: a signed, current token of an active user
/// whose token version still matches. Served from the principal cache when it may be (a change
/// of roles, state or password bumps the version and is forgotten everywhere at once), else read
/// now, so changes count from the next request.
pub async fn authenticate(state: &AppState, header: Option<&str>) -> AppResult<Auth> {
    let Some(header) = header else {
        return Ok(Auth::Anonymous);
    };
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim) else {
        return Ok(Auth::Invalid);
    };
    let Some(claims) = state.tokens.verify(token) else {
        return Ok(Auth::Invalid);
    };
    if !ids::plausible(&claims.sub) {
        return Ok(Auth::Invalid);
    }
    if let Some(principal) = state.principals.get(&claims.sub, claims.ver) {
        return Ok(Auth::User(principal));
    }
    let epoch = state.principals.epoch();
    let Some(user) = user::Entity::find_by_id(claims.sub).one(&state.db.conn).await? else {
        return Ok(Auth::Invalid);
    };
    if !user.active || user.token_version != claims.ver {
        return Ok(Auth::Invalid);
    }
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(&user.id))
        .all(&state.db.conn)
        .await?
        .into_iter()
        .filter_map(|a| Role::parse(&a.role).map(|role| Assignment { role, department: a.department }))
        .collect();
    let principal =
        Arc::new(Principal { user_id: user.id, email: user.email, employee_id: user.employee_id, assignments });
    state.principals.insert(epoch, claims.ver, principal.clone());
    Ok(Auth::User(principal))
}

/// Creates `BOOTSTRAP_ADMIN_EMAIL` with ADMIN on `*` if no user has that email yet.
pub async fn bootstrap_admin(state: &AppState, email: &str, password: &str) -> AppResult<bool> {
    let email = crate::kernel::validate::email("BOOTSTRAP_ADMIN_EMAIL", email)?;
    password::check_policy("BOOTSTRAP_ADMIN_PASSWORD", password)?;
    if user::Entity::find().filter(user::Column::Email.eq(&email)).one(&state.db.conn).await?.is_some() {
        return Ok(false);
    }
    let hash = password::hash(password.to_string()).await?;
    let rc = RequestCtx::system(format!("bootstrap-{}", uuid::Uuid::new_v4()));
    crate::org::service::create_administrator(state, &rc, &email, hash, "Administrator").await?;
    Ok(true)
}
