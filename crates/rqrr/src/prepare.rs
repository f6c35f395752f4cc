use std::{cmp, num::NonZeroUsize};

use crate::identify::match_capstones::CapStoneGroup;
use crate::identify::Point;
use lru::LruCache;

/// An black-and-white image that can be mutated on search for QR codes
///
/// During search for QR codes, some black zones will be recolored in
/// 'different' shades of black. This is done to speed up the search and
/// mitigate the impact of a huge zones.
pub struct PreparedImage<S> {
    buffer: S,
    cache: LruCache<u8, ColoredRegion>,
}

impl<S> Clone for PreparedImage<S>
where
    S: Clone,
{
    fn clone(&self) -> Self {
        let mut cache = LruCache::new(self.cache.cap());
        for (k, v) in self.cache.iter() {
            cache.put(*k, *v);
        }

        PreparedImage {
            buffer: self.buffer.clone(),
            cache,
        }
    }
}

pub trait ImageBuffer {
    fn width(&self) -> usize;
    fn height(&self) -> usize;

    fn get_pixel(&self, x: usize, y: usize) -> u8;
    /// Row `y` (pocketpass: the finder scan reads rows as slices).
    fn row(&self, y: usize) -> &[u8];
    /// Row `y`, writable (pocketpass: the flood fill works on rows as slices).
    fn row_mut(&mut self, y: usize) -> &mut [u8];
}

#[derive(Clone, Debug)]
pub struct BasicImageBuffer {
    w: usize,
    h: usize,
    pixels: Box<[u8]>,
}

impl ImageBuffer for BasicImageBuffer {
    fn width(&self) -> usize {
        self.w
    }

    fn height(&self) -> usize {
        self.h
    }

    fn get_pixel(&self, x: usize, y: usize) -> u8 {
        let w = self.width();
        self.pixels[(y * w) + x]
    }

    fn row(&self, y: usize) -> &[u8] {
        &self.pixels[y * self.w..(y + 1) * self.w]
    }

    fn row_mut(&mut self, y: usize) -> &mut [u8] {
        &mut self.pixels[y * self.w..(y + 1) * self.w]
    }
}

#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub struct Row {
    pub left: usize,
    pub right: usize,
    pub y: usize,
}

#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub enum PixelColor {
    White,
    Black,
    CapStone,
    Alignment,
    Tmp1,
    Discarded(u8),
}

#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub enum ColoredRegion {
    Unclaimed {
        color: PixelColor,
        src_x: usize,
        src_y: usize,
        pixel_count: usize,
    },
    CapStone,
    Alignment,
    Tmp1,
}

impl From<u8> for PixelColor {
    fn from(x: u8) -> Self {
        match x {
            0 => PixelColor::White,
            1 => PixelColor::Black,
            2 => PixelColor::CapStone,
            3 => PixelColor::Alignment,
            4 => PixelColor::Tmp1,
            x => PixelColor::Discarded(x - 5),
        }
    }
}

impl From<PixelColor> for u8 {
    fn from(c: PixelColor) -> Self {
        match c {
            PixelColor::White => 0,
            PixelColor::Black => 1,
            PixelColor::CapStone => 2,
            PixelColor::Alignment => 3,
            PixelColor::Tmp1 => 4,
            PixelColor::Discarded(x) => x + 5,
        }
    }
}

impl PartialEq<u8> for PixelColor {
    fn eq(&self, other: &u8) -> bool {
        let rep: u8 = (*self).into();
        rep == *other
    }
}

pub trait AreaFiller {
    fn update(&mut self, row: Row);
}

impl<F> AreaFiller for F
where
    F: FnMut(Row),
{
    fn update(&mut self, row: Row) {
        self(row)
    }
}

struct AreaCounter(usize);

impl AreaFiller for AreaCounter {
    fn update(&mut self, row: Row) {
        self.0 += row.right - row.left + 1;
    }
}

