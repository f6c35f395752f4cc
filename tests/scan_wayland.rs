//! "Scan my screen" on Wayland, against a real desktop stack: a headless sway compositor shows
//! the portal's QR code as its wallpaper, and the real xdg-desktop-portal (with the wlroots
//! backend, which takes the picture with grim) answers the Screenshot call on a private D-Bus
//! session bus. Nothing is mocked; no X server is involved, so this runs the same under
//! scripts/test.sh's xvfb-run.
//!
//! Every program comes from a Debian package that scripts/install-deps.sh installs; a missing
//! one fails the test with the package's name rather than skipping it.
#![cfg(target_os = "linux")]

use pocketpass::scan::screen::{scan_screens_in, Session};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod scan_render;
use scan_render::{upright, Modules};

const KEY_URI: &str =
    "otpauth://totp/HPC%20Centre:alice?secret=JBSWY3DPEHPK3PXP&issuer=HPC%20Centre";

/// The Debian package and the program it must provide; fails the test when it is missing.
fn need(program: &str, package: &str) -> PathBuf {
    let found = if program.starts_with('/') {
        Some(PathBuf::from(program)).filter(|p| p.exists())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|p| p.exists())
        })
    };
    found.unwrap_or_else(|| {
        panic!(
            "{program} is missing: install the Debian package {package} \
             (scripts/install-deps.sh installs every package the tests need)"
        )
    })
}

/// A program this test started, in its own process group; the whole group (the program and
/// whatever it started, such as swaybg or grim) is stopped when this is dropped, even when an
/// assertion failed.
struct Spawned {
    name: &'static str,
    child: Child,
}

