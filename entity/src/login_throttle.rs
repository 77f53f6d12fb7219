use sea_orm::entity::prelude::*;

/// Login attempts of one client address in its current one-minute window.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    /// The client address, as text (`203.0.113.7`, `2001:db8::1`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub client: String,
    /// Start of the window, Unix milliseconds.
    pub window_start_ms: i64,
    /// Attempts in the window, refused ones included.
    pub attempts: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
