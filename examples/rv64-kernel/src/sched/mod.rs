//! The scheduler: one shared round-robin run queue, one scheduler loop per
//! hart.
//!
//! xv6-style: each hart's scheduler loop runs on that hart's boot stack with
//! its own `Context`. A thread gives up its hart by switching to that
//! context (`yield_now`, `block_current`, exiting); the loop then picks the
//! next ready thread from the shared queue and switches to it. States:
//!
//! ```text
//!   Ready --(picked)--> Running --(yield / timer)--> Ready
//!                          |--(block_current)--> Blocked --(wake)--> Ready
//!                          '--(exit)--> Exited
//! ```
//!
//! Several harts (`smp`): the run queue is one spin-locked queue shared by
//! all harts; a hart with nothing to run waits in `wfi` and is sent an IPI
//! when a thread becomes ready. A thread may be woken (and picked by another
//! hart) while it is still on its way out of its old hart: `Thread::on_cpu`
//! stays set until the old hart has switched off the thread's stack, and the
//! new hart waits for it to clear before switching in (Linux's `p->on_cpu`).
//!
//! No lost wake-ups: a sleeper first marks itself Blocked and registers on
//! its wait queue / timer, *then* re-checks what would end the sleep
//! (a pending signal, the deadline, its own condition) and backs out if one
//! holds; a waker first makes the condition true, then wakes whatever is
//! Blocked. With the thread's lock ordering the two, one of them sees the
//! other. No spin lock is ever held across a context switch.

mod wait_queue;

pub use wait_queue::WaitQueue;

use crate::mm::page_table;
use crate::smp::{self, MAX_HARTS, hart_id};
use crate::sync::Mutex;
use crate::task::{self, Context, Thread, ThreadState};
use crate::{signal, timer, trap};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};

/// Why a blocked thread runs again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    /// `wake_one`/`wake_all` on the queue it slept on (or the sleep's own
    /// condition already held).
    Woken,
    /// Its deadline passed.
    TimedOut,
    /// A signal (or a fatal exit) needs it: the syscall should return
    /// -ERESTARTSYS (or similar) so the return-to-user path can act.
    Interrupted,
}

struct RunQueue {
    ready: VecDeque<Arc<Thread>>,
    /// Threads picked by a hart and not yet handed back (running, or on
    /// their way in or out). Queue empty and `running == 0`, seen together
    /// under the lock, means no thread can run now.
    running: usize,
}

static RUN_QUEUE: Mutex<RunQueue> = Mutex::new(RunQueue { ready: VecDeque::new(), running: 0 });
/// The thread each hart runs (None in its scheduler loop).
static CURRENT: [Mutex<Option<Arc<Thread>>>; MAX_HARTS] = [const { Mutex::new(None) }; MAX_HARTS];
/// Harts waiting in `idle` (bit n = hart n): where an IPI finds work a home.
static IDLE: AtomicUsize = AtomicUsize::new(0);
/// Set by the hart that ends the run, so only one does.
static FINISHING: AtomicBool = AtomicBool::new(false);
/// When each hart first saw "nothing runs, nothing sleeps" in its current
/// streak (0 = not in one): a deadlock once it lasts `DEADLOCK_AFTER`.
static STUCK_SINCE: [AtomicU64; MAX_HARTS] = [const { AtomicU64::new(0) }; MAX_HARTS];
const DEADLOCK_AFTER: u64 = timer::TICKS_PER_SEC / 2;

struct SchedulerContext(UnsafeCell<Context>);
// SAFETY: hart n's context is only touched by hart n, from its scheduler
// loop and from `switch_to_scheduler`, which never run at the same time.
unsafe impl Sync for SchedulerContext {}
static SCHEDULER: [SchedulerContext; MAX_HARTS] =
    [const { SchedulerContext(UnsafeCell::new(Context::zero())) }; MAX_HARTS];

/// The thread running on this hart. Panics in the scheduler loop itself.
pub fn current() -> Arc<Thread> {
    CURRENT[hart_id()].lock().clone().expect("no current thread")
}

/// Makes room in the run queue for `threads` threads. Called whenever a
/// thread is created, with the number of live threads: a thread is queued
/// at most once, so `make_runnable` then never allocates, and waking a
/// thread is safe in contexts that must not allocate (ksignal calls its
/// `WaitQueue::wake_one` with the signal lock held).
pub fn reserve_run_queue(threads: usize) {
    let mut queue = RUN_QUEUE.lock();
    let more = threads.saturating_sub(queue.ready.len());
    queue.ready.reserve(more);
}

/// Puts a new thread at the back of the run queue.
pub fn make_runnable(thread: Arc<Thread>) {
    thread.inner.lock().state = ThreadState::Ready;
    enqueue(thread);
}

