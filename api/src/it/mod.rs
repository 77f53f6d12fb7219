//! Information technology (CONTRACT.md §8): assets, licences, tickets with SLAs, access grants;
//! each an owner of its records; what HR's hiring and termination set off here is in `workflows/`.

pub mod access;
pub mod assets;
pub mod graphql;
pub mod licenses;
pub mod loaders;
pub mod rules;
pub mod tickets;
