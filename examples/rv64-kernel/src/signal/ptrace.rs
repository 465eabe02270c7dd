//! ptrace, as far as its signal side needs it: PTRACE_TRACEME, PTRACE_CONT
//! (with a signal), PTRACE_GETSIGINFO, PTRACE_SETSIGINFO, and `wait4`
//! reporting a tracee's ptrace stops to its tracer.
//!
//! ksignal does the signal part (`ksignal::Tracer`, `do_signal`): a
//! traced thread's dequeued signals, SIGKILL excepted, become
//! signal-delivery stops, and what the tracer resumes it with is delivered
//! instead. This kernel supplies the stop itself (`KTracer::ptrace_stop`):
//! it records the stop for `wait4`, tells the tracer (SIGCHLD with
//! CLD_TRAPPED, and a wake of its `wait4`), and sleeps (Linux's TASK_TRACED:
//! pending signals do not end it) until PTRACE_CONT, a fatal signal, or the
//! tracer's exit.
//!
//! Like Linux: the tracer of PTRACE_TRACEME is the parent; PTRACE_CONT and
//! the siginfo requests need a tracee of the caller that is stopped for it
//! (ESRCH otherwise, `ptrace_check_attach`); PTRACE_CONT's signal must be
//! 0..=64 (EIO); an unknown request is EIO; a ptrace stop is reported by
//! `wait4` without WUNTRACED, once, as status `0x7f | sig << 8` with the
//! tracee's tid. Not here: PTRACE_ATTACH/SEIZE, PTRACE_LISTEN/INTERRUPT,
//! registers and memory, the other resuming requests.

use super::KMem;
use super::tasks::with_parent;
use crate::errno::{Errno, SysResult};
use crate::sched::{self, WakeReason};
use crate::task::{self, Process, Thread, wait_status};
use alloc::sync::{Arc, Weak};
use ksignal::syscall as ks;
use ksignal::{ChildInfo, ChildStop, notify_parent_cldstop};
use ksignal::{PtraceStopKind, Signo, Tracer};

// Requests (include/uapi/linux/ptrace.h).
const PTRACE_TRACEME: usize = 0;
const PTRACE_CONT: usize = 7;
const PTRACE_GETSIGINFO: usize = 0x4202;
const PTRACE_SETSIGINFO: usize = 0x4203;

/// A thread's ptrace state (in `ThreadInner`).
#[derive(Default)]
pub struct PtraceState {
    /// The tracer while the thread is traced (Linux's `parent` with
    /// `ptrace` set).
    pub tracer: Option<Weak<Process>>,
    /// The ptrace stop the thread is in (TASK_TRACED), if any.
    pub stop: Option<TraceStop>,
}

/// One ptrace stop.
#[derive(Clone, Copy)]
pub struct TraceStop {
    /// The stop's signal (Linux's `exit_code`, what `wait4` reports).
    sig: Signo,
    /// `wait4` has reported it (Linux clears `exit_code` when it does).
    reported: bool,
    /// Set by PTRACE_CONT: the signal to go on with (`None`: none).
    resume: Option<Option<Signo>>,
}

/// The kernel's answer to ksignal's `Tracer` for the current thread.
pub struct KTracer<'a> {
    pub thread: &'a Arc<Thread>,
}

impl KTracer<'_> {
    fn tracer(&self) -> Option<Arc<Process>> {
        self.thread.inner.lock().ptrace.tracer.as_ref().and_then(Weak::upgrade)
    }

    /// The stop ends: resumed, untraced (the tracer exited), or killed.
    fn stop_over(&self) -> bool {
        let (resumed, traced) = {
            let inner = self.thread.inner.lock();
            (inner.ptrace.stop.is_some_and(|s| s.resume.is_some()), inner.ptrace.tracer.is_some())
        };
        resumed
            || !traced
            || self.thread.signals().is_none_or(|s| s.ptrace_stop_must_end())
            || self.thread.process.inner.lock().group_exit.is_some()
    }
}

impl Tracer for KTracer<'_> {
    fn ptrace_stop(&mut self, sig: Signo, kind: PtraceStopKind) -> Option<Signo> {
        let Some(tracer) = self.tracer() else { return Some(sig) };
        self.thread.inner.lock().ptrace.stop =
            Some(TraceStop { sig, reported: false, resume: None });
        // In a group stop (`PtraceStopKind::GroupStop`) ksignal has already told
        // the other threads to take part; this one traps instead of parking.
        // do_notify_parent_cldstop(.., for_ptracer = true, ..): the tracee's own
        // pid, CLD_TRAPPED for a signal-delivery stop.
        // (No PTRACE_SEIZE here, so no PTRACE_EVENT_STOP traps.)
        let why = match kind {
            PtraceStopKind::GroupStop => ChildStop::Stopped(sig),
            _ => ChildStop::Trapped(sig),
        };
        let child = ChildInfo { pid: self.thread.tid as i32, uid: 0, utime: 0, stime: 0 };
        with_parent(&tracer, |p| notify_parent_cldstop(p, &child, why));
        tracer.child_wait.wake_all();
        drop(tracer);
        // TASK_TRACED: pending signals do not end the sleep; PTRACE_CONT and a
        // SIGKILL (ksignal wakes the thread) do.
        while !self.stop_over() {
            sched::block_current_uninterruptible(None, &|| self.stop_over());
        }
        let stop = self.thread.inner.lock().ptrace.stop.take();
        stop.and_then(|s| s.resume).unwrap_or(Some(sig))
    }

    fn tracer_ids(&mut self) -> (i32, u32) {
        (self.tracer().map_or(0, |p| p.pid as i32), 0)
    }

    /// Every task runs as root.
    fn tracee_uid(&mut self) -> u32 {
        0
    }
}

