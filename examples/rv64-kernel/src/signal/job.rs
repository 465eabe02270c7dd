//! Job control and child notification: group stop and continue, and the
//! SIGCHLD a parent gets when a child stops, continues or exits.
//!
//! A group stop, as this kernel does it:
//! 1. a thread dequeues a stop signal (ksignal's `do_signal` returns
//!    `UserReturn::Stop`; ksignal now reports the group as stopped and
//!    chooses no thread for new signals except SIGKILL): `begin_group_stop`
//!    interrupts the other threads, so every thread comes to the
//!    return-to-user path;
//! 2. each thread parks there (`park_if_stopped`) on `Process::stop_wait`,
//!    in a sleep that pending signals do not end (TASK_STOPPED); the last
//!    one to park reports CLD_STOPPED to the parent and sets the job event
//!    for `wait4(WUNTRACED)`;
//! 3. a SIGCONT (or SIGKILL) ends ksignal's stop when it is *generated*, in
//!    the sender's context: `after_send` sees that the target was stopped
//!    and is not any more, wakes the parked threads, and (for SIGCONT)
//!    reports CLD_CONTINUED and sets the job event for `wait4(WCONTINUED)`.
//!
//! An interrupted blocking system call of a stopped thread is restarted
//! once the group continues (no handler ran), as in Linux.

use super::tasks::{with_parent, with_parent_in_group};
use crate::task::{JobEvent, Process, Thread};
use crate::sched;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use ksignal::Signo;
use ksignal::{ChildExit, ChildInfo, ChildStop, notify_parent_cldstop, notify_parent_exit};

fn child_info(child: &Process) -> ChildInfo {
    // No CPU-time accounting here: utime and stime read as 0.
    ChildInfo { pid: child.pid as i32, uid: 0, utime: 0, stime: 0 }
}

fn parent_of(process: &Process) -> Option<Arc<Process>> {
    process.inner.lock().parent.as_ref().and_then(|p| p.upgrade())
}

/// The last thread of `child` is gone with wait status `status`: SIGCHLD
/// (or the clone exit signal) to `parent`, whose lock the caller holds
/// (`parent_pgid`: its process group). Returns true if the parent does not
/// wait for children (SIGCHLD ignored or SA_NOCLDWAIT): reap at once.
pub fn notify_parent_exited(child: &Arc<Process>, parent: &Arc<Process>, parent_pgid: usize, status: i32) -> bool {
    let exit_signal = child.inner.lock().exit_signal;
    let exit_signal = Signo::new(exit_signal as u32).ok();
    let how = ChildExit::from_exit_code(status);
    with_parent_in_group(parent, parent_pgid, |p| notify_parent_exit(p, &child_info(child), how, exit_signal)).autoreap
}

/// `thread` dequeued stop signal `sig`: bring every thread of its process to
/// the return-to-user path, where they park.
pub fn begin_group_stop(thread: &Arc<Thread>, sig: Signo) {
    let process = &thread.process;
    let others = {
        let mut inner = process.inner.lock();
        inner.stop_sig = sig.get() as usize;
        inner.stop_reported = false;
        inner.threads.clone()
    };
    process.group_stop.store(true, Ordering::Release);
    for other in others.iter().filter(|t| t.tid != thread.tid) {
        sched::interrupt(other);
    }
}

/// Whether the group is stopped and not exiting.
fn stopped(process: &Process) -> bool {
    process.signals.is_stopped() && process.signals.group_exit().is_none() && process.inner.lock().group_exit.is_none()
}

/// Would `park_if_stopped` park the thread?
pub fn must_park(thread: &Thread) -> bool {
    let process = &thread.process;
    process.group_stop.load(Ordering::Acquire) && stopped(process) && !super::ptrace::is_traced(thread)
}

/// On the way to user space: while the thread's group is stopped, sleep.
/// Returns true if it slept (the caller then re-checks everything).
pub fn park_if_stopped(thread: &Arc<Thread>) -> bool {
    let process = &thread.process;
    if !process.group_stop.load(Ordering::Acquire) || !stopped(process) {
        return false;
    }
    // A traced thread traps to its tracer in a group stop (ksignal's
    // `PtraceStopKind::GroupStop`) and runs once the tracer resumes it.
    if super::ptrace::is_traced(thread) {
        return false;
    }
    let report = {
        let mut inner = process.inner.lock();
        inner.stop_parked += 1;
        if inner.stop_parked >= inner.threads.len() && !inner.stop_reported {
            inner.stop_reported = true;
            inner.job_event = Some(JobEvent::Stopped(inner.stop_sig));
            Some(inner.stop_sig)
        } else {
            None
        }
    };
    if let (Some(sig), Some(parent)) = (report.and_then(|s| Signo::new(s as u32).ok()), parent_of(process)) {
        with_parent(&parent, |p| notify_parent_cldstop(p, &child_info(process), ChildStop::Stopped(sig)));
        parent.child_wait.wake_all();
    }
    // The condition is checked again once the thread is registered as
    // sleeping: a SIGCONT or an exit on another hart in between is not lost.
    while stopped(process) {
        sched::block_current_uninterruptible(Some(&process.stop_wait), &|| !stopped(process));
    }
    process.inner.lock().stop_parked -= 1;
    true
}

/// After a signal was sent to `process` (`was_stopped`: its state before):
/// if the send ended a group stop (SIGCONT, or a fatal SIGKILL), wake the
/// parked threads, and for a continue tell the parent.
pub fn after_send(process: &Arc<Process>, was_stopped: bool) {
    if !was_stopped || process.signals.is_stopped() {
        return;
    }
    process.group_stop.store(false, Ordering::Release);
    process.stop_wait.wake_all();
    if process.signals.group_exit().is_some() {
        return; // killed, not continued: the exit reports it
    }
    {
        let mut inner = process.inner.lock();
        inner.stop_reported = false;
        inner.job_event = Some(JobEvent::Continued);
    }
    if let Some(parent) = parent_of(process) {
        with_parent(&parent, |p| notify_parent_cldstop(p, &child_info(process), ChildStop::Continued));
        parent.child_wait.wake_all();
    }
}
