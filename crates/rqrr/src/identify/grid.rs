use std::{cmp, mem};

use crate::{
    geometry,
    identify::match_capstones::CapStoneGroup,
    prepare::PreparedImage,
    prepare::{AreaFiller, ColoredRegion, ImageBuffer, PixelColor, Row},
    version_db::VERSION_DATA_BASE,
    BitGrid, CapStone, Point,
};

/// Location of a skewed square in an image
///
/// A skewed square formed by 3 [CapStones](struct.CapStone.html) and possibly
/// an alignment pattern located in the 4th corner. This can be converted into a
/// normal [Grid](trait.Grid.html) that can be decoded.
#[derive(Debug, Clone)]
pub struct SkewedGridLocation {
    pub grid_size: usize,
    pub c: geometry::Perspective,
    // pocketpass: kept to refit the grid with other sizes.
    group: CapStoneGroup,
    align: Point,
}

/// Grid size implied by the distances between finder patterns and their module size, rounded to
/// a valid size (pocketpass).
fn size_from_distance(group: &CapStoneGroup) -> Option<usize> {
    fn dist(a: &Point, b: &Point) -> f64 {
        (((a.x - b.x) as f64).powi(2) + ((a.y - b.y) as f64).powi(2)).sqrt()
    }
    fn module(c: &CapStone) -> f64 {
        (dist(&c.corners[0], &c.corners[1])
            + dist(&c.corners[1], &c.corners[2])
            + dist(&c.corners[2], &c.corners[3])
            + dist(&c.corners[3], &c.corners[0]))
            / 28.0
    }
    let m_ab = (module(&group.0) + module(&group.1)) / 2.0;
    let m_bc = (module(&group.1) + module(&group.2)) / 2.0;
    if !(m_ab > 0.5 && m_bc > 0.5) {
        return None;
    }
    let n = (dist(&group.0.center, &group.1.center) / m_ab
        + dist(&group.1.center, &group.2.center) / m_bc)
        / 2.0
        + 7.0;
    if !n.is_finite() || !(19.0..=185.0).contains(&n) {
        return None;
    }
    let ver = ((n - 17.0) / 4.0).round().max(1.0) as usize;
    Some(ver * 4 + 17)
}

impl SkewedGridLocation {
    /// Create a SkewedGridLocation from corners
    ///
    /// Given 3 corners of a grid, this tries to match the expected features of
    /// a QR code such that the SkewedGridLocation maps onto those features.
    ///
    /// For all grids this includes searching for timing patterns between
    /// capstones to determine the grid size.
    ///
    /// For bigger grids this includes searching for an alignment pattern in the
    /// 4 corner.
    ///
    /// If no sufficient match could be produces, return `None` instead.
    pub fn from_group<S>(img: &mut PreparedImage<S>, mut group: CapStoneGroup) -> Option<Self>
    where
        S: ImageBuffer,
    {
        /* Construct the hypotenuse line from A to C. B should be to
         * the left of this line.
         */
        let h0 = group.0.center;
        let mut hd = Point {
            x: group.2.center.x - group.0.center.x,
            y: group.2.center.y - group.0.center.y,
        };

        /* Make sure A-B-C is clockwise */
        if (group.1.center.x - h0.x) * -hd.y + (group.1.center.y - h0.y) * hd.x > 0 {
            mem::swap(&mut group.0, &mut group.2);
            hd.x = -hd.x;
            hd.y = -hd.y
        }

        /* Rotate each capstone so that corner 0 is top-left with respect
         * to the grid.
         */
        rotate_capstone(&mut group.0, &h0, &hd);
        rotate_capstone(&mut group.1, &h0, &hd);
        rotate_capstone(&mut group.2, &h0, &hd);

        /* Check the timing pattern. This doesn't require a perspective
         * transform.
         */
        let grid_size = measure_timing_pattern(img, &group)?;

        /* Make an estimate based for the alignment pattern based on extending
         * lines from capstones A and C.
         */

        let mut align = geometry::line_intersect(
            &group.0.corners[0],
            &group.0.corners[1],
            &group.2.corners[0],
            &group.2.corners[3],
        )?;

        /* On V2+ grids, we should use the alignment pattern. */
        if grid_size > 21 {
            // pocketpass: when no alignment pattern is found near the estimate, keep the
            // estimate (as quirc does) instead of dropping the whole code; the perspective
            // fit (`Jiggle`) then corrects it.
            if let Some(found_align) = find_alignment_pattern(img, align, &group.0, &group.2) {
                let score = -hd.y * found_align.x + hd.x * found_align.y;
                let finder = LeftMostFinder {
                    line_p: hd,
                    best: found_align,
                    score,
                };
                let found = img.repaint_and_apply(
                    (found_align.x as usize, found_align.y as usize),
                    PixelColor::Alignment,
                    finder,
                );
                align = found.best;
            }
        }

        if version_from_grid_size(grid_size) >= VERSION_DATA_BASE.len() {
            return None;
        }

        let c = setup_perspective(img, &group, align, grid_size)?;

        Some(SkewedGridLocation {
            grid_size,
            c,
            group,
            align,
        })
    }

