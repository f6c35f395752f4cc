//! The clipboard as a source: an image of a QR code, or a copied link (being built).

use super::source::SourceError;

/// The texts the clipboard offers: a copied link as is, or the codes in a copied image.
pub fn read_clipboard() -> Result<Vec<String>, SourceError> {
    Err(SourceError::Unsupported("clipboard"))
}
