//! argon2id password hashing, off the async runtime and bounded in concurrency.
//!
//! Hashes run on a small pool of dedicated threads (one per hashing slot),
//! each of which keeps its argon2 working memory (19 MiB at the default
//! cost) from one hash to the next: allocating it afresh for every hash cost
//! a page fault per 4 KiB page, about 40% of the hash's time. The threads
//! also run at a lower scheduling priority than the request path, so a flood
//! of logins never starves authenticated requests of CPU. See BENCHMARKS.md.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Argon2Config;
use crate::error::{Error, Result};
use crate::metrics::Histogram;

/// Hashes and verifies passwords. Each hash holds `memory_kib` of memory, so
/// at most `concurrency` run at once, on dedicated threads so the request
/// path never waits behind them.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    pool: Arc<Pool>,
    /// A hash of a random password, verified against when the user is
    /// unknown so that the answer takes as long as for a wrong password.
    dummy: Arc<str>,
    /// How long calls waited for a hashing slot (for `/metrics`).
    slot_wait: Arc<Histogram>,
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password (or no such user).
    Mismatch,
    /// Right password; the stored hash uses the current parameters.
    Match,
    /// Right password; here is a fresh hash with the current parameters.
    MatchRehashed(String),
}

impl Hasher {
    pub fn new(cfg: Argon2Config, concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let mut random = [0u8; 32];
        getrandom::getrandom(&mut random)?;
        let dummy_password = base64_std(&random);
        let mut memory = Memory::new(params.block_count());
        let dummy = hash_with(&params, dummy_password.as_bytes(), &mut memory)
            .map_err(|e| anyhow::anyhow!("argon2 self-test failed: {e:?}"))?;
        drop(memory);
        let pool = Pool::start(hashing_threads(concurrency), params.block_count())?;
        Ok(Self {
            params,
            pool: Arc::new(pool),
            dummy: dummy.into(),
            slot_wait: Arc::default(),
        })
    }

    /// How long calls have waited for a hashing slot.
    pub fn slot_wait(&self) -> &Histogram {
        &self.slot_wait
    }

    /// Hashes a new password (PHC string with algorithm, parameters and salt).
    pub async fn hash(&self, password: &SecretString) -> Result<String> {
        let params = self.params.clone();
        let password = password.clone();
        self.run(move |memory| hash_with(&params, password.expose_secret().as_bytes(), memory))
            .await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when
    /// there is no stored hash (unknown user), doing the same work either way.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> Result<Verdict> {
        let known = stored.is_some();
        let stored: String = stored
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy.to_string());
        let params = self.params.clone();
        let password = password.clone();
        let verdict = self
            .run(move |memory| {
                verify_with(
                    &params,
                    password.expose_secret().as_bytes(),
                    &stored,
                    memory,
                )
            })
            .await??;
        Ok(if known { verdict } else { Verdict::Mismatch })
    }

    /// Runs other CPU-heavy password work (a Django PBKDF2 check) on the
    /// hashing threads, so that hashing of every kind together never runs on
    /// more threads than the hashing slots.
    pub async fn run_other<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.run(move |_memory| f()).await
    }

    /// Runs `f` on a hashing thread, in the caller's span (so the hash is
    /// attributed to its request), and waits for its result.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let queued = std::time::Instant::now();
        let slot_wait = self.slot_wait.clone();
        let job: Job = Box::new(move |memory: &mut Memory| {
            slot_wait.observe(queued.elapsed());
            // The caller gave up (client went away) while this waited in the
            // queue: skip the hash rather than spend 20 ms for nobody.
            if tx.is_closed() {
                return;
            }
            let _ = tx.send(span.in_scope(|| f(memory)));
        });
        self.pool
            .jobs
            .send(job)
            .map_err(|_| Error::internal(anyhow::anyhow!("the hashing threads have stopped")))?;
        rx.await
            .map_err(|_| Error::internal(anyhow::anyhow!("a password hash failed")))
    }
}

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// How many hashing threads to run for a configured concurrency: never more
/// than the machine's cores (hashes are CPU-bound: more threads only make
/// every hash slower and starve the request path), never fewer than one.
fn hashing_threads(configured: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if configured > cores {
        tracing::warn!(
            configured,
            cores,
            "GATEHOUSE_HASH_CONCURRENCY is above the number of cores; using {cores}"
        );
    }
    configured.clamp(1, cores)
}

/// The hashing threads. They stop when the last `Hasher` clone is dropped
/// (the queue's sender goes away).
struct Pool {
    jobs: mpsc::Sender<Job>,
}

impl Pool {
    fn start(threads: usize, blocks: usize) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("gatehouse-hash-{i}"))
                .spawn(move || worker(&queue, blocks))
                .map_err(|e| anyhow::anyhow!("cannot start a hashing thread: {e}"))?;
        }
        Ok(Self { jobs })
    }
}

