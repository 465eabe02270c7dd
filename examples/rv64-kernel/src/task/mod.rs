//! Tasks: processes and threads, their creation and their exit.
//!
//! Ids: threads and processes share one number space, like Linux; a
//! process's pid is the tid of its first thread. Two global tables map ids to
//! objects (ksignal's kill/tkill find their targets there, see `signal::Tasks`).
//!
//! Exit is always a request first (`exit`, `exit_group`, a fatal fault set a
//! flag and wake sleepers) and happens on the return-to-user path, where the
//! thread holds no locks and no references: `exit_current`.

mod context;
mod files;
mod process;
mod thread;

pub use context::{Context, switch_context};
pub use files::{FdTable, OpenFile};
pub use process::{JobEvent, Pid, Process, wait_status};
pub use thread::{Thread, ThreadState, Tid};

use crate::mm::{self, AddressSpace, uaccess};
use crate::sync::Mutex;
use crate::{loader, sched, trap};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub static PROCESSES: Mutex<BTreeMap<Pid, Arc<Process>>> = Mutex::new(BTreeMap::new());
pub static THREADS: Mutex<BTreeMap<Tid, Arc<Thread>>> = Mutex::new(BTreeMap::new());
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
/// Frames in use right after boot (kernel page tables): the leak baseline.
static FRAME_BASELINE: AtomicUsize = AtomicUsize::new(0);
/// Set when a boot process ended badly, to fail the run.
static INIT_FAILED: AtomicBool = AtomicBool::new(false);

