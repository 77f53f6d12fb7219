use sea_orm::entity::prelude::*;

/// A refresh token, known only by its SHA-256. Tokens descended from one login share a family,
/// so that presenting a retired token can revoke all of them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    /// Set when the token was exchanged for a new pair (single use).
    pub used_at: Option<DateTimeUtc>,
    /// Set by logout, a password change, deactivation or detected reuse.
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
