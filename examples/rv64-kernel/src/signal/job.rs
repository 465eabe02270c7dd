//! Job control and child notification: group stop and continue, the SIGCHLD
//! a parent gets when a child stops, continues or exits, and the signals of
//! the exit path (parent death, orphaned process groups).
//!
//! A group stop, as this kernel does it (ksignal keeps the count, as Linux's
//! `group_stop_count`):
//! 1. a thread dequeues a stop signal: ksignal's `do_signal` returns
//!    `UserReturn::Stop`, and ksignal gives every other thread a stop to take
//!    part in and wakes it (a thread in `rt_sigtimedwait`, `rt_sigsuspend`
//!    or an interruptible sleep returns, one in user mode is kicked);
//! 2. each of them comes to the return-to-user path, where `do_signal`
//!    returns `UserReturn::Stop` for it too; each thread then reports what
//!    ksignal has to report (`report`: the last one to stop finds
//!    CLD_STOPPED there) and parks (`park`) on `Process::stop_wait`, in a
//!    sleep that pending signals do not end (TASK_STOPPED);
//! 3. a SIGCONT (or SIGKILL) ends ksignal's stop when it is *generated*, in
//!    the sender's context: ksignal's system-call layer calls
//!    `Tasks::signal_sent` with the outcome, and `after_send` wakes the
//!    parked threads and reports the continue: `take_cldstop` hands each
//!    CLD_STOPPED and CLD_CONTINUED out exactly once, however many senders
//!    race.
//!
//! An interrupted blocking system call of a stopped thread is restarted
//! once the group continues (no handler ran), as in Linux; `rt_sigtimedwait`
//! returns EINTR.

use super::tasks::{Tasks, ids_of, with_parent, with_parent_in_group};
use crate::task::{self, JobEvent, Process, Thread};
use alloc::sync::Arc;
use alloc::vec::Vec;
use ksignal::syscall::{Credentials, TaskTable};
use ksignal::{
    ChildExit, ChildInfo, ChildStop, ExitingTask, OrphanCheck, exit_signal_for_parent,
    kill_orphaned_pgrp, notify_parent_cldstop, notify_parent_exit, send_pdeath_signal,
};
use ksignal::{SendOutcome, Signo};

fn child_info(child: &Process) -> ChildInfo {
    // No CPU-time accounting here: utime and stime read as 0.
    ChildInfo { pid: child.pid as i32, uid: 0, utime: 0, stime: 0 }
}

fn parent_of(process: &Process) -> Option<Arc<Process>> {
    process.inner.lock().parent.as_ref().and_then(|p| p.upgrade())
}

/// The last thread of `child` is gone with wait status `status`: SIGCHLD
/// (or the clone exit signal, which falls back to SIGCHLD if the parent
/// exec'd since the fork) to `parent`, whose lock the caller holds
/// (`parent_pgid`: its process group). Returns true if the parent does not
/// wait for children (SIGCHLD ignored or SA_NOCLDWAIT): reap at once.
pub fn notify_parent_exited(
    child: &Arc<Process>,
    parent: &Arc<Process>,
    parent_pgid: usize,
    status: i32,
) -> bool {
    let exit_signal = child.inner.lock().exit_signal;
    let exit_signal = Signo::new(exit_signal as u32).ok();
    let exit_signal = exit_signal_for_parent(&child.signals, &parent.signals, exit_signal);
    let how = ChildExit::from_exit_code(status);
    with_parent_in_group(parent, parent_pgid, |p| {
        notify_parent_exit(p, &child_info(child), how, exit_signal)
    })
    .autoreap
}

/// Tells `process`'s parent what ksignal has to report for it (each stop
/// and each continue once), and records it for `wait4`.
pub fn report(process: &Process) {
    while let Some(why) = process.signals.take_cldstop() {
        process.inner.lock().job_event = Some(match why {
            ChildStop::Stopped(sig) => JobEvent::Stopped(sig.get() as usize),
            ChildStop::Continued => JobEvent::Continued,
            // Only a ptrace stop reports CLD_TRAPPED (`signal::ptrace`), and a
            // kind this kernel does not know yet records no job event.
            _ => continue,
        });
        if let Some(parent) = parent_of(process) {
            with_parent(&parent, |p| notify_parent_cldstop(p, &child_info(process), why));
            parent.child_wait.wake_all();
        }
    }
}

/// Whether the group is stopped and not exiting.
fn stopped(process: &Process) -> bool {
    process.signals.is_stopped()
        && process.signals.group_exit().is_none()
        && process.inner.lock().group_exit.is_none()
}

