//! Copying a code to the system clipboard, safely (issue 15, part 4).
//!
//! - The code is marked as secret for clipboard managers: KDE's Klipper and GNOME's history
//!   extensions honour the `x-kde-passwordManagerHint: secret` target on Linux (X11 and
//!   wlroots' data-control), as do macOS's and Windows' clipboard histories their own flags.
//! - [`CodeClipboard::clear_if_unchanged`] empties the clipboard only if it still holds the code
//!   copied last: whatever the user copied since is theirs and stays.
//! - When the window closes (the controller, and this with it, is dropped), the same rule runs
//!   once more, so no code outlives the app on the clipboard. On X11 the clipboard's contents
//!   live in the process that owns the selection: with the app gone they would be gone too,
//!   unless a clipboard manager took them over, which the secret mark tells it not to do.
//!
//! Phones (and a desktop whose clipboard cannot be reached) use Slint's own copy instead:
//! [`CodeClipboard::copy`] says so by failing, and the caller falls back.

use zeroize::Zeroizing;

/// The system clipboard as the code screen uses it.
#[derive(Default)]
pub(crate) struct CodeClipboard {
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    board: Option<arboard::Clipboard>,
    /// The code copied last, while it may still be on the clipboard.
    copied: Option<Zeroizing<String>>,
}

impl CodeClipboard {
    /// Puts `code` on the clipboard, marked as secret for clipboard managers. An error when the
    /// system clipboard cannot be used here (no display, a phone): the caller falls back.
    pub(crate) fn copy(&mut self, code: &str) -> Result<(), String> {
        #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
        {
            #[cfg(target_os = "macos")]
            use arboard::SetExtApple;
            #[cfg(target_os = "linux")]
            use arboard::SetExtLinux;
            #[cfg(target_os = "windows")]
            use arboard::SetExtWindows;

            if self.board.is_none() {
                // Kept for the app's life: on X11 the clipboard's contents are served by the
                // process that set them, for as long as this handle lives.
                self.board = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
            }
            let board = self.board.as_mut().ok_or("no clipboard")?;
            board
                .set()
                .exclude_from_history()
                .text(code)
                .map_err(|e| e.to_string())?;
            self.copied = Some(Zeroizing::new(code.to_owned()));
            Ok(())
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
        {
            let _ = code;
            Err("this system's clipboard is reached through the window".to_owned())
        }
    }

    /// Empties the clipboard if it still holds the code copied last (and forgets that code
    /// either way); true when it emptied it.
    pub(crate) fn clear_if_unchanged(&mut self) -> bool {
        let Some(code) = self.copied.take() else {
            return false;
        };
        #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
        if let Some(board) = self.board.as_mut() {
            let now = board.get_text().map(Zeroizing::new);
            if now.is_ok_and(|now| now.trim() == code.as_str()) {
                return board.clear().is_ok();
            }
        }
        // Phones: Slint's copy cannot be read back, so nothing is known to clear.
        drop(code);
        false
    }
}

impl Drop for CodeClipboard {
    fn drop(&mut self) {
        self.clear_if_unchanged();
    }
}
