//! Ordered schema migrations. Each runs in a transaction on both engines and has the
//! same effect on SQLite and PostgreSQL; engine-specific SQL is confined to triggers.

pub use sea_orm_migration::prelude::*;

mod m0001_org;
mod m0002_audit;
mod m0003_hr;
mod m0004_finance;
mod m0005_it;
mod m0006_login_throttle;
mod m0007_audit_evidence;
mod m0008_indexes_at_volume;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_org::Migration),
            Box::new(m0002_audit::Migration),
            Box::new(m0003_hr::Migration),
            Box::new(m0004_finance::Migration),
            Box::new(m0005_it::Migration),
            Box::new(m0006_login_throttle::Migration),
            Box::new(m0007_audit_evidence::Migration),
            Box::new(m0008_indexes_at_volume::Migration),
        ]
    }
}

pub(crate) fn t(name: &str) -> Alias {
    Alias::new(name)
}

/// A foreign key from `table.column` to `departments.code`.
pub(crate) fn department_fk(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(t(table), t("department_code")).to(t("departments"), t("code")).to_owned()
}

pub(crate) fn ref_fk(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(t(table), t(column)).to(t(target), t("id")).to_owned()
}

/// Helpers shared by the migrations: every table uses the same column shapes.
pub(crate) mod cols {
    use sea_orm_migration::prelude::*;

    /// A text primary key holding a UUIDv7.
    pub fn id<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).string_len(36).not_null().primary_key().to_owned()
    }
    /// A text reference to another table's id.
    pub fn ref_id<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).string_len(36).not_null().to_owned()
    }
    pub fn ref_id_null<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).string_len(36).null().to_owned()
    }
    pub fn text<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).text().not_null().to_owned()
    }
    pub fn text_null<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).text().null().to_owned()
    }
    pub fn short<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).string_len(64).not_null().to_owned()
    }
    pub fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).timestamp_with_time_zone().not_null().to_owned()
    }
    pub fn timestamp_null<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).timestamp_with_time_zone().null().to_owned()
    }
    pub fn date<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).date().not_null().to_owned()
    }
    pub fn date_null<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).date().null().to_owned()
    }
    /// Scaled integers: money, quantities and rates (see `api::kernel::money`).
    pub fn scaled<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).big_integer().not_null().to_owned()
    }
    pub fn int<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).integer().not_null().to_owned()
    }
    pub fn big<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).big_integer().not_null().to_owned()
    }
    pub fn boolean<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).boolean().not_null().to_owned()
    }

    /// A foreign key from `table.column` to `target.id`.
    pub fn fk<T: IntoIden, C: IntoIden, R: IntoIden, I: IntoIden>(
        table: T,
        column: C,
        target: R,
        target_id: I,
    ) -> ForeignKeyCreateStatement {
        ForeignKey::create().from(table, column).to(target, target_id).to_owned()
    }

    pub fn index<T: IntoIden + Clone, C: IntoIden + Clone>(
        name: &str,
        table: T,
        columns: &[C],
    ) -> IndexCreateStatement {
        let mut stmt = Index::create().name(name).table(table).to_owned();
        for c in columns {
            stmt.col(c.clone());
        }
        stmt
    }
}
