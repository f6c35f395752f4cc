//! Drawing QR codes into luma frames the way a camera or a screen shows them, for the scan
//! tests and benchmarks: scaled, turned, tilted, blurred, noisy, dim. Shared by the `tests/scan*.rs`
//! files and `benches/scan.rs`.
#![allow(dead_code)]

use qrcode::{EcLevel, QrCode};

/// A deterministic pseudo-random sequence, so that noisy frames are the same on every run.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// Modules of a code with a four-module quiet zone: `true` is dark.
pub struct Modules {
    pub size: usize,
    pub dark: Vec<bool>,
}

impl Modules {
    pub fn of(code: &QrCode) -> Self {
        let width = code.width();
        let size = width + 8;
        let colors = code.to_colors();
        let mut dark = vec![false; size * size];
        for y in 0..width {
            for x in 0..width {
                dark[(y + 4) * size + x + 4] = colors[y * width + x] == qrcode::Color::Dark;
            }
        }
        Modules { size, dark }
    }

    pub fn text(payload: &str) -> Self {
        Modules::of(&QrCode::with_error_correction_level(payload, EcLevel::M).unwrap())
    }

    /// Whether module-space point (u, v) is dark; outside the code is light.
    pub fn at(&self, u: f64, v: f64) -> bool {
        if u < 0.0 || v < 0.0 {
            return false;
        }
        let (x, y) = (u as usize, v as usize);
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }
}

/// A projective map, solved from four point pairs.
#[derive(Clone, Copy)]
pub struct Homography(pub [f64; 8]);

impl Homography {
    /// The map taking `from[i]` to `to[i]`.
    pub fn between(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Self {
        let mut m = [[0f64; 9]; 8];
        for i in 0..4 {
            let ((x, y), (u, v)) = (from[i], to[i]);
            m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        for col in 0..8 {
            let pivot = (col..8)
                .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
                .unwrap();
            m.swap(col, pivot);
            for row in 0..8 {
                if row != col {
                    let f = m[row][col] / m[col][col];
                    let pivot_row = m[col];
                    for (cell, p) in m[row][col..].iter_mut().zip(&pivot_row[col..]) {
                        *cell -= f * p;
                    }
                }
            }
        }
        Homography(std::array::from_fn(|i| m[i][8] / m[i][i]))
    }

    pub fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let h = &self.0;
        let d = h[6] * x + h[7] * y + 1.0;
        (
            (h[0] * x + h[1] * y + h[2]) / d,
            (h[3] * x + h[4] * y + h[5]) / d,
        )
    }
}

/// Draws `modules` into a `w`×`h` frame so that the code's outer corners (quiet zone included)
/// land on `quad` (top-left, top-right, bottom-right, bottom-left), with 3×3 supersampling.
pub fn draw(w: usize, h: usize, modules: &Modules, quad: [(f64, f64); 4]) -> Vec<u8> {
    let n = modules.size as f64;
    let to_modules = Homography::between(quad, [(0.0, 0.0), (n, 0.0), (n, n), (0.0, n)]);
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut dark = 0;
            for sy in 0..3 {
                for sx in 0..3 {
                    let (u, v) = to_modules.map(
                        x as f64 + (sx as f64 + 0.5) / 3.0,
                        y as f64 + (sy as f64 + 0.5) / 3.0,
                    );
                    dark += modules.at(u, v) as u32;
                }
            }
            out[y * w + x] = (255 - dark * 255 / 9) as u8;
        }
    }
    out
}

/// The quad of a square of side `side` centred at (cx, cy), turned by `degrees`.
pub fn square(cx: f64, cy: f64, side: f64, degrees: f64) -> [(f64, f64); 4] {
    let (s, c) = degrees.to_radians().sin_cos();
    let r = side / 2.0;
    [(-r, -r), (r, -r), (r, r), (-r, r)].map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c))
}

/// `modules` drawn upright, filling a square frame at `px` pixels a module: the frame's side
/// and its pixels. The cleanest picture of a code, as a screen or an image file shows it.
pub fn upright(modules: &Modules, px: usize) -> (usize, Vec<u8>) {
    let side = modules.size * px;
    let half = side as f64 / 2.0;
    let img = draw(side, side, modules, square(half, half, side as f64, 0.0));
    (side, img)
}

/// Box blur of radius `r`, applied twice (close to a Gaussian).
pub fn blur(img: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    let mut a = img.to_vec();
    for _ in 0..2 {
        let mut b = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
                let s: u32 = a[y * w + x0..y * w + x1].iter().map(|&v| v as u32).sum();
                b[y * w + x] = (s / (x1 - x0) as u32) as u8;
            }
        }
        for y in 0..h {
            for x in 0..w {
                let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
                let s: u32 = (y0..y1).map(|yy| b[yy * w + x] as u32).sum();
                a[y * w + x] = (s / (y1 - y0) as u32) as u8;
            }
        }
    }
    a
}

/// Adds uniform noise of ±`amplitude` grey levels.
pub fn noise(img: &mut [u8], amplitude: i32, seed: u64) {
    let mut rng = Lcg(seed);
    for p in img.iter_mut() {
        let n = (rng.next() % (2 * amplitude as u32 + 1)) as i32 - amplitude;
        *p = (*p as i32 + n).clamp(0, 255) as u8;
    }
}

/// Maps black to `dark` and white to `light` (dim print, glare, a dark-mode screen).
pub fn levels(img: &mut [u8], dark: u8, light: u8) {
    for p in img.iter_mut() {
        *p = (dark as u32 + (*p as u32) * (light as u32 - dark as u32) / 255) as u8;
    }
}
