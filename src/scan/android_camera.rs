//! The Android camera as a frame source: the NDK's Camera2 API on a worker thread.
//!
//! Why the NDK and not JNI: nokhwa has no Android backend, and the Java camera APIs deliver
//! frames to Java callbacks, which would need Java code of our own (a class compiled to dex and
//! packaged beside Slint's). The NDK's `ACameraManager` (libcamera2ndk, API 24) and
//! `AImageReader` (libmediandk) deliver YUV images straight to a C callback, whose luma plane is
//! exactly what [`decode`](super::decode) reads. The bindings are `ndk-sys`'s; libcamera2ndk is
//! linked here because `ndk-sys` does not link it.
//!
//! Like the desktop camera, a worker thread owns the camera (the NDK objects are raw pointers,
//! which must not move between threads unchecked): it opens the back camera, streams a YUV size
//! near 1280×720 into an image reader, and waits to be told to stop. The reader's callback, on a
//! thread of the NDK's, copies each luma plane into a small channel, dropping frames while the
//! scanner is busy. [`CameraSource`] reads that channel and stops the worker when dropped.
//!
//! Phone sensors are mounted turned against the screen, so each frame is turned upright (for
//! the preview; the decoder reads codes at any angle) by the sensor's orientation and the
//! display's rotation at the time the camera opens. The plane copy, the turn and the choice of
//! stream size are the pure functions of `plane.rs`, tested on the desktop.
//!
//! The camera permission is checked (and asked for) before the camera is opened, and the
//! camera's errors are logged, through [`PlatformHooks`] that the platform glue registers at
//! start: `scan` is domain code and does not reach into the platform (whose glue in turn starts
//! the UI, which uses `scan`).

use super::source::{FrameSource, SourceError};
use super::{pick_stream_size, LumaFrame, Rotation};
use ndk_sys as ndk;
use std::ffi::{c_int, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

#[link(name = "camera2ndk")]
extern "C" {}

/// How long [`CameraSource::next_frame`] waits for a frame before calling the camera stuck.
const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// What the camera needs from the platform glue, which registers it once at start with
/// [`set_platform_hooks`].
#[derive(Debug, Clone, Copy)]
pub struct PlatformHooks {
    /// Checks the camera permission, asking the user when a dialog would still show.
    pub ensure_permission: fn() -> Permission,
    /// Writes a warning to the system log.
    pub log_warning: fn(&str),
    /// How far the display is turned from its natural orientation, in degrees clockwise
    /// (`Display.getRotation()`), or `None` when it cannot be read.
    pub display_rotation: fn() -> Option<i32>,
}

/// What [`PlatformHooks::ensure_permission`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The camera may be opened.
    Granted,
    /// Not granted; the system's dialog asking the user is showing now.
    Asked,
    /// Not granted, and no dialog shows any more: only the system settings can grant it.
    Refused,
}

impl Permission {
    /// Why the camera did not open, for a permission that is not granted.
    fn error(self) -> Option<SourceError> {
        match self {
            Permission::Granted => None,
            Permission::Asked => Some(SourceError::PermissionAsked),
            Permission::Refused => Some(SourceError::PermissionDenied),
        }
    }
}

static HOOKS: std::sync::OnceLock<PlatformHooks> = std::sync::OnceLock::new();

/// Registers the platform's permission check and logger; later calls are ignored.
pub fn set_platform_hooks(hooks: PlatformHooks) {
    let _ = HOOKS.set(hooks);
}

