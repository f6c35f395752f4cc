//! One-time codes (being built).