/// ptrace(request, pid, addr, data).
pub fn ptrace(request: usize, pid: usize, _addr: usize, data: usize) -> SysResult {
    if request == PTRACE_TRACEME {
        return traceme();
    }
    let tracee = stopped_tracee(pid)?;
    match request {
        PTRACE_CONT => {
            let sig = ks::ptrace_resume_signal(data).map_err(|e| Errno(e.get()))?;
            if let Some(stop) = tracee.inner.lock().ptrace.stop.as_mut() {
                stop.resume = Some(sig);
            }
            sched::wake(&tracee, None, WakeReason::Woken);
            Ok(0)
        }
        PTRACE_GETSIGINFO => {
            let signals = tracee.signals().ok_or(Errno::ESRCH)?;
            from_ret(ks::sys_ptrace_getsiginfo(&signals, &mut KMem, data))
        }
        PTRACE_SETSIGINFO => {
            let signals = tracee.signals().ok_or(Errno::ESRCH)?;
            from_ret(ks::sys_ptrace_setsiginfo(&signals, &KMem, data))
        }
        _ => Err(Errno::EIO),
    }
}

fn from_ret(r: isize) -> SysResult {
    if r < 0 { Err(Errno(-r as i32)) } else { Ok(r as usize) }
}

/// PTRACE_TRACEME: the caller is traced by its parent. EPERM if it is
/// traced already, or has no parent (no init process here to trace it).
fn traceme() -> SysResult {
    let thread = task::current();
    let parent = thread
        .process
        .inner
        .lock()
        .parent
        .clone()
        .filter(|p| p.strong_count() > 0)
        .ok_or(Errno::EPERM)?;
    let signals = thread.signals().ok_or(Errno::ESRCH)?;
    if thread.inner.lock().ptrace.tracer.is_some() {
        return Err(Errno::EPERM);
    }
    // Only this thread links itself to a tracer, so nothing changes in between. The
    // crate's ptrace state is allocated first: ENOMEM leaves the thread untraced.
    signals.set_traced(true).map_err(|_| Errno::ENOMEM)?;
    thread.inner.lock().ptrace.tracer = Some(parent);
    Ok(0)
}

/// `ptrace_check_attach`: thread `tid` is traced by the caller's process and
/// stopped for it (and not already resumed), else ESRCH.
fn stopped_tracee(tid: usize) -> Result<Arc<Thread>, Errno> {
    let me = task::current_process();
    let tracee = task::THREADS.lock().get(&tid).cloned().ok_or(Errno::ESRCH)?;
    let ok = {
        let inner = tracee.inner.lock();
        let mine = inner
            .ptrace
            .tracer
            .as_ref()
            .is_some_and(|t| core::ptr::eq(t.as_ptr(), Arc::as_ptr(&me)));
        mine && inner.ptrace.stop.is_some_and(|s| s.resume.is_none())
    };
    if ok { Ok(tracee) } else { Err(Errno::ESRCH) }
}

/// For `wait4` in `tracer`: the first unreported ptrace stop of a thread of
/// `child` traced by it, as (tid, status); marks it reported.
pub fn take_stop_report(
    tracer: &Process,
    child: &Process,
    threads: &[Arc<Thread>],
) -> Option<(usize, i32)> {
    let _ = child;
    threads.iter().find_map(|t| {
        let mut inner = t.inner.lock();
        let mine = inner.ptrace.tracer.as_ref().is_some_and(|w| core::ptr::eq(w.as_ptr(), tracer));
        let stop =
            inner.ptrace.stop.as_mut().filter(|s| mine && !s.reported && s.resume.is_none())?;
        stop.reported = true;
        Some((t.tid, wait_status::stopped(stop.sig.get() as usize)))
    })
}

/// The tracer `process` exits: its tracees are untraced (Linux's
/// `exit_ptrace`), and one in a ptrace stop goes on with its signal.
pub fn untrace_children_of(process: &Process, children: &[Arc<Process>]) {
    for child in children {
        let threads = child.inner.lock().threads.clone();
        for t in threads {
            let was = {
                let mut inner = t.inner.lock();
                let mine = inner
                    .ptrace
                    .tracer
                    .as_ref()
                    .is_some_and(|w| core::ptr::eq(w.as_ptr(), process));
                if mine {
                    inner.ptrace.tracer = None;
                }
                mine
            };
            if was {
                if let Some(s) = t.signals() {
                    // Untracing never fails.
                    let _ = s.set_traced(false);
                }
                sched::interrupt(&t);
            }
        }
    }
}
