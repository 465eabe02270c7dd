//! Processes: an address space, a set of threads, a place in the
//! parent/child tree, and an exit status for `wait4`.

use super::{FdTable, Thread};
use crate::mm::AddressSpace;
use crate::sched::WaitQueue;
use crate::signal::SigProcess;
use crate::sync::Mutex;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Processes not yet freed (to catch reference-count leaks at shutdown).
pub static LIVE_PROCESSES: AtomicUsize = AtomicUsize::new(0);

pub type Pid = usize;

/// Linux wait-status encodings (what `wait4` stores in `*wstatus`).
pub mod wait_status {
    /// Exited normally: WIFEXITED, WEXITSTATUS = code.
    pub fn exited(code: i32) -> i32 {
        (code & 0xff) << 8
    }
    /// Killed by a signal: WIFSIGNALED, WTERMSIG = sig (0x80 = core dumped).
    pub fn signaled(sig: usize) -> i32 {
        (sig & 0x7f) as i32
    }
    /// Stopped by a signal: WIFSTOPPED, WSTOPSIG = sig.
    pub fn stopped(sig: usize) -> i32 {
        ((sig as i32 & 0xff) << 8) | 0x7f
    }
    /// Continued by SIGCONT: WIFCONTINUED.
    pub const CONTINUED: i32 = 0xffff;
}

/// A stop/continue that the parent has not collected yet with
/// WUNTRACED / WCONTINUED.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEvent {
    Stopped(usize),
    Continued,
}

pub struct ProcessInner {
    /// None once the process has exited (memory is released at exit).
    pub address_space: Option<AddressSpace>,
    pub parent: Option<Weak<Process>>,
    /// Children, living or zombie, until reaped by `wait4`.
    pub children: Vec<Arc<Process>>,
    pub threads: Vec<Arc<Thread>>,
    /// Threads added and not yet released by the scheduler (`threads`
    /// forgets a thread at exit, while it still runs on its hart with this
    /// address space active): the address space is freed when this is 0.
    pub unreleased: usize,
    /// Set when the whole process must end (exit_group, a fatal signal): the
    /// wait status it will exit with.
    pub group_exit: Option<i32>,
    /// Set once the last thread is gone: the process is a zombie until its
    /// parent reaps it.
    pub exit_status: Option<i32>,
    /// Signal sent to the parent at exit (SIGCHLD for fork; 0 for boot
    /// processes), see `signal::notify_parent`.
    pub exit_signal: usize,
    /// Process group (kill(0, ..), kill(-pgid, ..), wait4(0 / -pgid)).
    /// A boot process leads its own group; fork inherits the parent's.
    pub pgid: Pid,
    pub job_event: Option<JobEvent>,
    /// The parent thread (Linux's `real_parent` is a thread): the one that
    /// forked this process, then the one that inherits it when that thread
    /// exits. Its exit sends the PR_SET_PDEATHSIG signal (`signal::job`).
    pub parent_tid: usize,
    /// Its parent exited (no init adopts it here; Linux would make it init's
    /// child). A process without a parent that is not orphaned is a boot
    /// process, started by the kernel as a shell starts a job: its parent
    /// counts as one in another process group of the session.
    pub orphaned: bool,
}

pub struct Process {
    pub pid: Pid,
    pub name: String,
    pub inner: Mutex<ProcessInner>,
    /// `wait4` sleeps here; woken when a child exits, stops or continues.
    pub child_wait: WaitQueue,
    /// Open files from descriptor 3 up (signalfds), shared by the threads.
    pub files: Mutex<FdTable>,
    /// ksignal's process-wide state: shared queue, sigaction table, the
    /// group's stop and exit state.
    pub signals: Arc<SigProcess>,
    /// Threads parked in a group stop sleep here until SIGCONT.
    pub stop_wait: WaitQueue,
}

impl Process {
    pub fn new(
        pid: Pid,
        name: String,
        space: AddressSpace,
        parent: Option<&Arc<Process>>,
        exit_signal: usize,
        signals: SigProcess,
    ) -> Self {
        LIVE_PROCESSES.fetch_add(1, Ordering::Relaxed);
        Process {
            pid,
            name,
            inner: Mutex::new(ProcessInner {
                address_space: Some(space),
                parent: parent.map(Arc::downgrade),
                children: Vec::new(),
                threads: Vec::new(),
                unreleased: 0,
                group_exit: None,
                exit_status: None,
                exit_signal,
                pgid: parent.map_or(pid, |p| p.inner.lock().pgid),
                job_event: None,
                parent_tid: 0,
                orphaned: false,
            }),
            child_wait: WaitQueue::new(),
            files: Mutex::new(FdTable::new()),
            signals: Arc::new(signals),
            stop_wait: WaitQueue::new(),
        }
    }

    /// The parent's pid, or 0 for a process started by the kernel (or
    /// orphaned; there is no init process to adopt it).
    pub fn parent_pid(&self) -> Pid {
        self.inner.lock().parent.as_ref().and_then(Weak::upgrade).map_or(0, |p| p.pid)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        LIVE_PROCESSES.fetch_sub(1, Ordering::Relaxed);
    }
}
