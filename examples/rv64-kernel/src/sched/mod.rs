//! The scheduler: a round-robin run queue and a scheduler loop.
//!
//! xv6-style: the scheduler loop runs on the boot stack with its own
//! `Context`. A thread gives up the CPU by switching to that context
//! (`yield_now`, `block_current`, exiting); the loop then picks the next
//! ready thread and switches to it. States:
//!
//! ```text
//!   Ready --(picked)--> Running --(yield / timer)--> Ready
//!                          |--(block_current)--> Blocked --(wake)--> Ready
//!                          '--(exit)--> Exited
//! ```
//!
//! No spin lock is ever held across a context switch.

mod wait_queue;

pub use wait_queue::WaitQueue;

use crate::mm::page_table;
use crate::task::{self, Context, Thread, ThreadState};
use crate::{signal, timer};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use spin::Mutex;

/// Why a blocked thread runs again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    /// `wake_one`/`wake_all` on the queue it slept on.
    Woken,
    /// Its deadline passed.
    TimedOut,
    /// A signal (or a fatal exit) needs it: the syscall should return
    /// -ERESTARTSYS (or similar) so the return-to-user path can act.
    Interrupted,
}

static RUN_QUEUE: Mutex<VecDeque<Arc<Thread>>> = Mutex::new(VecDeque::new());
static CURRENT: Mutex<Option<Arc<Thread>>> = Mutex::new(None);

struct SchedulerContext(UnsafeCell<Context>);
// SAFETY: only the single hart touches it, from the scheduler loop and from
// `switch_to_scheduler`, which never run at the same time.
unsafe impl Sync for SchedulerContext {}
static SCHEDULER: SchedulerContext = SchedulerContext(UnsafeCell::new(Context::zero()));

/// The thread running on this hart. Panics in the scheduler loop itself.
pub fn current() -> Arc<Thread> {
    CURRENT.lock().clone().expect("no current thread")
}

/// Makes room in the run queue for `threads` threads. Called whenever a
/// thread is created, with the number of live threads: a thread is queued
/// at most once, so `make_runnable` then never allocates, and waking a
/// thread is safe in contexts that must not allocate (ksignal calls its
/// `WaitQueue::wake_one` with the signal lock held).
pub fn reserve_run_queue(threads: usize) {
    let mut queue = RUN_QUEUE.lock();
    let more = threads.saturating_sub(queue.len());
    queue.reserve(more);
}

/// Puts a new (or woken) thread at the back of the run queue.
pub fn make_runnable(thread: Arc<Thread>) {
    thread.inner.lock().state = ThreadState::Ready;
    RUN_QUEUE.lock().push_back(thread);
}

/// The scheduler loop; runs forever on the boot stack.
pub fn run() -> ! {
    loop {
        timer::poll();
        let next = RUN_QUEUE.lock().pop_front();
        match next {
            Some(thread) => run_thread(thread),
            None => idle(),
        }
    }
}

fn run_thread(thread: Arc<Thread>) {
    thread.inner.lock().state = ThreadState::Running;
    if let Some(space) = thread.process.inner.lock().address_space.as_ref() {
        space.activate();
    }
    let ctx = thread.context_ptr();
    *CURRENT.lock() = Some(thread);
    // SAFETY: both contexts are valid; the thread's context was saved by its
    // last switch (or built by `Thread::new`), and ours is saved here.
    unsafe { task::switch_context(SCHEDULER.0.get(), ctx) };

    // The thread gave the CPU back.
    page_table::activate_kernel();
    let thread = CURRENT.lock().take().expect("current thread vanished");
    let state = thread.inner.lock().state;
    match state {
        ThreadState::Running => make_runnable(thread), // yielded or preempted
        ThreadState::Blocked => {}                     // a wait queue or timer holds it
        ThreadState::Exited => task::release_exited_thread(thread),
        ThreadState::Ready => unreachable!("a running thread cannot be Ready"),
    }
}

