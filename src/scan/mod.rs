//! QR decoding of luma frames and the frame sources that feed it (issue 4; being built).