/// Queues a thread already marked Ready, and wakes an idle hart for it.
fn enqueue(thread: Arc<Thread>) {
    RUN_QUEUE.lock().ready.push_back(thread);
    // Pairs with the fence in `idle`: either that hart sees the queued
    // thread, or we see its idle bit and send it an IPI.
    fence(Ordering::SeqCst);
    let idle = IDLE.load(Ordering::Relaxed) & !(1 << hart_id());
    if idle != 0 {
        smp::send_ipi(idle.trailing_zeros() as usize, smp::IpiReason::Wake);
    }
}

/// The scheduler loop of one hart; runs forever on its boot stack, with
/// interrupts on.
pub fn run() -> ! {
    trap::enable_interrupts();
    loop {
        timer::heartbeat();
        let next = {
            let mut queue = RUN_QUEUE.lock();
            let next = queue.ready.pop_front();
            if next.is_some() {
                queue.running += 1;
            }
            next
        };
        match next {
            Some(thread) => {
                STUCK_SINCE[hart_id()].store(0, Ordering::Relaxed);
                NEED_RESCHED[hart_id()].store(false, Ordering::Relaxed);
                run_thread(thread);
                RUN_QUEUE.lock().running -= 1;
            }
            None => idle(),
        }
    }
}

fn run_thread(thread: Arc<Thread>) {
    let me = hart_id();
    // The hart it ran on last may not have switched off its stack yet.
    while thread.on_cpu.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    thread.on_cpu.store(true, Ordering::Relaxed);
    {
        let mut inner = thread.inner.lock();
        inner.state = ThreadState::Running;
        inner.cpu = me;
    }
    let signals = thread.signals();
    if let Some(s) = &signals {
        s.set_on_cpu(true);
    }
    if let Some(space) = thread.process.inner.lock().address_space.as_ref() {
        space.activate();
    }
    let ctx = thread.context_ptr();
    *CURRENT[me].lock() = Some(thread);
    // SAFETY: both contexts are valid; the thread's context was saved by its
    // last switch (or built by `Thread::new`) and its old hart is done with
    // it (`on_cpu` was clear); ours is saved here.
    unsafe { task::switch_context(SCHEDULER[me].0.get(), ctx) };

    // The thread gave the hart back.
    page_table::activate_kernel();
    let thread = CURRENT[me].lock().take().expect("current thread vanished");
    if let Some(s) = &signals {
        s.set_on_cpu(false);
    }
    drop(signals);
    let state = {
        let mut inner = thread.inner.lock();
        let state = inner.state;
        if state == ThreadState::Running {
            inner.state = ThreadState::Ready; // yielded or preempted
        }
        state
    };
    // From this store on another hart may switch to the thread.
    thread.on_cpu.store(false, Ordering::Release);
    match state {
        ThreadState::Running => enqueue(thread),
        // Blocked: a wait queue or the timer holds it. Ready: it was woken
        // while on its way out, and its waker queued it.
        ThreadState::Blocked | ThreadState::Ready => {}
        ThreadState::Exited => task::release_exited_thread(thread),
    }
}

/// Nothing to run: finish if every process is gone, fail if every thread is
/// blocked for good, else wait for an IPI or the timer.
fn idle() {
    let me = hart_id();
    // Off until `wfi`: an interrupt between the check below and `wfi` would
    // be handled before `wfi` and then not end it; pending, it does.
    trap::disable_interrupts();
    IDLE.fetch_or(1 << me, Ordering::Relaxed);
    fence(Ordering::SeqCst); // pairs with `enqueue`
    let (empty, running) = {
        let queue = RUN_QUEUE.lock();
        (queue.ready.is_empty(), queue.running)
    };
    if empty && running == 0 {
        // No thread runs or can run right now.
        if task::process_count() == 0 {
            if !FINISHING.swap(true, Ordering::AcqRel) {
                task::finish_run();
            }
        } else if !timer::has_timers() {
            // Every thread is blocked with no deadline, and there is no device
            // that could wake one. Seen for `DEADLOCK_AFTER` in a row (so a
            // timer wake-up in flight on another hart is not mistaken for
            // one), that is a deadlock.
            let now = timer::now();
            let since = STUCK_SINCE[me].load(Ordering::Relaxed);
            if since == 0 {
                STUCK_SINCE[me].store(now, Ordering::Relaxed);
            } else if now - since > DEADLOCK_AFTER && !FINISHING.swap(true, Ordering::AcqRel) {
                println!("FAIL [kernel] deadlock: every thread is blocked with no timeout");
                task::dump_threads();
                crate::sbi::shutdown(true);
            }
        } else {
            STUCK_SINCE[me].store(0, Ordering::Relaxed);
        }
    } else {
        STUCK_SINCE[me].store(0, Ordering::Relaxed);
    }
    if empty {
        // SAFETY: wfi only pauses until an interrupt is pending (an IPI or
        // this hart's timer), which is taken as soon as interrupts are on
        // again below.
        unsafe { core::arch::asm!("wfi") };
    }
    IDLE.fetch_and(!(1 << me), Ordering::Relaxed);
    trap::enable_interrupts();
}

