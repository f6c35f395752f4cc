//! Decode-time benchmarks for `pocketpass::scan` (being built).
fn main() {}
