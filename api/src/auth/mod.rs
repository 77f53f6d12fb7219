//! Identity (CONTRACT.md §3): passwords, access and refresh tokens, login throttling, and the
//! session mutations (`login`, `refreshToken`, `logout`, `changePassword`).

pub mod graphql;
pub mod password;
pub mod principals;
pub mod service;
pub mod throttle;
pub mod tokens;