/// Set by a timer interrupt taken in the kernel: the thread running on this
/// hart yields on its way back to user mode (the kernel itself is not
/// preemptible).
static NEED_RESCHED: [AtomicBool; MAX_HARTS] = [const { AtomicBool::new(false) }; MAX_HARTS];

/// The quantum ended while this hart was in the kernel.
pub fn set_need_resched() {
    NEED_RESCHED[hart_id()].store(true, Ordering::Relaxed);
}

/// Should the current thread yield before returning to user mode?
pub fn need_resched() -> bool {
    NEED_RESCHED[hart_id()].load(Ordering::Relaxed)
}

/// Switches from the current thread to this hart's scheduler loop. Returns
/// when some hart's scheduler picks this thread again.
fn switch_to_scheduler() {
    let ctx = current().context_ptr();
    // SAFETY: `ctx` is the current thread's context (the Arc in CURRENT keeps
    // it alive while we are switched out, and `on_cpu` keeps other harts
    // from loading it until the switch is complete); the scheduler's was
    // saved when it switched to us. The hart may differ when we come back,
    // which is why `SCHEDULER` is indexed only after the switch by the loop.
    unsafe { task::switch_context(ctx, SCHEDULER[hart_id()].0.get()) };
}

/// Gives up the hart; the current thread goes to the back of the run queue.
pub fn yield_now() {
    NEED_RESCHED[hart_id()].store(false, Ordering::Relaxed);
    switch_to_scheduler();
}

/// Leaves the hart for good (the thread is already marked Exited).
pub fn exit_current() -> ! {
    switch_to_scheduler();
    unreachable!("an exited thread was scheduled again");
}

/// Blocks the current thread until woken through `queue` (if any), until
/// `deadline` (in `timer::now()` ticks, if any), until `done()` holds, or
/// until interrupted.
///
/// Sleeps are always interruptible: if a signal is pending (or the thread
/// must exit) it returns `Interrupted` at once. `done` is the caller's
/// condition, checked after the thread is registered for wake-ups (so a
/// change between the caller's own check and the sleep is never lost).
pub fn block_current(
    queue: Option<&WaitQueue>,
    deadline: Option<u64>,
    done: &dyn Fn() -> bool,
) -> WakeReason {
    block(queue, deadline, true, done)
}

/// Blocks like `block_current` without a deadline, but a pending signal does
/// not prevent the sleep (Linux's TASK_STOPPED): used by threads parked in a
/// group stop, which only SIGCONT, SIGKILL or an exit ends. `interrupt` still
/// wakes it, so the caller re-checks its condition in a loop.
pub fn block_current_uninterruptible(
    queue: Option<&WaitQueue>,
    done: &dyn Fn() -> bool,
) -> WakeReason {
    block(queue, None, false, done)
}

fn block(
    queue: Option<&WaitQueue>,
    deadline: Option<u64>,
    interruptible: bool,
    done: &dyn Fn() -> bool,
) -> WakeReason {
    let thread = current();
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
    // Registered: from here on a wake-up is not lost. Now the checks that
    // end the sleep before it starts.
    let early = if interruptible && signal::signal_pending(&thread) {
        Some(WakeReason::Interrupted)
    } else if deadline.is_some_and(|d| d <= timer::now()) {
        Some(WakeReason::TimedOut)
    } else if done() {
        Some(WakeReason::Woken)
    } else {
        None
    };
    let sleep = match early {
        None => true,
        Some(reason) => {
            let mut inner = thread.inner.lock();
            if inner.state == ThreadState::Blocked && inner.block_seq == seq {
                inner.state = ThreadState::Running;
                inner.wake_reason = Some(reason);
                false
            } else {
                // Already woken: it is Ready and queued, so let the
                // scheduler use that queue entry.
                true
            }
        }
    };
    if sleep {
        switch_to_scheduler();
    }

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
        inner.state = ThreadState::Ready;
    }
    enqueue(thread.clone());
    true
}

/// Interrupts a thread's sleep, if it is sleeping (signal_wake_up in
/// Linux terms): its blocking syscall returns with a restart code. If it is
/// running on another hart, an IPI makes that hart pass through the
/// return-to-user path, where the signal is delivered (Linux's
/// `kick_process`).
pub fn interrupt(thread: &Arc<Thread>) -> bool {
    if wake(thread, None, WakeReason::Interrupted) {
        return true;
    }
    let running_on = {
        let inner = thread.inner.lock();
        (inner.state == ThreadState::Running).then_some(inner.cpu)
    };
    if let Some(hart) = running_on {
        smp::send_ipi(hart, smp::IpiReason::Kick);
    }
    false
}
