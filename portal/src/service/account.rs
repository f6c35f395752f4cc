//! The account: users (added from the users file, the test API or as the demo user), and the
//! GENERAL tab's change of phone number.

use tracing::info;

use super::{bounded_password, NewUser, Outcome, Portal, Refusal};
use crate::password::Password;
use crate::store::{self, User};

/// The demo user seeded on first start.
pub fn demo_user() -> NewUser {
    NewUser {
        username: "demo".into(),
        full_name: "Demo User".into(),
        password: Password::new("pocketpass-demo".into()),
        phone: "+46700000000".into(),
        email: "demo@example.org".into(),
    }
}

/// The longest full name or e-mail address of a new user.
pub const MAX_NAME_CHARS: usize = 254;

impl Portal {
    /// Adds a user (hashing the password); `Ok(None)` when the username exists already.
    pub async fn add_user(&self, u: NewUser) -> Outcome<Option<i64>> {
        validate_username(&u.username)?;
        bounded_password(&u.password)?;
        for (what, text) in [("full name", &u.full_name), ("e-mail address", &u.email)] {
            if text.chars().count() > MAX_NAME_CHARS || text.chars().any(char::is_control) {
                return Err(Refusal::BadInput(format!(
                    "A {what} has at most {MAX_NAME_CHARS} characters and no control characters."
                )));
            }
        }
        let phone = normalise_phone(&u.phone)?;
        let hash = self
            .hasher
            .hash(self.hasher.permit()?, u.password.clone())
            .await?;
        let row = User {
            id: 0,
            username: u.username.clone(),
            full_name: u.full_name.trim().to_owned(),
            phone,
            email: u.email.trim().to_owned(),
            password_hash: hash,
        };
        let now = self.now();
        let id = self
            .store
            .run(move |c| store::insert_user(c, &row, now))
            .await?;
        if id.is_some() {
            info!(username = %u.username, "user added");
        }
        Ok(id)
    }

    /// A user by id.
    pub async fn user(&self, user_id: i64) -> Outcome<User> {
        self.store
            .run(move |c| store::user_by_id(c, user_id))
            .await?
            .ok_or(Refusal::NoSession)
    }

    /// Changes the phone number; the password must be given again (within the same limits as
    /// any password check).
    pub async fn change_phone(
        &self,
        user_id: i64,
        password: Password,
        phone: &str,
        addr: &str,
    ) -> Outcome<()> {
        let phone = normalise_phone(phone)?;
        let user = self.user(user_id).await?;
        let checked = self
            .attempt_password(&user.username, password, addr)
            .await?;
        if checked.id != user_id {
            return Err(Refusal::WrongCredentials);
        }
        self.store
            .run(move |c| store::set_phone(c, user_id, &phone))
            .await?;
        info!(username = %user.username, "phone number changed");
        Ok(())
    }
}

fn validate_username(u: &str) -> Outcome<()> {
    let ok = !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Refusal::BadInput(
            "A username has 1–64 characters: letters, digits, '.', '_', '-', '@'.".into(),
        ))
    }
}

/// Normalises a phone number (`+46 70-123 45 67` → `+46701234567`); 6–15 digits, optional `+`.
pub fn normalise_phone(p: &str) -> Outcome<String> {
    let compact: String = p
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err(Refusal::BadInput(
            "A phone number has 6–15 digits, optionally starting with +.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::validate_token_name;

    #[test]
    fn names_and_phones() {
        assert_eq!(validate_token_name("  My phone ").unwrap(), "My phone");
        assert!(validate_token_name("").is_err());
        assert!(validate_token_name("a:b").is_err());
        assert!(validate_token_name(&"x".repeat(41)).is_err());
        assert_eq!(normalise_phone("+46 70-123 45 67").unwrap(), "+46701234567");
        assert!(normalise_phone("12a456").is_err());
        assert!(validate_username("alice.b").is_ok());
        assert!(validate_username("a b").is_err());
    }
}
