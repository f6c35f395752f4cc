//! `scripts/demo.sh` (issue 15): it starts the portal with its test API on a free port, says
//! where, and Ctrl-C (SIGINT) stops it with every process it started.
//!
//! The window and the browser are left out (`--no-window --no-browser`): this tests the script's
//! start and stop, and the binaries the test run built (`--no-build`).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process::http;

/// The processes of session `sid`, i.e. everything the script started (it runs in a session of
/// its own, and only xdg-open, left out here, leaves it).
fn session_members(sid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp session ...: comm may hold spaces, so split after ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(3) == Some(&sid.to_string().as_str()) && fields[0] != "Z" {
            found.push(format!("{head})"));
        }
    }
    found
}

#[test]
fn the_demo_script_serves_the_portal_and_ctrl_c_stops_everything_it_started() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    // setsid(1) runs the script in a session of its own (it does not fork: the test's child is
    // no process group leader), as a terminal's shell would: its pid is its session's id. env
    // restores SIGINT's default action, which a shell cannot trap when it starts ignored (as
    // it does under a non-interactive shell's `&`, wherever this test runs from).
    let mut script = Command::new("setsid");
    script
        .args(["env", "--default-signal=INT"])
        .arg(format!("{root}/scripts/demo.sh"))
        .args(["--no-build", "--no-window", "--no-browser"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = script.spawn().expect("scripts/demo.sh starts");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let url = loop {
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(e) => panic!("no portal URL from demo.sh ({e}); it printed {seen:#?}"),
        };
        if let Some(rest) = line.trim_start().strip_prefix("portal:") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        seen.push(line);
    };
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (status, _, _) = http(addr, "GET", "/_test/sms", None, None).unwrap();
    assert_eq!(status, 200, "the demo's portal has its test API");
    assert!(
        !session_members(pid).is_empty(),
        "demo.sh runs in a session of its own"
    );

    // Ctrl-C in a terminal sends SIGINT to the foreground process group: the script's.
    let sent = Command::new("kill")
        .args(["-INT", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "demo.sh did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130), "{status:?}");
    // Its children are stopped, not orphaned: nothing of its session is left, and the port is
    // closed.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !session_members(pid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(session_members(pid), Vec::<String>::new());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}