impl<S> PreparedImage<S>
where
    S: ImageBuffer,
{
    // pocketpass: detection and decoding in one pass, so that a grid that does not decode at
    // its measured size can be retried at the other plausible sizes.
    /// Finds the grids in the image and decodes each; returns the ones that decoded, with their
    /// bounds (top-left, top-right, bottom-right, bottom-left).
    pub fn detect_and_decode(&mut self) -> Vec<([Point; 4], crate::MetaData, crate::Payload)>
    where
        S: Clone,
    {
        // pocketpass: finder triples are tried directly on the image (rqrr cloned the whole
        // image for each candidate) and decoded at once; a triple's finders count as used only
        // once it decoded, so a false triple no longer hides a real one. The budget bounds the
        // work on frames full of finder-like shapes.
        const TRIPLE_BUDGET: usize = 48;
        let mut res = Vec::new();
        let stones = crate::capstones_from_image(self);
        if stones.len() < 3 {
            return res;
        }
        let mut used = vec![false; stones.len()];
        let mut budget = TRIPLE_BUDGET;
        // Phase one reads every plausible triple at its first estimate, which is cheap; the
        // perspective fit, which is not, runs in phase two on the triples that did not read.
        let mut pending = Vec::new();
        'stones: for idx in 0..stones.len() {
            if used[idx] {
                continue;
            }
            for (a, c) in crate::identify::find_and_rank_possible_neighbors(&stones, idx) {
                if used[a] || used[c] || used[idx] {
                    continue;
                }
                if budget == 0 {
                    break 'stones;
                }
                budget -= 1;
                let group =
                    CapStoneGroup(stones[a].clone(), stones[idx].clone(), stones[c].clone());
                let Some(location) = crate::SkewedGridLocation::from_group(self, group) else {
                    continue;
                };
                if let Some(found) = self.decode_location(&location, false) {
                    res.push(found);
                    used[a] = true;
                    used[idx] = true;
                    used[c] = true;
                } else {
                    pending.push(([a, idx, c], location));
                }
            }
        }
        for (stones, location) in pending {
            if stones.iter().any(|&i| used[i]) {
                continue;
            }
            if let Some(found) = self.decode_location(&location, true) {
                res.push(found);
                stones.iter().for_each(|&i| used[i] = true);
            }
        }
        res
    }

    /// Decodes the grid at `location`: first as estimated, then with a fitted perspective, then
    /// at the other plausible sizes (pocketpass).
    fn decode_location(
        &self,
        location: &crate::SkewedGridLocation,
        fit: bool,
    ) -> Option<([Point; 4], crate::MetaData, crate::Payload)>
    where
        S: Clone,
    {
        let try_one = |loc: &crate::SkewedGridLocation| {
            let n = loc.grid_size as f64 + 1.0;
            let bounds = [
                loc.c.map(0.0, 0.0),
                loc.c.map(n, 0.0),
                loc.c.map(n, n),
                loc.c.map(0.0, n),
            ];
            crate::decode::decode(&loc.clone().into_grid_image(self))
                .ok()
                .map(|(meta, payload)| (bounds, meta, payload))
        };
        // `estimate_read`: the unfitted estimate was read already (by phase one).
        let fit_and_try = |loc: &crate::SkewedGridLocation, estimate_read: bool| {
            if !fit {
                return try_one(loc);
            }
            // pocketpass: the same perspective gives the same grid; a fitting pass that did not
            // move it, or a restart at the estimate, is not read again.
            let mut read: Vec<[f64; 8]> = Vec::new();
            if estimate_read {
                read.push(loc.c.0);
            }
            for fine in [false, true] {
                let mut jiggle = loc.jiggle_start(self, fine);
                for _ in 0..5 {
                    jiggle.pass(self);
                    if read.contains(&jiggle.location.c.0) {
                        continue;
                    }
                    read.push(jiggle.location.c.0);
                    if let Some(found) = try_one(&jiggle.location) {
                        return Some(found);
                    }
                }
                if grid_has_alignment(jiggle.location.grid_size) {
                    // Last resort for bent codes: sample cell by cell between the alignment
                    // patterns, found one by one.
                    let Some(pw) = crate::identify::grid::piecewise_grid(self, &jiggle.location)
                    else {
                        continue;
                    };
                    let n = jiggle.location.grid_size as f64 + 1.0;
                    let c = &jiggle.location.c;
                    let bounds = [c.map(0.0, 0.0), c.map(n, 0.0), c.map(n, n), c.map(0.0, n)];
                    if let Ok((meta, payload)) = crate::decode::decode(&pw) {
                        return Some((bounds, meta, payload));
                    }
                }
            }
            None
        };
        if let Some(found) = fit_and_try(location, fit) {
            return Some(found);
        }
        // Other sizes are worth their cost only once the measured one failed even when fitted.
        if !fit {
            return None;
        }
        location
            .alternatives(self)
            .iter()
            .find_map(|loc| fit_and_try(loc, false))
    }

    /// Return the width of the image
    pub fn width(&self) -> usize {
        self.buffer.width()
    }

    /// Return the height of the image
    pub fn height(&self) -> usize {
        self.buffer.height()
    }

    pub(crate) fn get_region(&mut self, (x, y): (usize, usize)) -> ColoredRegion {
        let color: PixelColor = self.buffer.get_pixel(x, y).into();
        match color {
            PixelColor::Discarded(r) => *self.cache.get(&r).unwrap(),
            PixelColor::Black => {
                let cache_fill = self.cache.len();
                let reg_idx = if cache_fill == self.cache.cap().get() {
                    let (c, reg) = self.cache.pop_lru().expect("fill is at capacity (251)");
                    #[allow(clippy::single_match)]
                    match reg {
                        ColoredRegion::Unclaimed {
                            src_x,
                            src_y,
                            color,
                            ..
                        } => {
                            let _ = self.flood_fill(
                                src_x,
                                src_y,
                                color.into(),
                                PixelColor::Black.into(),
                                |_| (),
                            );
                        }
                        _ => (),
                    }
                    c
                } else {
                    cache_fill as u8
                };
                let next_reg_color = PixelColor::Discarded(reg_idx);
                let counter = self.repaint_and_apply((x, y), next_reg_color, AreaCounter(0));
                let new_reg = ColoredRegion::Unclaimed {
                    color: next_reg_color,
                    src_x: x,
                    src_y: y,
                    pixel_count: counter.0,
                };
                self.cache.put(reg_idx, new_reg);
                new_reg
            }
            PixelColor::Tmp1 => ColoredRegion::Tmp1,
            PixelColor::Alignment => ColoredRegion::Alignment,
            PixelColor::CapStone => ColoredRegion::CapStone,
            PixelColor::White => panic!("Tried to color white patch"),
        }
    }

    pub(crate) fn repaint_and_apply<F>(
        &mut self,
        (x, y): (usize, usize),
        target_color: PixelColor,
        fill: F,
    ) -> F
    where
        F: AreaFiller,
    {
        let src = self.buffer.get_pixel(x, y);
        if PixelColor::White == src || target_color == src {
            panic!("Cannot repaint with white or same color");
        }

        self.flood_fill(x, y, src, target_color.into(), fill)
    }

    pub(crate) fn get_pixel_at_point(&self, p: Point) -> PixelColor {
        let x = cmp::max(0, cmp::min((self.width() - 1) as i32, p.x));
        let y = cmp::max(0, cmp::min((self.height() - 1) as i32, p.y));
        self.buffer.get_pixel(x as usize, y as usize).into()
    }

    /// Row `y` as raw pixel values (pocketpass).
    pub(crate) fn row(&self, y: usize) -> &[u8] {
        self.buffer.row(y)
    }

    pub(crate) fn get_pixel_at(&self, x: usize, y: usize) -> PixelColor {
        self.buffer.get_pixel(x, y).into()
    }

    // pocketpass: the same scan-line fill, on row slices instead of a bounds-checked call per
    // pixel; region labelling was a quarter of the decoding time.
    fn flood_fill<F>(&mut self, x: usize, y: usize, from: u8, to: u8, mut fill: F) -> F
    where
        F: AreaFiller,
    {
        assert_ne!(from, to);
        let w = self.width();
        let h = self.height();
        let mut queue = Vec::new();
        queue.push((x, y));

        while let Some((x, y)) = queue.pop() {
            let row = self.buffer.row_mut(y);
            // Nothing to fill: already filled, or another colour.
            if row[x] != from {
                continue;
            }

            let mut left = x;
            let mut right = x;
            while left > 0 && row[left - 1] == from {
                left -= 1;
            }
            while right < w - 1 && row[right + 1] == from {
                right += 1
            }

            /* Fill the extent */
            row[left..=right].fill(to);

            fill.update(Row { left, right, y });

            /* Seed new flood-fills */
            for ny in [y.wrapping_sub(1), y + 1] {
                if ny >= h {
                    continue;
                }
                let next = &self.buffer.row(ny)[left..=right];
                let mut seeded_previous = false;
                for (i, &p) in next.iter().enumerate() {
                    if p == from {
                        if !seeded_previous {
                            queue.push((left + i, ny));
                        }
                        seeded_previous = true;
                    } else {
                        seeded_previous = false;
                    }
                }
            }
        }
        fill
    }
}

