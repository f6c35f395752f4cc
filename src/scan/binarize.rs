//! Turning a luma frame into black and white, and rescaling it, before the finder search.
//!
//! rqrr's own threshold runs along rows only, so a code whose modules are a few pixels wide and
//! blurred loses its finder patterns. These binarizers look at 2-D neighbourhoods instead. They
//! return one byte a pixel: 1 black, 0 white, the layout rqrr's region labelling expects.

/// Side of the square blocks the block binarizer works in.
const BLOCK: usize = 8;
/// Blocks whose darkest and brightest pixels differ by no more than this are taken as flat.
const MIN_DYNAMIC_RANGE: u8 = 24;

/// Block-adaptive threshold (the method ZXing calls hybrid): each 8×8 block gets a black point
/// from its mean, or, where it is flat, from its neighbours; each pixel is compared with the
/// mean black point of the 5×5 blocks around its block. Linear in the pixel count, and robust to
/// uneven lighting because the threshold follows the light.
pub fn block_adaptive(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    if w < BLOCK * 5 || h < BLOCK * 5 {
        return global_otsu(luma, w, h);
    }
    let bw = w.div_ceil(BLOCK);
    let bh = h.div_ceil(BLOCK);
    // Sum, minimum and maximum of each block: first down the columns of the block's eight rows
    // (whole rows at a time, which the compiler turns into vector instructions), then across
    // each block's eight columns. The last block of a row or column is shifted to stay inside
    // the frame, so it may overlap its neighbour.
    let mut col_sum = vec![0u16; w];
    let mut col_min = vec![255u8; w];
    let mut col_max = vec![0u8; w];
    let mut sums = vec![0u32; bw];
    let mut mins = vec![255u8; bw];
    let mut maxs = vec![0u8; bw];
    let mut black = vec![0u8; bw * bh];
    for by in 0..bh {
        let y0 = (by * BLOCK).min(h - BLOCK);
        col_sum.fill(0);
        col_min.fill(255);
        col_max.fill(0);
        for row in luma[y0 * w..(y0 + BLOCK) * w].chunks_exact(w) {
            for (((s, mn), mx), &p) in col_sum
                .iter_mut()
                .zip(col_min.iter_mut())
                .zip(col_max.iter_mut())
                .zip(row)
            {
                *s += p as u16;
                *mn = (*mn).min(p);
                *mx = (*mx).max(p);
            }
        }
        for bx in 0..bw {
            let x0 = (bx * BLOCK).min(w - BLOCK);
            let r = x0..x0 + BLOCK;
            sums[bx] = col_sum[r.clone()].iter().map(|&v| v as u32).sum();
            mins[bx] = col_min[r.clone()].iter().copied().min().unwrap_or(0);
            maxs[bx] = col_max[r].iter().copied().max().unwrap_or(255);
        }
        for bx in 0..bw {
            let (min, max) = (mins[bx], maxs[bx]);
            let mut average = (sums[bx] / (BLOCK * BLOCK) as u32) as u8;
            if max - min <= MIN_DYNAMIC_RANGE {
                // A flat block is background unless its neighbours say it lies in a dark area:
                // then it takes their black point, so a large dark module stays dark.
                average = min / 2;
                if by > 0 && bx > 0 {
                    let up = black[(by - 1) * bw + bx] as u32;
                    let left = black[by * bw + bx - 1] as u32;
                    let diag = black[(by - 1) * bw + bx - 1] as u32;
                    let neighbours = ((up + 2 * left + diag) / 4) as u8;
                    if min < neighbours {
                        average = neighbours;
                    }
                }
            }
            black[by * bw + bx] = average;
        }
    }
    // Each block's threshold is the mean black point of the 5×5 blocks around it.
    let mut thresholds = vec![0u8; bw * bh];
    for by in 0..bh {
        let cy = by.clamp(2, bh - 3);
        for bx in 0..bw {
            let cx = bx.clamp(2, bw - 3);
            let mut sum = 0u32;
            for yy in cy - 2..=cy + 2 {
                sum += black[yy * bw + cx - 2..=yy * bw + cx + 2]
                    .iter()
                    .map(|&v| v as u32)
                    .sum::<u32>();
            }
            thresholds[by * bw + bx] = (sum / 25) as u8;
        }
    }
    // Blocks at the right and bottom edges overlap their neighbours (they are shifted to stay
    // inside the frame); the edge block wins there, as pixel / BLOCK gives.
    let mut out = vec![0u8; w * h];
    for (y, (dst, row)) in out
        .chunks_exact_mut(w)
        .zip(luma.chunks_exact(w))
        .enumerate()
    {
        let by = (y / BLOCK).min(bh - 1);
        let trow = &thresholds[by * bw..(by + 1) * bw];
        let whole = w / BLOCK * BLOCK;
        for ((d, p), &t) in dst[..whole]
            .chunks_exact_mut(BLOCK)
            .zip(row[..whole].chunks_exact(BLOCK))
            .zip(trow)
        {
            for (d, &p) in d.iter_mut().zip(p) {
                *d = (p <= t) as u8;
            }
        }
        let t = trow[bw - 1];
        for (d, &p) in dst[whole..].iter_mut().zip(&row[whole..]) {
            *d = (p <= t) as u8;
        }
    }
    out
}

