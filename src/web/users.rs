//! The UI's users, kept in the store: name, role and an Argon2id hash of the password
//! (never the password), and API tokens kept as their SHA-256 (a stolen store does not
//! give working tokens).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const USERS: &str = "web/users";
const TOKENS: &str = "web/tokens";

/// What a user may do. Investigators search, read and view captures; admins also manage
/// watchlists, read the audit log and retry alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Investigator,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "investigator" => Some(Role::Investigator),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Investigator => "investigator",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    pub name: String,
    pub role: Role,
    /// PHC string of the Argon2id hash.
    pub hash: String,
    pub created_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("the store: {0}")]
    Store(#[from] sled::Error),
    #[error("user {0:?} does not exist")]
    Unknown(String),
    #[error("a user name is 1 to 64 letters, digits, '.', '_' or '-' (got {0:?})")]
    BadName(String),
    #[error("the password must have at least 12 characters")]
    ShortPassword,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
    #[error("a stored user record is damaged: {0}")]
    Corrupt(String),
}

#[derive(Clone)]
pub struct Users {
    users: sled::Tree,
    tokens: sled::Tree,
}

/// A fixed hash checked when the user does not exist, so that a login for an unknown name
/// takes as long as one with a wrong password (no user enumeration by timing).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        // A valid constant salt; were it ever refused, the empty hash fails every check.
        let Ok(salt) = SaltString::from_b64("Y2VudGluZWxhZHVtbXk") else {
            return String::new();
        };
        Argon2::default()
            .hash_password(b"not a password anyone has", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], UserError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| UserError::Random(e.to_string()))?;
    Ok(b)
}

/// A random token as people copy it: 32 bytes in base32, no padding.
pub fn new_token() -> Result<String, UserError> {
    Ok(data_encoding::BASE32_NOPAD
        .encode(&random_bytes::<32>()?)
        .to_lowercase())
}

pub fn token_digest(token: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Users {
    pub fn open(db: &sled::Db) -> Result<Users, UserError> {
        Ok(Users {
            users: db.open_tree(USERS)?,
            tokens: db.open_tree(TOKENS)?,
        })
    }

    /// Creates the user, or sets a new password and role for an existing one.
    pub fn set(&self, name: &str, role: Role, password: &str) -> Result<bool, UserError> {
        if !valid_name(name) {
            return Err(UserError::BadName(name.to_string()));
        }
        if password.chars().count() < 12 {
            return Err(UserError::ShortPassword);
        }
        let salt = SaltString::encode_b64(&random_bytes::<16>()?)
            .map_err(|e| UserError::Hash(e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| UserError::Hash(e.to_string()))?
            .to_string();
        let record = UserRecord {
            name: name.to_string(),
            role,
            hash,
            created_at: centinela_index::time::Timestamp::now().0,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| UserError::Corrupt(e.to_string()))?;
        let existed = self.users.insert(name.as_bytes(), bytes)?.is_some();
        self.users.flush()?;
        Ok(existed)
    }

    pub fn get(&self, name: &str) -> Result<Option<UserRecord>, UserError> {
        match self.users.get(name.as_bytes())? {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| UserError::Corrupt(format!("user {name:?}: {e}"))),
        }
    }

    pub fn list(&self) -> Result<Vec<UserRecord>, UserError> {
        let mut out = Vec::new();
        for item in self.users.iter() {
            let (_, v) = item?;
            out.push(serde_json::from_slice(&v).map_err(|e| UserError::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    /// Removes the user and every token of theirs.
    pub fn remove(&self, name: &str) -> Result<(), UserError> {
        if self.users.remove(name.as_bytes())?.is_none() {
            return Err(UserError::Unknown(name.to_string()));
        }
        for item in self.tokens.iter() {
            let (k, v) = item?;
            if v.as_ref() == name.as_bytes() {
                self.tokens.remove(k)?;
            }
        }
        self.users.flush()?;
        Ok(())
    }

    /// The user if the password is theirs. Always runs one Argon2 verification.
    pub fn check_password(&self, name: &str, password: &str) -> Option<UserRecord> {
        let user = self.get(name).ok().flatten();
        let stored = user
            .as_ref()
            .map(|u| u.hash.clone())
            .unwrap_or_else(|| dummy_hash().to_string());
        let ok = PasswordHash::new(&stored).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        if ok {
            user
        } else {
            None
        }
    }

    /// A new API token for the user, returned once; only its digest is kept.
    pub fn new_token(&self, name: &str) -> Result<String, UserError> {
        if self.get(name)?.is_none() {
            return Err(UserError::Unknown(name.to_string()));
        }
        let token = new_token()?;
        self.tokens
            .insert(token_digest(&token).as_bytes(), name.as_bytes())?;
        self.tokens.flush()?;
        Ok(token)
    }

    /// The user an API token belongs to.
    pub fn token_user(&self, token: &str) -> Option<UserRecord> {
        let name = self.tokens.get(token_digest(token).as_bytes()).ok()??;
        self.get(std::str::from_utf8(&name).ok()?).ok()?
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn users() -> (tempfile::TempDir, Users) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("db")).unwrap();
        (dir, Users::open(&db).unwrap())
    }

    #[test]
    fn a_password_is_checked_against_its_hash_only() {
        let (_d, u) = users();
        u.set("ana", Role::Admin, "correct horse battery").unwrap();
        let rec = u.get("ana").unwrap().unwrap();
        assert!(rec.hash.starts_with("$argon2id$"));
        assert!(!rec.hash.contains("correct horse"));
        assert_eq!(
            u.check_password("ana", "correct horse battery")
                .unwrap()
                .role,
            Role::Admin
        );
        assert!(u.check_password("ana", "correct horse batterY").is_none());
        assert!(u.check_password("nadie", "correct horse battery").is_none());
    }

    #[test]
    fn names_and_passwords_are_validated() {
        let (_d, u) = users();
        assert!(matches!(
            u.set("a b", Role::Admin, "long enough password"),
            Err(UserError::BadName(_))
        ));
        assert!(matches!(
            u.set("ana", Role::Admin, "short"),
            Err(UserError::ShortPassword)
        ));
    }

    #[test]
    fn tokens_are_kept_as_digests_and_die_with_their_user() {
        let (_d, u) = users();
        u.set("luis", Role::Investigator, "another long password")
            .unwrap();
        let t = u.new_token("luis").unwrap();
        assert_eq!(u.token_user(&t).unwrap().name, "luis");
        assert!(u.token_user("not-a-token").is_none());
        assert!(u.tokens.get(t.as_bytes()).unwrap().is_none());
        u.remove("luis").unwrap();
        assert!(u.token_user(&t).is_none());
    }
}
