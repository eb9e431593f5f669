//! The unit's signing key: Ed25519, in one JSON file (mode 0600). With a passphrase, the
//! 32-byte seed is sealed with ChaCha20-Poly1305 under a key derived by Argon2id, so a
//! copied file is useless without it.

use std::path::Path;

use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use data_encoding::HEXLOWER;
/// The unit's signing key, as [`load`] gives it.
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::{io, sha256_hex, EvidenceError};

const FORMAT: &str = "centinela-ed25519-key/1";

#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: String,
    /// Hex of the public key.
    public: String,
    /// Hex of the seed, when not sealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sealed: Option<Sealed>,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    kdf: String,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// The fingerprint investigators compare: SHA-256 of the public key, hex, in groups.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let hex = sha256_hex(key.as_bytes());
    hex.as_bytes()
        .chunks(8)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness from the system: {e}"))?;
    Ok(b)
}

fn cipher(passphrase: &str, salt: &[u8]) -> Result<ChaCha20Poly1305, String> {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| format!("cannot derive a key from the passphrase: {e}"))?;
    Ok(ChaCha20Poly1305::new(&key.into()))
}

/// Creates a new key at `path` (refusing to overwrite one) and returns its public half.
pub fn generate(path: &Path, passphrase: Option<&str>) -> Result<VerifyingKey, EvidenceError> {
    let err = |reason: String| EvidenceError::Key {
        path: path.to_path_buf(),
        reason,
    };
    if path.exists() {
        return Err(err(
            "already exists; the unit keeps one key (move it away to make a new one)".into(),
        ));
    }
    let seed: [u8; 32] = random().map_err(err)?;
    let signing = SigningKey::from_bytes(&seed);
    let public = signing.verifying_key();
    let mut file = KeyFile {
        format: FORMAT.into(),
        public: HEXLOWER.encode(public.as_bytes()),
        seed: None,
        sealed: None,
    };
    match passphrase {
        None => file.seed = Some(HEXLOWER.encode(&seed)),
        Some(p) => {
            let salt: [u8; 16] = random().map_err(err)?;
            let nonce: [u8; 12] = random().map_err(err)?;
            let sealed = cipher(p, &salt)
                .map_err(err)?
                .encrypt(Nonce::from_slice(&nonce), seed.as_slice())
                .map_err(|_| err("cannot seal the key".into()))?;
            file.sealed = Some(Sealed {
                kdf: "argon2id".into(),
                salt: HEXLOWER.encode(&salt),
                nonce: HEXLOWER.encode(&nonce),
                ciphertext: HEXLOWER.encode(&sealed),
            });
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let text = serde_json::to_string_pretty(&file).map_err(|e| err(e.to_string()))?;
    write_private(path, text.as_bytes())?;
    Ok(public)
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), EvidenceError> {
    use std::io::Write;
    #[cfg(unix)]
    let mut f = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io(path))?
    };
    #[cfg(not(unix))]
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Loads the key; a sealed one needs its passphrase.
pub fn load(path: &Path, passphrase: Option<&str>) -> Result<SigningKey, EvidenceError> {
    let err = |reason: String| EvidenceError::Key {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(if e.kind() == std::io::ErrorKind::NotFound {
            "not found; create it once with `centinela evidence keygen`".into()
        } else {
            e.to_string()
        })
    })?;
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| err(format!("unreadable: {e}")))?;
    if file.format != FORMAT {
        return Err(err(format!("unknown format {:?}", file.format)));
    }
    let hex = |s: &str| {
        HEXLOWER
            .decode(s.as_bytes())
            .map_err(|e| err(format!("bad hex: {e}")))
    };
    let seed = match (&file.seed, &file.sealed) {
        (Some(s), _) => hex(s)?,
        (None, Some(sealed)) => {
            let Some(p) = passphrase else {
                return Err(err(
                    "is sealed with a passphrase: give --passphrase-file or \
                     CENTINELA_EVIDENCE_PASSPHRASE"
                        .into(),
                ));
            };
            let nonce = hex(&sealed.nonce)?;
            if nonce.len() != 12 {
                return Err(err("bad nonce".into()));
            }
            cipher(p, &hex(&sealed.salt)?)
                .map_err(err)?
                .decrypt(
                    Nonce::from_slice(&nonce),
                    hex(&sealed.ciphertext)?.as_slice(),
                )
                .map_err(|_| err("the passphrase is wrong (or the file was altered)".into()))?
        }
        (None, None) => return Err(err("holds no key".into())),
    };
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| err("the seed is not 32 bytes".into()))?;
    let signing = SigningKey::from_bytes(&seed);
    if HEXLOWER.encode(signing.verifying_key().as_bytes()) != file.public {
        return Err(err("its public half does not match its secret".into()));
    }
    Ok(signing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_passphrase() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("k.json");
        let public = generate(&path, Some("correcto")).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains("\"seed\""), "{text}");
        assert!(load(&path, None).is_err());
        let wrong = load(&path, Some("otro")).err().map(|e| e.to_string());
        assert!(wrong.is_some_and(|e| e.contains("passphrase is wrong")));
        let key = load(&path, Some("correcto")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.verifying_key(), public);
        assert!(generate(&path, None).is_err(), "never overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
    }
}
