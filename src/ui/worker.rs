//! The worker thread: it owns the unlocked vault, so key derivation and every file read or
//! write happen off the UI thread. The UI sends [`Job`]s and gets [`Reply`]s back through a
//! channel, followed by a wake-up call that runs on the UI thread (`upgrade_in_event_loop` in
//! the app, a direct drain in tests).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use crate::clock;
use crate::otp::{Account, Code};
use crate::scan::{self, FrameSource, LumaFrame, Scanner, SourceError};
use crate::transfer::{ImportFile, TransferError};
use crate::vault::{self, ImportReport, KdfCost, Password, Pin, Vault, VaultError};

pub(crate) mod transfer;

use super::file_chooser::{self, ChooserError, FileRequest};
use super::OpenCamera;

/// Work for the worker thread. (Its `Debug` shows no secret: PINs, passwords and keys print
/// redacted.)
#[derive(Debug)]
pub(crate) enum Job {
    /// Looks at the data directory: is there a vault, was it wiped, how many wrong PINs so far.
    Probe,
    /// Creates the vault under `pin` and installs `accounts` in it.
    Create { pin: Pin, accounts: Vec<Account> },
    /// Opens the vault with `pin`.
    Unlock(Pin),
    /// Installs more accounts in the open vault.
    Add(Vec<Account>),
    /// Renames the account of this full name (as the window shows it) to the second.
    ///
    /// Accounts are named, not numbered, in jobs: another process may have changed the list
    /// since the window showed it, and a position would then name another account.
    Rename(String, String),
    /// Removes the account of this full name.
    Remove(String),
    /// Moves the account of this full name to position `to` in the list.
    Move(String, usize),
    /// Shows (and so uses up) the next code of the HOTP account of this full name.
    NextHotp(String, u64),
    /// Replaces the PIN.
    ChangePin(Pin),
    /// Writes an encrypted backup.
    Export(PathBuf, Password),
    /// Reads an encrypted backup into the vault.
    Import(PathBuf, Password),
    /// Reads another app's export file for the import preview. The file's keys stay on this
    /// thread (until imported, replaced, or the vault closes); the UI gets the preview rows.
    ReadForeign(PathBuf, Option<Password>),
    /// Imports the entries at these positions of the file read last, in one save.
    ImportForeign(Vec<usize>),
    /// Writes an export for another app.
    ExportFor(transfer::ExportRequest),
    /// Reads what another process (a terminal's `pocketpass add`, say) saved since the open
    /// vault last read or wrote its file (issue 15). Cheap: a read and a hash.
    Refresh,
    /// Closes the vault (auto-lock, Lock button). The UI raises the [`LockNow`] flag first, so
    /// the vault is closed before the next job starts even when others are queued before this.
    Lock,
}

/// Raised by the UI when it locks: the worker closes the vault before it starts its next job,
/// whatever is queued. Scans never run on this thread ([`spawn_scan`]), so the longest a lock
/// waits is the job in progress (a key derivation or a save).
pub(crate) type LockNow = Arc<AtomicBool>;

/// What the worker tells the UI. Each job gets exactly one reply.
pub(crate) enum Reply {
    /// The result of [`Job::Probe`].
    Probed {
        exists: bool,
        wiped: bool,
        failed: u32,
    },
    /// The vault is open (created, unlocked, or changed): its accounts now.
    Accounts(Result<Vec<Account>, VaultError>, Done),
    /// The answer to [`Job::Refresh`]: the accounts when they are not the ones the UI was last
    /// sent (another process saved, or a change here re-read the file and then failed), `None`
    /// when they are (or no vault is open).
    Refreshed(Result<Option<Vec<Account>>, VaultError>),
    /// An HOTP code was taken: the account's position in the list, and the accounts with the
    /// advanced counter.
    Hotp(usize, Result<(Code, Vec<Account>), VaultError>),
    /// A backup was written with this many accounts.
    Exported(Result<usize, VaultError>),
    /// A backup was read in.
    Imported(Result<(ImportReport, Vec<Account>), VaultError>),
    /// The preview of a file read by [`Job::ReadForeign`].
    ForeignRead(Result<transfer::ForeignFile, TransferError>),
    /// The chosen entries of that file were imported.
    ForeignImported(Result<(ImportReport, Vec<Account>), VaultError>),
    /// An export for another app was made.
    ExportedFor(Result<transfer::Exported, transfer::ExportFailure>),
    /// The texts of the QR codes found in a file or on the screen.
    Scanned(Result<Vec<String>, SourceError>),
    /// What the desktop's file dialog answered: the reply to [`spawn_choose`] with the ask's
    /// number (`None`: the user cancelled).
    Chosen(u64, Result<Option<PathBuf>, ChooserError>),
    /// The vault is closed.
    Locked,
    /// A change is in place but the disk did not confirm it (not a job's reply: it follows
    /// the reply of the job that saved).
    Unflushed(VaultError),
    /// A camera frame to preview, made small (not a job's reply).
    Frame(LumaFrame),
    /// Codes the camera saw (not a job's reply; the camera goes on until stopped).
    CameraCodes(Vec<String>),
    /// The camera stopped: the reply to starting it, with the reason when it failed.
    CameraEnded(Option<SourceError>),
    /// How far this device's clock is from the source (seconds, source minus device): the
    /// reply to [`spawn_clock`].
    ClockMeasured(clock::Source, Result<i64, clock::ClockError>),
}

