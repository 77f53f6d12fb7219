//! Finance (CONTRACT.md §6): the ledger, invoices and payments, budgets, inventory.

pub mod budgets;
pub mod graphql;
pub mod inventory;
pub mod invoices;
pub mod ledger;
pub mod loaders;
pub mod rules;
