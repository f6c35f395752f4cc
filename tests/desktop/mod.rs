//! A headless Wayland desktop for tests, made of Debian's real programs: the sway compositor
//! (headless, software-rendered), a private D-Bus session bus, PipeWire, and the XDG desktop
//! portal with its wlroots and GTK backends. Shared by the screen test (`scan_wayland.rs`) and
//! the window's Wayland and file-dialog tests (`wayland.rs`).
//!
//! Every program comes from a Debian package that scripts/install-deps.sh installs; a missing
//! one fails the test with the package's name rather than skipping it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Debian package and the program it must provide; fails the test when it is missing.
pub fn need(program: &str, package: &str) -> PathBuf {
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
pub struct Spawned {
    pub name: &'static str,
    pub child: Child,
}

impl Spawned {
    pub fn start(name: &'static str, mut command: Command) -> Spawned {
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
pub struct Stack {
    pub spawned: Vec<Spawned>,
    pub dir: tempfile::TempDir,
}

impl Stack {
    pub fn new() -> Stack {
        Stack {
            spawned: Vec::new(),
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The last lines each program wrote to its log, for failure messages.
    pub fn logs(&self) -> String {
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
    pub fn command(&self, name: &str, program: &Path, env: &[(&str, String)]) -> Command {
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
    pub fn dbus(&mut self, args: &[&str]) -> String {
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
    pub fn envs_into(&self, command: &mut Command) {
        for (k, v) in self.desktop_env() {
            command.env(k, v);
        }
    }

    pub fn desktop_env(&self) -> Vec<(&'static str, String)> {
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
pub fn wayland_display(runtime: &Path) -> Option<String> {
    std::fs::read_dir(runtime).ok()?.find_map(|entry| {
        let name = entry.ok()?.file_name().into_string().ok()?;
        (name.starts_with("wayland-") && !name.ends_with(".lock")).then_some(name)
    })
}

/// Polls `ready` every 50 ms until it holds; fails with `what` and the logs after `limit`.
pub fn wait_for(stack: &Stack, what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
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

pub fn name_has_owner(connection: &zbus::blocking::Connection, name: &str) -> bool {
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

pub fn connect(address: &str) -> zbus::blocking::Connection {
    zbus::blocking::connection::Builder::address(address)
        .and_then(|b| b.build())
        .expect("a connection to the test's bus")
}

/// sway 1.7 refuses to run as root ("Unable to drop root"), and CI runs as root: the
/// compositor then runs as `nobody`, owning its runtime directory; everything else stays root,
/// which may use the compositor's socket all the same.
pub fn as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
pub const NOBODY: u32 = 65534;

/// A private session bus that can start nothing: no service files, so no portal can be
/// activated behind the test's back. (`dbus-daemon --session` would read the system's service
/// files, and the portal would then start the document portal, which mounts a FUSE file
/// system in the runtime directory.)
pub fn bare_bus(stack: &mut Stack) -> String {
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

/// Starts the compositor, headless and software-rendered, with `config` added to its
/// configuration (XWayland is off: this is a Wayland-only desktop); `readable` are files of
/// the test's that the compositor (as `nobody` under root) must read. Returns once its socket
/// exists.
pub fn start_sway(stack: &mut Stack, config: &str, readable: &[&Path]) {
    let sway = need("sway", "sway");
    need("swaybg", "swaybg");
    let runtime = stack.path("runtime");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::create_dir(stack.path("home")).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let config_path = stack.path("sway.conf");
    std::fs::write(&config_path, format!("xwayland disable\n{config}")).unwrap();

    let mut env = stack.desktop_env();
    env.extend([
        ("WLR_BACKENDS", "headless".to_owned()),
        ("WLR_RENDERER", "pixman".to_owned()),
        ("WLR_LIBINPUT_NO_DEVICES", "1".to_owned()),
    ]);
    let mut command = stack.command("sway", &sway, &env);
    command.arg("-c").arg(&config_path);
    if as_root() {
        // The compositor (and swaybg, which it starts) must read these as nobody.
        let mut paths: Vec<&Path> = vec![stack.dir.path(), &runtime, &config_path];
        paths.extend_from_slice(readable);
        for p in paths {
            std::os::unix::fs::chown(p, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        command.uid(NOBODY).gid(NOBODY);
    }
    stack.spawned.push(Spawned::start("sway", command));
    wait_for(
        stack,
        "sway made its socket",
        Duration::from_secs(20),
        || wayland_display(&runtime).is_some(),
    );
}

/// Starts a private session bus that starts nothing by itself (see [`bare_bus`]), then the
/// portal's parts, each started here so that its log is kept; returns the bus's address.
/// xdg-desktop-portal-wlr needs PipeWire to start at all (for screen casting); xdg-desktop-portal
/// 1.16 offers Screenshot only when some backend implements Access, which the GTK backend does,
/// and the GTK backend also serves the FileChooser; the portal needs the permission store.
pub fn start_portal(stack: &mut Stack) -> String {
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
    let runtime = stack.path("runtime");
    let address = bare_bus(stack);
    let bus = connect(&address);
    let mut env = stack.desktop_env();
    env.push(("DBUS_SESSION_BUS_ADDRESS", address.clone()));
    let command = stack.command("pipewire", &pipewire, &env);
    stack.spawned.push(Spawned::start("pipewire", command));
    wait_for(
        stack,
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
            stack,
            &format!("{name} took {bus_name} on the bus"),
            Duration::from_secs(20),
            || name_has_owner(&bus, bus_name),
        );
    }
    address
}
