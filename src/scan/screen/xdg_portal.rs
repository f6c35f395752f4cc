//! A screenshot through the XDG desktop portal (`org.freedesktop.portal.Screenshot`): the only
//! way a Wayland client may read the screen, since Wayland gives no client the pixels of
//! another.
//!
//! The call follows the portal's request protocol: the answer does not come back from the
//! method call but as a `Response` signal on a request object whose path the caller predicts
//! from its bus name and a token of its own. We subscribe to that path before calling, so that
//! a fast portal cannot answer before we listen.
//!
//! The portal writes the screenshot to a file and hands back its `file://` URI. That picture
//! may show the QR code, which is a secret key, so we read it and then delete it at once (best
//! effort: if the deletion fails, nothing more can be done than to leave it). The file exists
//! on disk, unencrypted, from the moment the portal writes it until we delete it; its place
//! and permissions are the portal's choice, not ours.

use super::super::source::{load_image_bytes, SourceError};
use super::super::LumaFrame;
use futures_lite::StreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

const PORTAL_NAME: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const SCREENSHOT_INTERFACE: &str = "org.freedesktop.portal.Screenshot";
const REQUEST_INTERFACE: &str = "org.freedesktop.portal.Request";

/// Why the portal gave no picture.
#[derive(Debug)]
pub(super) enum PortalError {
    /// There is no portal to ask: no session bus, no portal service, or a portal without the
    /// Screenshot interface. Another way to read the screen (X11) may still work.
    Unavailable(String),
    /// The portal was asked and said no, or failed: trying elsewhere would not help.
    Failed(SourceError),
}

fn failed(message: impl Into<String>) -> PortalError {
    PortalError::Failed(SourceError::Screen(message.into()))
}

/// D-Bus errors that mean "nobody here serves this portal" (no portal service, or one without
/// the interface), as opposed to a portal that exists and failed. The window's file dialog
/// (`ui/file_chooser.rs`) tells them apart the same way.
pub fn is_absent(error: &zbus::Error) -> bool {
    match error {
        zbus::Error::MethodError(name, _, _) => {
            let name = name.as_str();
            matches!(
                name,
                "org.freedesktop.DBus.Error.ServiceUnknown"
                    | "org.freedesktop.DBus.Error.NameHasNoOwner"
                    | "org.freedesktop.DBus.Error.UnknownMethod"
                    | "org.freedesktop.DBus.Error.UnknownInterface"
                    | "org.freedesktop.DBus.Error.UnknownObject"
            ) || name.starts_with("org.freedesktop.DBus.Error.Spawn.")
        }
        zbus::Error::FDO(fdo) => matches!(
            **fdo,
            zbus::fdo::Error::ServiceUnknown(_)
                | zbus::fdo::Error::NameHasNoOwner(_)
                | zbus::fdo::Error::UnknownMethod(_)
                | zbus::fdo::Error::UnknownInterface(_)
                | zbus::fdo::Error::UnknownObject(_)
        ),
        _ => false,
    }
}

