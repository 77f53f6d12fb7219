use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Stored in lower case; unique.
    #[sea_orm(unique)]
    pub email: String,
    /// argon2id PHC string. Never leaves the auth module.
    pub password_hash: String,
    pub display_name: String,
    pub active: bool,
    /// The `ver` claim every access token must carry; bumped to revoke them all.
    pub token_version: i64,
    /// Consecutive failed logins since the last success.
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    /// Self-service link to an employee record.
    #[sea_orm(unique)]
    pub employee_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::role_assignment::Entity")]
    RoleAssignment,
}

impl Related<super::role_assignment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleAssignment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
