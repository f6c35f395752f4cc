//! The desktop's screens as a source of QR codes: desktop users enrol on the machine that shows
//! the portal's code.
//!
//! Two routes, chosen by the session the program runs in ([`Session`]):
//!
//! - X11: the root window, which spans every monitor, is read with one `GetImage` request
//!   through x11rb's pure-Rust connection: no C libraries, no D-Bus round trip.
//! - Wayland (`WAYLAND_DISPLAY` set, or `XDG_SESSION_TYPE=wayland`): the XDG desktop portal's
//!   Screenshot call over D-Bus (module `portal`). Wayland lets no client read another's
//!   pixels, and XWayland's root window shows native Wayland windows (the browser with the QR
//!   code, on GNOME and KDE) as black, so the portal comes first. The portal writes its picture
//!   to a file, which may show the secret key: it is read and deleted at once, but it did exist
//!   on disk, unencrypted, for that moment. When there is no portal to ask (no session bus, no
//!   portal service, or one without screenshots) and an X display exists, the X11 route is
//!   tried instead; the error names both attempts.
//!
//! Every error ends by telling the user to open a saved image instead.

mod xdg_portal;
pub use xdg_portal::{file_uri_path, is_absent as portal_absent};

use super::source::{FrameSource, SourceError};
use super::{decode, LumaFrame};
use std::ffi::OsString;
use std::time::Duration;

/// How long to wait for the desktop portal's answer. A desktop may show a dialog first (to
/// confirm, or to pick what to capture), and the user needs time to read it; a portal that is
/// simply absent answers at once, so this only bounds a portal that hangs.
pub const PORTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// The graphical session whose screens are captured: what the environment says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The X display (`DISPLAY`), when there is one.
    pub x_display: Option<String>,
    /// Whether this is a Wayland session, whose screens only the desktop portal may read.
    pub wayland: bool,
    /// The D-Bus session bus address (`DBUS_SESSION_BUS_ADDRESS`); `None` for the default one.
    pub bus_address: Option<String>,
    /// How long to wait for the desktop portal's answer.
    pub portal_timeout: Duration,
}

impl Session {
    /// The session this process runs in, from its environment variables.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// The session the variables `var` returns describe (`from_env` with the process
    /// environment); a function so that the rule can be tested without changing the
    /// environment of the test process.
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Self {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let text = |name: &str| set(name).map(|v| v.to_string_lossy().into_owned());
        Session {
            x_display: text("DISPLAY"),
            wayland: set("WAYLAND_DISPLAY").is_some()
                || text("XDG_SESSION_TYPE").is_some_and(|t| t.eq_ignore_ascii_case("wayland")),
            bus_address: text("DBUS_SESSION_BUS_ADDRESS"),
            portal_timeout: PORTAL_TIMEOUT,
        }
    }
}

/// Captures every screen of the session this process runs in as one luma frame.
pub fn capture() -> Result<LumaFrame, SourceError> {
    capture_in(&Session::from_env())
}

/// Captures every screen of `session` as one luma frame: through the desktop portal on
/// Wayland (X11 when there is no portal), through X11 otherwise.
pub fn capture_in(session: &Session) -> Result<LumaFrame, SourceError> {
    if !session.wayland {
        return match &session.x_display {
            Some(display) => capture_x11(display).map_err(SourceError::Screen),
            None => Err(SourceError::Screen(
                "no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)".to_owned(),
            )),
        };
    }
    match xdg_portal::capture(session.bus_address.as_deref(), session.portal_timeout) {
        Ok(frame) => Ok(frame),
        Err(xdg_portal::PortalError::Failed(e)) => Err(e),
        Err(xdg_portal::PortalError::Unavailable(why)) => match &session.x_display {
            Some(display) => capture_x11(display).map_err(|x11| {
                SourceError::Screen(format!(
                    "the desktop portal is not available: {why}; and the X display failed too: {x11}"
                ))
            }),
            None => Err(SourceError::Screen(format!(
                "the desktop portal is not available: {why}; and this Wayland session has no X display to fall back on"
            ))),
        },
    }
}

/// Captures the whole screen of the X display `display` (all monitors) as one luma frame.
fn capture_x11(display: &str) -> Result<LumaFrame, String> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

    let err = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    let (conn, screen_num) =
        x11rb::connect(Some(display)).map_err(|e| err("cannot connect to the X display", &e))?;
    let screen = &conn.setup().roots[screen_num];
    let (w, h) = (screen.width_in_pixels, screen.height_in_pixels);
    let reply = conn
        .get_image(ImageFormat::Z_PIXMAP, screen.root, 0, 0, w, h, !0)
        .map_err(|e| err("cannot ask for the screen's picture", &e))?
        .reply()
        .map_err(|e| err("the X server refused the screen's picture", &e))?;
    let bpp = conn
        .setup()
        .pixmap_formats
        .iter()
        .find(|f| f.depth == reply.depth)
        .map(|f| f.bits_per_pixel)
        .unwrap_or(32);
    let visual = screen
        .allowed_depths
        .iter()
        .flat_map(|d| d.visuals.iter())
        .find(|v| v.visual_id == reply.visual);
    let (rm, gm, bm) = visual
        .map(|v| (v.red_mask, v.green_mask, v.blue_mask))
        .unwrap_or((0xff0000, 0xff00, 0xff));
    let little = conn.setup().image_byte_order == x11rb::protocol::xproto::ImageOrder::LSB_FIRST;
    let luma = to_luma(
        &reply.data,
        w as usize,
        h as usize,
        bpp,
        (rm, gm, bm),
        little,
    )?;
    LumaFrame::new(w as usize, h as usize, luma)
        .ok_or_else(|| "the screen's picture has the wrong size".to_owned())
}