/// Nothing to run: finish if every process is gone, else wait for the timer.
fn idle() {
    if task::process_count() == 0 {
        task::finish_run();
    }
    if !timer::has_sleepers() {
        // Every thread is blocked with no deadline, and there is no device
        // that could wake one: that is a deadlock.
        println!("FAIL [kernel] deadlock: every thread is blocked with no timeout");
        task::dump_threads();
        crate::sbi::shutdown(true);
    }
    // SAFETY: wfi only pauses until an interrupt is pending; with SIE off it
    // is not taken, and `timer::poll` handles it on the next loop turn.
    unsafe { core::arch::asm!("wfi") };
}

/// Switches from the current thread to the scheduler loop. Returns when the
/// scheduler picks this thread again.
fn switch_to_scheduler() {
    let ctx = current().context_ptr();
    // SAFETY: `ctx` is the current thread's context (the Arc in CURRENT keeps
    // it alive while we are switched out); the scheduler's was saved when it
    // switched to us.
    unsafe { task::switch_context(ctx, SCHEDULER.0.get()) };
}

/// Gives up the CPU; the current thread goes to the back of the run queue.
pub fn yield_now() {
    switch_to_scheduler();
}

/// Leaves the CPU for good (the thread is already marked Exited).
pub fn exit_current() -> ! {
    switch_to_scheduler();
    unreachable!("an exited thread was scheduled again");
}

/// Blocks the current thread until woken through `queue` (if any), until
/// `deadline` (in `timer::now()` ticks, if any), or until interrupted.
///
/// Sleeps are always interruptible: if a signal is pending (or the thread
/// must exit) it returns `Interrupted` at once. Because the kernel is not
/// preemptible on a single hart, nothing can happen between the caller
/// checking its condition and this thread being queued: no lost wake-ups.
pub fn block_current(queue: Option<&WaitQueue>, deadline: Option<u64>) -> WakeReason {
    block(queue, deadline, true)
}

/// Blocks like `block_current` without a deadline, but a pending signal does
/// not prevent the sleep (Linux's TASK_STOPPED): used by threads parked in a
/// group stop, which only SIGCONT, SIGKILL or an exit ends. `interrupt` still
/// wakes it, so the caller re-checks its condition in a loop.
pub fn block_current_uninterruptible(queue: Option<&WaitQueue>) -> WakeReason {
    block(queue, None, false)
}

fn block(queue: Option<&WaitQueue>, deadline: Option<u64>, interruptible: bool) -> WakeReason {
    let thread = current();
    if interruptible && signal::signal_pending(&thread) {
        return WakeReason::Interrupted;
    }
    if deadline.is_some_and(|d| d <= timer::now()) {
        return WakeReason::TimedOut;
    }
    let seq = {
        let mut inner = thread.inner.lock();
        inner.block_seq += 1;
        inner.state = ThreadState::Blocked;
        inner.wake_reason = None;
        inner.block_seq
    };
    if let Some(queue) = queue {
        queue.enqueue(seq, thread.clone());
    }
    if let Some(deadline) = deadline {
        timer::add_sleeper(deadline, seq, thread.clone());
    }
    switch_to_scheduler();

    // Running again: drop any registration that did not fire.
    if let Some(queue) = queue {
        queue.remove(thread.tid);
    }
    if deadline.is_some() {
        timer::remove_sleeper(thread.tid, seq);
    }
    thread.inner.lock().wake_reason.take().unwrap_or(WakeReason::Woken)
}

/// Makes a blocked thread runnable. With `seq`, only that particular sleep
/// is ended (a stale timer or queue entry is ignored). Returns true if the
/// thread was woken by this call.
pub fn wake(thread: &Arc<Thread>, seq: Option<u64>, reason: WakeReason) -> bool {
    {
        let mut inner = thread.inner.lock();
        if inner.state != ThreadState::Blocked || seq.is_some_and(|s| s != inner.block_seq) {
            return false;
        }
        inner.wake_reason = Some(reason);
    }
    make_runnable(thread.clone());
    true
}

/// Interrupts a thread's sleep, if it is sleeping (signal_wake_up in
/// Linux terms): its blocking syscall returns with a restart code.
pub fn interrupt(thread: &Arc<Thread>) -> bool {
    wake(thread, None, WakeReason::Interrupted)
}