fn worker(queue: &Mutex<mpsc::Receiver<Job>>, blocks: usize) {
    lower_priority();
    let mut memory = Memory::new(blocks);
    loop {
        let job = {
            let queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.recv()
        };
        let Ok(job) = job else { return };
        // A panic must not take a hashing slot away for good; the caller
        // sees its channel closed and answers INTERNAL.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory))).is_err() {
            tracing::error!("a password hash panicked");
        }
    }
}

/// Puts the calling thread (a hashing thread) below the request path in the
/// scheduler's eyes: under contention the kernel gives a thread that is 10
/// nice levels lower about a tenth of the CPU share, and wakes request
/// handlers ahead of it. Linux applies `setpriority(PRIO_PROCESS, 0, …)` to
/// the calling thread only. Lowering one's own priority needs no privilege;
/// a failure leaves the thread as it was.
#[cfg(target_os = "linux")]
fn lower_priority() {
    extern "C" {
        fn getpriority(which: i32, who: u32) -> i32;
        fn setpriority(which: i32, who: u32, prio: i32) -> i32;
    }
    const PRIO_PROCESS: i32 = 0;
    // SAFETY: plain calls into the C library that std already links; `who = 0`
    // is the calling thread; no memory is passed.
    unsafe {
        let current = getpriority(PRIO_PROCESS, 0).clamp(-20, 19);
        let _ = setpriority(PRIO_PROCESS, 0, (current + HASH_NICE).min(19));
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// How many nice levels the hashing threads sit below the request path.
const HASH_NICE: i32 = 10;

/// A hashing thread's argon2 working memory, kept between hashes.
struct Memory {
    blocks: Option<Blocks>,
    /// The configured cost: buffers up to this size are kept; a stored hash
    /// with a larger cost (made before the cost was lowered) gets a
    /// temporary one.
    keep: usize,
}

impl Memory {
    fn new(keep: usize) -> Self {
        Self { blocks: None, keep }
    }

    fn with<T>(&mut self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks > self.keep {
            return f(Blocks::new(blocks).as_mut_slice());
        }
        let kept = self.blocks.get_or_insert_with(|| Blocks::new(self.keep));
        // argon2 writes every block before it reads it, so what the previous
        // hash left here never reaches this one's result.
        f(&mut kept.as_mut_slice()[..blocks])
    }
}

/// argon2's working memory, backed by huge pages where the kernel offers
/// them.
///
/// argon2id reads its memory at data-dependent places, so with 4 KiB pages
/// nearly every block read misses the TLB: 19 MiB is about 4,900 pages, more
/// than the CPU's TLB holds. On Linux the buffer is mapped directly and
/// marked `MADV_HUGEPAGE` before it is touched, so transparent huge pages
/// (2 MiB) back it when the system allows them (`enabled` set to `always` or
/// `madvise`, as Debian's default is). Measured on the project's machine:
/// one hash 5-10% faster, and two hashes at once on two cores went from
/// 82-86% to 95-100% of twice one hash's speed (BENCHMARKS.md). Elsewhere,
/// or when the mapping fails, it is an ordinary heap buffer.
pub struct Blocks {
    inner: BlocksInner,
}

enum BlocksInner {
    Heap(Vec<Block>),
    #[cfg(target_os = "linux")]
    Mapped(huge::Mapping),
}

impl Blocks {
    /// `count` zeroed blocks.
    pub fn new(count: usize) -> Self {
        #[cfg(target_os = "linux")]
        if let Some(m) = huge::Mapping::new(count) {
            return Self {
                inner: BlocksInner::Mapped(m),
            };
        }
        Self {
            inner: BlocksInner::Heap(vec![Block::default(); count]),
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [Block] {
        match &mut self.inner {
            BlocksInner::Heap(v) => v,
            #[cfg(target_os = "linux")]
            BlocksInner::Mapped(m) => m.as_mut_slice(),
        }
    }

    /// Whether the memory is a direct mapping that asked for huge pages.
    pub fn is_mapped(&self) -> bool {
        !matches!(self.inner, BlocksInner::Heap(_))
    }
}

#[cfg(target_os = "linux")]
mod huge {
    use argon2::Block;

    extern "C" {
        fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, offset: i64) -> *mut u8;
        fn munmap(addr: *mut u8, len: usize) -> i32;
        fn madvise(addr: *mut u8, len: usize, advice: i32) -> i32;
    }
    const PROT_READ: i32 = 1;
    const PROT_WRITE: i32 = 2;
    const MAP_PRIVATE: i32 = 0x02;
    const MAP_ANONYMOUS: i32 = 0x20;
    const MAP_FAILED: *mut u8 = !0usize as *mut u8;
    const MADV_HUGEPAGE: i32 = 14;
    const HUGE_PAGE: usize = 2 << 20;

    /// An anonymous private mapping of `count` blocks, starting on a 2 MiB
    /// boundary (the mapping has a huge page of slack for that; the pages
    /// of the slack are never touched, so they take no memory).
    pub struct Mapping {
        base: *mut u8,
        len: usize,
        blocks: *mut Block,
        count: usize,
    }

    // SAFETY: the mapping is owned by this value alone (no other pointer to
    // it exists), like a `Vec`'s buffer, so moving it to another thread is
    // sound.
    unsafe impl Send for Mapping {}

    impl Mapping {
        pub fn new(count: usize) -> Option<Self> {
            let bytes = count.checked_mul(std::mem::size_of::<Block>())?;
            let len = bytes.checked_add(HUGE_PAGE)?;
            // SAFETY: a fresh anonymous mapping: no address is passed in and
            // no existing memory is affected.
            let base = unsafe {
                mmap(
                    std::ptr::null_mut(),
                    len,
                    PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if base == MAP_FAILED || base.is_null() {
                return None;
            }
            let offset = (HUGE_PAGE - base as usize % HUGE_PAGE) % HUGE_PAGE;
            // SAFETY: `offset < HUGE_PAGE`, so `base + offset .. + bytes`
            // lies within the `len` bytes just mapped.
            let start = unsafe { base.add(offset) };
            // SAFETY: advice on memory this value owns; it changes how the
            // kernel backs the pages, never their contents. A refusal (huge
            // pages disabled) leaves ordinary pages, which is fine.
            let _ = unsafe { madvise(start, bytes, MADV_HUGEPAGE) };
            Some(Self {
                base,
                len,
                blocks: start.cast::<Block>(),
                count,
            })
        }

        pub fn as_mut_slice(&mut self) -> &mut [Block] {
            // SAFETY: `blocks` points at `count` blocks inside the mapping,
            // aligned (2 MiB is a multiple of `Block`'s alignment), zeroed by
            // the kernel (all-zero bytes are a valid `Block`, an array of
            // integers) and owned by `self`, which the returned borrow keeps
            // exclusive.
            unsafe { std::slice::from_raw_parts_mut(self.blocks, self.count) }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: exactly the mapping made in `new`, unmapped once; no
            // borrow of it outlives `self`.
            unsafe {
                munmap(self.base, self.len);
            }
        }
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn internal(what: &str, e: impl std::fmt::Display) -> Error {
    Error::internal(anyhow::anyhow!("argon2 {what} failed: {e}"))
}

/// A PHC string for `password` with a fresh salt: exactly what
/// `PasswordHasher::hash_password` makes, with the thread's memory.
fn hash_with(params: &Params, password: &[u8], memory: &mut Memory) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buf)
        .map_err(|e| internal("hashing", e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    memory
        .with(params.block_count(), |blocks| {
            argon2(params).hash_password_into_with_memory(password, salt_bytes, &mut out, blocks)
        })
        .map_err(|e| internal("hashing", e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| internal("hashing", e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| internal("hashing", e))?),
    };
    Ok(phc.to_string())
}

fn verify_with(
    params: &Params,
    password: &[u8],
    stored: &str,
    memory: &mut Memory,
) -> Result<Verdict> {
    let parsed = match PasswordHash::new(stored) {
        Ok(p) => p,
        Err(e) => {
            // A corrupt stored hash must not tell the client anything, but the
            // operator needs to know.
            tracing::error!(error = %e, "stored password hash cannot be parsed");
            return Ok(Verdict::Mismatch);
        }
    };
    if !matches(&parsed, password, memory) {
        return Ok(Verdict::Mismatch);
    }
    if is_current(params, &parsed) {
        Ok(Verdict::Match)
    } else {
        hash_with(params, password, memory).map(Verdict::MatchRehashed)
    }
}

/// Whether `password` hashes to `stored` with the algorithm, version,
/// parameters and salt recorded in it (what `PasswordVerifier` does, with the
/// thread's memory); the comparison is constant-time.
fn matches(stored: &PasswordHash<'_>, password: &[u8], memory: &mut Memory) -> bool {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(stored.algorithm) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(stored) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let hashed = memory.with(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password, salt_bytes, out, blocks)
    });
    if hashed.is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(out).is_ok_and(|computed| computed == *expected)
}

/// Whether a stored hash uses argon2id, version 0x13 and the configured costs.
fn is_current(params: &Params, parsed: &PasswordHash<'_>) -> bool {
    if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(0x13) {
        return false;
    }
    match Params::try_from(parsed) {
        Ok(p) => {
            p.m_cost() == params.m_cost()
                && p.t_cost() == params.t_cost()
                && p.p_cost() == params.p_cost()
        }
        Err(_) => false,
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
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
        // Dropping unmaps; many in a row neither leak nor fail.
        drop(blocks);
        for _ in 0..64 {
            assert_eq!(Blocks::new(4096).as_mut_slice().len(), 4096);
        }
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
}
