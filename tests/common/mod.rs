//! Helpers and reference data shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod time_sources;

/// RFC 6238 Appendix B (<https://www.rfc-editor.org/rfc/rfc6238#appendix-B>): time, then the
/// 8-digit SHA1, SHA256 and SHA512 codes, as strings so leading zeros count.
pub const RFC6238_VECTORS: &[(u64, &str, &str, &str)] = &[
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
];

/// RFC 4226 Appendix D (<https://www.rfc-editor.org/rfc/rfc4226#appendix-D>): counters 0 to 9.
pub const RFC4226_VECTORS: &[&str] = &[
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

/// Every file under `dir`, read whole, for searching them for secrets.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}
