//! Choosing a file the way desktop users expect (issue 15, part 3): through the XDG desktop
//! portal's FileChooser (`org.freedesktop.portal.FileChooser`, with `ashpd`), which shows the
//! desktop's own dialog (GNOME's, KDE's, or GTK's on other Wayland and X11 desktops) and works
//! inside a sandbox too.
//!
//! When no portal answers (no session bus, no portal service, or one without FileChooser), the
//! caller offers the typed path instead: [`ChooserError::Unavailable`] tells that apart from a
//! portal that was asked and failed. A dialog the user closes is `Ok(None)`, not an error.
//!
//! The call blocks until the user has chosen: callers run it on a thread of their own, never the
//! UI's.

use std::path::PathBuf;

/// What to ask the user for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// The dialog's title ("Open an image of the QR code").
    pub title: String,
    /// Choose a new file to write (a save dialog) rather than an existing one to read.
    pub save: bool,
    /// A save dialog's proposed file name.
    pub suggested_name: Option<String>,
    /// Offered filters: a label and its glob patterns (`*.png`); the first is preselected.
    /// Empty: every file.
    pub filters: Vec<(String, Vec<String>)>,
}

/// Why no file came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChooserError {
    /// Nobody serves the FileChooser here (no session bus, no portal, or a portal without
    /// it): the caller falls back to a typed path.
    #[error("no file chooser is available ({0}); type the file's path instead")]
    Unavailable(String),
    /// The portal was asked and failed.
    #[error("the file chooser failed ({0}); type the file's path instead")]
    Failed(String),
}

/// Which D-Bus session bus to ask: the user's (`None`, from `DBUS_SESSION_BUS_ADDRESS`), or the
/// one at this address (tests with a desktop of their own).
pub type Bus = Option<String>;

/// Shows the desktop's file dialog for `request` and waits for the user: the chosen file, or
/// `None` when the user cancelled.
pub fn choose(request: &FileRequest, bus: &Bus) -> Result<Option<PathBuf>, ChooserError> {
    imp::choose(request, bus)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{Bus, ChooserError, FileRequest};
    use ashpd::desktop::file_chooser::{FileFilter, SelectedFiles};
    use ashpd::desktop::ResponseError;
    use std::path::PathBuf;

    pub(super) fn choose(
        request: &FileRequest,
        bus: &Bus,
    ) -> Result<Option<PathBuf>, ChooserError> {
        zbus::block_on(ask(request, bus))
    }

    async fn connect(bus: &Bus) -> Result<zbus::Connection, ChooserError> {
        let connected = match bus {
            None => zbus::Connection::session().await,
            Some(address) => match zbus::connection::Builder::address(address.as_str()) {
                Ok(builder) => builder.build().await,
                Err(e) => Err(e),
            },
        };
        connected.map_err(|e| ChooserError::Unavailable(format!("no D-Bus session bus: {e}")))
    }

    fn filters(request: &FileRequest) -> Vec<FileFilter> {
        request
            .filters
            .iter()
            .map(|(label, globs)| {
                globs
                    .iter()
                    .fold(FileFilter::new(label), |f, glob| f.glob(glob))
            })
            .collect()
    }

    async fn ask(request: &FileRequest, bus: &Bus) -> Result<Option<PathBuf>, ChooserError> {
        let connection = connect(bus).await?;
        let filters = filters(request);
        let first = filters.first().cloned();
        let sent = if request.save {
            SelectedFiles::save_file()
                .title(request.title.as_str())
                .modal(true)
                .current_name(request.suggested_name.as_deref())
                .filters(filters)
                .current_filter(first)
                .connection(Some(connection))
                .send()
                .await
        } else {
            SelectedFiles::open_file()
                .title(request.title.as_str())
                .modal(true)
                .multiple(false)
                .filters(filters)
                .current_filter(first)
                .connection(Some(connection))
                .send()
                .await
        };
        let answered = sent.and_then(|request| request.response());
        match answered {
            Ok(files) => match files.uris().first() {
                None => Ok(None),
                Some(uri) => path_of(uri.as_str()).map(Some),
            },
            // Cancel is 1; a dialog closed otherwise (Escape, the window closed) is 2, "other":
            // either way the user chose no file.
            Err(ashpd::Error::Response(ResponseError::Cancelled | ResponseError::Other)) => {
                Ok(None)
            }
            Err(e) if absent(&e) => Err(ChooserError::Unavailable(e.to_string())),
            Err(e) => Err(ChooserError::Failed(e.to_string())),
        }
    }

    /// Errors that mean "nobody here serves the FileChooser portal", as opposed to a portal
    /// that exists and failed (classified as for the screenshot portal).
    fn absent(error: &ashpd::Error) -> bool {
        match error {
            ashpd::Error::PortalNotFound(_) => true,
            ashpd::Error::Zbus(e) => crate::scan::screen::portal_absent(e),
            _ => false,
        }
    }

    /// The local path of a `file://` URI the portal answered with (percent-decoded), read as
    /// the screenshot portal's answers are.
    fn path_of(uri: &str) -> Result<PathBuf, ChooserError> {
        crate::scan::screen::file_uri_path(uri).ok_or_else(|| {
            ChooserError::Failed(format!("the portal chose {uri}, not a local file"))
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn file_uris_become_paths_with_their_escapes_decoded() {
            assert_eq!(
                path_of("file:///home/alice/My%20QR%20code.png"),
                Ok(PathBuf::from("/home/alice/My QR code.png"))
            );
            assert_eq!(
                path_of("file://localhost/tmp/a.png"),
                Ok(PathBuf::from("/tmp/a.png"))
            );
            assert!(matches!(
                path_of("https://example.org/a.png"),
                Err(ChooserError::Failed(_))
            ));
            assert!(matches!(path_of("file://"), Err(ChooserError::Failed(_))));
        }

        #[test]
        fn a_bus_that_is_not_there_means_no_chooser_so_the_path_is_typed() {
            let dir = tempfile::tempdir().expect("temporary folder");
            let bus = Some(format!("unix:path={}", dir.path().join("no-bus").display()));
            let request = FileRequest {
                title: "Open".to_owned(),
                save: false,
                suggested_name: None,
                filters: Vec::new(),
            };
            assert!(matches!(
                choose(&request, &bus),
                Err(ChooserError::Unavailable(_))
            ));
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{Bus, ChooserError, FileRequest};
    use std::path::PathBuf;

    pub(super) fn choose(
        _request: &FileRequest,
        _bus: &Bus,
    ) -> Result<Option<PathBuf>, ChooserError> {
        Err(ChooserError::Unavailable(
            "the desktop portal is a Linux desktop's".to_owned(),
        ))
    }
}
