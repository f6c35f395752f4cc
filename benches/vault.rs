//! Benchmarks for unlocking the vault and generating codes.
use criterion::{criterion_group, criterion_main, Criterion};
use pocketpass::otp::parse_uri;
use std::hint::black_box;

fn code_generation(c: &mut Criterion) {
    let account =
        parse_uri("otpauth://totp/Bench:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bench")
            .expect("a valid URI");
    c.bench_function("totp code (SHA1, 6 digits)", |b| {
        b.iter(|| black_box(account.code_at(black_box(1_700_000_000))))
    });
}

criterion_group!(benches, code_generation);
criterion_main!(benches);
