//! A hashing thread's argon2 working memory: kept from one hash to the next,
//! and backed by huge pages where the kernel offers them.

use argon2::Block;

/// A hashing thread's argon2 working memory, kept between hashes.
pub(super) struct Memory {
    pub(super) blocks: Option<Blocks>,
    /// The configured cost: buffers up to this size are kept; a stored hash
    /// with a larger cost (made before the cost was lowered) gets a
    /// temporary one.
    keep: usize,
}

impl Memory {
    pub(super) fn new(keep: usize) -> Self {
        Self { blocks: None, keep }
    }

    pub(super) fn with<T>(&mut self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
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
