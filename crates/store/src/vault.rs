//! Personal data at rest (个人信息加密存储): ID numbers and phones are stored encrypted with
//! XChaCha20-Poly1305 and found by exact match through a keyed blind index (HMAC-SHA256).
//!
//! The keys live in a key file (or the `SHANZHI_KEYS` environment variable), never in the
//! database, so a copy of the database — a stolen disk, a backup, a dump — holds no readable
//! ID number. The file holds one blind-index key and one or more numbered encryption keys:
//!
//! ```text
//! # 善治个人信息密钥 — keep apart from the database and its backups
//! index: <32 bytes, base64>
//! 1: <32 bytes, base64>
//! 2: <32 bytes, base64>
//! ```
//!
//! The highest-numbered key encrypts; every key listed decrypts. Each ciphertext starts with the
//! number of the key that sealed it, so rotating is: add a key, restart, re-encrypt
//! (`shanzhi keys rotate` does the first and last), then drop the old key. The index key cannot
//! rotate without recomputing every index, so it is kept separate from the encryption keys.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Bytes of the blind index kept: 128 bits tell every person on Earth apart.
const INDEX_LEN: usize = 16;

/// What a sealed value is, bound into its ciphertext so one kind cannot pass for another
/// (an ID number's ciphertext copied into a phone column fails to open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// 身份证号.
    IdNumber,
    /// 电话.
    Phone,
    /// An uploaded register file kept for the import's confirmation.
    Upload,
}

impl Field {
    fn tag(self) -> &'static [u8] {
        match self {
            Field::IdNumber => b"id_number",
            Field::Phone => b"phone",
            Field::Upload => b"upload",
        }
    }
}

/// A personal value as stored: sealed, its blind index, and its masked form for lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedValue {
    /// The ciphertext.
    pub sealed: Vec<u8>,
    /// The blind index, for exact-match lookups.
    pub index: Vec<u8>,
    /// What roles without need see.
    pub masked: String,
}

/// Key problems, said so an operator can fix them.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The key file or text is not as documented.
    #[error("密钥文件格式错误：{0}")]
    Format(String),
    /// Reading or writing the key file failed.
    #[error("无法读写密钥文件 {path}：{source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A value does not open with any key held: the key was dropped, or the value was altered.
    #[error("无法解密：密钥不匹配或数据被篡改")]
    Open,
}

/// The text a deployment's key check value is made of.
const KEY_CHECK_TEXT: &str = "shanzhi-deployment-key-check";

/// The keys, ready to seal, open and index.
pub struct Vault {
    /// Encryption keys by number, ascending; the last seals.
    keys: Vec<(u8, XChaCha20Poly1305)>,
    index: Hmac<Sha256>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<u8> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("Vault")
            .field("keys", &ids)
            .finish_non_exhaustive()
    }
}

fn random_key() -> String {
    let mut key = [0u8; KEY_LEN];
    rand::rng().fill_bytes(&mut key);
    B64.encode(key)
}

fn decode_key(name: &str, value: &str) -> Result<[u8; KEY_LEN], VaultError> {
    B64.decode(value.trim())
        .ok()
        .and_then(|k| <[u8; KEY_LEN]>::try_from(k).ok())
        .ok_or_else(|| VaultError::Format(format!("密钥 {name} 应为 32 字节的 base64")))
}

impl Vault {
    /// A new key file's text: a fresh index key and encryption key 1.
    pub fn generate() -> String {
        format!(
            "# 善治个人信息密钥：与数据库及其备份分开保管，丢失后已加密的身份证号和电话无法恢复\nindex: {}\n1: {}\n",
            random_key(),
            random_key()
        )
    }

    /// Fresh keys held only in memory, for tests and tools whose data dies with them.
    pub fn ephemeral() -> Vault {
        Vault::parse(&Vault::generate()).expect("generated keys parse")
    }

    /// `text` with one more encryption key, numbered after the highest.
    pub fn with_new_key(text: &str) -> Result<String, VaultError> {
        let vault = Vault::parse(text)?;
        let next = vault
            .current_key()
            .checked_add(1)
            .ok_or_else(|| VaultError::Format("密钥编号已用尽".into()))?;
        let mut out = text.trim_end().to_owned();
        out.push_str(&format!("\n{next}: {}\n", random_key()));
        Ok(out)
    }

