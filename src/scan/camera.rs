//! The desktop camera as a frame source (being built).

use super::source::{FrameSource, SourceError};

/// Opens camera `index` (the first when `None`) as a frame source.
pub fn open(_index: Option<u32>) -> Result<Box<dyn FrameSource>, SourceError> {
    Err(SourceError::Unsupported("camera"))
}
