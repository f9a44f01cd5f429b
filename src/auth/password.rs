//! argon2id password hashing, off the async runtime and bounded in concurrency.
//!
//! Hashes run on a small pool of dedicated threads (one per hashing slot),
//! each of which keeps its argon2 working memory (19 MiB at the default
//! cost) from one hash to the next: allocating it afresh for every hash cost
//! a page fault per 4 KiB page, about 40% of the hash's time. The threads
//! also run at a lower scheduling priority than the request path, so a flood
//! of logins never starves authenticated requests of CPU. See BENCHMARKS.md.

mod memory;

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Argon2Config;
use crate::error::{Error, Result};
use crate::metrics::Histogram;

pub use memory::Blocks;
use memory::Memory;

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
mod tests;
