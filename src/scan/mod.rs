//! Reading QR codes: decoding 8-bit luma frames, and the sources that supply them.
//!
//! [`decode`] finds every QR code in one [`LumaFrame`], trying several binarizations, scales
//! and inversion until one reads; [`Scanner`] does the same over a live stream of camera frames
//! but spreads the retries over successive frames so that each frame stays cheap. The detector
//! and decoder are a patched copy of rqrr (the workspace member `crates/rqrr`; its `CHANGES.md`
//! says what changed and why); in front of it sit our own binarizers ([`binarize`]), so rqrr's
//! row-only threshold is never used.
//! What rqrr cannot read goes to a second pure-Rust decoder, rxing (a port of ZXing), as a
//! fallback ([`fallback`]; `docs/scanning.md` says which decoder reads which photos and why).
//!
//! Every decode runs under `catch_unwind`: the detector has panicked on real photos, and a bad
//! image must give "no code", never abort the app.
//!
//! Frame sources (image files, camera, screen, clipboard, recorded frames) implement
//! [`FrameSource`]; [`read_texts`] reads what a source shows and returns the codes' texts, which
//! is what `pocketpass add --scan` needs.

mod binarize;
#[cfg(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "windows",
    all(target_os = "ios", feature = "ios-camera")
))]
pub mod camera;
mod charset;
mod fallback;
mod plane;
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
pub mod clipboard;
#[cfg(target_os = "linux")]
pub mod screen;
mod source;
mod unsupported;
#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "windows",
    target_os = "android",
    all(target_os = "ios", feature = "ios-camera")
)))]
pub use unsupported::camera;
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub use unsupported::clipboard;
#[cfg(not(target_os = "linux"))]
pub use unsupported::screen;
// Android's camera: NDK Camera2 (issue 7); iOS uses nokhwa's AVFoundation backend above.
#[cfg(target_os = "android")]
#[path = "android_camera.rs"]
pub mod camera;

pub use plane::{pick_stream_size, Rotation};
pub use source::{
    frame_texts, load_image_bytes, load_image_file, read_texts, scan_stream, FileSource,
    FrameSource, PlaybackSource, Source, SourceError, CLIPBOARD, MAX_IMAGE_ALLOC, MAX_IMAGE_SIDE,
};

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// An 8-bit greyscale frame, row by row, 0 black and 255 white.
#[derive(Clone, PartialEq, Eq)]
pub struct LumaFrame {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

impl std::fmt::Debug for LumaFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LumaFrame({}x{})", self.width, self.height)
    }
}

