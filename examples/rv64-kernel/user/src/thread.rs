//! Threads via raw `clone(CLONE_VM | CLONE_THREAD | ...)`.
//!
//! After `clone` the child runs on a brand-new stack, so it cannot return into
//! the Rust frame that called `clone`. A few lines of assembly therefore do the
//! call and, in the child, jump straight to the thread function and then to
//! `exit` with its return value.

use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};

use crate::sys::*;

// a0..a4 = clone(flags, stack, ptid, tls, ctid), a5 = fn, a6 = arg.
// The kernel preserves every register but a0 across ecall, and the child
// starts with a copy of the parent's registers, so t0/t1 carry fn/arg over.
global_asm!(
    ".text",
    ".globl __clone_thread",
    "__clone_thread:",
    "    mv t0, a5",
    "    mv t1, a6",
    "    li a7, 220",
    "    ecall",
    "    bnez a0, 1f",
    "    mv a0, t1",
    "    jalr t0",
    "    li a7, 93",
    "    ecall",
    "1:  ret",
);

unsafe extern "C" {
    fn __clone_thread(
        flags: usize,
        stack_top: usize,
        ptid: *mut i32,
        tls: usize,
        ctid: *mut i32,
        f: extern "C" fn(usize) -> i32,
        arg: usize,
    ) -> isize;
}

/// A static user stack with the 16-byte alignment the ABI requires. It can
/// be handed to one thread only (`spawn` checks), so statics need no `mut`.
#[repr(C, align(16))]
pub struct Stack<const N: usize> {
    mem: UnsafeCell<[u8; N]>,
    taken: AtomicBool,
}

// SAFETY: the memory is only ever used by the single thread that `spawn`
// handed it to; `taken` enforces that.
unsafe impl<const N: usize> Sync for Stack<N> {}

impl<const N: usize> Stack<N> {
    pub const fn new() -> Self {
        Stack { mem: UnsafeCell::new([0; N]), taken: AtomicBool::new(false) }
    }
}

impl<const N: usize> Default for Stack<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A handle to join a thread: the kernel clears `tid` when the thread exits
/// (CLONE_CHILD_CLEARTID). With no futex yet, joining polls with sched_yield.
pub struct JoinHandle {
    pub tid: &'static AtomicI32,
}

impl JoinHandle {
    pub fn join(&self) {
        while self.tid.load(Ordering::Acquire) != 0 {
            sched_yield();
        }
    }
}

pub const THREAD_FLAGS: usize = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID;

/// Starts `f(arg)` on `stack` as a new thread of this process.
///
/// `tid` receives the new thread id (set by the kernel before either thread
/// runs again) and is cleared by the kernel when the thread exits.
pub fn spawn<const N: usize>(
    stack: &'static Stack<N>,
    tid: &'static AtomicI32,
    f: extern "C" fn(usize) -> i32,
    arg: usize,
) -> Result<JoinHandle, isize> {
    if stack.taken.swap(true, Ordering::AcqRel) {
        return Err(-16); // EBUSY: this stack already belongs to a thread
    }
    let top = stack.mem.get() as usize + N;
    let tid_ptr = tid.as_ptr();
    // SAFETY: the stack is 'static and now exclusively the new thread's;
    // `tid` is a 'static atomic the kernel writes with plain stores, which is
    // fine because both sides only use it as a 32-bit word.
    let r = unsafe { __clone_thread(THREAD_FLAGS, top, tid_ptr, 0, tid_ptr, f, arg) };
    if r < 0 { Err(r) } else { Ok(JoinHandle { tid }) }
}

/// `N` threads' 16 KiB stacks and tids, handed out in turn by
/// [`start`](ThreadSlots::start): for a program that starts its threads one
/// after another and never reuses a slot.
pub struct ThreadSlots<const N: usize> {
    stacks: [Stack<16384>; N],
    tids: [AtomicI32; N],
    next: AtomicUsize,
}

impl<const N: usize> ThreadSlots<N> {
    pub const fn new() -> Self {
        ThreadSlots {
            stacks: [const { Stack::new() }; N],
            tids: [const { AtomicI32::new(0) }; N],
            next: AtomicUsize::new(0),
        }
    }

    /// Starts `f(arg)` as a new thread on the next slot; `Err(-EAGAIN)` once
    /// all `N` are used, or `clone`'s error.
    pub fn start(
        &'static self,
        f: extern "C" fn(usize) -> i32,
        arg: usize,
    ) -> Result<JoinHandle, isize> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        if i >= N {
            return Err(-11);
        }
        spawn(&self.stacks[i], &self.tids[i], f, arg)
    }
}