/// Local-mean threshold over a square window of side `2 * radius + 1`, computed with an integral
/// image: a pixel is black when it is darker than 95 % of its neighbourhood's mean. A larger
/// window than the block binarizer's copes with heavy blur and large modules.
pub fn local_mean(luma: &[u8], w: usize, h: usize, radius: usize) -> Vec<u8> {
    let stride = w + 1;
    let mut integral = vec![0u32; stride * (h + 1)];
    for y in 0..h {
        let mut row_sum = 0u32;
        for x in 0..w {
            row_sum += luma[y * w + x] as u32;
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row_sum;
        }
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let y0 = y.saturating_sub(radius);
        let y1 = (y + radius + 1).min(h);
        for x in 0..w {
            let x0 = x.saturating_sub(radius);
            let x1 = (x + radius + 1).min(w);
            let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
                - integral[y0 * stride + x1]
                - integral[y1 * stride + x0];
            let area = ((y1 - y0) * (x1 - x0)) as u64;
            out[y * w + x] = ((luma[y * w + x] as u64) * area * 100 < sum as u64 * 95) as u8;
        }
    }
    out
}

/// One threshold for the whole frame, chosen by Otsu's method; for small or evenly lit images.
pub fn global_otsu(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut hist = [0u64; 256];
    for &p in &luma[..w * h] {
        hist[p as usize] += 1;
    }
    let total = (w * h) as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w_b, mut sum_b, mut best, mut threshold) = (0f64, 0f64, -1f64, 127u8);
    for (t, &count) in hist.iter().enumerate() {
        w_b += count as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0.0 {
            break;
        }
        sum_b += t as f64 * count as f64;
        let m_b = sum_b / w_b;
        let m_f = (sum_all - sum_b) / w_f;
        let between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            threshold = t as u8;
        }
    }
    luma[..w * h]
        .iter()
        .map(|&p| (p <= threshold) as u8)
        .collect()
}

/// Halves the frame by averaging 2×2 pixels.
pub fn downscale2(luma: &[u8], w: usize, h: usize) -> (Vec<u8>, usize, usize) {
    let (nw, nh) = (w / 2, h / 2);
    let mut out = vec![0u8; nw * nh];
    if nw == 0 {
        return (out, nw, nh);
    }
    for (y, dst) in out.chunks_exact_mut(nw).enumerate() {
        let r0 = &luma[2 * y * w..2 * y * w + 2 * nw];
        let r1 = &luma[(2 * y + 1) * w..(2 * y + 1) * w + 2 * nw];
        for ((d, a), b) in dst
            .iter_mut()
            .zip(r0.chunks_exact(2))
            .zip(r1.chunks_exact(2))
        {
            let s = a[0] as u16 + a[1] as u16 + b[0] as u16 + b[1] as u16;
            *d = ((s + 2) / 4) as u8;
        }
    }
    (out, nw, nh)
}

/// Side of the tiles [`has_contrast`] looks at.
const TILE: usize = 16;

