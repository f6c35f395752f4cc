//! The encrypted vault (being built).