impl Reply {
    /// True for the replies that bring the open vault's accounts (the window then shows them).
    fn carries_accounts(&self) -> bool {
        matches!(
            self,
            Reply::Accounts(Ok(_), _)
                | Reply::Hotp(_, Ok(_))
                | Reply::Imported(Ok(_))
                | Reply::ForeignImported(Ok(_))
                | Reply::Refreshed(Ok(Some(_)))
        )
    }

    /// True for the one reply that answers a job or a scan, or ends a camera; false for those
    /// that come between (frames, codes the camera saw, a disk warning).
    pub(crate) fn ends_a_job(&self) -> bool {
        !matches!(
            self,
            Reply::Frame(_) | Reply::CameraCodes(_) | Reply::Unflushed(_)
        )
    }
}

/// Which action an [`Reply::Accounts`] answers, so the UI knows where to go next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    Created,
    Unlocked,
    Added,
    Renamed,
    Removed,
    Moved,
    PinChanged,
}

/// Sends replies and wakes the UI thread.
#[derive(Clone)]
pub(crate) struct Outbox {
    pub(crate) replies: Sender<Reply>,
    pub(crate) wake: Arc<dyn Fn() + Send + Sync>,
}

impl Outbox {
    pub(crate) fn send(&self, reply: Reply) {
        // The UI is gone when this fails; the worker simply stops being useful.
        if self.replies.send(reply).is_ok() {
            (self.wake)();
        }
    }
}

/// Starts the worker thread; it ends when the job sender is dropped.
pub(crate) fn spawn(
    dir: PathBuf,
    cost: KdfCost,
    jobs: Receiver<Job>,
    lock_now: LockNow,
    out: Outbox,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("pocketpass-worker".into())
        .spawn(move || {
            let mut vault: Option<Vault> = None;
            // Another app's file read for the preview: its keys go when the vault closes.
            let mut foreign: Option<ImportFile> = None;
            // The vault's generation when the UI was last sent its accounts: a change re-reads
            // the file before it fails, say, and the UI must then be sent the list it missed.
            let mut shown: Option<u64> = None;
            for job in jobs {
                if lock_now.swap(false, Ordering::SeqCst) {
                    vault = None;
                    foreign = None;
                }
                let reply = run(&dir, cost, &mut vault, &mut foreign, shown, job);
                if reply.carries_accounts() {
                    shown = vault.as_ref().map(Vault::generation);
                }
                out.send(reply);
                if let Some(warning) = vault.as_mut().and_then(Vault::take_warning) {
                    out.send(Reply::Unflushed(warning));
                }
            }
        })
        .map(|_| ())
}

fn not_open(dir: &std::path::Path) -> VaultError {
    vault::missing(dir)
}