impl Spawned {
    fn start(name: &'static str, mut command: Command) -> Spawned {
        command.process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Spawned { name, child }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let group = -(self.child.id() as libc::pid_t);
        // SAFETY: kill(2) with a negative pid signals the process group this test created for
        // the child; no memory is involved.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above; SIGKILL for whatever ignored SIGTERM.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// Every program of one test's desktop, stopped in reverse order of starting, then its
/// directory removed.
struct Stack {
    spawned: Vec<Spawned>,
    dir: tempfile::TempDir,
}

impl Stack {
    fn new() -> Stack {
        Stack {
            spawned: Vec::new(),
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The last lines each program wrote to its log, for failure messages.
    fn logs(&self) -> String {
        let mut out = String::new();
        for s in &self.spawned {
            let text =
                std::fs::read_to_string(self.path(&format!("{}.log", s.name))).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(15)..];
            out.push_str(&format!("--- {} ---\n{}\n", s.name, tail.join("\n")));
        }
        out
    }

    /// A command with an empty environment but for `env`, its output to `<name>.log`.
    fn command(&self, name: &str, program: &Path, env: &[(&str, String)]) -> Command {
        let mut command = Command::new(program);
        command.env_clear();
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let log = std::fs::File::create(self.path(&format!("{name}.log"))).expect("a log file");
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log);
        command
    }

    /// Starts a private D-Bus bus with `config` and returns its address.
    fn dbus(&mut self, args: &[&str]) -> String {
        let dbus = need("dbus-daemon", "dbus-daemon");
        let mut command = Command::new(dbus);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .args(args)
            .args(["--print-address", "--nofork"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        self.envs_into(&mut command);
        let mut spawned = Spawned::start("dbus-daemon", command);
        let stdout = spawned.child.stdout.take().expect("dbus-daemon's output");
        self.spawned.push(spawned);
        let mut address = String::new();
        BufReader::new(stdout)
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        address
    }

    /// The environment of the desktop (empty until the compositor runs).
    fn envs_into(&self, command: &mut Command) {
        for (k, v) in self.desktop_env() {
            command.env(k, v);
        }
    }

    fn desktop_env(&self) -> Vec<(&'static str, String)> {
        let home = self.path("home");
        let runtime = self.path("runtime");
        let mut env = vec![
            ("PATH", "/usr/bin:/bin".to_owned()),
            ("HOME", home.display().to_string()),
            ("XDG_DATA_HOME", home.join("data").display().to_string()),
            ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
            ("XDG_CACHE_HOME", home.join("cache").display().to_string()),
            ("XDG_RUNTIME_DIR", runtime.display().to_string()),
            ("XDG_CURRENT_DESKTOP", "sway".to_owned()),
            ("XDG_SESSION_TYPE", "wayland".to_owned()),
            // The GTK backend on the compositor, without the accessibility bus or dconf,
            // which this bus cannot start.
            ("GDK_BACKEND", "wayland".to_owned()),
            ("NO_AT_BRIDGE", "1".to_owned()),
            ("GSETTINGS_BACKEND", "memory".to_owned()),
        ];
        if let Some(display) = wayland_display(&runtime) {
            env.push(("WAYLAND_DISPLAY", display));
        }
        env
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        while let Some(spawned) = self.spawned.pop() {
            drop(spawned);
        }
    }
}

/// The name of the Wayland socket the compositor made in `runtime`, once it exists.
fn wayland_display(runtime: &Path) -> Option<String> {
    std::fs::read_dir(runtime).ok()?.find_map(|entry| {
        let name = entry.ok()?.file_name().into_string().ok()?;
        (name.starts_with("wayland-") && !name.ends_with(".lock")).then_some(name)
    })
}

/// Polls `ready` every 50 ms until it holds; fails with `what` and the logs after `limit`.
fn wait_for(stack: &Stack, what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < limit,
            "{what} within {limit:?}\n{}",
            stack.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn name_has_owner(connection: &zbus::blocking::Connection, name: &str) -> bool {
    let reply = connection.call_method(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        Some("org.freedesktop.DBus"),
        "NameHasOwner",
        &(name,),
    );
    reply
        .ok()
        .and_then(|m| m.body().deserialize::<bool>().ok())
        .unwrap_or(false)
}

fn connect(address: &str) -> zbus::blocking::Connection {
    zbus::blocking::connection::Builder::address(address)
        .and_then(|b| b.build())
        .expect("a connection to the test's bus")
}

/// The QR code of `KEY_URI` as a PNG with a white margin, for the compositor's wallpaper.
fn write_qr_png(path: &Path) {
    let (side, luma) = upright(&Modules::text(KEY_URI), 6);
    image::GrayImage::from_raw(side as u32, side as u32, luma)
        .expect("a whole image")
        .save(path)
        .expect("the QR code saved as PNG");
}

/// sway 1.7 refuses to run as root ("Unable to drop root"), and CI runs as root: the
/// compositor then runs as `nobody`, owning its runtime directory; everything else stays root,
/// which may use the compositor's socket all the same.
fn as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
const NOBODY: u32 = 65534;

#[test]
fn the_desktop_portal_screenshot_on_sway_shows_the_qr_code() {
    let started = Instant::now();
    let sway = need("sway", "sway");
    need("swaybg", "swaybg");
    let grim = need("grim", "grim");
    let pipewire = need("pipewire", "pipewire-bin");
    let portal = need("/usr/libexec/xdg-desktop-portal", "xdg-desktop-portal");
    let wlr = need(
        "/usr/libexec/xdg-desktop-portal-wlr",
        "xdg-desktop-portal-wlr",
    );
    let gtk = need(
        "/usr/libexec/xdg-desktop-portal-gtk",
        "xdg-desktop-portal-gtk",
    );
    let store = need("/usr/libexec/xdg-permission-store", "xdg-desktop-portal");

    let mut stack = Stack::new();
    let runtime = stack.path("runtime");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::create_dir(stack.path("home")).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let qr = stack.path("qr.png");
    write_qr_png(&qr);
    let config = stack.path("sway.conf");
    std::fs::write(
        &config,
        format!(
            "xwayland disable\noutput * bg {} center #ffffff\n",
            qr.display()
        ),
    )
    .unwrap();

    // The compositor, headless and software-rendered.
    let mut env = stack.desktop_env();
    env.extend([
        ("WLR_BACKENDS", "headless".to_owned()),
        ("WLR_RENDERER", "pixman".to_owned()),
        ("WLR_LIBINPUT_NO_DEVICES", "1".to_owned()),
    ]);
    let mut command = stack.command("sway", &sway, &env);
    command.arg("-c").arg(&config);
    if as_root() {
        // The compositor (and swaybg, which it starts) must read these as nobody.
        for p in [stack.dir.path(), &runtime, &qr, &config] {
            std::os::unix::fs::chown(p, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        command.uid(NOBODY).gid(NOBODY);
    }
    stack.spawned.push(Spawned::start("sway", command));
    wait_for(
        &stack,
        "sway made its socket",
        Duration::from_secs(20),
        || wayland_display(&runtime).is_some(),
    );

    // The wallpaper is drawn by swaybg a moment after the compositor starts: wait until a
    // plain grim screenshot (outside the code under test) shows the code.
    let env = stack.desktop_env();
    wait_for(
        &stack,
        "the QR code appeared on sway's screen",
        Duration::from_secs(20),
        || {
            let shot = Command::new(&grim)
                .env_clear()
                .envs(env.iter().map(|(k, v)| (k, v)))
                .arg("-")
                .output();
            let Ok(shot) = shot else { return false };
            pocketpass::scan::load_image_bytes(&shot.stdout)
                .map(|frame| !pocketpass::scan::decode(&frame).is_empty())
                .unwrap_or(false)
        },
    );

    // A private session bus that starts nothing by itself (see `bare_bus`), then the portal's
    // parts, each started here so that its log is kept. xdg-desktop-portal-wlr needs PipeWire
    // to start at all (for screen casting); xdg-desktop-portal 1.16 offers Screenshot only when
    // some backend implements Access, which the GTK backend does; it also needs the
    // permission store.
    let address = bare_bus(&mut stack);
    let bus = connect(&address);
    let mut env = stack.desktop_env();
    env.push(("DBUS_SESSION_BUS_ADDRESS", address.clone()));
    let command = stack.command("pipewire", &pipewire, &env);
    stack.spawned.push(Spawned::start("pipewire", command));
    wait_for(
        &stack,
        "pipewire made its socket",
        Duration::from_secs(20),
        || runtime.join("pipewire-0").exists(),
    );
    for (name, program, bus_name) in [
        (
            "xdg-permission-store",
            &store,
            "org.freedesktop.impl.portal.PermissionStore",
        ),
        (
            "xdg-desktop-portal-wlr",
            &wlr,
            "org.freedesktop.impl.portal.desktop.wlr",
        ),
        (
            "xdg-desktop-portal-gtk",
            &gtk,
            "org.freedesktop.impl.portal.desktop.gtk",
        ),
        (
            "xdg-desktop-portal",
            &portal,
            "org.freedesktop.portal.Desktop",
        ),
    ] {
        let command = stack.command(name, program, &env);
        stack.spawned.push(Spawned::start(name, command));
        wait_for(
            &stack,
            &format!("{name} took {bus_name} on the bus"),
            Duration::from_secs(20),
            || name_has_owner(&bus, bus_name),
        );
    }

    // Overhear the portal's answer to learn which file it wrote. The portal sends it to the
    // caller alone, so a second connection becomes a bus monitor to see it.
    let monitor = connect(&address);
    monitor
        .call_method(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus.Monitoring"),
            "BecomeMonitor",
            &(
                &["type='signal',interface='org.freedesktop.portal.Request',member='Response'"][..],
                0u32,
            ),
        )
        .expect("the test's bus lets a connection monitor it");
    let responses = zbus::blocking::MessageIterator::from(monitor);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for message in responses.flatten() {
            let body = message
                .body()
                .deserialize::<(u32, HashMap<String, zbus::zvariant::OwnedValue>)>();
            if let Ok((code, results)) = body {
                let uri = results
                    .get("uri")
                    .and_then(|v| String::try_from(v.clone()).ok());
                if tx.send((code, uri)).is_err() {
                    break;
                }
            }
        }
    });

    let ready = started.elapsed();
    let session = Session {
        x_display: None,
        wayland: true,
        bus_address: Some(address.clone()),
        portal_timeout: Duration::from_secs(30),
    };
    let asked = Instant::now();
    let texts = scan_screens_in(&session);
    let took = asked.elapsed();
    let texts = texts.unwrap_or_else(|e| panic!("{e}\n{}", stack.logs()));
    assert_eq!(texts, vec![KEY_URI.to_owned()]);

    let (code, uri) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the portal's Response was overheard");
    assert_eq!(code, 0);
    let uri = uri.expect("the portal's answer names a file");
    let path = uri.strip_prefix("file://").expect("a file:// URI");
    assert!(
        !Path::new(path).exists(),
        "the portal's screenshot {path} must be deleted once read"
    );
    eprintln!(
        "stack ready in {:.1} s; portal screenshot read in {:.2} s",
        ready.as_secs_f64(),
        took.as_secs_f64()
    );
}

/// A private session bus that can start nothing: no service files, so no portal can be
/// activated behind the test's back. (`dbus-daemon --session` would read the system's service
/// files, and the portal would then start the document portal, which mounts a FUSE file
/// system in the runtime directory.)
fn bare_bus(stack: &mut Stack) -> String {
    let config = stack.path("bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            stack.dir.path().display()
        ),
    )
    .unwrap();
    let arg = format!("--config-file={}", config.display());
    stack.dbus(&[arg.as_str()])
}

#[test]
fn a_session_bus_without_a_portal_is_a_clear_error_at_once() {
    let mut stack = Stack::new();
    let address = bare_bus(&mut stack);
    let session = Session {
        x_display: None,
        wayland: true,
        bus_address: Some(address),
        portal_timeout: Duration::from_secs(30),
    };
    let err = scan_screens_in(&session).unwrap_err().to_string();
    // Known from the bus's answer at once, not by waiting out the timeout.
    assert!(!err.contains("did not answer within"), "{err}");
    assert!(err.contains("the desktop portal is not available"), "{err}");
    assert!(err.contains("ServiceUnknown"), "{err}");
    assert!(err.contains("no X display to fall back on"), "{err}");
    assert!(err.contains("open it instead"), "{err}");

    // With an X display named, the X11 route is tried too, and the error names both.
    let session = Session {
        x_display: Some(":9731".to_owned()),
        ..session
    };
    let err = scan_screens_in(&session).unwrap_err().to_string();
    assert!(
        err.contains("the desktop portal is not available") && err.contains("X display failed"),
        "{err}"
    );
}

#[test]
fn no_session_bus_is_a_clear_error() {
    let stack = Stack::new();
    let session = Session {
        x_display: None,
        wayland: true,
        bus_address: Some(format!("unix:path={}", stack.path("no-bus").display())),
        portal_timeout: Duration::from_secs(30),
    };
    let err = scan_screens_in(&session).unwrap_err().to_string();
    assert!(err.contains("no D-Bus session bus"), "{err}");
    assert!(err.contains("open it instead"), "{err}");
}
