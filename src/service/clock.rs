//! The service's clock: the system's, plus an offset that only tests move.
//! Every time the service reads (token issue and expiry, refresh windows,
//! throttle windows) comes from here, so a test advances it instead of
//! sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Unix seconds, as the service sees them. Clones share one offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        crate::now() + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock `seconds` ahead (tests: instead of sleeping).
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone_and_nothing_else() {
        let clock = Clock::default();
        let clone = clock.clone();
        let before = clock.now();
        clone.advance(3600);
        assert!(clock.now() >= before + 3600 && clock.now() <= before + 3601);
        assert!(Clock::default().now() < before + 60);
    }
}