/// Carries out one job on the open vault (`shown`: the generation of the accounts the UI was
/// last sent, for [`Job::Refresh`]).
fn run(
    dir: &std::path::Path,
    cost: KdfCost,
    open: &mut Option<Vault>,
    foreign: &mut Option<ImportFile>,
    shown: Option<u64>,
    job: Job,
) -> Reply {
    let accounts = |v: &Vault| v.accounts().to_vec();
    match job {
        Job::Probe => Reply::Probed {
            exists: vault::exists(dir),
            wiped: dir.join(vault::WIPED_FILE).exists(),
            failed: Vault::failed_attempts(dir).unwrap_or(0),
        },
        Job::Create { pin, accounts: new } => {
            let result = Vault::create_with_cost(dir, &pin, cost).and_then(|mut v| {
                v.merge(new)?;
                let list = accounts(&v);
                *open = Some(v);
                Ok(list)
            });
            Reply::Accounts(result, Done::Created)
        }
        Job::Unlock(pin) => {
            // Close first: the keys of a vault being replaced are not kept meanwhile.
            *open = None;
            let result = Vault::unlock_with_cost(dir, &pin, cost).map(|v| {
                let list = accounts(&v);
                *open = Some(v);
                list
            });
            Reply::Accounts(result, Done::Unlocked)
        }
        Job::Add(new) => Reply::Accounts(
            with(dir, open, |v| v.merge(new).map(|_| accounts(v))),
            Done::Added,
        ),
        Job::Rename(name, new_name) => Reply::Accounts(
            with(dir, open, |v| {
                v.rename(&name, &new_name).map(|_| accounts(v))
            }),
            Done::Renamed,
        ),
        Job::Remove(name) => Reply::Accounts(
            with(dir, open, |v| v.remove(&name).map(|_| accounts(v))),
            Done::Removed,
        ),
        Job::Move(name, to) => Reply::Accounts(
            with(dir, open, |v| {
                let from = v.find(&name)?;
                v.move_account(from, to).map(|_| accounts(v))
            }),
            Done::Moved,
        ),
        Job::NextHotp(name, now) => {
            let mut at = 0;
            let result = with(dir, open, |v| {
                let code = v.code(v.find(&name)?, now)?;
                at = v.find(&name)?;
                Ok((code, accounts(v)))
            });
            Reply::Hotp(at, result)
        }
        Job::ChangePin(pin) => Reply::Accounts(
            with(dir, open, |v| v.change_pin(&pin).map(|_| accounts(v))),
            Done::PinChanged,
        ),
        // Exports read the file again first: a key added in a terminal a moment ago goes too.
        Job::Export(file, password) => Reply::Exported(with(dir, open, |v| {
            v.refresh()?;
            v.export(&file, &password)
        })),
        Job::Import(file, password) => Reply::Imported(with(dir, open, |v| {
            v.import(&file, &password).map(|r| (r, accounts(v)))
        })),
        Job::ReadForeign(file, password) => {
            transfer::read(dir, open.as_ref(), foreign, &file, password)
        }
        Job::ImportForeign(chosen) => transfer::import(dir, open.as_mut(), foreign.take(), &chosen),
        Job::ExportFor(request) => {
            // As for a backup; should the re-read fail, the next tick tells the window why.
            if let Some(v) = open.as_mut() {
                let _ = v.refresh();
            }
            transfer::export(dir, open.as_ref(), request)
        }
        Job::Refresh => Reply::Refreshed(refresh(open.as_mut(), shown)),
        Job::Lock => {
            *open = None;
            *foreign = None;
            Reply::Locked
        }
    }
}

/// What [`Job::Refresh`] answers: the accounts when they are not the ones the UI was last sent
/// (generation `shown`), whether another process changed the file or a change here re-read it.
fn refresh(
    open: Option<&mut Vault>,
    shown: Option<u64>,
) -> Result<Option<Vec<Account>>, VaultError> {
    match open {
        None => Ok(None),
        Some(v) => {
            v.refresh()?;
            Ok((Some(v.generation()) != shown).then(|| v.accounts().to_vec()))
        }
    }
}

/// Runs `f` on the open vault; an error when none is open.
fn with<T>(
    dir: &std::path::Path,
    open: &mut Option<Vault>,
    f: impl FnOnce(&mut Vault) -> Result<T, VaultError>,
) -> Result<T, VaultError> {
    match open.as_mut() {
        Some(v) => f(v),
        None => Err(not_open(dir)),
    }
}

/// Reads the QR codes `source` shows (an image file, the screen) on a thread of its own and
/// replies [`Reply::Scanned`]. Decoding can take seconds on a large image: it must hold up
/// neither the UI nor the vault's worker, whose next job may be the lock.
pub(crate) fn spawn_scan(source: scan::Source, out: Outbox) {
    let source_of_failure = source.clone();
    let spawned = std::thread::Builder::new()
        .name("pocketpass-scan".into())
        .spawn({
            let out = out.clone();
            move || out.send(Reply::Scanned(scan::read_texts(&source)))
        });
    if let Err(e) = spawned {
        let error = match source_of_failure {
            scan::Source::File(path) => SourceError::Io { path, source: e },
            _ => SourceError::Screen(format!("cannot start a thread to read it: {e}")),
        };
        out.send(Reply::Scanned(Err(error)));
    }
}

