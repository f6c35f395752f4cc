//! The desktop's screens as a source of QR codes (being built).

use super::source::SourceError;

/// Captures every screen and returns the texts of all QR codes on them.
pub fn scan_screens() -> Result<Vec<String>, SourceError> {
    Err(SourceError::Unsupported("screen"))
}
