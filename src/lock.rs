//! Locks for kernels: an IRQ-disabling spin lock that plugs into `lock_api`.
//!
//! The managers are generic over `lock_api::RawMutex`. Host code uses
//! [`spin::mutex::SpinMutex<()>`] (the `DefaultRawMutex`); a kernel that sends
//! signals from interrupt handlers needs a lock that disables interrupts while
//! held, or an interrupt on the CPU holding the lock would spin on it forever.
//! With the `kspin` feature, `KspinRawMutex` is that lock: it saves and disables
//! local IRQs and preemption through `kernel_guard` (the guard `kspin::SpinNoIrq`
//! uses) for as long as it is held. Unlike `kspin`'s non-`smp` build it always keeps
//! a real lock word, so it is correct on SMP kernels too.

/// The lock host code and tests use.
pub type DefaultRawMutex = spin::mutex::SpinMutex<()>;

#[cfg(feature = "kspin")]
pub use self::irq_safe::KspinRawMutex;

#[cfg(feature = "kspin")]
#[allow(unsafe_code)]
mod irq_safe {
    use core::cell::UnsafeCell;
    use core::mem::MaybeUninit;
    use core::sync::atomic::{AtomicBool, Ordering};
    use kernel_guard::{BaseGuard, NoPreemptIrqSave};

    /// A spin lock that disables preemption and local IRQs while held.
    pub struct KspinRawMutex {
        locked: AtomicBool,
        /// IRQ state saved by the holder; only the holder touches it.
        irq_state: UnsafeCell<MaybeUninit<<NoPreemptIrqSave as BaseGuard>::State>>,
    }

    // SAFETY: `irq_state` is only accessed by the thread that holds `locked`, so it
    // is never accessed concurrently; everything else is atomic.
    unsafe impl Sync for KspinRawMutex {}
    // SAFETY: the saved IRQ state is plain data.
    unsafe impl Send for KspinRawMutex {}

    impl KspinRawMutex {
        #[allow(
            clippy::let_unit_value,
            reason = "the saved IRQ state is () on hosted targets, real flags on bare metal"
        )]
        fn try_acquire(&self) -> bool {
            let state = NoPreemptIrqSave::acquire();
            if self
                .locked
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: we hold the lock, so no one else reads or writes irq_state.
                unsafe { (*self.irq_state.get()).write(state) };
                true
            } else {
                NoPreemptIrqSave::release(state);
                false
            }
        }
    }

    // SAFETY: `locked` gives mutual exclusion (acquire on lock, release on unlock).
    unsafe impl lock_api::RawMutex for KspinRawMutex {
        #[allow(clippy::declare_interior_mutable_const)]
        const INIT: KspinRawMutex = KspinRawMutex {
            locked: AtomicBool::new(false),
            irq_state: UnsafeCell::new(MaybeUninit::uninit()),
        };
        type GuardMarker = lock_api::GuardNoSend;

        fn lock(&self) {
            while !self.try_acquire() {
                // Spin with interrupts enabled between attempts, so a waiting CPU still
                // takes its interrupts.
                while self.locked.load(Ordering::Relaxed) {
                    core::hint::spin_loop();
                }
            }
        }

        fn try_lock(&self) -> bool {
            self.try_acquire()
        }

        #[allow(
            clippy::let_unit_value,
            reason = "the saved IRQ state is () on hosted targets, real flags on bare metal"
        )]
        unsafe fn unlock(&self) {
            // SAFETY: the caller holds the lock (RawMutex::unlock's contract), so we
            // own irq_state until the release store below, and try_acquire wrote it
            // when the lock was taken.
            let state = unsafe { (*self.irq_state.get()).assume_init_read() };
            self.locked.store(false, Ordering::Release);
            NoPreemptIrqSave::release(state);
        }
    }
}