/// Opens a camera: the `index`-th in the system's list, or the first back-facing one (the first
/// of any when none faces back). Frames start arriving once the capture session runs.
///
/// Without registered [`PlatformHooks`] the permission cannot be checked, and the camera is
/// treated as not permitted.
pub fn open(index: Option<u32>) -> Result<Box<dyn FrameSource>, SourceError> {
    let permission = HOOKS
        .get()
        .map_or(Permission::Refused, |h| (h.ensure_permission)());
    if let Some(e) = permission.error() {
        return Err(e);
    }
    let (frame_tx, frame_rx) = mpsc::sync_channel(2);
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let failed = Arc::new(AtomicBool::new(false));
    let sink = Sink {
        frames: frame_tx,
        failed: failed.clone(),
        rotation: AtomicU8::new(Rotation::None.quarter_turns()),
    };
    let worker = std::thread::Builder::new()
        .name("camera".into())
        .spawn(move || {
            let sink = Box::new(sink);
            // The camera lives as long as this scope; its callbacks point into `sink`, which
            // outlives it (declared first, dropped last).
            match Camera::open(index, &sink) {
                Ok(camera) => {
                    let _ = ready_tx.send(Ok(()));
                    // Until the source is dropped (the sender hangs up).
                    let _ = stop_rx.recv();
                    drop(camera);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
            drop(sink);
        })
        .map_err(|e| SourceError::Camera(format!("cannot start the camera thread: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Box::new(CameraSource {
            frames: frame_rx,
            failed,
            stop: Some(stop_tx),
            worker: Some(worker),
        })),
        Ok(Err(e)) => {
            let _ = worker.join();
            Err(e)
        }
        Err(_) => Err(SourceError::Camera("the camera thread stopped".into())),
    }
}

/// Live frames from the camera worker.
pub struct CameraSource {
    frames: Receiver<LumaFrame>,
    failed: Arc<AtomicBool>,
    stop: Option<mpsc::Sender<()>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource").finish_non_exhaustive()
    }
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, SourceError> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(SourceError::Camera(
                "the camera was disconnected or failed".into(),
            ));
        }
        match self.frames.recv_timeout(FRAME_TIMEOUT) {
            Ok(frame) => Ok(Some(frame)),
            Err(RecvTimeoutError::Timeout) => Err(SourceError::Camera(
                "no picture from the camera for 5 seconds".into(),
            )),
            Err(RecvTimeoutError::Disconnected) => Ok(None),
        }
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Where the NDK's callbacks deliver: frames, and whether the camera failed.
struct Sink {
    frames: SyncSender<LumaFrame>,
    failed: Arc<AtomicBool>,
    /// The turn that shows frames upright ([`Rotation::quarter_turns`]), set before the
    /// capture starts.
    rotation: AtomicU8,
}

/// The NDK objects of one open camera, released in reverse order when dropped. Null fields
/// were never created (opening stopped part way).
struct Camera {
    manager: *mut ndk::ACameraManager,
    device: *mut ndk::ACameraDevice,
    reader: *mut ndk::AImageReader,
    container: *mut ndk::ACaptureSessionOutputContainer,
    output: *mut ndk::ACaptureSessionOutput,
    session: *mut ndk::ACameraCaptureSession,
    target: *mut ndk::ACameraOutputTarget,
    request: *mut ndk::ACaptureRequest,
    /// The callback tables the NDK keeps pointers to; boxed so they do not move.
    _device_callbacks: Box<ndk::ACameraDevice_StateCallbacks>,
    _session_callbacks: Box<ndk::ACameraCaptureSession_stateCallbacks>,
    _listener: Box<ndk::AImageReader_ImageListener>,
}

/// A camera status as an error; permission errors become [`SourceError::PermissionDenied`].
fn camera_check(status: ndk::camera_status_t, what: &str) -> Result<(), SourceError> {
    if status == ndk::camera_status_t::ACAMERA_OK {
        Ok(())
    } else if status == ndk::camera_status_t::ACAMERA_ERROR_PERMISSION_DENIED {
        Err(SourceError::PermissionDenied)
    } else {
        Err(SourceError::Camera(format!(
            "{what} failed (status {})",
            status.0
        )))
    }
}

fn media_check(status: ndk::media_status_t, what: &str) -> Result<(), SourceError> {
    if status == ndk::media_status_t::AMEDIA_OK {
        Ok(())
    } else {
        Err(SourceError::Camera(format!(
            "{what} failed (status {})",
            status.0
        )))
    }
}

