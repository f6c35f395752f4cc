//! The vault: the user's accounts, encrypted under their PIN, stored durably.
//!
//! PIN → PBKDF2-HMAC-SHA256 (600,000 iterations, random salt) → AES-256-GCM with a fresh nonce
//! per save; the file format is in [`format`] and `docs/vault-format.md`. At most
//! [`MAX_ATTEMPTS`] wrong PINs in a row: the counter is written *before* each try, so killing
//! the app mid-try still counts, and after the last one the keys are wiped.
//!
//! Every change is built and checked in memory, then written atomically ([`store`]); the
//! in-memory state changes only once the file has.
//!
//! Several processes may use one vault at once (issue 15: the window and `pocketpass code` in a
//! terminal). An unlocked [`Vault`] holds no lock: the directory lock is taken only around a
//! read-modify-write (each change first reads the file again, then saves) and around counting
//! a PIN attempt. Between changes, [`Vault::refresh`] picks up what another process saved.

mod backup;
mod error;
pub mod format;
mod pin;
pub mod store;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use backup::ImportReport;
pub use error::VaultError;
pub use pin::{
    Password, Pin, PinError, COMMON_PINS, MAX_PIN_DIGITS, MIN_PASSWORD_CHARS, MIN_PIN_DIGITS,
};

use crate::otp::{Account, Code};
pub use format::KdfCost;
use format::{DerivedKey, FileKind, KdfParams};
use store::DirLock;

/// Consecutive wrong PINs after which the keys are wiped.
pub const MAX_ATTEMPTS: u32 = 10;

/// The vault file's name inside the data directory.
pub const VAULT_FILE: &str = "vault.pocketpass";
/// Consecutive wrong PINs so far (a decimal number); not secret.
pub const ATTEMPTS_FILE: &str = "attempts";
/// Left behind after a wipe so later starts can say what happened.
pub const WIPED_FILE: &str = "wiped";
const LOCK_FILE: &str = "lock";

/// Where the vault lives by default: the platform's data directory (XDG on Linux, e.g.
/// `~/.local/share/pocketpass`). `None` where the platform has none (Android: use the
/// activity's internal data path instead).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pocketpass").map(|d| d.data_dir().to_owned())
}

/// True when a vault file exists in `dir`.
pub fn exists(dir: &Path) -> bool {
    dir.join(VAULT_FILE).exists()
}

/// Why there is no vault in `dir`: never created, or wiped after too many wrong PINs.
pub fn missing(dir: &Path) -> VaultError {
    if dir.join(WIPED_FILE).exists() {
        VaultError::Wiped(MAX_ATTEMPTS)
    } else {
        VaultError::NotFound(dir.join(VAULT_FILE))
    }
}

/// The encrypted payload.
#[derive(Serialize, Deserialize)]
struct Contents {
    accounts: Vec<Account>,
}

/// An unlocked vault. Holds the derived key (zeroized on drop) so saves need no new derivation.
/// It holds no lock between changes, so other processes may read and change the vault too;
/// each change here re-reads the file under the directory lock first.
pub struct Vault {
    dir: PathBuf,
    cost: KdfCost,
    params: KdfParams,
    key: DerivedKey,
    accounts: Vec<Account>,
    /// A save that is in place but that the disk did not confirm, for the caller to report.
    warning: Option<VaultError>,
    /// SHA-256 of the file `accounts` were read from or last written to: a file that hashes
    /// otherwise was saved by another process since.
    seen: [u8; 32],
    /// Counts the changes of `accounts` (see [`Vault::generation`]).
    generation: u64,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .field("accounts", &self.accounts.len())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates a new, empty vault in `dir` under `pin` (which must meet the PIN rules).
    pub fn create(dir: &Path, pin: &Pin) -> Result<Self, VaultError> {
        Self::create_with_cost(dir, pin, KdfCost::STANDARD)
    }

    /// Like [`Vault::create`] with fewer PBKDF2 iterations. **For tests only**: it makes the
    /// vault far cheaper to attack. Production code always uses [`Vault::create`].
    #[doc(hidden)]
    pub fn create_insecure_for_tests(
        dir: &Path,
        pin: &Pin,
        iterations: u32,
    ) -> Result<Self, VaultError> {
        Self::create_with_cost(dir, pin, KdfCost::insecure_for_tests(iterations))
    }