/// `thread` stops (ksignal said `UserReturn::Stop`: it started the group
/// stop or took part in one): report, then sleep until a SIGCONT, SIGKILL
/// or exit ends the stop.
pub fn park(thread: &Arc<Thread>) {
    let process = &thread.process;
    report(process);
    // The condition is checked again once the thread is registered as
    // sleeping: a SIGCONT or an exit on another hart in between is not lost.
    while stopped(process) {
        crate::sched::block_current_uninterruptible(Some(&process.stop_wait), &|| {
            !stopped(process)
        });
    }
}

/// After a signal was sent to `process`: if it continued the group
/// (`outcome.resumed`) or started a group exit, wake the parked threads;
/// report a continue.
pub fn after_send(process: &Arc<Process>, outcome: &SendOutcome) {
    if outcome.resumed || outcome.group_exit {
        process.stop_wait.wake_all();
    }
    if outcome.resumed {
        report(process);
    }
}

/// `kill_orphaned_pgrp`'s question (`will_become_orphaned_pgrp`): is process
/// group `pgid` orphaned once `ignored` is gone? No member, leaving out
/// `ignored` and zombies, has a parent in another group (there is one
/// session). An orphan (its parent exited) counts as a child of init, which
/// is no link; a boot process counts as a job the kernel started as a shell
/// would, from another group of the session: a link.
pub fn will_become_orphaned_pgrp(pgid: i32, ignored: Option<i32>) -> bool {
    let all: Vec<Arc<Process>> = task::PROCESSES.lock().values().cloned().collect();
    for p in all {
        if Some(p.pid as i32) == ignored {
            continue;
        }
        let (member_pgid, zombie, parent, orphan) = {
            let inner = p.inner.lock();
            let parent = inner.parent.as_ref().and_then(|w| w.upgrade());
            (inner.pgid as i32, inner.exit_status.is_some(), parent, inner.orphaned)
        };
        if member_pgid != pgid || zombie {
            continue;
        }
        match parent {
            Some(parent) if parent.inner.lock().pgid as i32 != pgid => return false,
            None if !orphan => return false,
            _ => {}
        }
    }
    true
}

/// `is_current_pgrp_orphaned`, for ksignal's `do_signal`.
pub fn current_pgrp_orphaned(process: &Process) -> bool {
    let pgid = process.inner.lock().pgid as i32;
    will_become_orphaned_pgrp(pgid, None)
}

/// Thread `tid` of `process` exits: every thread of each child it forked
/// that asked for a parent-death signal (PR_SET_PDEATHSIG) gets it, sent to
/// its process; the children then belong to another live thread of the
/// process, whose exit sends it again, as in Linux.
pub fn parent_thread_exits(process: &Arc<Process>, tid: usize) {
    let (children, heir) = {
        let inner = process.inner.lock();
        let heir = inner.threads.iter().map(|t| t.tid).find(|&t| t != tid);
        let children: Vec<Arc<Process>> =
            inner.children.iter().filter(|c| c.inner.lock().parent_tid == tid).cloned().collect();
        (children, heir)
    };
    if children.is_empty() {
        return;
    }
    let exiting = ExitingTask { ids: ids_of(process, tid), cred: Credentials::ROOT };
    for child in children {
        let threads: Vec<usize> = child.inner.lock().threads.iter().map(|t| t.tid).collect();
        for t in threads {
            Tasks.find_task(t as i32, &mut |task| {
                send_pdeath_signal(&Tasks, &exiting, task);
            });
        }
        if let Some(heir) = heir {
            child.inner.lock().parent_tid = heir;
        }
    }
}

/// `exit_notify`'s orphaned-group checks for `process`, whose last thread is
/// gone: each of its `children` (now without a parent) whose group this exit
/// orphans, then its own group (seen from `parent`, if it has one), get
/// SIGHUP and SIGCONT if a member is stopped.
pub fn orphan_checks(
    process: &Arc<Process>,
    parent: Option<&Arc<Process>>,
    children: &[Arc<Process>],
) {
    let me = ids_of(process, process.pid);
    let mut groups = will_become_orphaned_pgrp;
    for child in children {
        let ids = ids_of(child, child.pid);
        kill_orphaned_pgrp(&Tasks, &mut groups, &ids, &me, OrphanCheck::Reparent);
    }
    if let Some(parent) = parent {
        let parent_ids = ids_of(parent, parent.pid);
        kill_orphaned_pgrp(&Tasks, &mut groups, &me, &parent_ids, OrphanCheck::Exit);
    }
}
