//! The atomics, fences and cells the lock-free modules are written with.
//!
//! Normally these are `core`'s. Under `--cfg loom` they are loom's, so the loom models
//! in `tests/loom_*.rs` explore the crate's own code and not a copy of it. Only the
//! names below may be used for shared state in `halflock`, `registry` and `hooks`,
//! and for the managers' lock-free "something deliverable" flag.

#[cfg(not(loom))]
pub(crate) use core::hint::spin_loop;
pub(crate) use core::sync::atomic::Ordering;
#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, fence};

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::hint::spin_loop;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, fence};

#[cfg(not(loom))]
pub(crate) use cell::UnsafeCell;

#[cfg(not(loom))]
mod cell {
    /// `core::cell::UnsafeCell` with loom's closure-based access methods, so the
    /// same code compiles against both. Loom checks every `with`/`with_mut` for
    /// a data race; here they are plain pointer accesses.
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> UnsafeCell<T> {
            UnsafeCell(core::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a pointer for shared access.
        #[inline(always)]
        pub(crate) fn with<U>(&self, f: impl FnOnce(*const T) -> U) -> U {
            f(self.0.get())
        }

        /// Runs `f` with a pointer for exclusive access.
        #[inline(always)]
        pub(crate) fn with_mut<U>(&self, f: impl FnOnce(*mut T) -> U) -> U {
            f(self.0.get())
        }
    }
}
