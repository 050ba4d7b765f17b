//! Passwords: argon2id at the OWASP cost (m = 19456 KiB, t = 2, p = 1) in PHC strings,
//! length 8 to 128, and no easily guessed ones (zxcvbn, with the person's own name and email
//! as extra dictionary words). Hashing runs on the blocking pool: it takes tens of ms of CPU and
//! 19 MiB of memory, so at most one hash per CPU core runs at a time (`HASHING`); more would
//! only share the same cores while holding more memory (a sign-in flood measured 9 GB of RSS
//! and a third of the throughput without the bound; docs/benchmarks.md).

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::AppError;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;
/// zxcvbn score below which a password is refused (2: guessable within 10^8 tries).
const MIN_SCORE: u8 = 3;

pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// One permit per CPU core: hashes beyond that wait their turn instead of piling up threads.
fn hashing() -> &'static Semaphore {
    static HASHING: OnceLock<Semaphore> = OnceLock::new();
    HASHING.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
    })
}

/// Runs `work` on the blocking pool once a hashing permit is free.
async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let _permit = hashing().acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)?
}

/// The PHC string of `password` under a fresh random salt.
pub async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    bounded(move || hash_blocking(&password)).await
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let hash = hasher()?
        .hash_password(password.as_bytes())
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(hash.to_string())
}

/// The PHC string of `password` under a given salt (16 bytes or more). Only for seed data,
/// which must come out the same on every run; real accounts get a random salt (`hash`).
pub fn hash_with_salt(password: &str, salt: &[u8]) -> Result<String, AppError> {
    let hash = hasher()?
        .hash_password_with_salt(password.as_bytes(), salt)
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `phc`. A malformed stored hash is an internal error, not a match.
pub async fn verify(password: &str, phc: &str) -> Result<bool, AppError> {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    bounded(move || {
        let parsed = PasswordHash::new(&phc).map_err(|e| AppError::internal(e.to_string()))?;
        Ok(hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

/// Refuses passwords that are too short, too long or easily guessed; `personal` holds the
/// person's own words (email, names), which make a password weaker when used in it.
pub fn check_strength(field: &str, password: &str, personal: &[&str]) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(AppError::bad_input(
            field,
            format!("the password needs at least {MIN_LENGTH} characters"),
        ));
    }
    if length > MAX_LENGTH {
        return Err(AppError::bad_input(
            field,
            format!("the password may have at most {MAX_LENGTH} characters"),
        ));
    }
    if u8::from(zxcvbn::zxcvbn(password, personal).score()) < MIN_SCORE {
        return Err(AppError::bad_input(
            field,
            "this password is too easy to guess; a few unrelated words or a password manager help",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_at_owasp_cost() {
        let phc = hash_blocking("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[test]
    fn common_short_and_personal_passwords_are_refused() {
        for weak in [
            "password",
            "password123",
            "qwertyuiop",
            "12345678",
            "iloveyou1",
        ] {
            assert!(check_strength("password", weak, &[]).is_err(), "{weak}");
        }
        assert!(check_strength("password", "Ab1!", &[]).is_err());
        assert!(check_strength("password", &"x".repeat(129), &[]).is_err());
        let personal = ["ada.lovelace@example.com", "Ada", "Lovelace"];
        assert!(check_strength("password", "ada.lovelace@example.com", &personal).is_err());
        assert!(check_strength("password", "violet tractor sings loudly", &[]).is_ok());
    }
}