    /// Creates a new, empty vault sealed at `cost` ([`KdfCost::STANDARD`] in the app).
    pub fn create_with_cost(dir: &Path, pin: &Pin, cost: KdfCost) -> Result<Self, VaultError> {
        pin.check()?;
        store::ensure_dir(dir)?;
        let lock = DirLock::acquire(dir.join(LOCK_FILE))?;
        let path = dir.join(VAULT_FILE);
        if path.exists() {
            return Err(VaultError::AlreadyExists(path));
        }
        let params = KdfParams::fresh(cost.iterations())?;
        let key = format::derive_key(pin.as_bytes(), &params);
        let mut vault = Self {
            dir: dir.to_owned(),
            cost,
            params: params.clone(),
            key: key.clone(),
            accounts: Vec::new(),
            warning: None,
            seen: [0; 32],
            generation: 0,
        };
        vault.commit(Vec::new(), params, key)?;
        for leftover in [WIPED_FILE, ATTEMPTS_FILE] {
            if let Some(w) = store::settle(store::remove(&dir.join(leftover)))? {
                vault.warning.get_or_insert(w);
            }
        }
        drop(lock);
        Ok(vault)
    }

    /// Opens the vault in `dir` with `pin`, counting the attempt.
    ///
    /// The file is read and its structure and key-derivation parameters are checked first: a
    /// damaged or edited file is an error that counts no attempt. Then the failure counter is
    /// raised on disk before the PIN is tried and reset after it is found right, so neither a
    /// crash nor a kill in between gives a free guess. After [`MAX_ATTEMPTS`] consecutive
    /// failures the vault is deleted and [`VaultError::Wiped`] returned.
    pub fn unlock(dir: &Path, pin: &Pin) -> Result<Self, VaultError> {
        Self::unlock_with_cost(dir, pin, KdfCost::STANDARD)
    }

    /// Like [`Vault::unlock`], also accepting vaults made by
    /// [`Vault::create_insecure_for_tests`] with `iterations`. **For tests only.**
    #[doc(hidden)]
    pub fn unlock_insecure_for_tests(
        dir: &Path,
        pin: &Pin,
        iterations: u32,
    ) -> Result<Self, VaultError> {
        Self::unlock_with_cost(dir, pin, KdfCost::insecure_for_tests(iterations))
    }

    /// Opens the vault in `dir` with `pin`, accepting the key-derivation costs `cost` accepts
    /// ([`KdfCost::STANDARD`] in the app); otherwise as [`Vault::unlock`].
    pub fn unlock_with_cost(dir: &Path, pin: &Pin, cost: KdfCost) -> Result<Self, VaultError> {
        let path = dir.join(VAULT_FILE);
        if !dir.exists() {
            return Err(missing(dir));
        }
        let lock = DirLock::acquire(dir.join(LOCK_FILE))?;
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(missing(dir)),
            Err(e) => return Err(VaultError::io("read", &path, e)),
        };
        let sealed = format::parse(&bytes, &path)?;
        sealed.expect_kind(FileKind::Vault, &path)?;
        // Before the counter: a header the PIN cannot explain is damage, not a wrong PIN.
        cost.check(&sealed.params, &path)?;

        let attempts_path = dir.join(ATTEMPTS_FILE);
        let failures = store::read_counter(&attempts_path)?;
        if failures >= MAX_ATTEMPTS {
            wipe(dir)?;
            return Err(VaultError::Wiped(MAX_ATTEMPTS));
        }
        // A counter that is in place but not confirmed by the disk still counts this try; only
        // a power cut in the next moment could lose it, so the PIN is tried and the user told.
        let mut warning = store::settle(store::write_counter(&attempts_path, failures + 1))?;

