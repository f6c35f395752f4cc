//! The clipboard as a source: a copied link, or a copied image of a QR code (arboard).

use super::source::SourceError;
use super::{decode, LumaFrame};

/// What the clipboard holds, as far as scanning cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clip {
    /// Text, such as a copied `otpauth://` link.
    Text(String),
    /// An image: width, height and RGBA pixels.
    Image(usize, usize, Vec<u8>),
}

/// The texts a clip offers: a copied text as is (trimmed), or the codes in a copied image.
pub fn texts_of(clip: Clip) -> Result<Vec<String>, SourceError> {
    match clip {
        Clip::Text(t) => {
            let t = t.trim();
            if t.is_empty() {
                Err(SourceError::Clipboard(
                    "it holds no text or image".to_owned(),
                ))
            } else {
                Ok(vec![t.to_owned()])
            }
        }
        Clip::Image(w, h, rgba) => {
            if w.checked_mul(h).and_then(|n| n.checked_mul(4)) != Some(rgba.len()) {
                return Err(SourceError::Clipboard(
                    "the copied image is malformed".to_owned(),
                ));
            }
            let luma: Vec<u8> = rgba
                .chunks_exact(4)
                .map(|p| {
                    // Transparent pixels count as white, as on a light page.
                    let a = p[3] as u32;
                    let y = (p[0] as u32 * 77 + p[1] as u32 * 150 + p[2] as u32 * 29) >> 8;
                    ((y * a + 255 * (255 - a)) / 255) as u8
                })
                .collect();
            let frame = LumaFrame::new(w, h, luma).ok_or_else(|| {
                SourceError::Clipboard("the copied image is malformed".to_owned())
            })?;
            Ok(decode(&frame).into_iter().filter_map(|c| c.text).collect())
        }
    }
}

/// Reads the system clipboard: an image is preferred when both are offered, since a browser's
/// "copy image" may also offer the image's address as text.
pub fn read() -> Result<Clip, SourceError> {
    let mut board = arboard::Clipboard::new().map_err(|e| SourceError::Clipboard(e.to_string()))?;
    if let Ok(img) = board.get_image() {
        return Ok(Clip::Image(img.width, img.height, img.bytes.into_owned()));
    }
    board
        .get_text()
        .map(Clip::Text)
        .map_err(|e| SourceError::Clipboard(e.to_string()))
}

/// The texts the clipboard offers: a copied link as is, or the codes in a copied image.
pub fn read_clipboard() -> Result<Vec<String>, SourceError> {
    texts_of(read()?)
}