impl Camera {
    /// Opens the camera and starts streaming into `sink`, which must outlive the camera.
    fn open(index: Option<u32>, sink: &Sink) -> Result<Camera, SourceError> {
        let sink_ptr = sink as *const Sink as *mut c_void;
        let mut camera = Camera {
            // SAFETY: no preconditions; a null result is handled below.
            manager: unsafe { ndk::ACameraManager_create() },
            device: ptr::null_mut(),
            reader: ptr::null_mut(),
            container: ptr::null_mut(),
            output: ptr::null_mut(),
            session: ptr::null_mut(),
            target: ptr::null_mut(),
            request: ptr::null_mut(),
            _device_callbacks: Box::new(ndk::ACameraDevice_StateCallbacks {
                context: sink_ptr,
                onDisconnected: Some(on_device_disconnected),
                onError: Some(on_device_error),
            }),
            _session_callbacks: Box::new(ndk::ACameraCaptureSession_stateCallbacks {
                context: sink_ptr,
                onClosed: None,
                onReady: None,
                onActive: None,
            }),
            _listener: Box::new(ndk::AImageReader_ImageListener {
                context: sink_ptr,
                onImageAvailable: Some(on_image_available),
            }),
        };
        if camera.manager.is_null() {
            return Err(SourceError::NoCamera);
        }
        let id = camera.choose(index)?;
        let (width, height) = camera.stream_size(&id)?;
        sink.rotation
            .store(camera.upright(&id).quarter_turns(), Ordering::Relaxed);
        let format = ndk::AIMAGE_FORMATS::AIMAGE_FORMAT_YUV_420_888.0 as i32;

        // SAFETY: for each call below, every pointer passed was returned by the NDK for this
        // camera and is still alive (Drop releases them, in reverse order, only afterwards); out
        // pointers point to fields of `camera`; the callback tables are boxed in `camera`, and
        // the `sink` they point to outlives it (the caller's contract).
        unsafe {
            camera_check(
                ndk::ACameraManager_openCamera(
                    camera.manager,
                    id.as_ptr(),
                    &mut *camera._device_callbacks,
                    &mut camera.device,
                ),
                "opening the camera",
            )?;
            media_check(
                ndk::AImageReader_new(width as i32, height as i32, format, 2, &mut camera.reader),
                "creating the image reader",
            )?;
            media_check(
                ndk::AImageReader_setImageListener(camera.reader, &mut *camera._listener),
                "listening for images",
            )?;
            // The window belongs to the reader and lives as long as it.
            let mut window: *mut ndk::ANativeWindow = ptr::null_mut();
            media_check(
                ndk::AImageReader_getWindow(camera.reader, &mut window),
                "getting the reader's window",
            )?;
            camera_check(
                ndk::ACaptureSessionOutputContainer_create(&mut camera.container),
                "creating the session outputs",
            )?;
            camera_check(
                ndk::ACaptureSessionOutput_create(window, &mut camera.output),
                "creating the session output",
            )?;
            camera_check(
                ndk::ACaptureSessionOutputContainer_add(camera.container, camera.output),
                "adding the session output",
            )?;
            camera_check(
                ndk::ACameraDevice_createCaptureSession(
                    camera.device,
                    camera.container,
                    &*camera._session_callbacks,
                    &mut camera.session,
                ),
                "creating the capture session",
            )?;
            camera_check(
                ndk::ACameraDevice_createCaptureRequest(
                    camera.device,
                    ndk::ACameraDevice_request_template::TEMPLATE_PREVIEW,
                    &mut camera.request,
                ),
                "creating the capture request",
            )?;
            camera_check(
                ndk::ACameraOutputTarget_create(window, &mut camera.target),
                "creating the output target",
            )?;
            camera_check(
                ndk::ACaptureRequest_addTarget(camera.request, camera.target),
                "adding the output target",
            )?;
            // Continuous autofocus keeps a code held close sharp; a camera without autofocus
            // refuses the entry, which is harmless.
            let af = ndk::acamera_metadata_enum_acamera_control_af_mode::ACAMERA_CONTROL_AF_MODE_CONTINUOUS_PICTURE.0 as u8;
            let _ = ndk::ACaptureRequest_setEntry_u8(
                camera.request,
                ndk::acamera_metadata_tag::ACAMERA_CONTROL_AF_MODE.0,
                1,
                &af,
            );
            camera_check(
                ndk::ACameraCaptureSession_setRepeatingRequest(
                    camera.session,
                    ptr::null_mut(),
                    1,
                    &mut camera.request,
                    ptr::null_mut(),
                ),
                "starting the capture",
            )?;
        }
        Ok(camera)
    }