        let key = format::derive_key(pin.as_bytes(), &sealed.params);
        let Some(plaintext) = sealed.open(&key) else {
            let failures = failures + 1;
            if failures >= MAX_ATTEMPTS {
                wipe(dir)?;
                return Err(VaultError::Wiped(MAX_ATTEMPTS));
            }
            return Err(VaultError::WrongPin {
                remaining: MAX_ATTEMPTS - failures,
            });
        };
        if let Some(w) = store::settle(store::remove(&attempts_path))? {
            warning = Some(w);
        }
        let contents = decode_contents(&plaintext, &path)?;
        // The lock was needed for the attempt counter; the open vault holds none.
        drop(lock);
        Ok(Self {
            dir: dir.to_owned(),
            cost,
            params: sealed.params.clone(),
            key,
            accounts: contents.accounts,
            warning,
            seen: Sha256::digest(&bytes).into(),
            generation: 0,
        })
    }

    /// A number that changes whenever [`Vault::accounts`] do, by a save here or by a change
    /// another process saved and this vault read (a re-read before a change counts too, even
    /// when the change then fails). Whoever shows the accounts compares it with the one of the
    /// list it shows to know whether that list is still the vault's.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Brings the accounts up to date with the file, which another process (say `pocketpass
    /// add` in a terminal) may have saved since this vault last read or wrote it; true when it
    /// had. Takes no lock: every save replaces the file with one rename, so a read sees one
    /// whole version. Costs a read of the (small) file and a hash; no key derivation.
    ///
    /// Errors when the vault can no longer be used as it is: gone ([`VaultError::Wiped`] or
    /// [`VaultError::NotFound`]), sealed under another PIN since
    /// ([`VaultError::ChangedElsewhere`]), or damaged. The accounts are left as they were.
    pub fn refresh(&mut self) -> Result<bool, VaultError> {
        let path = self.dir.join(VAULT_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(missing(&self.dir)),
            Err(e) => return Err(VaultError::io("read", &path, e)),
        };
        let seen: [u8; 32] = Sha256::digest(&bytes).into();
        if seen == self.seen {
            return Ok(false);
        }
        let sealed = format::parse(&bytes, &path)?;
        sealed.expect_kind(FileKind::Vault, &path)?;
        // A new salt means a new PIN (or another vault put in its place): the key held here
        // cannot open it, and must not be used to overwrite it.
        if sealed.params != self.params {
            return Err(VaultError::ChangedElsewhere);
        }
        let plaintext = sealed
            .open(&self.key)
            .ok_or_else(|| VaultError::Corrupt(path.clone()))?;
        self.accounts = decode_contents(&plaintext, &path)?.accounts;
        self.seen = seen;
        self.generation += 1;
        Ok(true)
    }

    /// Starts a read-modify-write: takes the directory lock, then reads what another process
    /// may have saved meanwhile ([`Vault::refresh`]), so that the change is made to the latest
    /// accounts and loses nobody's. The lock is held until the returned guard is dropped.
    fn begin(&mut self) -> Result<DirLock, VaultError> {
        let lock = DirLock::acquire(self.dir.join(LOCK_FILE))?;
        self.refresh()?;
        Ok(lock)
    }

    /// The position of the account shown at `index` before [`Vault::begin`] re-read the file:
    /// the same name and issuer, wherever another process moved it.
    fn relocate(&self, label: &Account) -> Result<usize, VaultError> {
        self.accounts
            .iter()
            .position(|a| same_label(a, label))
            .ok_or_else(|| VaultError::NoSuchAccount(label.display_name()))
    }

    /// The account at `index` as this vault last saw it (before a re-read).
    fn at(&self, index: usize) -> Result<Account, VaultError> {
        self.accounts
            .get(index)
            .cloned()
            .ok_or_else(|| VaultError::NoSuchAccount(format!("#{}", index + 1)))
    }

    /// Consecutive wrong PINs so far in `dir` (0 when none), for "N tries left" before asking.
    pub fn failed_attempts(dir: &Path) -> Result<u32, VaultError> {
        store::read_counter(&dir.join(ATTEMPTS_FILE))
    }

    /// The latest change that is in place but that the disk did not confirm
    /// ([`VaultError::NotFlushed`]), once: the vault's state and its file agree, and the user
    /// should be told that a power cut could still undo the change.
    pub fn take_warning(&mut self) -> Option<VaultError> {
        self.warning.take()
    }

    /// The accounts, in the user's order.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The key-derivation costs this vault accepts in files it reads (its backups): the
    /// standard ones, or the lowered ones of a vault made by a test.
    pub fn cost(&self) -> KdfCost {
        self.cost
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds an account; refuses an invalid one or one whose name and issuer are taken.
    pub fn add(&mut self, account: Account) -> Result<(), VaultError> {
        account.validate()?;
        let _lock = self.begin()?;
        if let Some(existing) = self.accounts.iter().find(|a| same_label(a, &account)) {
            return Err(VaultError::Duplicate(existing.display_name()));
        }
        let mut accounts = self.accounts.clone();
        accounts.push(account);
        self.save_accounts(accounts)
    }

    /// Removes the account `query` names (see [`Vault::find`]) and returns it.
    pub fn remove(&mut self, query: &str) -> Result<Account, VaultError> {
        let _lock = self.begin()?;
        let index = self.find(query)?;
        let mut accounts = self.accounts.clone();
        let removed = accounts.remove(index);
        self.save_accounts(accounts)?;
        Ok(removed)
    }

    /// Moves account `from` to position `to` (both 0-based; `to` past the end means last),
    /// keeping the others in their order: the order in which the app lists the tokens. `from`
    /// is a position in [`Vault::accounts`] as they stand before the call: should another
    /// process have changed the list meanwhile, the account of that name is moved.
    pub fn move_account(&mut self, from: usize, to: usize) -> Result<(), VaultError> {
        let label = self.at(from)?;
        let _lock = self.begin()?;
        let from = self.relocate(&label)?;
        let mut accounts = self.accounts.clone();
        let account = accounts.remove(from);
        accounts.insert(to.min(accounts.len()), account);
        self.save_accounts(accounts)
    }

    /// Gives the account `query` names a new name.
    pub fn rename(&mut self, query: &str, new_name: &str) -> Result<(), VaultError> {
        let _lock = self.begin()?;
        let index = self.find(query)?;
        let new_name = new_name.trim();
        if new_name.is_empty() {
            return Err(VaultError::NoSuchAccount(String::new()));
        }
        let mut accounts = self.accounts.clone();
        accounts[index].name = new_name.to_owned();
        if let Some(other) = accounts
            .iter()
            .enumerate()
            .find(|(i, a)| *i != index && same_label(a, &accounts[index]))
        {
            return Err(VaultError::Duplicate(other.1.display_name()));
        }
        self.save_accounts(accounts)
    }

    /// Finds an account by what a user would type: its full name ("Issuer: name" or
    /// "Issuer:name") or its name alone, ignoring case. A name shared by several accounts is
    /// refused as ambiguous, listing them.
    pub fn find(&self, query: &str) -> Result<usize, VaultError> {
        let query = query.trim();
        let full: Vec<usize> = self
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| full_names(a).iter().any(|n| n.eq_ignore_ascii_case(query)))
            .map(|(i, _)| i)
            .collect();
        let matches = if full.is_empty() {
            self.accounts
                .iter()
                .enumerate()
                .filter(|(_, a)| a.name.eq_ignore_ascii_case(query))
                .map(|(i, _)| i)
                .collect()
        } else {
            full
        };
        match matches.as_slice() {
            [] => Err(VaultError::NoSuchAccount(query.to_owned())),
            [one] => Ok(*one),
            many => Err(VaultError::Ambiguous {
                name: query.to_owned(),
                candidates: many
                    .iter()
                    .map(|i| self.accounts[*i].display_name())
                    .collect(),
            }),
        }
    }

    /// The code to show now for account `index`. For HOTP the advanced counter is saved
    /// before the code is returned, so no code is ever shown twice: the counter is read again
    /// from the file under the lock, so a code another process showed is not shown here again.
    pub fn code(&mut self, index: usize, unix_seconds: u64) -> Result<Code, VaultError> {
        let account = self.at(index)?;
        if !matches!(account.kind, crate::otp::Kind::Hotp { .. }) {
            return Ok(account.code_at(unix_seconds));
        }
        let _lock = self.begin()?;
        let index = self.relocate(&account)?;
        let mut accounts = self.accounts.clone();
        let code = accounts[index].code_at(unix_seconds);
        accounts[index].advance_counter();
        self.save_accounts(accounts)?;
        Ok(code)
    }

    /// Checks that `pin` is this vault's PIN again (the window asks before writing keys out
    /// unencrypted), at the cost of one key derivation. A wrong PIN is
    /// [`VaultError::WrongPin`] with the tries left as they stand: this check does not count
    /// as an attempt, so callers must not let it be retried freely (the window locks at once).
    pub fn verify_pin(&self, pin: &Pin) -> Result<(), VaultError> {
        if format::derive_key(pin.as_bytes(), &self.params).same_as(&self.key) {
            return Ok(());
        }
        let failed = Self::failed_attempts(&self.dir).unwrap_or(0);
        Err(VaultError::WrongPin {
            remaining: MAX_ATTEMPTS.saturating_sub(failed),
        })
    }

    /// Replaces the PIN: a new salt, a new key, the same accounts.
    pub fn change_pin(&mut self, new_pin: &Pin) -> Result<(), VaultError> {
        new_pin.check()?;
        let _lock = self.begin()?;
        let params = KdfParams::fresh(self.params.iterations)?;
        let key = format::derive_key(new_pin.as_bytes(), &params);
        self.commit(self.accounts.clone(), params, key)
    }

    fn save_accounts(&mut self, accounts: Vec<Account>) -> Result<(), VaultError> {
        self.commit(accounts, self.params.clone(), self.key.clone())
    }

    /// Seals `accounts`, checks the result in memory, writes it atomically, and only then
    /// makes it the vault's state. Callers hold the directory lock ([`Vault::begin`]).
    fn commit(
        &mut self,
        accounts: Vec<Account>,
        params: KdfParams,
        key: DerivedKey,
    ) -> Result<(), VaultError> {
        let path = self.dir.join(VAULT_FILE);
        let plaintext = encode_contents(&accounts)?;
        let bytes = format::seal(FileKind::Vault, &params, &key, &plaintext)?;
        let check = open_file(&bytes, &path, FileKind::Vault, &key)?;
        if check.accounts != accounts {
            return Err(VaultError::VerifyFailed("vault"));
        }
        store::remove_leftovers(&self.dir);
        // Once the new file is in place the state follows it, even when the disk did not
        // confirm the rename: otherwise memory and file disagree (after a PIN change the user
        // would go on with the old PIN, which the file no longer takes).
        let warning = store::settle(store::write_atomically(&path, &bytes))?;
        self.seen = Sha256::digest(&bytes).into();
        self.accounts = accounts;
        self.generation += 1;
        self.params = params;
        self.key = key;
        if warning.is_some() {
            self.warning = warning;
        }
        Ok(())
    }
}