/// Shows the desktop's file dialog for `request` (through the portal on `bus`) on a thread of
/// its own, and replies [`Reply::Chosen`] when the user has chosen, which may take minutes:
/// neither the UI nor the vault's worker waits for it.
pub(crate) fn spawn_choose(asked: u64, request: FileRequest, bus: file_chooser::Bus, out: Outbox) {
    let spawned = std::thread::Builder::new()
        .name("pocketpass-file-dialog".into())
        .spawn({
            let out = out.clone();
            move || out.send(Reply::Chosen(asked, file_chooser::choose(&request, &bus)))
        });
    if let Err(e) = spawned {
        let failed = ChooserError::Failed(format!("cannot start a thread to ask it: {e}"));
        out.send(Reply::Chosen(asked, Err(failed)));
    }
}

/// Measures this device's clock against `source` on a thread of its own (never the UI's, and
/// not the vault's worker, which a slow network must not hold up); replies
/// [`Reply::ClockMeasured`] within about [`clock::TIMEOUT`].
pub(crate) fn spawn_clock(source: clock::Source, out: Outbox) {
    let spawned = std::thread::Builder::new()
        .name("pocketpass-clock".into())
        .spawn({
            let out = out.clone();
            let source = source.clone();
            move || {
                let result = source.measure(clock::TIMEOUT).map(|m| m.offset_seconds);
                out.send(Reply::ClockMeasured(source, result));
            }
        });
    if let Err(e) = spawned {
        let error = clock::ClockError::Unreachable {
            from: source.to_string(),
            seconds: 0,
            reason: format!("cannot start a thread to ask it: {e}"),
        };
        out.send(Reply::ClockMeasured(source, Err(error)));
    }
}

/// Reads the camera until `stop` is set or the camera ends, previewing every frame and
/// reporting every QR code it reads (the UI decides whether it is a key).
pub(crate) fn spawn_camera(open: OpenCamera, stop: Arc<AtomicBool>, out: Outbox) {
    let spawned = std::thread::Builder::new()
        .name("pocketpass-camera".into())
        .spawn({
            let out = out.clone();
            move || {
                let ended = match open() {
                    Ok(mut source) => read_camera(&mut *source, &stop, &out).err(),
                    Err(e) => Some(e),
                };
                out.send(Reply::CameraEnded(ended));
            }
        });
    if let Err(e) = spawned {
        out.send(Reply::CameraEnded(Some(SourceError::Camera(e.to_string()))));
    }
}

fn read_camera(
    source: &mut dyn FrameSource,
    stop: &AtomicBool,
    out: &Outbox,
) -> Result<(), SourceError> {
    let mut scanner = Scanner::new();
    let mut last: Vec<String> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let Some(frame) = source.next_frame()? else {
            return Ok(());
        };
        out.send(Reply::Frame(preview(&frame)));
        let texts: Vec<String> = scanner
            .scan(&frame)
            .into_iter()
            .filter_map(|c| c.text)
            .collect();
        // The same code stays in view for many frames; report it once.
        if !texts.is_empty() && texts != last {
            out.send(Reply::CameraCodes(texts.clone()));
            last = texts;
        }
    }
    Ok(())
}