/// A handle token no other call of this process uses: the request path is built from it, and
/// two calls sharing a path would read each other's answers.
fn handle_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    format!(
        "pocketpass_{}_{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Where the portal puts this caller's request objects, as the portal's documentation defines
/// it: the caller's unique name without the leading ':' and with '.' as '_'.
fn request_namespace(unique_name: &str) -> String {
    let sender = unique_name.trim_start_matches(':').replace('.', "_");
    format!("{PORTAL_PATH}/request/{sender}")
}

/// The request object path the portal will use for `token`.
fn request_path(unique_name: &str, token: &str) -> String {
    format!("{}/{token}", request_namespace(unique_name))
}

/// The local file a `file://` URI names, percent-decoded. `None` for any other kind of URI.
/// The window's file dialog (`ui/file_chooser.rs`) reads the portal's answers with it too.
pub fn file_uri_path(uri: &str) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    let rest = uri.strip_prefix("file://")?;
    // "file:///tmp/x" has an empty host; "file://localhost/tmp/x" names this machine.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(path).collect();
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

/// Asks the portal on the session bus at `bus_address` (the default session bus when `None`)
/// for a non-interactive screenshot of every screen, waits up to `timeout` for its answer, and
/// returns the picture as luma. The portal's file is deleted once read.
pub(super) fn capture(
    bus_address: Option<&str>,
    timeout: Duration,
) -> Result<LumaFrame, PortalError> {
    let connection = match bus_address {
        Some(address) => {
            zbus::blocking::connection::Builder::address(address).and_then(|b| b.build())
        }
        None => zbus::blocking::Connection::session(),
    }
    .map_err(|e| PortalError::Unavailable(format!("no D-Bus session bus ({e})")))?;
    let unique_name = connection
        .unique_name()
        .map(|n| n.to_string())
        .ok_or_else(|| PortalError::Unavailable("the session bus gave no name".to_owned()))?;
    let token = handle_token();
    let expected = request_path(&unique_name, &token);

    // Listen before calling (the portal's race avoidance). The namespace covers every request
    // path of this connection, so that a portal which picks another path (older portals ignore
    // the token) is still heard; the exact path and the sender are checked below.
    let namespace = request_namespace(&unique_name);
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(REQUEST_INTERFACE)
        .and_then(|b| b.member("Response"))
        .and_then(|b| b.path_namespace(namespace))
        .map(|b| b.build())
        .map_err(|e| {
            failed(format!(
                "cannot listen for the desktop portal's answer ({e})"
            ))
        })?;
    let mut responses = async_io::block_on(zbus::MessageStream::for_match_rule(
        rule,
        connection.inner(),
        Some(16),
    ))
    .map_err(|e| {
        failed(format!(
            "cannot listen for the desktop portal's answer ({e})"
        ))
    })?;

    let mut options: HashMap<&str, Value<'_>> = HashMap::new();
    options.insert("handle_token", Value::from(token.as_str()));
    options.insert("interactive", Value::from(false));
    options.insert("modal", Value::from(false));
    let reply = connection
        .call_method(
            Some(PORTAL_NAME),
            PORTAL_PATH,
            Some(SCREENSHOT_INTERFACE),
            "Screenshot",
            &("", options),
        )
        .map_err(|e| {
            if is_absent(&e) {
                PortalError::Unavailable(format!("no desktop portal with screenshots ({e})"))
            } else {
                failed(format!("the desktop portal failed ({e})"))
            }
        })?;
    let handle: OwnedObjectPath = reply
        .body()
        .deserialize()
        .map_err(|e| failed(format!("the desktop portal answered oddly ({e})")))?;
    // Only the process that answered the call may answer the request: another program on the
    // bus could otherwise hand us a path of its choosing, which we would then delete.
    let portal = reply.header().sender().map(|s| s.to_string());
    let handle = handle.as_str().to_owned();
    if handle != expected {
        tracing::debug!("the desktop portal chose its own request path");
    }

    let wait = async {
        while let Some(message) = responses.next().await {
            let Ok(message) = message else { continue };
            let header = message.header();
            let from_portal = header.sender().map(|s| s.to_string()) == portal;
            let on_handle = header.path().map(|p| p.as_str()) == Some(handle.as_str());
            if from_portal && on_handle {
                return Ok(message);
            }
        }
        Err(failed(
            "the session bus closed before the desktop portal answered",
        ))
    };
    let timer = async {
        async_io::Timer::after(timeout).await;
        Err(failed(format!(
            "the desktop portal did not answer within {} seconds (a dialog may be waiting for you)",
            timeout.as_secs()
        )))
    };
    let message = async_io::block_on(futures_lite::future::or(wait, timer))?;
    let (code, results): (u32, HashMap<String, OwnedValue>) = message
        .body()
        .deserialize()
        .map_err(|e| failed(format!("the desktop portal answered oddly ({e})")))?;
    match code {
        0 => {}
        1 => return Err(failed("you cancelled the screenshot")),
        _ => {
            return Err(failed(
                "the desktop portal refused the screenshot (you cancelled it, or the desktop does not allow it)",
            ))
        }
    }
    let uri = results
        .get("uri")
        .and_then(|v| String::try_from(v.clone()).ok())
        .ok_or_else(|| failed("the desktop portal sent no picture"))?;
    let path = file_uri_path(&uri)
        .ok_or_else(|| failed("the desktop portal's picture is not a local file"))?;
    read_and_delete(&path)
}

/// Reads the portal's picture and deletes the file before decoding it, so that the secret it
/// may show stays on disk as briefly as we can make it.
fn read_and_delete(path: &std::path::Path) -> Result<LumaFrame, PortalError> {
    let bytes = std::fs::read(path);
    // Best effort: a file we cannot delete is left where the portal put it.
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!("cannot delete the desktop portal's screenshot file: {e}");
    }
    let bytes = bytes.map_err(|e| {
        PortalError::Failed(SourceError::Io {
            path: path.to_owned(),
            source: e,
        })
    })?;
    load_image_bytes(&bytes).map_err(|message| {
        PortalError::Failed(SourceError::BadImage {
            path: path.to_owned(),
            message,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_path_follows_the_portal_rule() {
        assert_eq!(
            request_path(":1.42", "pocketpass_7_0"),
            "/org/freedesktop/portal/desktop/request/1_42/pocketpass_7_0"
        );
        assert_ne!(handle_token(), handle_token(), "tokens are unique");
    }

    #[test]
    fn file_uris_are_percent_decoded_and_others_refused() {
        assert_eq!(
            file_uri_path("file:///tmp/Screenshot%20from%20today.png"),
            Some(PathBuf::from("/tmp/Screenshot from today.png"))
        );
        assert_eq!(
            file_uri_path("file://localhost/tmp/a.png"),
            Some(PathBuf::from("/tmp/a.png"))
        );
        assert_eq!(file_uri_path("https://example.invalid/a.png"), None);
        assert_eq!(file_uri_path("file://otherhost/a.png"), None);
        assert_eq!(file_uri_path(""), None);
    }
}
