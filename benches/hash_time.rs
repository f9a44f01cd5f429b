//! The time of one argon2id password check with the server's parameters
//! (`GATEHOUSE_ARGON2_*`, defaults otherwise), on one core at normal
//! priority, with its working memory reused from one hash to the next as the
//! server's hashing threads do: the machine's cost of one login's hash.
//!
//! `bench/run` uses it for the argon2 limit (cores / this time). Run alone:
//! `cargo bench --bench hash_time -- --samples 20`; add `--fresh` to allocate
//! the memory afresh for every hash, as argon2's own `verify_password` does.
//! `--threads N` runs N threads hashing at once (each its own memory) and
//! prints their combined throughput: what argon2 alone achieves when every
//! core hashes, which is less than N / one hash's time when the hashes share
//! caches and memory bandwidth.

use std::time::Instant;

use argon2::{Algorithm, Argon2, Params, Version};
use gatehouse::auth::password::Blocks;
use gatehouse::config::Config;

fn main() {
    let mut samples = 20usize;
    let mut fresh = false;
    let mut threads = 0usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--fresh" {
            fresh = true;
        } else if a == "--threads" {
            threads = args
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--threads N");
        } else if a == "--samples" {
            samples = args
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--samples N");
        }
        // Anything else (cargo bench passes `--bench`) is ignored.
    }
    let a = Config::from_env().expect("configuration").argon2;
    let params = Params::new(a.memory_kib, a.iterations, a.parallelism, None).expect("params");
    if threads > 0 {
        let ready = std::sync::Arc::new(std::sync::Barrier::new(threads + 1));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let params = params.clone();
                let ready = ready.clone();
                std::thread::spawn(move || {
                    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                    let mut memory = Blocks::new(params.block_count());
                    let blocks = memory.as_mut_slice();
                    let mut out = [0u8; 32];
                    // Hash 0 faults the memory in; the timed ones start
                    // together after it.
                    for i in 0..=samples.max(1) {
                        argon2
                            .hash_password_into_with_memory(
                                b"bench-password",
                                b"gatehouse-bench-salt",
                                &mut out,
                                &mut *blocks,
                            )
                            .unwrap();
                        if i == 0 {
                            ready.wait();
                        }
                    }
                })
            })
            .collect();
        ready.wait();
        let started = Instant::now();
        for w in workers {
            w.join().unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "argon2id m={} t={} p={}, {threads} threads at once: hashes_per_s={:.1} ({} hashes in {:.2} s)",
            a.memory_kib,
            a.iterations,
            a.parallelism,
            (threads * samples.max(1)) as f64 / secs,
            threads * samples.max(1),
            secs
        );
        return;
    }
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = Blocks::new(params.block_count());
    let blocks = memory.as_mut_slice();
    let salt = *b"gatehouse-bench-salt";
    let mut expected = [0u8; 32];
    argon2
        .hash_password_into_with_memory(b"bench-password", &salt, &mut expected, &mut *blocks)
        .unwrap();
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        let mut out = [0u8; 32];
        if fresh {
            argon2
                .hash_password_into(b"bench-password", &salt, &mut out)
                .unwrap();
        } else {
            argon2
                .hash_password_into_with_memory(b"bench-password", &salt, &mut out, &mut *blocks)
                .unwrap();
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(out, expected);
    }
    times.sort_by(|x, y| x.partial_cmp(y).unwrap());
    println!(
        "argon2id m={} t={} p={}, memory {}: median_ms={:.2} min_ms={:.2} max_ms={:.2} samples={}",
        a.memory_kib,
        a.iterations,
        a.parallelism,
        if fresh { "fresh" } else { "reused" },
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        times.len()
    );
}