impl PreparedImage<BasicImageBuffer> {
    // pocketpass: takes a ready bitmap (0 white, 1 black) without a per-pixel callback.
    /// Wraps a bitmap of `w * h` bytes, 0 for white and 1 for black.
    pub fn from_bits(w: usize, h: usize, pixels: Vec<u8>) -> Self {
        assert_eq!(pixels.len(), w * h);
        PreparedImage {
            buffer: BasicImageBuffer {
                w,
                h,
                pixels: pixels.into_boxed_slice(),
            },
            cache: LruCache::new(NonZeroUsize::new(251).unwrap()),
        }
    }
}

/// Whether a grid of this size has alignment patterns to sample between (version 2 and up).
fn grid_has_alignment(grid_size: usize) -> bool {
    grid_size > 21
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img_from_array(array: [[u8; 3]; 3]) -> PreparedImage<BasicImageBuffer> {
        let mut pixels = Vec::new();
        for col in array.iter() {
            for item in col.iter() {
                if *item == 0 {
                    pixels.push(0)
                } else {
                    pixels.push(1)
                }
            }
        }
        let buffer = BasicImageBuffer {
            w: 3,
            h: 3,
            pixels: pixels.into_boxed_slice(),
        };

        PreparedImage {
            buffer,
            cache: LruCache::new(NonZeroUsize::new(251).unwrap()),
        }
    }

    #[test]
    fn test_flood_fill_full() {
        let mut test_full = img_from_array([[1, 1, 1], [1, 1, 1], [1, 1, 1]]);

        test_full.flood_fill(0, 0, 1, 2, &mut |_| ());

        for x in 0..3 {
            for y in 0..3 {
                assert_eq!(test_full.get_pixel_at(x, y), 2);
            }
        }
    }

    #[test]
    fn test_flood_fill_single() {
        let mut test_single = img_from_array([[1, 0, 1], [0, 1, 0], [1, 0, 1]]);

        test_single.flood_fill(1, 1, 1, 2, &mut |_| ());

        for x in 0..3 {
            for y in 0..3 {
                if x == 1 && y == 1 {
                    assert_eq!(test_single.get_pixel_at(x, y), 2);
                } else {
                    let col = if (x + y) % 2 == 0 { 1 } else { 0 };
                    assert_eq!(test_single.get_pixel_at(x, y), col);
                }
            }
        }
    }

    #[test]
    fn test_flood_fill_ring() {
        let mut test_ring = img_from_array([[1, 1, 1], [1, 0, 1], [1, 1, 1]]);

        test_ring.flood_fill(0, 0, 1, 2, &mut |_| ());

        for x in 0..3 {
            for y in 0..3 {
                if x == 1 && y == 1 {
                    assert_eq!(test_ring.get_pixel_at(x, y), 0);
                } else {
                    assert_eq!(test_ring.get_pixel_at(x, y), 2);
                }
            }
        }
    }

    #[test]
    fn test_flood_fill_u() {
        let mut test_u = img_from_array([[1, 0, 1], [1, 0, 1], [1, 1, 1]]);

        test_u.flood_fill(0, 0, 1, 2, &mut |_| ());

        for x in 0..3 {
            for y in 0..3 {
                if x == 1 && (y == 0 || y == 1) {
                    assert_eq!(test_u.get_pixel_at(x, y), 0);
                } else {
                    assert_eq!(test_u.get_pixel_at(x, y), 2);
                }
            }
        }
    }

    #[test]
    fn test_flood_fill_empty() {
        let mut test_empty = img_from_array([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);

        test_empty.flood_fill(1, 1, 1, 2, &mut |_| ());

        for x in 0..3 {
            for y in 0..3 {
                assert_eq!(test_empty.get_pixel_at(x, y), 0)
            }
        }
    }

    #[test]
    fn test_get_region() {
        let mut test_u = img_from_array([[1, 0, 1], [1, 0, 1], [1, 1, 1]]);

        let reg = test_u.get_region((0, 0));
        let (color, src_x, src_y, pixel_count) = match reg {
            ColoredRegion::Unclaimed {
                color,
                src_x,
                src_y,
                pixel_count,
            } => (color, src_x, src_y, pixel_count),
            x => panic!("Expected Region::Unclaimed, got {:?}", x),
        };
        assert_eq!(0, src_x);
        assert_eq!(0, src_y);
        assert_eq!(7, pixel_count);
        for x in 0..3 {
            for y in 0..3 {
                if x == 1 && (y == 0 || y == 1) {
                    assert_eq!(PixelColor::White, test_u.get_pixel_at(x, y));
                } else {
                    assert_eq!(color, test_u.get_pixel_at(x, y));
                }
            }
        }
    }
}