impl LumaFrame {
    /// Wraps `data`, which must hold `width * height` bytes; `None` when it does not.
    pub fn new(width: usize, height: usize, data: Vec<u8>) -> Option<Self> {
        (width.checked_mul(height)? == data.len()).then_some(LumaFrame {
            width,
            height,
            data,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row by row.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// One QR code found and read in a frame. (Not [`crate::otp::Code`], the one-time code an
/// account shows.)
#[derive(Debug, Clone, PartialEq)]
pub struct FoundCode {
    /// The code's contents as encoded (byte segments as they were, Kanji segments as
    /// Shift_JIS).
    pub bytes: Vec<u8>,
    /// The contents as text under the QR character-set rules; `None` for binary contents.
    pub text: Option<String>,
    /// Corners in frame pixels: top-left, top-right, bottom-right, bottom-left of the code.
    pub corners: [(f32, f32); 4],
}

/// How one attempt prepares the frame before the finder search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binarizer {
    /// 8×8 block-adaptive threshold.
    Block,
    /// Local mean over a window of about a tenth of the frame.
    LocalMean,
    /// One global threshold (Otsu).
    Global,
}

/// One way of looking at a frame: scale, binarizer, and whether light-on-dark is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Attempt {
    /// 1 as is, 2 or 3 upscaled, -2 halved.
    scale: i8,
    binarizer: Binarizer,
    inverted: bool,
}

/// One step of reading a frame: an attempt of our rqrr pipeline, or the fallback decoder
/// (rxing, see [`fallback`]), on the whole frame or on it halved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Rqrr(Attempt),
    Fallback { halved: bool },
}

/// Frames larger than this (in pixels) are halved first: codes in them are big enough, and the
/// finder search costs in proportion to the area.
const LARGE_FRAME: usize = 1600 * 1200;

/// The attempts for a frame, cheapest and likeliest first.
fn attempts(width: usize, height: usize) -> Vec<Attempt> {
    use Binarizer::*;
    let a = |scale, binarizer, inverted| Attempt {
        scale,
        binarizer,
        inverted,
    };
    let base = if width * height > LARGE_FRAME { -2 } else { 1 };
    let mut list = vec![
        a(base, Block, false),
        a(base, Block, true),
        a(base, LocalMean, false),
        a(base, Global, false),
    ];
    if base == -2 {
        // Small codes on a large screen need every pixel.
        list.push(a(1, Block, false));
        list.push(a(1, LocalMean, false));
        list.push(a(1, Block, true));
    }
    if width.min(height) >= 400 && base == 1 {
        list.push(a(-2, Block, false));
        list.push(a(-2, LocalMean, false));
    }
    if width.max(height) <= 1200 {
        list.push(a(2, Block, false));
        list.push(a(2, LocalMean, false));
        list.push(a(2, Block, true));
    }
    if width.max(height) <= 400 {
        list.push(a(3, Block, false));
        list.push(a(3, LocalMean, false));
    }
    list.push(a(base, LocalMean, true));
    list.push(a(base, Global, true));
    list
}

/// The steps of [`decode`]: rqrr's first attempt, which reads most codes (87 of the 137 corpus
/// photos) at about half of zxing-cpp's speed; then the fallback decoder, which reads most of the
/// rest in well under a millisecond; then rqrr's dearer retries (other binarizers, scales and
/// inversion), which read what neither of the first two did. Putting the fallback last would
/// read the same codes but make every code the first attempt misses pay for the retries first
/// (median 0.79 ms instead of 0.57 ms on the corpus, measured in one run).
fn steps(width: usize, height: usize) -> Vec<Step> {
    let mut list: Vec<Step> = attempts(width, height)
        .into_iter()
        .map(Step::Rqrr)
        .collect();
    list.insert(1.min(list.len()), Step::Fallback { halved: false });
    list
}

/// Runs one step; an empty list when nothing decoded or a decoder panicked.
fn run_step(frame: &LumaFrame, step: Step) -> Vec<FoundCode> {
    match step {
        Step::Rqrr(attempt) => run_attempt(frame, attempt),
        Step::Fallback { halved: false } => fallback::decode(frame),
        Step::Fallback { halved: true } => {
            let (data, width, height) =
                binarize::downscale2(&frame.data, frame.width, frame.height);
            let half = LumaFrame {
                width,
                height,
                data,
            };
            let mut codes = fallback::decode(&half);
            for code in &mut codes {
                code.corners = code.corners.map(|(x, y)| (x * 2.0, y * 2.0));
            }
            codes
        }
    }
}

/// Runs one attempt; an empty list when nothing decoded or the detector panicked.
fn run_attempt(frame: &LumaFrame, attempt: Attempt) -> Vec<FoundCode> {
    let (w, h) = (frame.width, frame.height);
    if w < 21 || h < 21 {
        return Vec::new();
    }
    let scaled;
    let (luma, sw, sh, factor): (&[u8], usize, usize, f32) = match attempt.scale {
        -2 => {
            scaled = binarize::downscale2(&frame.data, w, h);
            (&scaled.0, scaled.1, scaled.2, 0.5)
        }
        s @ 2..=3 => {
            scaled = binarize::upscale(&frame.data, w, h, s as usize);
            (&scaled.0, scaled.1, scaled.2, s as f32)
        }
        _ => (&frame.data, w, h, 1.0),
    };
    let mut bits = match attempt.binarizer {
        Binarizer::Block => binarize::block_adaptive(luma, sw, sh),
        Binarizer::LocalMean => binarize::local_mean(luma, sw, sh, (sw.min(sh) / 20).max(4)),
        Binarizer::Global => binarize::global_otsu(luma, sw, sh),
    };
    if attempt.inverted {
        bits.iter_mut().for_each(|b| *b ^= 1);
    }
    let found = catch_unwind(AssertUnwindSafe(|| {
        rqrr::PreparedImage::from_bits(sw, sh, bits).detect_and_decode()
    }));
    let Ok(found) = found else {
        tracing::debug!(
            ?attempt,
            "QR detector panicked; treating the attempt as empty"
        );
        return Vec::new();
    };
    found
        .into_iter()
        .map(|(bounds, _meta, payload)| {
            let (bytes, text) = charset::payload_text(&payload);
            let corners = bounds.map(|p| (p.x as f32 / factor, p.y as f32 / factor));
            FoundCode {
                bytes,
                text,
                corners,
            }
        })
        .collect()
}

/// How long [`decode`] may look at one frame before it gives up. The slowest photo of the public
/// corpus takes under a second in a release build (all retries run); a crafted image could
/// otherwise keep the decoder busy for as long as it likes.
pub const DECODE_BUDGET: Duration = Duration::from_secs(10);

/// Finds the QR codes in `frame`, trying the attempts in order and stopping at the first that
/// reads at least one code. Returns every code that attempt read (a screen may show several).
/// Never panics; an empty list means no code could be read within [`DECODE_BUDGET`].
pub fn decode(frame: &LumaFrame) -> Vec<FoundCode> {
    decode_within(frame, DECODE_BUDGET).codes
}

/// What [`decode_within`] found, and whether it tried every way of looking at the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The codes read; empty when none was.
    pub codes: Vec<FoundCode>,
    /// False when the budget ran out before every attempt was made: the frame may hold a code
    /// that a smaller or cropped image would show.
    pub complete: bool,
}

