//! The kernel's lock: a spin lock that also disables this hart's interrupts
//! while held.
//!
//! Interrupts are enabled in the kernel (see `trap`), and interrupt handlers
//! take locks too (the timer wakes sleepers and sends SIGALRM, which takes a
//! process's signal lock, a thread's, the run queue's). A hart that is
//! interrupted while holding one of those and whose handler then wants it
//! would spin forever, so every lock disables interrupts: the lock is
//! ksignal's `KspinRawMutex` (kspin's IRQ-saving guard with a real lock word,
//! so it also excludes the other harts), the same one ksignal's signal locks
//! use here.

use ksignal::KspinRawMutex;

/// A spin lock that disables interrupts while held (`lock_api` API).
pub type Mutex<T> = lock_api::Mutex<KspinRawMutex, T>;
/// What `Mutex::lock` returns.
pub type MutexGuard<'a, T> = lock_api::MutexGuard<'a, KspinRawMutex, T>;