pub fn alloc_id() -> usize {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

pub fn current() -> Arc<Thread> {
    sched::current()
}

pub fn current_process() -> Arc<Process> {
    sched::current().process.clone()
}

/// The living (not yet exited) processes of group `pgid`: the targets of
/// kill(0, ..) and kill(-pgid, ..).
pub fn process_group(pgid: Pid) -> alloc::vec::Vec<Arc<Process>> {
    PROCESSES
        .lock()
        .values()
        .filter(|p| {
            let inner = p.inner.lock();
            inner.pgid == pgid && inner.exit_status.is_none()
        })
        .cloned()
        .collect()
}

pub fn process_count() -> usize {
    PROCESSES.lock().len()
}

/// Creates a process from an embedded ELF image, with no parent.
pub fn spawn_init_process(name: &str, image: &[u8]) -> Result<Pid, loader::LoadError> {
    if FRAME_BASELINE.load(Ordering::Relaxed) == 0 {
        FRAME_BASELINE.store(mm::frame::frames_in_use(), Ordering::Relaxed);
    }
    let mut space = AddressSpace::new().map_err(loader::LoadError::Memory)?;
    let image = loader::load(image, &mut space)?;
    let pid = alloc_id();
    let signals = crate::signal::new_process_signals();
    let process = Arc::new(Process::new(pid, String::from(name), space, None, 0, signals));
    let mut tf = trap::TrapFrame {
        sepc: image.entry,
        sstatus: trap::initial_user_sstatus(),
        ..Default::default()
    };
    tf.regs[trap::TrapFrame::SP] = image.stack_pointer;
    let thread = Thread::new(pid, process.clone(), tf, ksignal::SignalSet::EMPTY)
        .map_err(loader::LoadError::Memory)?;
    add_thread(&process, thread.clone());
    PROCESSES.lock().insert(pid, process);
    sched::make_runnable(thread);
    Ok(pid)
}

/// Registers a new thread with its process and the thread table.
pub fn add_thread(process: &Arc<Process>, thread: Arc<Thread>) {
    sched::reserve_run_queue(thread::LIVE_THREADS.load(Ordering::Relaxed));
    {
        let mut inner = process.inner.lock();
        inner.threads.push(thread.clone());
        inner.unreleased += 1;
    }
    THREADS.lock().insert(thread.tid, thread);
}

/// True if the current thread must not return to user mode.
pub fn current_must_exit() -> bool {
    let thread = current();
    let me = thread.inner.lock().exit_code.is_some();
    me || thread.process.inner.lock().group_exit.is_some()
}

/// Asks every thread of `process` to exit, with `status` as the process's
/// wait status (the first request wins, as in Linux). Sleeping threads are
/// interrupted so they notice, and ksignal's group exit is started too (as
/// Linux's `zap_other_threads` does with SIGKILL), so new signals are dropped
/// and threads waiting in ksignal's calls (rt_sigtimedwait, rt_sigsuspend)
/// or parked in a group stop wake up.
pub fn start_group_exit(process: &Arc<Process>, status: i32) {
    let threads = {
        let mut inner = process.inner.lock();
        inner.group_exit.get_or_insert(status);
        inner.threads.clone()
    };
    process.signals.start_group_exit(ksignal::Signo::SIGKILL);
    for thread in &threads {
        sched::interrupt(thread);
    }
}

/// Ends the current thread (and its process, if it is the last thread).
/// Called only from the return-to-user path, which holds no references.
pub fn exit_current() -> ! {
    {
        let thread = current();
        let process = thread.process.clone();
        let clear_tid = thread.inner.lock().clear_child_tid;
        if clear_tid != 0 {
            // CLONE_CHILD_CLEARTID: lets a joiner see the thread is gone
            // (a futex wake would follow here). A bad address is ignored.
            let _ = uaccess::write_user(clear_tid, &0u32);
        }
        let code = thread.inner.lock().exit_code.unwrap_or(0);
        // Shared signals this thread would have taken go to another thread;
        // a group stop in progress counts it as stopped.
        thread.drop_signals();
        crate::signal::thread_exited(&process, thread.tid);
        let last = {
            let mut inner = process.inner.lock();
            inner.threads.retain(|t| t.tid != thread.tid);
            inner.threads.is_empty()
        };
        THREADS.lock().remove(&thread.tid);
        thread.inner.lock().state = ThreadState::Exited;
        if last {
            let status = process.inner.lock().group_exit.unwrap_or(wait_status::exited(code));
            exit_process(&process, status);
        }
        // `thread` and `process` are dropped here: the scheduler holds the
        // last reference and frees the kernel stack after switching away.
    }
    sched::exit_current()
}

/// The last thread is gone: record the status, orphan the children, and
/// tell the parent (or, for boot processes, report and reap at once).
fn exit_process(process: &Arc<Process>, status: i32) {
    crate::timer::cancel_alarm(process.pid);
    crate::ptimer::delete_all(process.pid);
    let parent = process.inner.lock().parent.as_ref().and_then(|p| p.upgrade());
    // Becoming a zombie and telling the parent happen under the parent's
    // lock, which `wait4` holds while it looks for zombies (lock order:
    // parent, then child, as there): so it never reaps a child that is being
    // reaped automatically, and a parent that got the SIGCHLD finds the
    // zombie. (Linux does both under tasklist_lock.)
    let mut told_parent = None;
    let children = {
        let parent_inner = parent.as_ref().map(|p| (p, p.inner.lock()));
        let still_child = parent_inner
            .as_ref()
            .is_some_and(|(_, pi)| pi.children.iter().any(|c| c.pid == process.pid));
        let children = {
            let mut inner = process.inner.lock();
            inner.exit_status = Some(status);
            if !still_child {
                inner.parent = None; // its parent exited meanwhile
            }
            core::mem::take(&mut inner.children)
        };
        if let (true, Some((parent, mut parent_inner))) = (still_child, parent_inner) {
            // SIGCHLD (CLD_EXITED / CLD_KILLED). If the parent ignores
            // SIGCHLD or set SA_NOCLDWAIT, nobody will wait: reap at once.
            let autoreap = crate::signal::notify_parent(process, parent, parent_inner.pgid, status);
            if autoreap {
                parent_inner.children.retain(|c| c.pid != process.pid);
                process.inner.lock().parent = None;
            }
            told_parent = Some((parent.clone(), autoreap));
        }
        children
    };
    // Its tracees go on untraced (`exit_ptrace`).
    crate::signal::ptrace::untrace_children_of(process, &children);
    // No init process adopts orphans: they are reaped by the kernel when they
    // exit, and zombies among them right now.
    for child in &children {
        let zombie = {
            let mut inner = child.inner.lock();
            inner.parent = None;
            inner.orphaned = true;
            inner.exit_status.is_some()
        };
        if zombie {
            PROCESSES.lock().remove(&child.pid);
        }
    }
    // Linux's `exit_notify`: process groups this exit orphans get SIGHUP and
    // SIGCONT if a member is stopped.
    let parent_now = told_parent.as_ref().map(|(p, _)| p);
    crate::signal::orphan_checks(process, parent_now, &children);
    match told_parent {
        Some((parent, autoreap)) => {
            if autoreap {
                PROCESSES.lock().remove(&process.pid);
            }
            parent.child_wait.wake_all();
        }
        None => {
            report_exit(process, status);
            PROCESSES.lock().remove(&process.pid);
        }
    }
}

fn report_exit(process: &Process, status: i32) {
    let how = if status & 0x7f == 0 {
        alloc::format!("exit code {}", (status >> 8) & 0xff)
    } else {
        alloc::format!("killed by signal {}", status & 0x7f)
    };
    println!("[kernel] {} (pid {}) finished: {how}", process.name, process.pid);
    if process.inner.lock().exit_signal == 0 && status != 0 {
        println!("FAIL [kernel] boot process {} did not exit with 0", process.name);
        INIT_FAILED.store(true, Ordering::Relaxed);
    }
}

/// Called by the scheduler once an exited thread has switched away for the
/// last time (so its kernel stack is no longer in use). The address space
/// goes with the last thread released: another thread of the process that
/// exited at the same time may still be on its way out on another hart.
pub fn release_exited_thread(thread: Arc<Thread>) {
    let space = {
        let mut inner = thread.process.inner.lock();
        inner.unreleased -= 1;
        if inner.unreleased == 0 { inner.address_space.take() } else { None }
    };
    drop(space); // frees the process's user pages and page tables
    drop(thread); // normally the last reference: frees the kernel stack
}

/// All processes are gone: check for leaks, print the verdict, power off.
pub fn finish_run() -> ! {
    let in_use = mm::frame::frames_in_use();
    let baseline = FRAME_BASELINE.load(Ordering::Relaxed);
    let threads = thread::LIVE_THREADS.load(Ordering::Relaxed);
    let processes = process::LIVE_PROCESSES.load(Ordering::Relaxed);
    println!(
        "[kernel] frames in use: {in_use} (after boot: {baseline}); live threads {threads}, processes {processes}"
    );
    let (wakes, kicks) = crate::smp::ipi_counts();
    println!(
        "[kernel] IPIs sent: {wakes} to wake an idle hart, {kicks} to kick a thread a signal was sent to"
    );
    let (kernel_ticks, alarms_kernel, alarms_user) = crate::timer::irq_counts();
    println!(
        "[kernel] timer interrupts taken in the kernel: {kernel_ticks}; SIGALRM sent from timer interrupts taken in the kernel: {alarms_kernel}, in user mode: {alarms_user}"
    );
    let mut failed = INIT_FAILED.load(Ordering::Relaxed);
    if in_use != baseline {
        println!("FAIL [kernel] {} frames leaked", in_use as isize - baseline as isize);
        failed = true;
    }
    // Every process is gone, so no siginfo may still be charged to the
    // RLIMIT_SIGPENDING account.
    let charged = crate::signal::pending_limit().queued();
    if charged != 0 {
        println!("FAIL [kernel] {charged} queued siginfo still charged to RLIMIT_SIGPENDING");
        failed = true;
    }
    if threads != 0 || processes != 0 || !THREADS.lock().is_empty() {
        println!("FAIL [kernel] leaked {threads} threads and {processes} processes");
        failed = true;
    }
    println!("ALL DONE");
    crate::sbi::shutdown(failed)
}

/// Debug aid for the deadlock report.
pub fn dump_threads() {
    for (tid, thread) in THREADS.lock().iter() {
        println!(
            "[kernel]   tid {tid} of {} (pid {}): {:?}",
            thread.process.name,
            thread.process.pid,
            thread.inner.lock().state
        );
    }
}
