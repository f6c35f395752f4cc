//! Camera planes to luma frames, for the phone cameras (issue 7).
//!
//! Phone cameras hand out YUV 4:2:0 images whose luma plane has a row stride wider than the
//! image (rows are padded for alignment), and they offer a fixed list of stream sizes. Both
//! helpers are plain functions so that they are tested on the desktop, where no phone camera is.

use super::LumaFrame;

impl LumaFrame {
    /// Copies the luma plane of a camera image: `height` rows of `width` pixels, each row starting
    /// `row_stride` bytes after the previous one (the padding is dropped). `None` when the plane
    /// is too short for that shape or the stride is narrower than a row.
    pub fn from_plane(
        width: usize,
        height: usize,
        row_stride: usize,
        plane: &[u8],
    ) -> Option<Self> {
        if row_stride < width {
            return None;
        }
        if height == 0 || width == 0 {
            return LumaFrame::new(width, height, Vec::new());
        }
        // The last row need not carry its padding.
        let needed = (height - 1).checked_mul(row_stride)?.checked_add(width)?;
        if plane.len() < needed {
            return None;
        }
        let mut data = Vec::with_capacity(width * height);
        for row in plane.chunks(row_stride).take(height) {
            data.extend_from_slice(&row[..width]);
        }
        LumaFrame::new(width, height, data)
    }
}

/// Picks the camera stream size for reading QR codes from a camera's list of stream
/// configurations, given as Android's `SCALER_AVAILABLE_STREAM_CONFIGURATIONS` lays them out:
/// quadruples of (format, width, height, is-input). Only output streams of `format` count.
///
/// The size closest in area to 1280×720 wins, preferring sizes no larger: codes held up to a
/// phone are big, and smaller frames decode faster. `None` when the camera offers no such stream.
pub fn pick_stream_size(configurations: &[i32], format: i32) -> Option<(u32, u32)> {
    const TARGET: i64 = 1280 * 720;
    configurations
        .chunks_exact(4)
        .filter(|c| c[0] == format && c[3] == 0 && c[1] > 0 && c[2] > 0)
        .map(|c| (c[1] as u32, c[2] as u32))
        .min_by_key(|&(w, h)| {
            let area = w as i64 * h as i64;
            // Larger than the target costs twice as much per pixel of difference.
            if area > TARGET {
                (area - TARGET) * 2
            } else {
                TARGET - area
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_padded_plane_loses_its_padding() {
        // 3×2 image, rows padded to 4 bytes; the last row comes without padding.
        let plane = [1, 2, 3, 99, 4, 5, 6];
        let frame = LumaFrame::from_plane(3, 2, 4, &plane).unwrap();
        assert_eq!(frame.data(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!((frame.width(), frame.height()), (3, 2));
    }

    #[test]
    fn a_short_plane_or_narrow_stride_is_refused() {
        assert!(LumaFrame::from_plane(3, 2, 4, &[1, 2, 3, 99, 4, 5]).is_none());
        assert!(LumaFrame::from_plane(3, 2, 2, &[0; 16]).is_none());
        assert!(LumaFrame::from_plane(3, usize::MAX, usize::MAX, &[0; 16]).is_none());
    }

    #[test]
    fn the_stream_closest_to_720p_is_chosen_and_input_streams_are_not() {
        const YUV: i32 = 35;
        const JPEG: i32 = 256;
        let configs = [
            YUV, 4032, 3024, 0, //
            YUV, 1280, 720, 1, // an input stream: not for us
            JPEG, 1280, 720, 0, //
            YUV, 1920, 1080, 0, //
            YUV, 1024, 768, 0, //
            YUV, 640, 480, 0,
        ];
        assert_eq!(pick_stream_size(&configs, YUV), Some((1024, 768)));
        assert_eq!(pick_stream_size(&configs[..4], YUV), Some((4032, 3024)));
        assert_eq!(pick_stream_size(&configs, 1), None);
    }
}
