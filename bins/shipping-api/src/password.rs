//! Admin passwords: argon2id PHC strings in the configuration, checked off the async runtime.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// A PHC string for `password` with a random salt and argon2's default (OWASP) parameters.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    // uuid v4 bytes come from the OS generator: a salt without another random-number crate.
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches the PHC string `phc` (a malformed one matches nothing).
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Compared against when the user name is unknown, so an unknown name costs as much time as a
/// wrong password and does not reveal which names exist.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1zTb7Wk4KxzbNbbH8mKNuOb6PzcgzT4sTKVWvFu1Qdc";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("correct hors", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify("", DUMMY_HASH));
    }
}