    /// Reads keys from text in the documented form.
    pub fn parse(text: &str) -> Result<Vault, VaultError> {
        let mut keys = Vec::new();
        let mut index = None;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| VaultError::Format(format!("无法识别的行：{line}")))?;
            let name = name.trim();
            let key = decode_key(name, value)?;
            if name == "index" {
                index = Some(
                    <Hmac<Sha256> as Mac>::new_from_slice(&key)
                        .map_err(|e| VaultError::Format(e.to_string()))?,
                );
            } else {
                let id: u8 = name
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| VaultError::Format(format!("密钥编号应为 1–255：{name}")))?;
                if keys.iter().any(|(k, _)| *k == id) {
                    return Err(VaultError::Format(format!("密钥 {id} 重复")));
                }
                keys.push((id, XChaCha20Poly1305::new((&key).into())));
            }
        }
        let index = index.ok_or_else(|| VaultError::Format("缺少 index 密钥".into()))?;
        if keys.is_empty() {
            return Err(VaultError::Format("至少需要一个加密密钥（如 1: …）".into()));
        }
        keys.sort_by_key(|(id, _)| *id);
        Ok(Vault { keys, index })
    }

    /// Reads the key file at `path`, creating it (readable by its owner only) when absent.
    /// Returns the vault and whether the file was created. The file appears whole or not at
    /// all — written aside, then linked into place — so processes starting together agree on
    /// one set of keys, and none reads a half-written file.
    pub fn open_or_create(path: &Path) -> Result<(Vault, bool), VaultError> {
        let io = |source| VaultError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Vault::parse(&text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let text = Vault::generate();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::files::private_dir(dir).map_err(io)?;
                }
                let tmp = path.with_extension(format!(
                    "{}-{:08x}.new",
                    std::process::id(),
                    rand::random::<u32>()
                ));
                crate::files::write_private(&tmp, text.as_bytes()).map_err(io)?;
                // A hard link never replaces: if another process got there first, use its keys.
                let linked = std::fs::hard_link(&tmp, path);
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => Ok((Vault::parse(&text)?, true)),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(path).map_err(io)?;
                        Ok((Vault::parse(&text)?, false))
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A value that tells these keys apart from any others without revealing them: the blind
    /// index of a fixed text (the index key) and a fixed text sealed (the encryption keys).
    pub fn check_value(&self) -> (Vec<u8>, Vec<u8>) {
        (
            self.index(Field::Phone, KEY_CHECK_TEXT),
            self.seal(Field::Phone, KEY_CHECK_TEXT),
        )
    }

    /// Whether `check` (from [`Vault::check_value`], stored by whoever created the database)
    /// was made with these keys.
    pub fn matches(&self, index: &[u8], sealed: &[u8]) -> bool {
        self.index(Field::Phone, KEY_CHECK_TEXT) == index
            && self
                .open(Field::Phone, sealed)
                .is_ok_and(|t| t == KEY_CHECK_TEXT)
    }

    /// Adds a new encryption key to the key file at `path` (written to a private temporary file
    /// first, then renamed over the old one) and returns the vault with it. Values sealed
    /// before stay readable with their old key until re-sealed; the blind-index key does not
    /// change, so searches keep working throughout.
    pub fn rotate_file(path: &Path) -> Result<Vault, VaultError> {
        let io = |source| VaultError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = Vault::with_new_key(&std::fs::read_to_string(path).map_err(io)?)?;
        let vault = Vault::parse(&text)?;
        let tmp = path.with_extension("rotating");
        let _ = std::fs::remove_file(&tmp);
        crate::files::write_private(&tmp, text.as_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(vault)
    }

    /// The number of the key that seals new values.
    pub fn current_key(&self) -> u8 {
        self.keys.last().map_or(0, |(id, _)| *id)
    }

    /// Seals `plain` as `field`: key number, nonce, ciphertext and tag.
    pub fn seal(&self, field: Field, plain: &str) -> Vec<u8> {
        self.seal_bytes(field, plain.as_bytes())
    }

    /// Seals bytes as `field` (a file).
    pub fn seal_bytes(&self, field: Field, plain: &[u8]) -> Vec<u8> {
        let (id, cipher) = self.keys.last().expect("parse keeps at least one key");
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain,
            aad: field.tag(),
        };
        // Encryption of an in-memory buffer cannot fail for these sizes.
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(*id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed as `field` with any key held.
    pub fn open(&self, field: Field, sealed: &[u8]) -> Result<String, VaultError> {
        String::from_utf8(self.open_bytes(field, sealed)?).map_err(|_| VaultError::Open)
    }

    /// Opens bytes sealed as `field` with any key held.
    pub fn open_bytes(&self, field: Field, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let (&id, rest) = sealed.split_first().ok_or(VaultError::Open)?;
        if rest.len() < NONCE_LEN {
            return Err(VaultError::Open);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(k, _)| *k == id)
            .ok_or(VaultError::Open)?;
        let payload = Payload {
            msg: body,
            aad: field.tag(),
        };
        cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| VaultError::Open)
    }

    /// Seals a normalised value with its index and masked form.
    pub fn protect(&self, field: Field, normalized: &str, masked: String) -> SealedValue {
        SealedValue {
            sealed: self.seal(field, normalized),
            index: self.index(field, normalized),
            masked,
        }
    }

    /// Whether `sealed` was sealed with an older key (and should be re-sealed).
    pub fn is_stale(&self, sealed: &[u8]) -> bool {
        sealed.first() != Some(&self.current_key())
    }

    /// The blind index of a normalised value: equal values give equal indexes, and without the
    /// key nothing can be learnt from one (not even by trying every possible ID number).
    pub fn index(&self, field: Field, normalized: &str) -> Vec<u8> {
        let mut mac = self.index.clone();
        mac.update(field.tag());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes()[..INDEX_LEN].to_vec()
    }
}

impl Vault {
    /// The audit chain's hash: HMAC-SHA256 over the previous hash and the record, keyed with
    /// the index key (kept outside the database), so the chain cannot be re-sealed after an
    /// edit by anyone who holds only the database.
    pub fn chain_hash(&self, prev: &[u8], record: &[u8]) -> Vec<u8> {
        let mut mac = self.index.clone();
        mac.update(b"audit\0");
        mac.update(&(prev.len() as u64).to_be_bytes());
        mac.update(prev);
        mac.update(record);
        mac.finalize().into_bytes().to_vec()
    }

    /// An audit record's own seal, made as it is written: covers its row id and content (not
    /// its chain position, given after commit), so a record the system did not write — or one
    /// moved to another row — shows before and after it is chained.
    pub fn record_mac(&self, id: i64, content: &[u8]) -> Vec<u8> {
        let mut mac = self.index.clone();
        mac.update(b"audit-record\0");
        mac.update(&id.to_be_bytes());
        mac.update(content);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "45080219850312001X";

    #[test]
    fn sealed_values_open_and_hide_the_plaintext() {
        let v = Vault::parse(&Vault::generate()).expect("keys");
        let sealed = v.seal(Field::IdNumber, ID);
        assert!(!sealed.windows(ID.len()).any(|w| w == ID.as_bytes()));
        assert_eq!(v.open(Field::IdNumber, &sealed).expect("opens"), ID);
        // Random nonces: the same value never seals the same way twice.
        assert_ne!(sealed, v.seal(Field::IdNumber, ID));
    }

    #[test]
    fn a_value_does_not_open_as_another_field_or_when_altered() {
        let v = Vault::parse(&Vault::generate()).expect("keys");
        let mut sealed = v.seal(Field::Phone, "13877512345");
        assert!(v.open(Field::IdNumber, &sealed).is_err());
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(v.open(Field::Phone, &sealed).is_err());
        assert!(v.open(Field::Phone, &[]).is_err());
    }

    #[test]
    fn the_blind_index_matches_equal_values_only_and_depends_on_the_key() {
        let text = Vault::generate();
        let v = Vault::parse(&text).expect("keys");
        assert_eq!(v.index(Field::IdNumber, ID), v.index(Field::IdNumber, ID));
        assert_ne!(v.index(Field::IdNumber, ID), v.index(Field::Phone, ID));
        let other = Vault::parse(&Vault::generate()).expect("keys");
        assert_ne!(
            v.index(Field::IdNumber, ID),
            other.index(Field::IdNumber, ID)
        );
        assert_eq!(v.index(Field::IdNumber, ID).len(), INDEX_LEN);
    }

    #[test]
    fn rotation_seals_with_the_new_key_and_still_opens_the_old() {
        let text = Vault::generate();
        let old = Vault::parse(&text).expect("keys");
        let sealed_before = old.seal(Field::IdNumber, ID);
        let rotated = Vault::parse(&Vault::with_new_key(&text).expect("add")).expect("keys");
        assert_eq!(rotated.current_key(), 2);
        assert!(rotated.is_stale(&sealed_before));
        assert_eq!(
            rotated.open(Field::IdNumber, &sealed_before).expect("old"),
            ID
        );
        let sealed_after = rotated.seal(Field::IdNumber, ID);
        assert!(!rotated.is_stale(&sealed_after));
        assert!(old.open(Field::IdNumber, &sealed_after).is_err());
        // The index key did not change: lookups keep working across the rotation.
        assert_eq!(
            old.index(Field::IdNumber, ID),
            rotated.index(Field::IdNumber, ID)
        );
    }

    #[test]
    fn bad_key_files_say_what_is_wrong() {
        let one = random_key();
        for (text, part) in [
            (format!("1: {one}\n"), "缺少 index"),
            (format!("index: {one}\n"), "至少需要一个加密密钥"),
            (format!("index: {one}\n1: abc\n"), "32 字节"),
            (format!("index: {one}\n0: {one}\n"), "1–255"),
            (format!("index: {one}\n1: {one}\n1: {one}\n"), "重复"),
            (format!("index {one}\n"), "无法识别"),
        ] {
            let err = Vault::parse(&text).expect_err(&text).to_string();
            assert!(err.contains(part), "{err}");
        }
    }

    #[test]
    fn a_missing_key_file_is_created_private_and_then_reused() {
        let dir = std::env::temp_dir().join(format!("shanzhi-vault-{}", std::process::id()));
        let path = dir.join("keys.txt");
        let _ = std::fs::remove_file(&path);
        let (first, created) = Vault::open_or_create(&path).expect("create");
        assert!(created);
        let (second, created) = Vault::open_or_create(&path).expect("reuse");
        assert!(!created);
        let sealed = first.seal(Field::Phone, "13877512345");
        assert_eq!(
            second.open(Field::Phone, &sealed).expect("same keys"),
            "13877512345"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