/// Whether some 16×16 tile of the frame (read on every other row) spans more than the grey
/// levels the block binarizer takes as flat. A frame where none does holds no edge a code could
/// make, only light and sensor noise: a camera pointed at a wall, or at nothing yet. It costs a
/// small fraction of one decoding attempt.
pub fn has_contrast(luma: &[u8], w: usize, h: usize) -> bool {
    if w < TILE || h < TILE {
        return true;
    }
    let mut col_min = vec![255u8; w];
    let mut col_max = vec![0u8; w];
    for band in 0..h / TILE {
        col_min.fill(255);
        col_max.fill(0);
        for row in luma[band * TILE * w..(band + 1) * TILE * w]
            .chunks_exact(w)
            .step_by(2)
        {
            for ((mn, mx), &p) in col_min.iter_mut().zip(col_max.iter_mut()).zip(row) {
                *mn = (*mn).min(p);
                *mx = (*mx).max(p);
            }
        }
        for (mn, mx) in col_min.chunks_exact(TILE).zip(col_max.chunks_exact(TILE)) {
            let lo = mn.iter().copied().min().unwrap_or(255);
            let hi = mx.iter().copied().max().unwrap_or(0);
            if hi.saturating_sub(lo) > MIN_DYNAMIC_RANGE {
                return true;
            }
        }
    }
    false
}

/// Scales the frame by `factor` (2 or 3) with bilinear interpolation, so that modules of two or
/// three pixels become wide enough for the finder search.
pub fn upscale(luma: &[u8], w: usize, h: usize, factor: usize) -> (Vec<u8>, usize, usize) {
    let (nw, nh) = (w * factor, h * factor);
    let mut out = vec![0u8; nw * nh];
    let f = factor as f32;
    for y in 0..nh {
        let sy = ((y as f32 + 0.5) / f - 0.5).max(0.0);
        let y0 = (sy as usize).min(h - 1);
        let y1 = (y0 + 1).min(h - 1);
        let fy = sy - y0 as f32;
        for x in 0..nw {
            let sx = ((x as f32 + 0.5) / f - 0.5).max(0.0);
            let x0 = (sx as usize).min(w - 1);
            let x1 = (x0 + 1).min(w - 1);
            let fx = sx - x0 as f32;
            let top = luma[y0 * w + x0] as f32 * (1.0 - fx) + luma[y0 * w + x1] as f32 * fx;
            let bottom = luma[y1 * w + x0] as f32 * (1.0 - fx) + luma[y1 * w + x1] as f32 * fx;
            out[y * nw + x] = (top * (1.0 - fy) + bottom * fy + 0.5) as u8;
        }
    }
    (out, nw, nh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(w: usize, h: usize, cell: usize, dark: u8, light: u8) -> Vec<u8> {
        (0..w * h)
            .map(|i| {
                if ((i % w) / cell + (i / w) / cell).is_multiple_of(2) {
                    dark
                } else {
                    light
                }
            })
            .collect()
    }

    #[test]
    fn every_binarizer_separates_a_dim_checkerboard() {
        let (w, h) = (96, 64);
        let img = checker(w, h, 5, 60, 110);
        for bits in [
            block_adaptive(&img, w, h),
            local_mean(&img, w, h, 12),
            global_otsu(&img, w, h),
        ] {
            let wrong = img
                .iter()
                .zip(&bits)
                .filter(|(&p, &b)| (p == 60) != (b == 1))
                .count();
            assert!(wrong * 20 < w * h, "{wrong} of {} pixels misread", w * h);
        }
    }

    #[test]
    fn flat_frames_have_no_contrast_and_edges_do() {
        let (w, h) = (64, 48);
        let mut flat: Vec<u8> = (0..w * h).map(|i| (100 + (i % w) / 8) as u8).collect();
        assert!(!has_contrast(&flat, w, h));
        flat[20 * w + 30] = 20;
        assert!(has_contrast(&flat, w, h));
        assert!(has_contrast(&checker(w, h, 4, 0, 255), w, h));
    }

    #[test]
    fn rescaling_keeps_sizes_and_levels() {
        let img = checker(10, 6, 2, 0, 255);
        let (up, uw, uh) = upscale(&img, 10, 6, 3);
        assert_eq!((uw, uh, up.len()), (30, 18, 540));
        assert_eq!(up[0], 0);
        let (down, dw, dh) = downscale2(&img, 10, 6);
        assert_eq!((dw, dh, down.len()), (5, 3, 15));
        assert_eq!(down[0], 0);
        assert_eq!(down[1], 255);
    }
}
