//! Moving accounts in and out: other authenticators' exports read with `transfer::read` (every
//! format and version, wrong passwords, damaged files, hostile key-derivation costs, files
//! mixing good and unimportable entries, re-imports), the preview, and the exports read back
//! by tools other than ours (Python written from Aegis' docs/vault.md, crates.io's rqrr and
//! zbar, pyotp, oathtool). Fixtures in tests/fixtures/transfer/ were made by the independent Python writers
//! in tests/fixtures/transfer/writers/ (see its README).
//!
//! - `formats`: each fixture imports the accounts it holds, field for field.
//! - `errors`: wrong passwords, damage, KDF bounds, unknown and oversized files.
//! - `preview`: new / already here / not importable, and importing in one vault save.
//! - `exports`: Aegis, Google Authenticator QR codes, otpauth lines.
//! - `steam`: Steam Guard codes against a Python computation from the published algorithm.
//! - `secretstream`: our libsodium secretstream against PyNaCl's.
//! - `writers`: the fixture writers still produce files we import.
mod transfer {
    mod errors;
    mod exports;
    mod formats;
    mod preview;
    mod secretstream;
    mod steam;
    mod support;
    mod writers;
}