    /// The id of the camera to open.
    fn choose(&self, index: Option<u32>) -> Result<CString, SourceError> {
        let mut list: *mut ndk::ACameraIdList = ptr::null_mut();
        // SAFETY: the manager is alive; `list` receives a list that is deleted below.
        let status = unsafe { ndk::ACameraManager_getCameraIdList(self.manager, &mut list) };
        camera_check(status, "listing the cameras")?;
        // SAFETY: on success the NDK filled `list` with `numCameras` valid C strings, which stay
        // valid until the list is deleted; they are copied before that.
        let ids: Vec<CString> = unsafe {
            let count = (*list).numCameras.max(0) as usize;
            let ids = (0..count)
                .map(|i| CStr::from_ptr(*(*list).cameraIds.add(i)).to_owned())
                .collect();
            ndk::ACameraManager_deleteCameraIdList(list);
            ids
        };
        if let Some(i) = index {
            return ids.get(i as usize).cloned().ok_or(SourceError::NoCamera);
        }
        let back = ndk::acamera_metadata_enum_acamera_lens_facing::ACAMERA_LENS_FACING_BACK.0 as u8;
        ids.iter()
            .find(|id| self.facing(id) == Some(back))
            .or_else(|| ids.first())
            .cloned()
            .ok_or(SourceError::NoCamera)
    }

    /// Reads one entry of a camera's characteristics.
    fn with_entry<T>(
        &self,
        id: &CStr,
        tag: ndk::acamera_metadata_tag,
        read: impl FnOnce(&ndk::ACameraMetadata_const_entry) -> T,
    ) -> Option<T> {
        let mut meta: *mut ndk::ACameraMetadata = ptr::null_mut();
        // SAFETY: the manager is alive and `id` is a NUL-terminated id from its list; `meta` is
        // freed below, after `read` is done with the entry that points into it.
        unsafe {
            let status =
                ndk::ACameraManager_getCameraCharacteristics(self.manager, id.as_ptr(), &mut meta);
            if status != ndk::camera_status_t::ACAMERA_OK || meta.is_null() {
                return None;
            }
            let mut entry: ndk::ACameraMetadata_const_entry = std::mem::zeroed();
            let found = ndk::ACameraMetadata_getConstEntry(meta, tag.0, &mut entry)
                == ndk::camera_status_t::ACAMERA_OK;
            let value = found.then(|| read(&entry));
            ndk::ACameraMetadata_free(meta);
            value
        }
    }

    /// Which way the camera faces (`ACAMERA_LENS_FACING_*`).
    fn facing(&self, id: &CStr) -> Option<u8> {
        self.with_entry(
            id,
            ndk::acamera_metadata_tag::ACAMERA_LENS_FACING,
            |entry| {
                // SAFETY: LENS_FACING is a u8 entry; `count` says how many values `u8_` points to.
                (entry.count >= 1).then(|| unsafe { *entry.data.u8_ })
            },
        )
        .flatten()
    }

    /// The turn that shows this camera's frames upright on the display as it is now; none when
    /// the sensor's orientation or the display's rotation cannot be read (the preview then
    /// shows the sensor's image as it comes).
    fn upright(&self, id: &CStr) -> Rotation {
        let sensor = self
            .with_entry(
                id,
                ndk::acamera_metadata_tag::ACAMERA_SENSOR_ORIENTATION,
                // SAFETY: SENSOR_ORIENTATION is an i32 entry; `count` says how many values
                // `i32_` points to.
                |entry| (entry.count >= 1).then(|| unsafe { *entry.data.i32_ }),
            )
            .flatten();
        let front =
            ndk::acamera_metadata_enum_acamera_lens_facing::ACAMERA_LENS_FACING_FRONT.0 as u8;
        let front_facing = self.facing(id) == Some(front);
        let display = HOOKS.get().and_then(|h| (h.display_rotation)());
        match (sensor, display) {
            (Some(sensor), Some(display)) => {
                Rotation::upright(sensor, front_facing, display).unwrap_or_default()
            }
            _ => Rotation::None,
        }
    }

