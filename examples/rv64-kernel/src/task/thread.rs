//! Threads: the unit the scheduler runs. Each has a kernel stack, a saved
//! kernel `Context` (while switched out) and a `TrapFrame` (its user state).

use super::{Context, Process};
use crate::errno::Errno;
use crate::sched::WakeReason;
use crate::signal::{KWait, PtraceState, SigThread};
use crate::sync::Mutex;
use crate::trap::{self, TrapFrame};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use ksignal::SignalSet;

/// Threads not yet freed (to catch reference-count leaks at shutdown).
pub static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);

pub type Tid = usize;

const KERNEL_STACK_SIZE: usize = 32 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    Ready,
    Running,
    Blocked,
    Exited,
}

pub struct ThreadInner {
    pub state: ThreadState,
    /// Counts sleeps, so a wake-up meant for an earlier sleep is ignored.
    pub block_seq: u64,
    pub wake_reason: Option<WakeReason>,
    /// Set by `exit`: this thread (only) ends with this code.
    pub exit_code: Option<i32>,
    /// CLONE_CHILD_CLEARTID / set_tid_address: zeroed when the thread exits.
    pub clear_child_tid: usize,
    /// The last synchronous fault (scause, sepc, stval), for the report when
    /// the fault's signal ends the process.
    pub last_fault: Option<(usize, usize, usize)>,
    /// The hart it runs on (meaningful while Running): where an IPI goes.
    pub cpu: usize,
    /// Traced or not, and the ptrace stop it is in (`signal::ptrace`).
    pub ptrace: PtraceState,
}

pub struct Thread {
    pub tid: Tid,
    pub process: Arc<Process>,
    pub inner: Mutex<ThreadInner>,
    /// Set while a hart runs on this thread's kernel stack, from the moment
    /// a scheduler picks it until its old hart has switched away (Linux's
    /// `p->on_cpu`): no other hart may load `context` before it is clear.
    pub on_cpu: AtomicBool,
    /// ksignal's per-thread state (mask, private queue, alternate stack,
    /// the "something deliverable" flag). `None` once the thread has exited:
    /// taking it out detaches the thread from its process's signal state.
    /// Users clone the `Arc` and drop the lock before using it (a blocking
    /// signal call must not hold it).
    signals: Mutex<Option<Arc<SigThread>>>,
    /// Only touched by context switches of this thread (see `sched`), on
    /// one hart at a time (`on_cpu`).
    context: UnsafeCell<Context>,
    /// Only touched by this thread while it runs in the kernel, or before
    /// it first runs.
    trap_frame: UnsafeCell<TrapFrame>,
    /// Owned here; `context` and `trap_frame.kernel_sp` point into it.
    _kernel_stack: Box<[u8]>,
}

// SAFETY: the UnsafeCell fields are only accessed by the thread itself or by
// the scheduler of the one hart it runs on or last ran on: `on_cpu` (set
// from pick to switch-out, Release/Acquire) keeps a second hart away until
// the first is done. All other state is behind mutexes or atomic.
unsafe impl Sync for Thread {}
// SAFETY: as above; nothing in a Thread is tied to a particular hart.
unsafe impl Send for Thread {}

impl Thread {
    /// A new thread that will enter user mode with the registers in `tf`,
    /// with signal mask `blocked` (the creator's; empty for a boot process).
    /// ENOMEM if the process's signal thread table cannot grow.
    pub fn new(
        tid: Tid,
        process: Arc<Process>,
        mut tf: TrapFrame,
        blocked: SignalSet,
    ) -> Result<Arc<Thread>, Errno> {
        let signals = SigThread::new(&process.signals, tid as i32, blocked, KWait::new())
            .map_err(|e| Errno(e.get()))?;
        let signals = Arc::new(signals);
        let stack = alloc::vec![0u8; KERNEL_STACK_SIZE].into_boxed_slice();
        let top = (stack.as_ptr() as usize + KERNEL_STACK_SIZE) & !0xf;
        tf.kernel_sp = top;
        LIVE_THREADS.fetch_add(1, Ordering::Relaxed);
        let thread = Arc::new(Thread {
            tid,
            process,
            inner: Mutex::new(ThreadInner {
                state: ThreadState::Ready,
                block_seq: 0,
                wake_reason: None,
                exit_code: None,
                clear_child_tid: 0,
                last_fault: None,
                cpu: 0,
                ptrace: PtraceState::default(),
            }),
            on_cpu: AtomicBool::new(false),
            signals: Mutex::new(Some(signals.clone())),
            context: UnsafeCell::new(Context::new(thread_start as *const () as usize, top)),
            trap_frame: UnsafeCell::new(tf),
            _kernel_stack: stack,
        });
        // The wait queue wakes this thread; it holds only a weak reference.
        signals.wait_queue().bind(&thread);
        Ok(thread)
    }

    /// The thread's signal state; `None` once it has exited.
    pub fn signals(&self) -> Option<Arc<SigThread>> {
        self.signals.lock().clone()
    }

    /// Detaches the thread from its process's signal state (at exit): its
    /// private queue is dropped and shared signals it would have taken go to
    /// another thread.
    pub fn drop_signals(&self) {
        let signals = self.signals.lock().take();
        drop(signals);
    }

    pub fn context_ptr(&self) -> *mut Context {
        self.context.get()
    }

    /// The thread's user state. A raw pointer on purpose: the trap path
    /// already hands the running thread a `&mut TrapFrame`, so code must not
    /// conjure a second one; only the thread itself dereferences this.
    pub fn trap_frame_ptr(&self) -> *mut TrapFrame {
        self.trap_frame.get()
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        LIVE_THREADS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where a new thread starts in the kernel: straight to the return-to-user
/// path (which may also deliver signals before its first instruction).
extern "C" fn thread_start() -> ! {
    let tf = super::current().trap_frame_ptr();
    // SAFETY: the trap frame lives as long as the thread, and the Arc in
    // `sched::CURRENT` keeps the thread alive while it runs.
    trap::exit_to_user(unsafe { &mut *tf })
}
