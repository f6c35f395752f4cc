//! Measures how many argon2id password verifications per second this machine does with the
//! portal's parameters and code path: the ceiling for `/api/validate` throughput. One thread per
//! CPU core, each reusing its work area and verifying for a fixed time (bounded loop), as the
//! portal's hashing threads do.
//!
//! `cargo run --release -p pocketpass-portal --example hash_rate -- [SECONDS]`

use std::time::{Duration, Instant};

use pocketpass_portal::password::{hash_blocking, verify_with_memory, Password};

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let pw = Password::new("pocketpass-demo".into());
    let phc = hash_blocking(&pw).expect("hash");
    let single = {
        let mut memory = Vec::new();
        assert!(verify_with_memory(&pw, &phc, &mut memory).expect("verify"));
        let t = Instant::now();
        let n = 10;
        for _ in 0..n {
            assert!(verify_with_memory(&pw, &phc, &mut memory).expect("verify"));
        }
        t.elapsed() / n
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (pw, phc) = (pw.clone(), phc.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                let mut memory = Vec::new();
                while Instant::now() < deadline {
                    assert!(verify_with_memory(&pw, &phc, &mut memory).expect("verify"));
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    let elapsed = start.elapsed().as_secs_f64();
    // CPU time is what the other processes on a shared machine cannot take away: the cost of
    // one verification in CPU milliseconds compares fairly with the portal's cost per request.
    if let Some(cpu) = cpu_seconds() {
        println!(
            "cpu per verification: {:.1} ms",
            cpu * 1000.0 / (total + 12) as f64
        );
    }
    println!("params: argon2id {}", phc.split('$').nth(3).unwrap_or("?"));
    println!("threads: {threads}");
    println!(
        "one verification alone: {:.1} ms",
        single.as_secs_f64() * 1000.0
    );
    println!(
        "verifications: {total} in {elapsed:.1} s = {:.1}/s",
        total as f64 / elapsed
    );
}

/// This process' user + system CPU time in seconds (Linux), from `/proc/self/stat`.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // The kernel reports in clock ticks; Linux fixes USER_HZ at 100 for /proc.
    Some(ticks / 100.0)
}
