//! Benchmarks for unlocking the vault and generating codes.
//!
//! `unlock + code` is the work `pocketpass code` does after reading the PIN: PBKDF2 at the real
//! iteration count, AES-GCM, and one TOTP. Compare it with `../shared/bench/unlock-vs-openssl.sh`.
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use pocketpass::otp::parse_uri;
use pocketpass::vault::{Pin, Vault};

const URI: &str = "otpauth://totp/Bench:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bench";

fn code_generation(c: &mut Criterion) {
    let account = parse_uri(URI).expect("a valid URI");
    c.bench_function("totp code (SHA1, 6 digits)", |b| {
        b.iter(|| black_box(account.code_at(black_box(1_700_000_000))))
    });
}

fn unlock(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let pin = Pin::new_checked("482916").expect("a valid PIN");
    let mut vault = Vault::create(dir.path(), &pin).expect("a new vault");
    vault
        .add(parse_uri(URI).expect("a valid URI"))
        .expect("added");
    drop(vault);
    let mut group = c.benchmark_group("vault");
    group.sample_size(10);
    group.bench_function("unlock + code (PBKDF2 600k)", |b| {
        b.iter(|| {
            let mut vault = Vault::unlock(dir.path(), &pin).expect("unlocks");
            black_box(vault.code(0, 1_700_000_000).expect("a code"))
        })
    });
    group.finish();
}

criterion_group!(benches, code_generation, unlock);
criterion_main!(benches);
