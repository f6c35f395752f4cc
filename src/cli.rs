//! Terminal commands (being built).
pub mod scan;