/// Like [`decode`], giving up once `budget` has passed. The budget is checked between
/// attempts, so the first attempt always runs and one attempt may end after it.
pub fn decode_within(frame: &LumaFrame, budget: Duration) -> Decoded {
    let start = Instant::now();
    let steps = steps(frame.width, frame.height);
    for (i, step) in steps.iter().enumerate() {
        if i > 0 && start.elapsed() >= budget {
            tracing::debug!(attempts = i, "QR decode budget spent; giving up");
            return Decoded {
                codes: Vec::new(),
                complete: false,
            };
        }
        let codes = run_step(frame, *step);
        if !codes.is_empty() {
            return Decoded {
                codes: dedup(codes),
                complete: true,
            };
        }
    }
    Decoded {
        codes: Vec::new(),
        complete: true,
    }
}

/// Drops codes with identical contents (one code found twice through two finder triples).
fn dedup(mut codes: Vec<FoundCode>) -> Vec<FoundCode> {
    let mut seen = Vec::new();
    codes.retain(|c| {
        if seen.contains(&c.bytes) {
            false
        } else {
            seen.push(c.bytes.clone());
            true
        }
    });
    codes
}

/// The steps for live camera frames: no upscaling (a code too small to read is fixed by moving
/// closer, and upscaling a camera frame costs several times a normal attempt), and large frames
/// are read at half size first and most often; local-mean thresholding, the dearest binarizer,
/// and the fallback decoder only at half size.
fn live_steps(width: usize, height: usize) -> Vec<Step> {
    use Binarizer::*;
    let a = |scale, binarizer, inverted| {
        Step::Rqrr(Attempt {
            scale,
            binarizer,
            inverted,
        })
    };
    if width * height > 640 * 480 {
        vec![
            a(-2, Block, false),
            a(1, Block, false),
            Step::Fallback { halved: true },
            a(-2, Block, true),
            a(-2, LocalMean, false),
            a(1, Block, true),
        ]
    } else {
        vec![
            a(1, Block, false),
            Step::Fallback { halved: false },
            a(1, Block, true),
            a(1, LocalMean, false),
            a(1, Global, false),
        ]
    }
}

/// Decodes a live stream of frames cheaply: each frame gets one attempt, the next in a short
/// rotation, so that a frame with nothing in view costs one attempt (half-size for large
/// frames) and every way of looking has been tried within a handful of frames.
#[derive(Debug, Default)]
pub struct Scanner {
    next: usize,
}

impl Scanner {
    /// A scanner that starts its rotation at the cheapest attempt.
    pub fn new() -> Self {
        Scanner::default()
    }

    /// Reads `frame` with the next attempt of the rotation; the codes read, if any. A frame
    /// without any contrast (nothing in view yet) is passed over at a fraction of an attempt's
    /// cost.
    pub fn scan(&mut self, frame: &LumaFrame) -> Vec<FoundCode> {
        if !binarize::has_contrast(&frame.data, frame.width, frame.height) {
            return Vec::new();
        }
        let list = live_steps(frame.width, frame.height);
        let step = list[self.next % list.len()];
        self.next = self.next.wrapping_add(1);
        dedup(run_step(frame, step))
    }
}