    // pocketpass: the timing-pattern count is often off by one version on blurred codes;
    // these are the other sizes worth a try (a neighbour version, and the size that the
    // distance between the finder patterns implies), each with its own perspective fit.
    /// Alternative locations of the same grid with other plausible sizes, best guess first.
    pub fn alternatives<S>(&self, img: &PreparedImage<S>) -> Vec<SkewedGridLocation>
    where
        S: ImageBuffer,
    {
        let mut sizes = Vec::new();
        if let Some(est) = size_from_distance(&self.group) {
            sizes.push(est);
        }
        sizes.push(self.grid_size + 4);
        if self.grid_size > 21 {
            sizes.push(self.grid_size - 4);
        }
        let mut out: Vec<SkewedGridLocation> = Vec::new();
        for size in sizes {
            if size == self.grid_size
                || version_from_grid_size(size) >= VERSION_DATA_BASE.len()
                || out.iter().any(|l| l.grid_size == size)
            {
                continue;
            }
            if let Some(c) = setup_perspective(img, &self.group, self.align, size) {
                out.push(SkewedGridLocation {
                    grid_size: size,
                    c,
                    group: self.group.clone(),
                    align: self.align,
                });
            }
        }
        out
    }

    /// Starts fitting this location's perspective to the timing, finder and alignment patterns
    /// the image shows; each [`Jiggle::pass`] refines it (pocketpass: done on demand and pass by
    /// pass, so that decoding can stop as soon as the grid reads).
    /// A `fine` fit samples each module at 3×3 points, a coarse one at its centre only
    /// (pocketpass: nine times cheaper, and usually enough).
    pub fn jiggle_start<S>(&self, img: &PreparedImage<S>, fine: bool) -> Jiggle
    where
        S: ImageBuffer,
    {
        let c = &self.c;
        let offs: &'static [f64] = if fine { &FINE } else { &COARSE };
        Jiggle {
            offs,
            best: fitness_all(img, c, offs, self.grid_size),
            adjustments: c.0.map(|v| v * 0.02),
            location: self.clone(),
        }
    }

    /// Convert into a grid referencing the underlying image as source
    pub fn into_grid_image<'a, S>(self, img: &'a PreparedImage<S>) -> RefGridImage<'a, S> {
        let n = self.grid_size * self.grid_size;
        RefGridImage {
            grid: self,
            img,
            cache: vec![std::cell::Cell::new(0); n],
        }
    }
}

/// Get the version for a given grid size.
///
/// The returned version can be used to fetch the VersionInfo for the given grid
/// size.
fn version_from_grid_size(grid_size: usize) -> usize {
    (grid_size - 17) / 4
}

/// A Grid that references a bigger image
///
/// Given a grid location and an image, implement the [Grid
/// trait](trait.Grid.html) so that it may be decoded by
/// [decode](fn.decode.html)
pub struct RefGridImage<'a, S> {
    grid: SkewedGridLocation,
    img: &'a PreparedImage<S>,
    // pocketpass: each module is sampled once (0 not yet, 1 light, 2 dark); the decoder reads
    // the grid twice when it tries the mirror image.
    cache: Vec<std::cell::Cell<u8>>,
}

