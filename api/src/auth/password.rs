//! argon2id password hashes, computed on the blocking pool so they never stall the server.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, AppResult};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 256;

/// OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// 12 to 256 characters. Checked before any hashing, so a huge password costs nothing.
pub fn check_policy(field: &str, password: &str) -> AppResult<()> {
    // A byte bound first: counting the characters of a megabyte is itself work.
    if password.len() > MAX_CHARS * 4 || password.chars().count() > MAX_CHARS {
        return Err(AppError::bad_input(field, format!("{field} must be at most {MAX_CHARS} characters")));
    }
    if password.chars().count() < MIN_CHARS {
        return Err(AppError::bad_input(field, format!("{field} must be at least {MIN_CHARS} characters")));
    }
    Ok(())
}

/// Hashes a password that passed [`check_policy`].
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Verifies `password` against `stored`, or against a dummy hash of the same cost when there
/// is no stored hash (unknown user), so that both take the same time.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    if password.len() > MAX_CHARS * 4 {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        let target = stored.as_deref().unwrap_or_else(|| dummy_hash());
        let Ok(parsed) = PasswordHash::new(target) else {
            return false;
        };
        let ok = hasher().verify_password(password.as_bytes(), &parsed).is_ok();
        ok && stored.is_some()
    })
    .await
    .unwrap_or(false)
}

/// A hash with our parameters of a password nobody knows, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let secret = uuid::Uuid::new_v4().to_string();
        hasher().hash_password(secret.as_bytes(), &salt).expect("argon2 hashes").to_string()
    })
}

/// Computes the dummy hash ahead of the first login, so the first unknown-user login is not slower.
pub fn warm_up() {
    let _ = dummy_hash();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery".into(), Some(phc.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(phc)).await);
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify("anything at all".into(), None).await);
    }

    #[test]
    fn the_policy_bounds_length_in_characters() {
        assert!(check_policy("password", "short").is_err());
        assert!(check_policy("password", &"a".repeat(12)).is_ok());
        assert!(check_policy("password", &"ñ".repeat(256)).is_ok());
        assert!(check_policy("password", &"a".repeat(257)).is_err());
        let huge = "a".repeat(1024 * 1024);
        let started = std::time::Instant::now();
        assert!(check_policy("password", &huge).is_err());
        assert!(started.elapsed().as_millis() < 50, "refused before any real work");
    }
}
