//! The portal under test: its real binary on a random loopback port, with a fresh SQLite file
//! and the test API (SMS outbox, clock offset).

use anyhow::{bail, ensure, Context, Result};
use serde_json::json;
use tempfile::TempDir;

use crate::process::{http, json_of, Proc};

/// The demo user every portal starts with.
pub const USER: &str = "demo";
/// The demo user's password.
pub const PASSWORD: &str = "pocketpass-demo";

/// A running `pocketpass-portal --test-api` on its own database; stopped on drop.
pub struct Portal {
    proc: Proc,
    _dir: TempDir,
}

impl Portal {
    /// Starts the portal binary on `127.0.0.1:0` with a new database in a temporary folder.
    pub fn start() -> Result<Portal> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("portal.sqlite3");
        let db = db.to_str().context("a UTF-8 temporary path")?;
        let proc = Proc::start(&["--listen", "127.0.0.1:0", "--db", db, "--test-api"]);
        ensure!(
            proc.header.iter().any(|l| l.contains("/_test/sms")),
            "the portal did not announce its test API: {:?}",
            proc.header
        );
        Ok(Portal { proc, _dir: dir })
    }

    /// The portal's address, e.g. `http://127.0.0.1:41234`.
    pub fn base(&self) -> String {
        format!("http://{}", self.proc.addr)
    }

    /// The code of the latest simulated SMS to `username`, from the test API's outbox.
    pub fn latest_sms_code(&self, username: &str) -> Result<String> {
        let (status, _, body) = http(
            self.proc.addr,
            "GET",
            &format!("/_test/sms?username={username}"),
            None,
            None,
        )?;
        ensure!(status == 200, "GET /_test/sms answered {status}");
        let outbox = json_of(&body);
        let Some(code) = outbox
            .as_array()
            .and_then(|sms| sms.last())
            .and_then(|sms| sms["code"].as_str())
        else {
            bail!("no SMS to {username} in the outbox");
        };
        Ok(code.to_owned())
    }

    /// Moves the portal's clock `seconds` away from the system clock (replacing any offset).
    pub fn set_clock_offset(&self, seconds: i64) -> Result<()> {
        let (status, _, body) = http(
            self.proc.addr,
            "POST",
            "/_test/clock",
            Some(&json!({ "offset_seconds": seconds })),
            None,
        )?;
        ensure!(status == 200, "POST /_test/clock answered {status}: {body}");
        Ok(())
    }
}