impl<S> BitGrid for RefGridImage<'_, S>
where
    S: ImageBuffer,
{
    fn size(&self) -> usize {
        self.grid.grid_size
    }

    fn bit(&self, y: usize, x: usize) -> bool {
        let slot = &self.cache[y * self.grid.grid_size + x];
        match slot.get() {
            1 => return false,
            2 => return true,
            _ => {}
        }
        // pocketpass: a majority of five samples (the centre and four points a fifth of a
        // module from it) instead of the centre pixel alone, so that one stray pixel of blur or
        // noise does not flip the module. The first three usually settle it.
        const OFFS: [(f64, f64); 5] = [(0.5, 0.5), (0.3, 0.3), (0.7, 0.7), (0.7, 0.3), (0.3, 0.7)];
        let (fx, fy) = (x as f64, y as f64);
        let (mut dark, mut light) = (0, 0);
        for (u, v) in OFFS {
            if PixelColor::White != self.img.get_pixel_at_point(self.grid.c.map(fx + u, fy + v)) {
                dark += 1;
            } else {
                light += 1;
            }
            if dark == 3 || light == 3 {
                break;
            }
        }
        let bit = dark >= 3;
        slot.set(if bit { 2 } else { 1 });
        bit
    }
}

fn setup_perspective<S>(
    img: &PreparedImage<S>,
    caps: &CapStoneGroup,
    align: Point,
    grid_size: usize,
) -> Option<geometry::Perspective>
where
    S: ImageBuffer,
{
    let initial = geometry::Perspective::create(
        &[
            caps.1.corners[0],
            caps.2.corners[0],
            align,
            caps.0.corners[0],
        ],
        (grid_size - 7) as f64,
        (grid_size - 7) as f64,
    )?;

    // pocketpass: the perspective fit (`Jiggle`) costs more than everything else
    // put together; it is now done only when the first estimate does not decode (`jiggled`).
    let _ = img;
    Some(initial)
}

fn rotate_capstone(cap: &mut CapStone, h0: &Point, hd: &Point) {
    let (best_idx, _) = cap
        .corners
        .iter()
        .enumerate()
        .min_by_key(|(_, a)| (a.x - h0.x) * (-hd.y) + (a.y - h0.y) * hd.x)
        .expect("corners cannot be empty");

    /* Rotate the capstone */
    cap.corners.rotate_left(best_idx);
    cap.c = geometry::Perspective::create(&cap.corners, 7.0, 7.0)
        .expect("rotated perspective can't fail");
}

//* Try the measure the timing pattern for a given QR code. This does
// * not require the global perspective to have been set up, but it
// * does require that the capstone corners have been set to their
// * canonical rotation.
// *
// * For each capstone, we find a point in the middle of the ring band
// * which is nearest the centre of the code. Using these points, we do
// * a horizontal and a vertical timing scan.
// */
fn measure_timing_pattern<S>(img: &PreparedImage<S>, caps: &CapStoneGroup) -> Option<usize>
where
    S: ImageBuffer,
{
    const US: [f64; 3] = [6.5f64, 6.5f64, 0.5f64];
    const VS: [f64; 3] = [0.5f64, 6.5f64, 6.5f64];
    let tpet0 = caps.0.c.map(US[0], VS[0]);
    let tpet1 = caps.1.c.map(US[1], VS[1]);
    let tpet2 = caps.2.c.map(US[2], VS[2]);

    let hscan = timing_scan(img, &tpet1, &tpet2);
    let vscan = timing_scan(img, &tpet1, &tpet0);

    let scan = cmp::max(hscan, vscan);

    /* Choose the nearest allowable grid size */
    // pocketpass: no transitions means no code, not a panic.
    if scan < 1 {
        return None;
    }
    let size = scan + 13;
    let ver = (size as f64 - 15.0).floor() as usize / 4;
    Some(ver * 4 + 17)
}

fn timing_scan<S>(img: &PreparedImage<S>, p0: &Point, p1: &Point) -> usize
where
    S: ImageBuffer,
{
    let mut count = 0;
    let mut previous = None;
    for p in geometry::BresenhamScan::new(p0, p1) {
        let pixel = img.get_pixel_at_point(p);
        if let Some(previous) = previous {
            if previous != pixel {
                count += 1;
            }
        }
        previous = Some(pixel);
    }

    count
}

