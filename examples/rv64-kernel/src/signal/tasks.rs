//! The task table as ksignal's system-call layer sees it (`TaskTable`), and
//! the calling thread (`Caller`).
//!
//! Ids: a thread's tid is its ksignal id; a process's pid is its leader's
//! tid (tgid). There are no users, sessions or pid namespaces: every task
//! has root's credentials and session 1.
//!
//! Each lookup copies the `Arc`s it needs out of `task::THREADS` /
//! `task::PROCESSES` and drops those locks before ksignal runs, because a
//! send wakes threads (scheduler locks) and may continue a stopped group
//! (`signal_sent` -> `job::after_send`, which takes process locks).

use super::{SigThread, job};
use crate::task::{self, Process, Thread};
use alloc::sync::Arc;
use alloc::vec::Vec;
use ksignal::Arch;
use ksignal::KspinRawMutex;
use ksignal::PidType;
use ksignal::syscall::{Caller, Credentials, Task, TaskIds, TaskTable, TaskVisitor};

use super::KWait;

/// Every task runs as root (uid 0, CAP_KILL).
const CRED: Credentials = Credentials::ROOT;
/// The one session.
const SID: i32 = 1;

/// The ids of thread `tid` of `process`.
pub fn ids_of(process: &Process, tid: usize) -> TaskIds {
    let pgid = process.inner.lock().pgid;
    TaskIds { tid: tid as i32, tgid: process.pid as i32, pgid: pgid as i32, sid: SID }
}

/// The kernel's task table (a unit type: the tables are globals).
pub struct Tasks;

/// Calls `f` with `process`'s task as named by `tid` (whose signal state is
/// `thread`, `None` for a leader that has exited).
fn visit(
    process: &Arc<Process>,
    tid: usize,
    thread: Option<&SigThread>,
    f: &mut TaskVisitor<'_, KWait, KspinRawMutex>,
) {
    let task = Task { ids: ids_of(process, tid), cred: CRED, process: &process.signals, thread };
    f(&task);
}

fn signals_of(thread: Option<Arc<Thread>>) -> Option<Arc<SigThread>> {
    thread.and_then(|t| t.signals())
}

impl TaskTable for Tasks {
    type Wait = KWait;
    type Lock = KspinRawMutex;

    /// Any living thread by tid; or, for a pid whose leader thread is gone,
    /// the process (Linux still finds a zombie leader by its pid, and an
    /// unreaped zombie process too: sending to it succeeds and does nothing).
    fn find_task(&self, tid: i32, f: &mut TaskVisitor<'_, KWait, KspinRawMutex>) {
        let Ok(tid) = usize::try_from(tid) else { return };
        if tid == 0 {
            return;
        }
        let thread = task::THREADS.lock().get(&tid).cloned();
        match thread {
            Some(thread) => {
                let signals = thread.signals();
                visit(&thread.process, tid, signals.as_deref(), f);
            }
            None => {
                let process = task::PROCESSES.lock().get(&tid).cloned();
                if let Some(process) = process {
                    visit(&process, tid, None, f);
                }
            }
        }
    }

    /// A send that continued a stopped group, or started a group exit, wakes
    /// its parked threads; a continue is reported to the parent once
    /// (`SendOutcome::resumed` is true for one send only, and ksignal's
    /// `take_cldstop` hands the report out once).
    fn signal_sent(
        &self,
        target: &Task<'_, KWait, KspinRawMutex>,
        _sig: ksignal::Signo,
        outcome: &ksignal::SendOutcome,
    ) {
        if !(outcome.resumed || outcome.group_exit) {
            return;
        }
        let process = task::PROCESSES.lock().get(&(target.ids.tgid as usize)).cloned();
        if let Some(process) = process {
            job::after_send(&process, outcome);
        }
    }

    fn for_each_process(
        &self,
        scope: PidType,
        id: i32,
        f: &mut TaskVisitor<'_, KWait, KspinRawMutex>,
    ) {
        let processes: Vec<Arc<Process>> = task::PROCESSES
            .lock()
            .values()
            .filter(|p| match scope {
                PidType::Max => true,
                PidType::Pgid => p.inner.lock().pgid as i32 == id,
                PidType::Pid | PidType::Tgid => false,
            })
            .cloned()
            .collect();
        for process in processes {
            let leader = task::THREADS.lock().get(&process.pid).cloned();
            let signals = signals_of(leader);
            visit(&process, process.pid, signals.as_deref(), f);
        }
    }
}

/// Runs `f` with the current thread as ksignal's `Caller`. `None` if the
/// thread has no signal state (it is exiting).
pub fn with_caller<R>(f: impl FnOnce(&Caller<'_, KWait, KspinRawMutex>) -> R) -> Option<R> {
    let thread = task::current();
    let signals = thread.signals()?;
    let caller = Caller {
        ids: ids_of(&thread.process, thread.tid),
        cred: CRED,
        thread: &signals,
        arch: Arch::Riscv64,
    };
    Some(f(&caller))
}

/// The parent of `child` as a signal target: its leader thread (or the
/// process, if the leader has exited), for SIGCHLD.
pub fn with_parent<R>(
    parent: &Arc<Process>,
    f: impl FnOnce(&Task<'_, KWait, KspinRawMutex>) -> R,
) -> R {
    let pgid = parent.inner.lock().pgid;
    with_parent_in_group(parent, pgid, f)
}

/// `with_parent` for a caller that holds the parent's lock and so passes
/// its process group itself.
pub fn with_parent_in_group<R>(
    parent: &Arc<Process>,
    pgid: usize,
    f: impl FnOnce(&Task<'_, KWait, KspinRawMutex>) -> R,
) -> R {
    let leader = task::THREADS.lock().get(&parent.pid).cloned();
    let signals = signals_of(leader);
    let ids =
        TaskIds { tid: parent.pid as i32, tgid: parent.pid as i32, pgid: pgid as i32, sid: SID };
    let task = Task { ids, cred: CRED, process: &parent.signals, thread: signals.as_deref() };
    f(&task)
}