/// Converts a Z-pixmap of 24 or 32 bits a pixel (rows padded to 32 bits) to luma.
fn to_luma(
    data: &[u8],
    w: usize,
    h: usize,
    bits_per_pixel: u8,
    masks: (u32, u32, u32),
    little_endian: bool,
) -> Result<Vec<u8>, String> {
    let bytes = match bits_per_pixel {
        24 => 3,
        32 => 4,
        other => {
            return Err(format!(
                "a {other}-bit screen is not supported; use 24- or 32-bit colour"
            ))
        }
    };
    let stride = (w * bytes).div_ceil(4) * 4;
    if data.len() < stride * h {
        return Err("the screen's picture arrived incomplete".to_owned());
    }
    let channel = |px: u32, mask: u32| -> u32 {
        if mask == 0 {
            return 0;
        }
        let v = (px & mask) >> mask.trailing_zeros();
        let max = mask >> mask.trailing_zeros();
        v * 255 / max
    };
    let mut out = Vec::with_capacity(w * h);
    for row in data.chunks(stride).take(h) {
        for p in row[..w * bytes].chunks_exact(bytes) {
            let mut b = [0u8; 4];
            b[..bytes].copy_from_slice(p);
            let px = if little_endian {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b) >> (8 * (4 - bytes))
            };
            let (r, g, bl) = (
                channel(px, masks.0),
                channel(px, masks.1),
                channel(px, masks.2),
            );
            out.push(((r * 77 + g * 150 + bl * 29) >> 8) as u8);
        }
    }
    Ok(out)
}

/// The screen as a frame source: every call captures it anew.
#[derive(Debug, Default)]
pub struct ScreenSource;

impl FrameSource for ScreenSource {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, SourceError> {
        capture().map(Some)
    }
}

/// Captures the screen(s) and returns the texts of every QR code on them. This is what
/// `pocketpass add --screen` and the app's "Scan screen" call (through [`super::read_texts`]).
pub fn scan_screens() -> Result<Vec<String>, SourceError> {
    scan_screens_in(&Session::from_env())
}

/// [`scan_screens`] for a given session rather than the one of this process.
pub fn scan_screens_in(session: &Session) -> Result<Vec<String>, SourceError> {
    let frame = capture_in(session)?;
    Ok(decode(&frame).into_iter().filter_map(|c| c.text).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(vars: &[(&str, &str)]) -> Session {
        Session::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn the_session_type_comes_from_the_environment() {
        let x11 = session(&[("DISPLAY", ":0")]);
        assert_eq!(x11.x_display.as_deref(), Some(":0"));
        assert!(
            !x11.wayland,
            "a plain X11 session takes no D-Bus round trip"
        );
        assert!(session(&[("WAYLAND_DISPLAY", "wayland-0"), ("DISPLAY", ":0")]).wayland);
        assert!(session(&[("XDG_SESSION_TYPE", "wayland")]).wayland);
        assert!(!session(&[("XDG_SESSION_TYPE", "x11"), ("WAYLAND_DISPLAY", "")]).wayland);
        let bus = session(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1/bus")]);
        assert_eq!(
            bus.bus_address.as_deref(),
            Some("unix:path=/run/user/1/bus")
        );
        assert_eq!(bus.portal_timeout, PORTAL_TIMEOUT);
        assert_eq!(session(&[]).x_display, None);
    }

    #[test]
    fn no_display_at_all_is_a_clear_error() {
        let err = capture_in(&session(&[])).unwrap_err().to_string();
        assert!(err.contains("neither DISPLAY nor WAYLAND_DISPLAY"), "{err}");
        assert!(err.contains("open it instead"), "{err}");
    }

    #[test]
    fn pixmaps_of_both_depths_and_byte_orders_become_luma() {
        // Two pixels, white and black, in 32-bit BGRX (little endian, the usual X server).
        let data = [255, 255, 255, 0, 0, 0, 0, 0];
        let masks = (0xff0000, 0xff00, 0xff);
        assert_eq!(to_luma(&data, 2, 1, 32, masks, true).unwrap(), vec![255, 0]);
        // 24-bit rows are padded to 4 bytes: 2 pixels take 6 bytes, padded to 8.
        let data = [0, 0, 255, 255, 255, 255, 9, 9];
        assert_eq!(
            to_luma(&data, 2, 1, 24, masks, true).unwrap(),
            vec![76, 255]
        );
        assert!(
            to_luma(&data, 2, 2, 24, masks, true).is_err(),
            "short data is an error"
        );
        assert!(
            to_luma(&data, 2, 1, 16, masks, true).is_err(),
            "16-bit is refused, not misread"
        );
    }
}