fn find_alignment_pattern<S>(
    img: &mut PreparedImage<S>,
    mut align_seed: Point,
    c0: &CapStone,
    c2: &CapStone,
) -> Option<Point>
where
    S: ImageBuffer,
{
    /* Guess another two corners of the alignment pattern so that we
     * can estimate its size.
     */
    let (u, v) = c0.c.unmap(&align_seed);
    let a = c0.c.map(u, v + 1.0);
    let (u, v) = c2.c.unmap(&align_seed);
    let c = c2.c.map(u + 1.0, v);
    let size_estimate = ((a.x - align_seed.x) * -(c.y - align_seed.y)
        + (a.y - align_seed.y) * (c.x - align_seed.x))
        .unsigned_abs() as usize;

    /* Spiral outwards from the estimate point until we find something
     * roughly the right size. Don't look too far from the estimate
     * point.
     */
    let mut dir = 0;
    let mut step_size = 1;

    // pocketpass: a degenerate capstone perspective gives a huge estimate, and the spiral below
    // grows with it; bound it by the image so that no input makes the search run for minutes.
    let size_estimate = size_estimate.min(img.width() * img.height() / 49 + 1);
    while step_size * step_size < size_estimate * 100 {
        const DX_MAP: [i32; 4] = [1, 0, -1, 0];
        const DY_MAP: [i32; 4] = [0, -1, 0, 1];
        for _pass in 0..step_size {
            let x = align_seed.x as usize;
            let y = align_seed.y as usize;

            // Alignment pattern should not be white
            if x < img.width() && y < img.height() && PixelColor::White != img.get_pixel_at(x, y) {
                let region = img.get_region((x, y));
                let count = match region {
                    ColoredRegion::Unclaimed { pixel_count, .. } => pixel_count,
                    _ => continue,
                };

                // Matches expected size of alignment pattern
                if count >= size_estimate / 2 && count <= size_estimate * 2 {
                    return Some(align_seed);
                }
            }

            align_seed.x += DX_MAP[dir];
            align_seed.y += DY_MAP[dir];
        }

        // Cycle directions
        dir = (dir + 1) % 4;
        if dir & 1 == 0 {
            step_size += 1
        }
    }
    None
}

struct LeftMostFinder {
    line_p: Point,
    best: Point,
    score: i32,
}

impl AreaFiller for LeftMostFinder {
    fn update(&mut self, row: Row) {
        let left_d = -self.line_p.y * (row.left as i32) + self.line_p.x * row.y as i32;
        let right_d = -self.line_p.y * (row.right as i32) + self.line_p.x * row.y as i32;

        if left_d < self.score {
            self.score = left_d;
            self.best.x = row.left as i32;
            self.best.y = row.y as i32;
        }

        if right_d < self.score {
            self.score = right_d;
            self.best.x = row.right as i32;
            self.best.y = row.y as i32;
        }
    }
}

