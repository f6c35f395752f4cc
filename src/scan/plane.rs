//! Camera planes to luma frames, for the phone cameras (issue 7).
//!
//! Phone cameras hand out YUV 4:2:0 images whose luma plane has a row stride wider than the
//! image (rows are padded for alignment), they offer a fixed list of stream sizes, and their
//! sensors are mounted turned against the screen (most phones' back sensor by 90°), so a frame
//! shown as it comes lies on its side. These helpers are plain functions so that they are
//! tested on the desktop, where no phone camera is.

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

/// A clockwise turn of a frame by a multiple of 90°.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// As it is.
    #[default]
    None,
    /// A quarter turn clockwise.
    Cw90,
    /// Upside down.
    Cw180,
    /// Three quarter turns clockwise (a quarter turn counter-clockwise).
    Cw270,
}

impl Rotation {
    /// The turn from `degrees` clockwise, which must be a multiple of 90 (negative and
    /// above 360 wrap around); `None` for any other angle.
    pub fn from_degrees(degrees: i32) -> Option<Rotation> {
        if degrees % 90 != 0 {
            return None;
        }
        Some(match degrees.rem_euclid(360) {
            0 => Rotation::None,
            90 => Rotation::Cw90,
            180 => Rotation::Cw180,
            _ => Rotation::Cw270,
        })
    }

    /// How far to turn a camera's frames clockwise for them to show upright, from the camera's
    /// `SENSOR_ORIENTATION` (the clockwise turn that brings its image upright on the device in
    /// its natural orientation), whether it faces the user, and how far the display is turned
    /// from its natural orientation (`Display.getRotation()` in degrees).
    ///
    /// This is the formula of Android's `Camera.setDisplayOrientation` documentation, without
    /// its mirror compensation: frames from an image reader are not mirrored. A front camera's
    /// sensor turns with the display, a back camera's against it. `None` when an angle is not
    /// a multiple of 90.
    pub fn upright(
        sensor_orientation: i32,
        front_facing: bool,
        display_rotation: i32,
    ) -> Option<Rotation> {
        Rotation::from_degrees(display_rotation)?;
        let degrees = if front_facing {
            sensor_orientation + display_rotation
        } else {
            sensor_orientation - display_rotation
        };
        Rotation::from_degrees(degrees)
    }

    /// The turn in quarter turns clockwise, 0 to 3 (for storing it in an atomic).
    pub fn quarter_turns(self) -> u8 {
        self as u8
    }

    /// The turn of `quarter_turns` clockwise quarter turns, modulo 4.
    pub fn from_quarter_turns(quarter_turns: u8) -> Rotation {
        match quarter_turns % 4 {
            0 => Rotation::None,
            1 => Rotation::Cw90,
            2 => Rotation::Cw180,
            _ => Rotation::Cw270,
        }
    }
}

impl LumaFrame {
    /// The frame turned clockwise by `rotation`; a quarter turn swaps width and height.
    pub fn rotated(&self, rotation: Rotation) -> LumaFrame {
        let (w, h) = (self.width, self.height);
        let src = &self.data;
        let data: Vec<u8> = match rotation {
            Rotation::None => return self.clone(),
            Rotation::Cw180 => src.iter().rev().copied().collect(),
            // Turned clockwise, row `y` of the result is column `y` of the source read from
            // the bottom up; counter-clockwise, column `w - 1 - y` read from the top down.
            Rotation::Cw90 => (0..w)
                .flat_map(|x| (0..h).rev().map(move |y| src[y * w + x]))
                .collect(),
            Rotation::Cw270 => (0..w)
                .rev()
                .flat_map(|x| (0..h).map(move |y| src[y * w + x]))
                .collect(),
        };
        let (width, height) = match rotation {
            Rotation::Cw90 | Rotation::Cw270 => (h, w),
            Rotation::None | Rotation::Cw180 => (w, h),
        };
        LumaFrame {
            width,
            height,
            data,
        }
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

    /// A 3×2 frame:
    /// ```text
    /// 1 2 3
    /// 4 5 6
    /// ```
    fn three_by_two() -> LumaFrame {
        LumaFrame::new(3, 2, vec![1, 2, 3, 4, 5, 6]).unwrap()
    }

    #[test]
    fn a_quarter_turn_clockwise_puts_the_left_column_on_top() {
        let turned = three_by_two().rotated(Rotation::Cw90);
        assert_eq!((turned.width(), turned.height()), (2, 3));
        // 4 1
        // 5 2
        // 6 3
        assert_eq!(turned.data(), &[4, 1, 5, 2, 6, 3]);
    }

    #[test]
    fn a_quarter_turn_counter_clockwise_puts_the_right_column_on_top() {
        let turned = three_by_two().rotated(Rotation::Cw270);
        assert_eq!((turned.width(), turned.height()), (2, 3));
        // 3 6
        // 2 5
        // 1 4
        assert_eq!(turned.data(), &[3, 6, 2, 5, 1, 4]);
    }

    #[test]
    fn a_half_turn_reverses_the_pixels_and_four_quarter_turns_are_none() {
        let frame = three_by_two();
        let half = frame.rotated(Rotation::Cw180);
        assert_eq!((half.width(), half.height()), (3, 2));
        assert_eq!(half.data(), &[6, 5, 4, 3, 2, 1]);
        let mut turned = frame.clone();
        for _ in 0..4 {
            turned = turned.rotated(Rotation::Cw90);
        }
        assert_eq!(turned, frame);
        assert_eq!(
            frame.rotated(Rotation::Cw90).rotated(Rotation::Cw270),
            frame
        );
        assert_eq!(frame.rotated(Rotation::None), frame);
    }

    #[test]
    fn a_plane_copied_then_turned_keeps_no_padding() {
        // The camera's path: a padded 2×2 plane, turned a quarter clockwise.
        let plane = [1, 2, 0, 0, 3, 4];
        let frame = LumaFrame::from_plane(2, 2, 4, &plane).unwrap();
        // 1 2      3 1
        // 3 4  ->  4 2
        assert_eq!(frame.rotated(Rotation::Cw90).data(), &[3, 1, 4, 2]);
    }

    #[test]
    fn the_upright_turn_follows_the_sensor_and_the_display() {
        // A typical back camera (sensor at 90°) on a phone held upright, then turned left.
        assert_eq!(Rotation::upright(90, false, 0), Some(Rotation::Cw90));
        assert_eq!(Rotation::upright(90, false, 90), Some(Rotation::None));
        assert_eq!(Rotation::upright(90, false, 270), Some(Rotation::Cw180));
        // A typical front camera (sensor at 270°): it turns with the display.
        assert_eq!(Rotation::upright(270, true, 0), Some(Rotation::Cw270));
        assert_eq!(Rotation::upright(270, true, 90), Some(Rotation::None));
        assert_eq!(Rotation::upright(0, false, 180), Some(Rotation::Cw180));
        // Angles that are no quarter turn are refused, not rounded.
        assert_eq!(Rotation::upright(45, false, 0), None);
        assert_eq!(Rotation::upright(90, false, 30), None);
    }

    #[test]
    fn a_rotation_survives_its_quarter_turn_count() {
        for r in [
            Rotation::None,
            Rotation::Cw90,
            Rotation::Cw180,
            Rotation::Cw270,
        ] {
            assert_eq!(Rotation::from_quarter_turns(r.quarter_turns()), r);
        }
        assert_eq!(Rotation::from_quarter_turns(5), Rotation::Cw90);
        assert_eq!(Rotation::from_degrees(-90), Some(Rotation::Cw270));
        assert_eq!(Rotation::from_degrees(450), Some(Rotation::Cw90));
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
