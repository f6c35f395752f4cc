//! The desktop's screens as a source of QR codes: desktop users enrol on the machine that shows
//! the portal's code.
//!
//! On X11 (and XWayland) the root window, which spans every monitor, is read with one
//! `GetImage` request through x11rb's pure-Rust connection: no C libraries. A Wayland session
//! without X is reported as unsupported for now (the desktop portal's Screenshot call is the way
//! there); the error tells the user to open a saved image instead.

use super::source::{FrameSource, SourceError};
use super::{decode, LumaFrame};

/// Captures the whole X11 screen (all monitors) as one luma frame.
pub fn capture() -> Result<LumaFrame, SourceError> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

    if std::env::var_os("DISPLAY").is_none() {
        return Err(SourceError::Screen(
            if std::env::var_os("WAYLAND_DISPLAY").is_some() {
                "this Wayland session has no X display, and capture through the desktop portal is not supported yet"
            } else {
                "no graphical display (DISPLAY is not set)"
            }
            .to_owned(),
        ));
    }
    let err = |what: &str, e: &dyn std::fmt::Display| SourceError::Screen(format!("{what}: {e}"));
    let (conn, screen_num) =
        x11rb::connect(None).map_err(|e| err("cannot connect to the X display", &e))?;
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
        .ok_or_else(|| SourceError::Screen("the screen's picture has the wrong size".to_owned()))
}

/// Converts a Z-pixmap of 24 or 32 bits a pixel (rows padded to 32 bits) to luma.
fn to_luma(
    data: &[u8],
    w: usize,
    h: usize,
    bits_per_pixel: u8,
    masks: (u32, u32, u32),
    little_endian: bool,
) -> Result<Vec<u8>, SourceError> {
    let bytes = match bits_per_pixel {
        24 => 3,
        32 => 4,
        other => {
            return Err(SourceError::Screen(format!(
                "a {other}-bit screen is not supported; use 24- or 32-bit colour"
            )))
        }
    };
    let stride = (w * bytes).div_ceil(4) * 4;
    if data.len() < stride * h {
        return Err(SourceError::Screen(
            "the screen's picture arrived incomplete".to_owned(),
        ));
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

/// Captures the screen(s) and returns the texts of every QR code on them.
pub fn scan_screens() -> Result<Vec<String>, SourceError> {
    let frame = capture()?;
    Ok(decode(&frame).into_iter().filter_map(|c| c.text).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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