    /// The YUV stream size to ask for (see [`pick_stream_size`]).
    fn stream_size(&self, id: &CStr) -> Result<(u32, u32), SourceError> {
        let format = ndk::AIMAGE_FORMATS::AIMAGE_FORMAT_YUV_420_888.0 as i32;
        let tag = ndk::acamera_metadata_tag::ACAMERA_SCALER_AVAILABLE_STREAM_CONFIGURATIONS;
        self.with_entry(id, tag, |entry| {
            if entry.count == 0 {
                return None;
            }
            // SAFETY: this tag holds i32 values; `count` says how many `i32_` points to, valid
            // while the metadata lives (for the duration of this closure).
            let configs =
                unsafe { std::slice::from_raw_parts(entry.data.i32_, entry.count as usize) };
            pick_stream_size(configs, format)
        })
        .flatten()
        .ok_or_else(|| SourceError::Camera("the camera offers no YUV stream".into()))
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        // SAFETY: each pointer is either null (never created) or owned by this camera and not
        // yet released; they are released once, in reverse order of creation, after the
        // capture stops. Deleting the reader also unregisters its listener.
        unsafe {
            if !self.session.is_null() {
                ndk::ACameraCaptureSession_stopRepeating(self.session);
                ndk::ACameraCaptureSession_close(self.session);
            }
            if !self.request.is_null() {
                ndk::ACaptureRequest_free(self.request);
            }
            if !self.target.is_null() {
                ndk::ACameraOutputTarget_free(self.target);
            }
            if !self.output.is_null() {
                if !self.container.is_null() {
                    ndk::ACaptureSessionOutputContainer_remove(self.container, self.output);
                }
                ndk::ACaptureSessionOutput_free(self.output);
            }
            if !self.container.is_null() {
                ndk::ACaptureSessionOutputContainer_free(self.container);
            }
            if !self.device.is_null() {
                ndk::ACameraDevice_close(self.device);
            }
            if !self.reader.is_null() {
                ndk::AImageReader_delete(self.reader);
            }
            if !self.manager.is_null() {
                ndk::ACameraManager_delete(self.manager);
            }
        }
    }
}

/// The image reader's callback: copies the newest image's luma plane to the channel.
unsafe extern "C" fn on_image_available(context: *mut c_void, reader: *mut ndk::AImageReader) {
    // SAFETY: `context` is the `Sink` given with the listener, which outlives the reader.
    let sink = unsafe { &*(context as *const Sink) };
    let mut image: *mut ndk::AImage = ptr::null_mut();
    // SAFETY: the NDK passes the live reader the listener was registered on.
    if unsafe { ndk::AImageReader_acquireLatestImage(reader, &mut image) }
        != ndk::media_status_t::AMEDIA_OK
        || image.is_null()
    {
        return;
    }
    // SAFETY: `image` was just acquired and is deleted right after the copy.
    let frame = unsafe {
        let frame = luma_of(image);
        ndk::AImage_delete(image);
        frame
    };
    if let Some(frame) = frame {
        let frame = frame.rotated(Rotation::from_quarter_turns(
            sink.rotation.load(Ordering::Relaxed),
        ));
        // A full channel means the scanner is still busy with earlier frames: drop this one.
        let _ = sink.frames.try_send(frame);
    }
}

/// Copies the luma plane (plane 0 of YUV_420_888) of an acquired image.
///
/// # Safety
/// `image` must be a live image acquired from a YUV_420_888 reader.
unsafe fn luma_of(image: *const ndk::AImage) -> Option<LumaFrame> {
    let (mut width, mut height, mut stride, mut len): (i32, i32, i32, c_int) = (0, 0, 0, 0);
    let mut data: *mut u8 = ptr::null_mut();
    // SAFETY: the caller guarantees a live image; the out pointers are locals.
    unsafe {
        let ok = ndk::media_status_t::AMEDIA_OK;
        if ndk::AImage_getWidth(image, &mut width) != ok
            || ndk::AImage_getHeight(image, &mut height) != ok
            || ndk::AImage_getPlaneRowStride(image, 0, &mut stride) != ok
            || ndk::AImage_getPlaneData(image, 0, &mut data, &mut len) != ok
            || data.is_null()
            || width <= 0
            || height <= 0
            || stride <= 0
            || len <= 0
        {
            return None;
        }
    }
    // SAFETY: the NDK says `data` holds `len` bytes, valid until the image is deleted, which
    // the caller does after this copy.
    let plane = unsafe { std::slice::from_raw_parts(data, len as usize) };
    LumaFrame::from_plane(width as usize, height as usize, stride as usize, plane)
}

unsafe extern "C" fn on_device_disconnected(
    context: *mut c_void,
    _device: *mut ndk::ACameraDevice,
) {
    // SAFETY: `context` is the `Sink` given with the callbacks, which outlives the device.
    let sink = unsafe { &*(context as *const Sink) };
    sink.failed.store(true, Ordering::Relaxed);
}

unsafe extern "C" fn on_device_error(
    context: *mut c_void,
    _device: *mut ndk::ACameraDevice,
    error: c_int,
) {
    if let Some(hooks) = HOOKS.get() {
        (hooks.log_warning)(&format!("the camera reported error {error}"));
    }
    // SAFETY: as in `on_device_disconnected`.
    let sink = unsafe { &*(context as *const Sink) };
    sink.failed.store(true, Ordering::Relaxed);
}
