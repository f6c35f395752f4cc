//! Stand-ins for the frame sources a platform lacks (Android and iOS have their own camera
//! glue; the screen is read on Linux only so far). Each says so in an error the UI can show.
#![allow(dead_code)]

/// Camera stand-in.
pub mod camera {
    use crate::scan::source::{FrameSource, SourceError};

    /// No camera backend on this platform.
    pub fn open(_index: Option<u32>) -> Result<Box<dyn FrameSource>, SourceError> {
        Err(SourceError::Unsupported("camera"))
    }
}

/// Screen stand-in.
pub mod screen {
    use crate::scan::source::SourceError;

    /// No screen capture on this platform yet.
    pub fn scan_screens() -> Result<Vec<String>, SourceError> {
        Err(SourceError::Unsupported("screen"))
    }
}

/// Clipboard stand-in.
pub mod clipboard {
    use crate::scan::source::SourceError;

    /// No clipboard access on this platform.
    pub fn read_clipboard() -> Result<Vec<String>, SourceError> {
        Err(SourceError::Unsupported("clipboard"))
    }
}