/// Deletes the vault and every leftover copy, and leaves a note saying why. A folder flush that
/// fails does not stop it: each removal is in place once made.
fn wipe(dir: &Path) -> Result<(), VaultError> {
    store::remove_leftovers(dir);
    // The note first: another process that finds the vault gone then reads why (a window that
    // is still open shows the wipe, not "no keys yet").
    store::settle(store::write_atomically(
        &dir.join(WIPED_FILE),
        b"keys wiped after too many wrong PINs\n",
    ))?;
    store::settle(store::remove(&dir.join(VAULT_FILE)))?;
    store::settle(store::remove(&dir.join(ATTEMPTS_FILE)))?;
    tracing::warn!("vault wiped after {MAX_ATTEMPTS} wrong PINs");
    Ok(())
}

fn open_file(
    bytes: &[u8],
    path: &Path,
    kind: FileKind,
    key: &DerivedKey,
) -> Result<Contents, VaultError> {
    let sealed = format::parse(bytes, path)?;
    sealed.expect_kind(kind, path)?;
    let plaintext = sealed
        .open(key)
        .ok_or_else(|| VaultError::Corrupt(path.to_owned()))?;
    decode_contents(&plaintext, path)
}

/// Serialises the accounts into a zeroized buffer of exactly the payload's size.
///
/// A growing buffer moves when it runs out of room and leaves the old allocation, with the
/// keys in plain text, to the allocator. So the payload is measured first (serialising into a
/// counter keeps nothing), then written into a buffer allocated once at that size, through a
/// writer that refuses to grow it.
fn encode_contents(accounts: &[Account]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let contents = Contents {
        accounts: accounts.to_vec(),
    };
    let failed = |_| VaultError::VerifyFailed("vault (serialisation failed)");
    let mut counter = ByteCounter(0);
    serde_json::to_writer(&mut counter, &contents).map_err(failed)?;
    let mut buffer = Zeroizing::new(Vec::with_capacity(counter.0));
    serde_json::to_writer(FixedWriter(&mut buffer), &contents).map_err(failed)?;
    Ok(buffer)
}

