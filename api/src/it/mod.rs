//! Information technology (CONTRACT.md §8): assets, licences, tickets with SLAs, access grants,
//! and the automation that on- and offboards employees for HR.

pub mod access;
pub mod assets;
pub mod automation;
pub mod graphql;
pub mod licenses;
pub mod loaders;
pub mod rules;
pub mod tickets;
