//! The `--users FILE` format: a TOML list of users.
//!
//! ```toml
//! [[user]]
//! username = "alice"
//! full_name = "Alice Andersson"
//! password = "correct horse battery"
//! phone = "+46701234567"
//! email = "alice@example.org"
//! ```

use std::path::Path;

use crate::error::StoreError;
use crate::service::NewUser;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    user: Vec<NewUser>,
}

/// Parses the users in `text` (the contents of `path`, named in errors).
pub fn parse(path: &Path, text: &str) -> Result<Vec<NewUser>, StoreError> {
    toml::from_str::<UsersFile>(text)
        .map(|f| f.user)
        .map_err(|e| StoreError::UsersFile {
            path: path.to_owned(),
            reason: e.to_string(),
        })
}

/// Reads and parses `path`.
pub fn load(path: &Path) -> Result<Vec<NewUser>, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::UsersFile {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_users_and_names_the_file_on_errors() {
        let p = Path::new("users.toml");
        let users = parse(
            p,
            "[[user]]\nusername = \"alice\"\nfull_name = \"Alice\"\npassword = \"pw pw pw pw pw\"\nphone = \"+4670\"\nemail = \"a@x\"\n",
        )
        .unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].username, "alice");
        let err = parse(p, "[[user]]\nusername = 3\n").unwrap_err();
        assert!(err.to_string().contains("users.toml"), "{err}");
    }
}