/// A preview of `frame`, at most 480 pixels wide so that copying and showing it stays cheap.
pub(crate) fn preview(frame: &LumaFrame) -> LumaFrame {
    let step = frame.width().div_ceil(480).max(1);
    let (w, h) = (frame.width() / step, frame.height() / step);
    let data = frame.data();
    let small = (0..w * h)
        .map(|i| data[(i / w * step) * frame.width() + i % w * step])
        .collect();
    // Exactly w×h values were made, so `new` accepts them; the fallback only spares this
    // function a panic path.
    LumaFrame::new(w, h, small).unwrap_or_else(|| frame.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::time::Duration;

    const ITERATIONS: u32 = 1_000;
    /// Long enough for any job here on a loaded machine; a timeout means a reply never came.
    const PATIENCE: Duration = Duration::from_secs(60);

    fn worker(dir: &std::path::Path) -> (Sender<Job>, Receiver<Reply>, LockNow, Outbox) {
        let (job_tx, job_rx) = mpsc::channel();
        let (reply_tx, reply_rx) = mpsc::channel();
        let out = Outbox {
            replies: reply_tx,
            wake: Arc::new(|| {}),
        };
        let lock_now = LockNow::default();
        spawn(
            dir.to_owned(),
            KdfCost::insecure_for_tests(ITERATIONS),
            job_rx,
            lock_now.clone(),
            out.clone(),
        )
        .expect("the worker starts");
        (job_tx, reply_rx, lock_now, out)
    }

    fn account() -> Account {
        crate::otp::parse_uri("otpauth://totp/HPC:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
            .expect("a valid key")
    }

    /// Issue 12, item 7: the worker ran scans itself, so the lock queued behind a decode that
    /// could take as long as a crafted image liked, with the vault open all the while. A scan
    /// that never ends (an image "file" that is a pipe nobody writes) must not delay the lock.
    #[test]
    fn locking_does_not_wait_behind_a_scan() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let fifo = dir.path().join("image.png");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo makes the pipe");
        let (jobs, replies, lock_now, out) = worker(dir.path());
        jobs.send(Job::Create {
            pin: Pin::entered("482916"),
            accounts: vec![account()],
        })
        .unwrap();
        match replies.recv_timeout(PATIENCE) {
            Ok(Reply::Accounts(Ok(list), Done::Created)) => assert_eq!(list.len(), 1),
            Ok(_) => panic!("expected the created vault first"),
            Err(e) => panic!("no reply to Create: {e:?}"),
        }

        spawn_scan(scan::Source::File(fifo.clone()), out);
        lock_now.store(true, Ordering::SeqCst);
        jobs.send(Job::Lock).unwrap();
        match replies.recv_timeout(PATIENCE) {
            Ok(Reply::Locked) => {}
            Ok(Reply::Scanned(_)) => panic!("the scan answered first: it was not blocked"),
            Ok(_) => panic!("unexpected reply before Locked"),
            Err(RecvTimeoutError::Timeout) => panic!("the lock waited behind the scan"),
            Err(e) => panic!("{e:?}"),
        }
        // The vault is closed: another opener gets it at once (the worker held its lock).
        let reopened =
            Vault::unlock_insecure_for_tests(dir.path(), &Pin::entered("482916"), ITERATIONS);
        assert!(reopened.is_ok(), "{reopened:?}");

        // Let the scan end: a writer that closes at once gives it an empty "image".
        drop(std::fs::OpenOptions::new().write(true).open(&fifo));
        match replies.recv_timeout(PATIENCE) {
            Ok(Reply::Scanned(Err(SourceError::BadImage { .. }))) => {}
            Ok(Reply::Scanned(other)) => panic!("an empty pipe is no image: {other:?}"),
            Ok(_) => panic!("unexpected reply"),
            Err(e) => panic!("the scan never answered: {e:?}"),
        }
    }

    /// A lock overtakes jobs queued before it: the vault is closed before the next one starts,
    /// so a queued change answers "no vault" instead of running on keys the user locked away.
    #[test]
    fn a_lock_closes_the_vault_before_jobs_queued_ahead_of_it() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (jobs, replies, lock_now, _out) = worker(dir.path());
        jobs.send(Job::Create {
            pin: Pin::entered("482916"),
            accounts: Vec::new(),
        })
        .unwrap();
        assert!(matches!(
            replies.recv_timeout(PATIENCE),
            Ok(Reply::Accounts(Ok(_), Done::Created))
        ));
        lock_now.store(true, Ordering::SeqCst);
        jobs.send(Job::Add(vec![account()])).unwrap();
        jobs.send(Job::Lock).unwrap();
        match replies.recv_timeout(PATIENCE) {
            Ok(Reply::Accounts(Err(VaultError::NotFound(_)), Done::Added)) => {}
            Ok(Reply::Accounts(result, done)) => panic!("{done:?}: {:?}", result.map(|l| l.len())),
            Ok(_) => panic!("unexpected reply"),
            Err(e) => panic!("{e:?}"),
        }
        assert!(matches!(replies.recv_timeout(PATIENCE), Ok(Reply::Locked)));
        let vault =
            Vault::unlock_insecure_for_tests(dir.path(), &Pin::entered("482916"), ITERATIONS)
                .expect("the vault opens");
        assert!(vault.accounts().is_empty(), "the queued Add did not run");
    }
}
