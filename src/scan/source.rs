//! Where frames come from: the [`FrameSource`] trait and the sources that need no hardware.

use super::{decode_within, LumaFrame, Scanner, DECODE_BUDGET};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a source gave no frame. Each message says what happened and what to try instead.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// An image file could not be read from disk.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file was read but is not an image we can decode.
    #[error("{path} is not a PNG, JPEG or WebP image we can read: {message}")]
    BadImage {
        /// The file.
        path: PathBuf,
        /// What the image decoder said.
        message: String,
    },
    /// No camera is connected (or none is visible to this program).
    #[error(
        "no camera found; open an image of the QR code, scan the screen, or paste the link instead"
    )]
    NoCamera,
    /// The system refused access to the camera.
    #[error("the camera cannot be used (permission denied); allow camera access, or open an image, scan the screen, or paste the link instead")]
    PermissionDenied,
    /// The camera may not be used yet, and the system is asking the user now (Android's
    /// permission dialog): the next try after the answer works.
    #[error(
        "the system is asking whether Pocket Pass may use the camera; allow it, then try again"
    )]
    PermissionAsked,
    /// The camera failed while opening or streaming.
    #[error("the camera failed: {0}; try another camera, or open an image, scan the screen, or paste the link instead")]
    Camera(String),
    /// The screen could not be captured.
    #[error("cannot capture the screen: {0}; save the QR code as an image and open it instead")]
    Screen(String),
    /// The clipboard could not be read, or held neither an image nor text.
    #[error("cannot read the clipboard: {0}")]
    Clipboard(String),
    /// This build was made without support for the source.
    #[error("this build of Pocket Pass cannot use the {0}; open an image of the QR code instead")]
    Unsupported(&'static str),
    /// The source was read but showed no QR code that could be decoded.
    #[error("no QR code found in {0}")]
    NoCode(String),
    /// Decoding gave up before trying every way of reading the image (see
    /// [`DECODE_BUDGET`]).
    #[error(
        "no QR code found in {0} in the time allowed; crop the image to the QR code and try again"
    )]
    OutOfTime(String),
}

/// Anything that supplies luma frames: a camera, the screen, an image file, recorded frames.
/// The UI, the terminal commands and the tests all read frames through it.
pub trait FrameSource: Send {
    /// The next frame; `Ok(None)` when the source has no more (a file after its one frame).
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, SourceError>;
}

/// Reads an image file (PNG, JPEG, WebP) as an 8-bit luma frame.
pub fn load_image_file(path: &Path) -> Result<LumaFrame, SourceError> {
    let bytes = std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_owned(),
        source,
    })?;
    load_image_bytes(&bytes).map_err(|message| SourceError::BadImage {
        path: path.to_owned(),
        message,
    })
}

/// The widest and tallest image read, in pixels: more than an 8K screen or a 100-megapixel
/// photo needs. Larger images are refused before their pixels are decoded.
pub const MAX_IMAGE_SIDE: u32 = 12_000;
/// The most memory the image decoder may allocate for one image, in bytes (an 8K screenshot
/// in RGBA needs 133 MB): a small file that unpacks to gigabytes is refused, not decoded.
pub const MAX_IMAGE_ALLOC: u64 = 320 * 1024 * 1024;

/// Decodes an encoded image (PNG, JPEG, WebP) held in memory to luma, refusing images larger
/// than [`MAX_IMAGE_SIDE`] or needing more than [`MAX_IMAGE_ALLOC`] bytes to decode.
pub fn load_image_bytes(bytes: &[u8]) -> Result<LumaFrame, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => format!(
            "the image is too large (at most {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} pixels); \
             crop it to the QR code"
        ),
        e => e.to_string(),
    })?;
    let luma = img.to_luma8();
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    LumaFrame::new(w, h, luma.into_raw()).ok_or_else(|| "image has no pixels".to_owned())
}

/// An image file as a one-frame source.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    done: bool,
}

impl FileSource {
    /// A source that reads `path` once.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileSource {
            path: path.into(),
            done: false,
        }
    }
}

impl FrameSource for FileSource {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, SourceError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        load_image_file(&self.path).map(Some)
    }
}

/// Plays back frames recorded or generated in advance: the source tests and demos use.
#[derive(Debug)]
pub struct PlaybackSource {
    frames: std::vec::IntoIter<LumaFrame>,
}

impl PlaybackSource {
    /// A source that yields `frames` in order, then ends.
    pub fn new(frames: Vec<LumaFrame>) -> Self {
        PlaybackSource {
            frames: frames.into_iter(),
        }
    }
}

impl FrameSource for PlaybackSource {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, SourceError> {
        Ok(self.frames.next())
    }
}

/// A place to read a QR code from, as `pocketpass add --scan FILE|--screen|--camera` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An image file.
    File(PathBuf),
    /// Every screen of the desktop the user is on.
    Screen,
    /// A camera (`None`: the first one), read until a code shows or `timeout` passes.
    Camera {
        /// Index among the cameras the system lists.
        index: Option<u32>,
        /// How long to look before giving up.
        timeout: Duration,
    },
    /// The clipboard: an image of a code, or a copied link.
    Clipboard,
}

/// Reads frames from `frames` with a [`Scanner`] until one shows a code or `timeout` passes;
/// the codes' texts (codes with binary contents are skipped).
pub fn scan_stream(
    frames: &mut dyn FrameSource,
    timeout: Duration,
) -> Result<Vec<String>, SourceError> {
    let start = Instant::now();
    let mut scanner = Scanner::new();
    while let Some(frame) = frames.next_frame()? {
        let texts: Vec<String> = scanner
            .scan(&frame)
            .into_iter()
            .filter_map(|c| c.text)
            .collect();
        if !texts.is_empty() {
            return Ok(texts);
        }
        if start.elapsed() >= timeout {
            break;
        }
    }
    Ok(Vec::new())
}

/// The texts of the QR codes in one still picture (an image file's), read within
/// [`DECODE_BUDGET`]. When the budget ran out before any code was read, the picture may still
/// hold one: [`SourceError::OutOfTime`] names it (`name`) rather than "no code".
pub fn frame_texts(frame: &LumaFrame, name: &str) -> Result<Vec<String>, SourceError> {
    let decoded = decode_within(frame, DECODE_BUDGET);
    let texts: Vec<String> = decoded.codes.into_iter().filter_map(|c| c.text).collect();
    if texts.is_empty() && !decoded.complete {
        return Err(SourceError::OutOfTime(name.to_owned()));
    }
    Ok(texts)
}

/// What [`SourceError::NoCode`] names when the clipboard held no code.
pub const CLIPBOARD: &str = "the clipboard";

/// The texts of the QR codes `source` shows (for a clipboard holding a link: the link itself).
/// An error when the source cannot be read or shows no code. This is what `pocketpass add
/// --scan FILE|--screen|--camera` calls.
pub fn read_texts(source: &Source) -> Result<Vec<String>, SourceError> {
    let (texts, what) = match source {
        Source::File(path) => {
            let name = path.display().to_string();
            (frame_texts(&load_image_file(path)?, &name)?, name)
        }
        Source::Screen => (super::screen::scan_screens()?, "the screen".to_owned()),
        Source::Camera { index, timeout } => {
            let mut camera = super::camera::open(*index)?;
            (
                scan_stream(&mut *camera, *timeout)?,
                "the camera's view".to_owned(),
            )
        }
        Source::Clipboard => (super::clipboard::read_clipboard()?, CLIPBOARD.to_owned()),
    };
    if texts.is_empty() {
        return Err(SourceError::NoCode(what));
    }
    Ok(texts)
}