/// Samples the grid piece by piece (pocketpass): the alignment patterns are located one by one
/// near where the global perspective puts them, and each cell between four of them gets its own
/// perspective. Curved paper and lens distortion bend a large code more than one perspective can
/// follow; ZXing reads such codes the same way.
pub fn piecewise_grid<S>(
    img: &PreparedImage<S>,
    loc: &SkewedGridLocation,
) -> Option<crate::SimpleGrid>
where
    S: ImageBuffer,
{
    let size = loc.grid_size;
    let info = VERSION_DATA_BASE.get(version_from_grid_size(size))?;
    let lines: Vec<f64> = info
        .apat
        .iter()
        .take_while(|&&a| a != 0)
        .map(|&a| a as f64 + 0.5)
        .collect();
    if lines.len() < 2 {
        return None;
    }
    let n = lines.len();
    let c = &loc.c;
    let dark_at = |u: f64, v: f64| {
        let (x, y) = c.map_f(u, v);
        if !(x >= 0.0 && y >= 0.0 && (x as usize) < img.width() && (y as usize) < img.height()) {
            return None;
        }
        Some(PixelColor::White != img.get_pixel_at(x as usize, y as usize))
    };
    // Offsets to try, nearest first, in steps of a quarter module up to one module.
    let mut offsets: Vec<(f64, f64)> = (-4..=4)
        .flat_map(|i| (-4..=4).map(move |j| (i as f64 * 0.25, j as f64 * 0.25)))
        .collect();
    offsets.sort_by(|a, b| (a.0.abs() + a.1.abs()).total_cmp(&(b.0.abs() + b.1.abs())));
    let refine = |u: f64, v: f64| -> (f64, f64) {
        let mut best = (-1, (0.0, 0.0));
        for &(du, dv) in &offsets {
            let mut score = 0;
            for k in -2i32..=2 {
                for l in -2i32..=2 {
                    let expect = k.abs().max(l.abs()) != 1;
                    if dark_at(u + du + k as f64, v + dv + l as f64) == Some(expect) {
                        score += 1;
                    }
                }
            }
            if score > best.0 {
                best = (score, (du, dv));
            }
        }
        // Keep the global estimate unless a clear alignment pattern was found.
        if best.0 >= 22 {
            c.map_f(u + best.1 .0, v + best.1 .1)
        } else {
            c.map_f(u, v)
        }
    };
    let mut pts = vec![(0.0, 0.0); n * n];
    for j in 0..n {
        for i in 0..n {
            // The three finder corners: top-left, top-right, bottom-left.
            let corner = (j == 0 && (i == 0 || i == n - 1)) || (i == 0 && j == n - 1);
            pts[j * n + i] = if corner {
                c.map_f(lines[i], lines[j])
            } else {
                refine(lines[i], lines[j])
            };
        }
    }
    let mut cells = Vec::with_capacity((n - 1) * (n - 1));
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let from = [
                (lines[i], lines[j]),
                (lines[i + 1], lines[j]),
                (lines[i + 1], lines[j + 1]),
                (lines[i], lines[j + 1]),
            ];
            let to = [
                pts[j * n + i],
                pts[j * n + i + 1],
                pts[(j + 1) * n + i + 1],
                pts[(j + 1) * n + i],
            ];
            cells.push(geometry::Perspective::between(from, to)?);
        }
    }
    let cell_of = |m: f64| lines.windows(2).position(|w| m < w[1]).unwrap_or(n - 2);
    const OFFS: [(f64, f64); 5] = [(0.5, 0.5), (0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7)];
    Some(crate::SimpleGrid::from_func(size, |x, y| {
        let p = &cells[cell_of(y as f64 + 0.5) * (n - 1) + cell_of(x as f64 + 0.5)];
        let dark = OFFS
            .iter()
            .filter(|(du, dv)| {
                let (px, py) = p.map_f(x as f64 + du, y as f64 + dv);
                let pt = Point {
                    x: px as i32,
                    y: py as i32,
                };
                PixelColor::White != img.get_pixel_at_point(pt)
            })
            .count();
        dark >= 3
    }))
}

/// Where `fitness_cell` samples a module: 3×3 points, or its centre alone.
const FINE: [f64; 3] = [0.3, 0.5, 0.7];
const COARSE: [f64; 1] = [0.5];

/// A perspective fit in progress (pocketpass).
pub struct Jiggle {
    /// The location with the best perspective so far.
    pub location: SkewedGridLocation,
    offs: &'static [f64],
    best: i32,
    adjustments: [f64; 8],
}

impl Jiggle {
    /// One pass of the coordinate-wise hill climb of rqrr's `jiggle_perspective`; whether it
    /// moved the perspective.
    pub fn pass<S>(&mut self, img: &PreparedImage<S>) -> bool
    where
        S: ImageBuffer,
    {
        let grid_size = self.location.grid_size;
        let perspective = &mut self.location.c;
        let mut moved = false;
        for i in 0..16 {
            let j = i >> 1;
            let old = perspective.0[j];
            let step = self.adjustments[j];
            perspective.0[j] = if i & 1 != 0 { old + step } else { old - step };
            let test = fitness_all(img, perspective, self.offs, grid_size);
            if test > self.best {
                self.best = test;
                moved = true;
            } else {
                perspective.0[j] = old
            }
        }
        for a in self.adjustments.iter_mut() {
            *a *= 0.5;
        }
        moved
    }
}

