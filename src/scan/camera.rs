//! The desktop camera as a frame source: nokhwa on a worker thread.
//!
//! The worker opens the camera, negotiates a format from a fallback list (cameras often refuse
//! the first request with nokhwa's "failed to fulfil" errors), and sends luma frames over a
//! small channel; the consumer ([`CameraSource`]) reads them as a [`FrameSource`] and stops the
//! worker when dropped. Frames are converted to luma here, from MJPEG, YUYV, NV12, grey or RGB,
//! without nokhwa's own decoders, so no C JPEG library is needed. Conversion works on nokhwa's
//! [`Buffer`] type, which tests fill with synthetic frames.

use super::source::{load_image_bytes, FrameSource, SourceError};
use super::LumaFrame;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub use nokhwa::utils::{FrameFormat, Resolution};
pub use nokhwa::Buffer;

/// Converts one camera buffer to a luma frame.
pub fn buffer_to_luma(buffer: &Buffer) -> Result<LumaFrame, SourceError> {
    let res = buffer.resolution();
    let (w, h) = (res.width() as usize, res.height() as usize);
    let data = buffer.buffer();
    let short = |need: usize| {
        SourceError::Camera(format!(
            "a {w}×{h} {} frame needs {need} bytes, the camera sent {}",
            buffer.source_frame_format(),
            data.len()
        ))
    };
    let pixels = w.checked_mul(h).ok_or_else(|| short(usize::MAX))?;
    let luma = match buffer.source_frame_format() {
        FrameFormat::MJPEG => {
            let frame = load_image_bytes(data)
                .map_err(|e| SourceError::Camera(format!("a JPEG frame did not decode: {e}")))?;
            return Ok(frame);
        }
        // YUYV 4:2:2: Y0 U Y1 V; luma is every other byte.
        FrameFormat::YUYV => {
            let need = pixels.checked_mul(2).ok_or_else(|| short(usize::MAX))?;
            if data.len() < need {
                return Err(short(need));
            }
            data[..need].iter().step_by(2).copied().collect()
        }
        // NV12 and plain grey both start with a full-resolution luma plane.
        FrameFormat::NV12 | FrameFormat::GRAY => {
            if data.len() < pixels {
                return Err(short(pixels));
            }
            data[..pixels].to_vec()
        }
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => {
            let need = pixels.checked_mul(3).ok_or_else(|| short(usize::MAX))?;
            if data.len() < need {
                return Err(short(need));
            }
            let rgb = buffer.source_frame_format() == FrameFormat::RAWRGB;
            data[..need]
                .chunks_exact(3)
                .map(|p| {
                    let (r, g, b) = if rgb {
                        (p[0], p[1], p[2])
                    } else {
                        (p[2], p[1], p[0])
                    };
                    ((r as u32 * 77 + g as u32 * 150 + b as u32 * 29) >> 8) as u8
                })
                .collect()
        }
    };
    LumaFrame::new(w, h, luma).ok_or_else(|| short(pixels))
}

/// The formats asked for, in order: a sharp MJPEG or YUYV stream at 1280×720 suits QR codes
/// best; then what the camera does best; then anything at all.
fn format_fallbacks() -> Vec<nokhwa::utils::RequestedFormatType> {
    use nokhwa::utils::{CameraFormat, RequestedFormatType as R};
    let hd = Resolution::new(1280, 720);
    vec![
        R::Closest(CameraFormat::new(hd, FrameFormat::MJPEG, 30)),
        R::Closest(CameraFormat::new(hd, FrameFormat::YUYV, 30)),
        R::Closest(CameraFormat::new(
            Resolution::new(640, 480),
            FrameFormat::YUYV,
            30,
        )),
        R::AbsoluteHighestFrameRate,
        R::AbsoluteHighestResolution,
        R::None,
    ]
}

/// Maps nokhwa's errors to ours: permission problems are told apart so the UI can say so.
fn camera_error(e: nokhwa::NokhwaError) -> SourceError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("permission") || lower.contains("denied") || lower.contains("not authorized")
    {
        SourceError::PermissionDenied
    } else {
        SourceError::Camera(text)
    }
}