/// Counts the bytes written to it and keeps none.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Appends to a vector only within the capacity it already has: it never reallocates.
struct FixedWriter<'a>(&'a mut Vec<u8>);

impl std::io::Write for FixedWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.capacity() - self.0.len() < bytes.len() {
            return Err(std::io::Error::other(
                "the payload outgrew its measured size",
            ));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads the decrypted payload. Every account is validated as parsing validates it: a file that
/// decrypts is authentic, not necessarily sensible (a backup made by another program, an edited
/// vault), and an account no code can be made for (say, ten digits) would otherwise reach the
/// code generator, which panics on it. Such a file is damage, like any payload that is not ours.
fn decode_contents(plaintext: &[u8], path: &Path) -> Result<Contents, VaultError> {
    let contents: Contents =
        serde_json::from_slice(plaintext).map_err(|_| VaultError::Corrupt(path.to_owned()))?;
    if contents.accounts.iter().any(|a| a.validate().is_err()) {
        return Err(VaultError::Corrupt(path.to_owned()));
    }
    Ok(contents)
}

/// Two accounts with the same name and issuer (ignoring case) cannot be told apart by users.
fn same_label(a: &Account, b: &Account) -> bool {
    a.name.eq_ignore_ascii_case(&b.name)
        && a.issuer
            .as_deref()
            .unwrap_or("")
            .eq_ignore_ascii_case(b.issuer.as_deref().unwrap_or(""))
}

/// The full names an account answers to.
fn full_names(account: &Account) -> Vec<String> {
    let mut names = vec![account.display_name()];
    if let Some(issuer) = &account.issuer {
        names.push(format!("{issuer}:{}", account.name));
    }
    names
}

#[cfg(test)]
mod tests;