/* Compute a fitness score for the currently configured perspective
 * transform, using the features we expect to find by scanning the
 * grid.
 */
fn fitness_all<S>(
    img: &PreparedImage<S>,
    perspective: &geometry::Perspective,
    offs: &[f64],
    grid_size: usize,
) -> i32
where
    S: ImageBuffer,
{
    let version = version_from_grid_size(grid_size);
    let info = &VERSION_DATA_BASE[version];
    let mut score = 0;

    /* Check the timing pattern */
    for i in 0..(grid_size as i32 - 14) {
        let expect = if 0 != i & 1 { 1 } else { -1 };
        score += fitness_cell(img, perspective, offs, i + 7, 6) * expect;
        score += fitness_cell(img, perspective, offs, 6, i + 7) * expect;
    }

    /* Check capstones */
    score += fitness_capstone(img, perspective, offs, 0, 0);
    score += fitness_capstone(img, perspective, offs, grid_size as i32 - 7, 0);
    score += fitness_capstone(img, perspective, offs, 0, grid_size as i32 - 7);

    /* Check alignment patterns */
    let mut ap_count = 0;
    while ap_count < 7 && info.apat[ap_count] != 0 {
        ap_count += 1
    }
    for i in 1..(ap_count.saturating_sub(1)) {
        score += fitness_apat(img, perspective, offs, 6, info.apat[i] as i32);
        score += fitness_apat(img, perspective, offs, info.apat[i] as i32, 6);
    }
    for i in 1..ap_count {
        for j in 1..ap_count {
            score += fitness_apat(
                img,
                perspective,
                offs,
                info.apat[i] as i32,
                info.apat[j] as i32,
            );
        }
    }
    score
}

fn fitness_apat<S>(
    img: &PreparedImage<S>,
    perspective: &geometry::Perspective,
    offs: &[f64],
    cx: i32,
    cy: i32,
) -> i32
where
    S: ImageBuffer,
{
    fitness_cell(img, perspective, offs, cx, cy) - fitness_ring(img, perspective, offs, cx, cy, 1)
        + fitness_ring(img, perspective, offs, cx, cy, 2)
}

fn fitness_ring<S>(
    img: &PreparedImage<S>,
    perspective: &geometry::Perspective,
    offs: &[f64],
    cx: i32,
    cy: i32,
    radius: i32,
) -> i32
where
    S: ImageBuffer,
{
    let mut score = 0;
    for i in 0..(radius * 2) {
        score += fitness_cell(img, perspective, offs, cx - radius + i, cy - radius);
        score += fitness_cell(img, perspective, offs, cx - radius, cy + radius - i);
        score += fitness_cell(img, perspective, offs, cx + radius, cy - radius + i);
        score += fitness_cell(img, perspective, offs, cx + radius - i, cy + radius);
    }
    score
}

fn fitness_cell<S>(
    img: &PreparedImage<S>,
    perspective: &geometry::Perspective,
    offs: &[f64],
    x: i32,
    y: i32,
) -> i32
where
    S: ImageBuffer,
{
    let mut score = 0;
    for &ov in offs {
        for &ou in offs {
            let p = perspective.map(x as f64 + ou, y as f64 + ov);
            if !(p.y < 0 || p.y as usize >= img.height() || p.x < 0 || p.x as usize >= img.width())
            {
                if PixelColor::White != img.get_pixel_at_point(p) {
                    score += 1
                } else {
                    score -= 1
                }
            }
        }
    }
    score
}

fn fitness_capstone<S>(
    img: &PreparedImage<S>,
    perspective: &geometry::Perspective,
    offs: &[f64],
    x: i32,
    y: i32,
) -> i32
where
    S: ImageBuffer,
{
    fitness_cell(img, perspective, offs, x + 3, y + 3)
        + fitness_ring(img, perspective, offs, x + 3, y + 3, 1)
        - fitness_ring(img, perspective, offs, x + 3, y + 3, 2)
        + fitness_ring(img, perspective, offs, x + 3, y + 3, 3)
}
