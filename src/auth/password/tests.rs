//! Tests of password hashing: the PHC format, matching, rehashing, the kept
//! (huge-page) memory, and the hashing threads.

use argon2::Block;

use super::*;

fn cheap() -> Argon2Config {
    Argon2Config {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    }
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

#[tokio::test]
async fn a_hash_is_argon2id_with_the_configured_costs_and_never_the_password() {
    let h = Hasher::new(cheap(), 1).unwrap();
    let hash = h.hash(&secret("correct horse")).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
    assert!(!hash.contains("correct horse"));
}

#[tokio::test]
async fn the_right_password_matches_and_a_wrong_one_does_not() {
    let h = Hasher::new(cheap(), 1).unwrap();
    let hash = h.hash(&secret("correct horse")).await.unwrap();
    assert_eq!(
        h.verify(&secret("correct horse"), Some(&hash))
            .await
            .unwrap(),
        Verdict::Match
    );
    assert_eq!(
        h.verify(&secret("wrong horse"), Some(&hash)).await.unwrap(),
        Verdict::Mismatch
    );
}

#[tokio::test]
async fn an_unknown_user_never_matches_even_with_the_dummy_password() {
    let h = Hasher::new(cheap(), 1).unwrap();
    assert_eq!(
        h.verify(&secret(""), None).await.unwrap(),
        Verdict::Mismatch
    );
}

#[tokio::test]
async fn a_hash_with_outdated_costs_is_rehashed_on_a_match() {
    let old = Hasher::new(cheap(), 1).unwrap();
    let hash = old.hash(&secret("correct horse")).await.unwrap();
    let new = Hasher::new(
        Argon2Config {
            memory_kib: 128,
            ..cheap()
        },
        1,
    )
    .unwrap();
    match new
        .verify(&secret("correct horse"), Some(&hash))
        .await
        .unwrap()
    {
        Verdict::MatchRehashed(fresh) => {
            assert!(
                fresh.starts_with("$argon2id$v=19$m=128,t=1,p=1$"),
                "{fresh}"
            );
            assert_eq!(
                new.verify(&secret("correct horse"), Some(&fresh))
                    .await
                    .unwrap(),
                Verdict::Match
            );
        }
        other => panic!("expected a rehash, got {other:?}"),
    }
}

/// Another argon2 variant, or the older version 0x10, with the configured
/// costs: a match, rehashed to argon2id version 0x13.
#[tokio::test]
async fn another_variant_or_version_with_current_costs_is_rehashed_on_a_match() {
    use argon2::password_hash::PasswordHasher as _;
    let h = Hasher::new(cheap(), 1).unwrap();
    let params = Params::new(64, 1, 1, None).unwrap();
    for (algorithm, version) in [
        (Algorithm::Argon2i, Version::V0x13),
        (Algorithm::Argon2d, Version::V0x13),
        (Algorithm::Argon2id, Version::V0x10),
    ] {
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::new(algorithm, version, params.clone())
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        match h
            .verify(&secret("correct horse"), Some(&stored))
            .await
            .unwrap()
        {
            Verdict::MatchRehashed(fresh) => {
                assert!(fresh.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{fresh}")
            }
            other => panic!("{stored}: expected a rehash, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_corrupt_stored_hash_is_a_mismatch_not_an_error() {
    let h = Hasher::new(cheap(), 1).unwrap();
    assert_eq!(
        h.verify(&secret("x"), Some("not a hash")).await.unwrap(),
        Verdict::Mismatch
    );
}

#[test]
fn hashes_are_interchangeable_with_the_argon2_crates_own() {
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
    let params = Params::new(64, 1, 1, None).unwrap();
    let mut memory = Memory::new(params.block_count());
    // Ours verifies with the crate's verifier...
    let ours = hash_with(&params, b"correct horse", &mut memory).unwrap();
    let parsed = PasswordHash::new(&ours).unwrap();
    argon2(&params)
        .verify_password(b"correct horse", &parsed)
        .unwrap();
    // ...and the crate's hash, for the same salt, is byte for byte ours.
    let salt = parsed.salt.unwrap();
    let theirs = argon2(&params)
        .hash_password(b"correct horse", salt)
        .unwrap()
        .to_string();
    assert_eq!(theirs, ours);
    assert!(matches(
        &PasswordHash::new(&theirs).unwrap(),
        b"correct horse",
        &mut memory
    ));
    assert!(!matches(
        &PasswordHash::new(&theirs).unwrap(),
        b"correct horsf",
        &mut memory
    ));
}

/// The huge-page buffer: zeroed, the right size, aligned for `Block`,
/// and a hash made in it equals argon2's own (which allocates a `Vec`).
#[test]
fn huge_page_memory_is_zeroed_sized_and_hashes_like_a_vec() {
    let params = Params::new(1024, 1, 1, None).unwrap();
    let mut blocks = Blocks::new(params.block_count());
    #[cfg(target_os = "linux")]
    assert!(blocks.is_mapped(), "mmap of a few MiB failed");
    let slice = blocks.as_mut_slice();
    assert_eq!(slice.len(), params.block_count());
    assert_eq!(slice.as_ptr() as usize % std::mem::align_of::<Block>(), 0);
    assert!(slice.iter().all(|b| b.as_ref().iter().all(|w| *w == 0)));
    let (mut in_blocks, mut in_vec) = ([0u8; 32], [0u8; 32]);
    argon2(&params)
        .hash_password_into_with_memory(b"pw", b"saltsaltsalt", &mut in_blocks, &mut *slice)
        .unwrap();
    argon2(&params)
        .hash_password_into(b"pw", b"saltsaltsalt", &mut in_vec)
        .unwrap();
    assert_eq!(in_blocks, in_vec);
    // Dropping unmaps; many in a row, each written through, neither leak
    // nor fail (leaked, these 128 would hold 512 MiB).
    drop(blocks);
    let before = resident_bytes();
    for _ in 0..128 {
        let mut b = Blocks::new(4096);
        let slice = b.as_mut_slice();
        assert_eq!(slice.len(), 4096);
        for block in slice.iter_mut() {
            block.as_mut()[0] = 1;
        }
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 128 << 20, "resident memory grew by {grown} bytes");
}

/// The process's resident memory, from `/proc/self/statm` (0 elsewhere).
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The thread's buffer is kept for hashes up to the configured cost (the
/// same size included); a larger one gets a buffer of its own for once.
#[test]
fn memory_is_kept_up_to_the_configured_cost() {
    let mut memory = Memory::new(64);
    assert!(memory.blocks.is_none());
    memory.with(64, |b| assert_eq!(b.len(), 64));
    let kept = memory.blocks.as_mut().unwrap().as_mut_slice().as_ptr();
    memory.with(8, |b| assert_eq!((b.len(), b.as_ptr()), (8, kept)));
    memory.with(128, |b| assert_eq!(b.len(), 128));
    let still = memory.blocks.as_mut().unwrap().as_mut_slice();
    assert_eq!((still.len(), still.as_ptr()), (64, kept));
}

#[test]
fn reused_memory_gives_the_same_answers_as_fresh_memory() {
    let params = Params::new(64, 1, 1, None).unwrap();
    let mut memory = Memory::new(params.block_count());
    let a = hash_with(&params, b"first password", &mut memory).unwrap();
    let b = hash_with(&params, b"second password", &mut memory).unwrap();
    for (hash, pw) in [(&a, &b"first password"[..]), (&b, &b"second password"[..])] {
        let parsed = PasswordHash::new(hash).unwrap();
        assert!(matches(&parsed, pw, &mut memory));
        assert!(matches(&parsed, pw, &mut Memory::new(params.block_count())));
        assert!(!matches(&parsed, b"other", &mut memory));
    }
}

#[tokio::test]
async fn a_hash_with_a_larger_memory_cost_than_configured_still_verifies() {
    let big = Hasher::new(
        Argon2Config {
            memory_kib: 256,
            ..cheap()
        },
        1,
    )
    .unwrap();
    let hash = big.hash(&secret("correct horse")).await.unwrap();
    let small = Hasher::new(cheap(), 1).unwrap();
    assert!(matches!(
        small
            .verify(&secret("correct horse"), Some(&hash))
            .await
            .unwrap(),
        Verdict::MatchRehashed(_)
    ));
    assert_eq!(
        small
            .verify(&secret("wrong horse"), Some(&hash))
            .await
            .unwrap(),
        Verdict::Mismatch
    );
}

#[test]
fn hashing_never_runs_more_threads_than_cores() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(hashing_threads(1000), cores);
    assert_eq!(hashing_threads(0), 1);
    assert_eq!(hashing_threads(1), 1);
}

#[tokio::test]
async fn many_concurrent_checks_on_few_threads_all_get_their_answer() {
    let h = Hasher::new(cheap(), 2).unwrap();
    let hash = h.hash(&secret("correct horse")).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (h, hash) = (h.clone(), hash.clone());
        tasks.push(tokio::spawn(async move {
            let pw = if i % 2 == 0 {
                "correct horse"
            } else {
                "wrong horse"
            };
            (i, h.verify(&secret(pw), Some(&hash)).await.unwrap())
        }));
    }
    for t in tasks {
        let (i, v) = t.await.unwrap();
        let want = if i % 2 == 0 {
            Verdict::Match
        } else {
            Verdict::Mismatch
        };
        assert_eq!(v, want);
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn hashing_threads_run_below_the_request_paths_priority() {
    fn nice() -> i32 {
        // Field 19 of /proc/thread-self/stat is the thread's nice value.
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after = stat.rsplit_once(')').unwrap().1;
        after.split_whitespace().nth(16).unwrap().parse().unwrap()
    }
    let h = Hasher::new(cheap(), 1).unwrap();
    let hashing = h.run(|_| nice()).await.unwrap();
    let request_path = nice();
    assert!(
        hashing > request_path || hashing == 19,
        "hashing thread nice {hashing}, request path {request_path}"
    );
}