/// Chooses the camera to open among those the system lists: `index` if given, else the first.
pub fn choose(
    cameras: &[nokhwa::utils::CameraInfo],
    index: Option<u32>,
) -> Result<nokhwa::utils::CameraIndex, SourceError> {
    if cameras.is_empty() {
        return Err(SourceError::NoCamera);
    }
    let info = match index {
        None => &cameras[0],
        Some(i) => cameras
            .iter()
            .find(|c| c.index() == &nokhwa::utils::CameraIndex::Index(i))
            .or_else(|| cameras.get(i as usize))
            .ok_or_else(|| {
                SourceError::Camera(format!(
                    "there is no camera {i}; {} camera(s) found: {}",
                    cameras.len(),
                    cameras
                        .iter()
                        .map(|c| c.human_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
    };
    Ok(info.index().clone())
}

/// The names of the cameras the system lists, in index order (for a camera chooser).
pub fn list() -> Result<Vec<String>, SourceError> {
    let cameras = query()?;
    Ok(cameras.iter().map(|c| c.human_name()).collect())
}

/// The cameras the system lists; none is not an error here.
fn query() -> Result<Vec<nokhwa::utils::CameraInfo>, SourceError> {
    match nokhwa::query(nokhwa::utils::ApiBackend::Auto) {
        Ok(list) => Ok(list),
        // On Linux a missing /dev/video* can surface as an error rather than an empty list.
        Err(e) => {
            let err = camera_error(e);
            match err {
                SourceError::PermissionDenied => Err(err),
                _ => Ok(Vec::new()),
            }
        }
    }
}

/// Opens a camera with the first format it accepts from the fallback list and starts its
/// stream.
fn open_camera(index: nokhwa::utils::CameraIndex) -> Result<nokhwa::Camera, SourceError> {
    use nokhwa::pixel_format::LumaFormat;
    use nokhwa::utils::RequestedFormat;
    let mut last = None;
    for wanted in format_fallbacks() {
        match nokhwa::Camera::new(index.clone(), RequestedFormat::new::<LumaFormat>(wanted)) {
            Ok(mut camera) => match camera.open_stream() {
                Ok(()) => return Ok(camera),
                Err(e) => last = Some(camera_error(e)),
            },
            Err(e) => {
                let err = camera_error(e);
                if matches!(err, SourceError::PermissionDenied) {
                    return Err(err);
                }
                last = Some(err);
            }
        }
    }
    Err(last.unwrap_or(SourceError::NoCamera))
}

/// A camera streaming on its own thread. Dropping it stops the stream and joins the thread.
pub struct CameraSource {
    frames: Receiver<Result<LumaFrame, SourceError>>,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
    /// How long `next_frame` waits for the camera before giving up.
    frame_timeout: Duration,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource").finish_non_exhaustive()
    }
}

impl CameraSource {
    /// Starts a worker thread that calls `open` and then the producer it returns until that
    /// returns `None` or the source is dropped; each item is one frame (or error) for
    /// `next_frame`. Returns once `open` has succeeded or failed (its error, or a time-out after
    /// 10 seconds). The real camera opens nokhwa here; tests produce synthetic buffers. The
    /// producer is made and kept on the worker, so it need not be `Send` (cameras often are not).
    pub fn spawn<O, P>(open: O) -> Result<Self, SourceError>
    where
        O: FnOnce() -> Result<P, SourceError> + Send + 'static,
        P: FnMut() -> Option<Result<Buffer, SourceError>>,
    {
        // Two frames of slack: the scanner always works on a recent frame, never a backlog.
        let (tx, rx) = mpsc::sync_channel(2);
        let (opened_tx, opened_rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_worker = Arc::clone(&stop);
        let worker = std::thread::Builder::new()
            .name("pocketpass-camera".into())
            .spawn(move || {
                let mut produce = match open() {
                    Ok(p) => {
                        let _ = opened_tx.send(Ok(()));
                        p
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                while !stop_worker.load(Ordering::Relaxed) {
                    let Some(item) = produce() else { break };
                    let frame = item.and_then(|b| buffer_to_luma(&b));
                    if !send(&tx, frame, &stop_worker) {
                        break;
                    }
                }
            })
            .map_err(|e| SourceError::Camera(format!("cannot start the camera thread: {e}")))?;
        let source = CameraSource {
            frames: rx,
            stop,
            worker: Some(worker),
            frame_timeout: Duration::from_secs(5),
        };
        match opened_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => Ok(source),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SourceError::Camera(
                "the camera did not open within 10 seconds".to_owned(),
            )),
        }
    }
}

/// Sends one frame, giving up when the consumer has gone or asked to stop.
fn send(
    tx: &SyncSender<Result<LumaFrame, SourceError>>,
    mut frame: Result<LumaFrame, SourceError>,
    stop: &AtomicBool,
) -> bool {
    loop {
        match tx.try_send(frame) {
            Ok(()) => return true,
            Err(mpsc::TrySendError::Disconnected(_)) => return false,
            Err(mpsc::TrySendError::Full(f)) => {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                frame = f;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, SourceError> {
        match self.frames.recv_timeout(self.frame_timeout) {
            Ok(Ok(frame)) => Ok(Some(frame)),
            Ok(Err(e)) => Err(e),
            Err(RecvTimeoutError::Disconnected) => Ok(None),
            Err(RecvTimeoutError::Timeout) => Err(SourceError::Camera(
                "the camera sent no picture for 5 seconds".to_owned(),
            )),
        }
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Drain so that a worker blocked on a full channel sees the stop flag.
        while self.frames.try_recv().is_ok() {}
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Opens camera `index` (the first when `None`) as a frame source, streaming on a worker thread.
/// [`SourceError::NoCamera`] when there is none, [`SourceError::PermissionDenied`] when the
/// system refuses it: the UI shows these and offers the other sources.
pub fn open(index: Option<u32>) -> Result<Box<dyn FrameSource>, SourceError> {
    let cameras = query()?;
    let chosen = choose(&cameras, index)?;
    let source = CameraSource::spawn(move || {
        let mut camera = open_camera(chosen)?;
        Ok(move || Some(camera.frame().map_err(camera_error)))
    })?;
    Ok(Box::new(source))
}
