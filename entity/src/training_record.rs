use sea_orm::entity::prelude::*;

/// Labour compliance: a course completed or a certification held, and when it lapses.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub employee_id: String,
    pub department_code: String,
    pub title: String,
    /// TRAINING or CERTIFICATION.
    pub kind: String,
    pub completed_on: Date,
    pub expires_on: Option<Date>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
