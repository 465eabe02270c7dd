//! The crate runner: the same scenario, executed on ksignal's managers.
//!
//! It plays the kernel: one `ThreadSignalManager` per worker under one
//! `ProcessSignalManager`, each op translated into the crate call a kernel's syscall
//! would make, and on every "return to user space" the kernel's delivery loop: ask
//! `get_signal` again and again, pushing a frame per handler (and applying its mask
//! with `signal_delivered`) until nothing is deliverable, then run the top frame's
//! handler, whose `rt_sigreturn` restores its mask and loops again. Every semantic
//! decision (which thread, which signal, which order, what is ignored, what is fatal)
//! comes from the crate.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ksignal::{
    Delivery, Disposition as CrateDisposition, Errno as CrateErrno, HandlerDelivery, JobControl,
    MaskHow, PendingLimit, ProcessSignalManager, SaFlags, SignalAction, SignalActions, SignalInfo,
    SignalSet, Signo, ThreadSignalManager, WaitOutcome, WaitQueue,
};

use crate::runner::Runner;
use crate::scenario::{Disposition, Op, Scenario, Sig, SigSet, Tid};
use crate::trace::{Errno, Event, Info, OpResult, Trace};

/// The address the scenario's handler is "installed" at.
const HANDLER_ADDR: usize = 0x1000;
/// pid and uid the runner's process reports as sender.
const SENDER_PID: i32 = 1;
const SENDER_UID: u32 = 0;

/// Time never passes in this runner: a `wait` that would sleep has already timed out,
/// since the controller sends nothing while a worker waits. A `waitbg` really sleeps,
/// on a thread of its own, until a wake-up of the crate ends the sleep or `collect`
/// finds it still asleep (its timeout, which then has passed on Linux too).
#[derive(Clone, Default)]
struct VirtualTime(Arc<Bg>);

#[derive(Default)]
struct Bg {
    st: Mutex<BgState>,
    cv: Condvar,
}

#[derive(Default)]
struct BgState {
    /// A `waitbg` is in progress on this thread: waits really sleep.
    real: bool,
    /// Woken since the last `prepare_to_wait`.
    woken: bool,
    /// Sleeping in `wait` (the runner goes on only when no `waitbg` thread runs).
    asleep: bool,
    /// `collect` came while it slept: the timeout has passed.
    expired: bool,
}

impl WaitQueue for VirtualTime {
    fn prepare_to_wait(&self) {
        self.0.st.lock().unwrap().woken = false;
    }
    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
        let mut st = self.0.st.lock().unwrap();
        if !st.real {
            return WaitOutcome::TimedOut;
        }
        while !st.woken && !st.expired {
            st.asleep = true;
            self.0.cv.notify_all();
            st = self.0.cv.wait(st).unwrap();
        }
        st.asleep = false;
        if std::mem::take(&mut st.woken) {
            WaitOutcome::Woken { remaining: timeout }
        } else {
            WaitOutcome::TimedOut
        }
    }
    fn finish_wait(&self) {}
    fn wake_one(&self) {
        let mut st = self.0.st.lock().unwrap();
        st.woken = true;
        st.asleep = false;
        self.0.cv.notify_all();
    }
}

impl VirtualTime {
    /// Waits until the `waitbg` thread sleeps or has finished (`done`).
    fn settle(&self, done: impl Fn() -> bool) {
        let mut st = self.0.st.lock().unwrap();
        while st.real && !st.asleep && !done() {
            st = self
                .0
                .cv
                .wait_timeout(st, Duration::from_millis(1))
                .unwrap()
                .0;
        }
    }
}

type Process = ProcessSignalManager<VirtualTime>;
type Thread = ThreadSignalManager<VirtualTime>;
type BgResult = Result<(Signo, SignalInfo), CrateErrno>;

/// How a thread's return to user space ended early.
enum End {
    Terminated(Sig),
    Stopped(Sig),
}

/// The runner backed by this crate's managers.
pub struct CrateRunner;

/// The process as the runner's "kernel" sees it.
struct World {
    process: Arc<Process>,
    /// Each worker's manager; `None` once it has exited.
    threads: Vec<Option<Arc<Thread>>>,
    /// Each worker's wait queue.
    queues: Vec<VirtualTime>,
    /// A worker's `waitbg`, running on a thread of its own until `collect`.
    bg: Vec<Option<JoinHandle<BgResult>>>,
    /// Handler frames a thread pushed before the group stopped: they run when it
    /// returns to user space after the SIGCONT.
    frames: Vec<Vec<HandlerDelivery>>,
    /// The group is stopped (the runner's kernel stopped every thread).
    stopped: bool,
    /// The process group is orphaned (`threads N orphaned`).
    orphaned: bool,
    /// The last op continued the group (`SendOutcome::resumed`).
    continued: bool,
    hard_limit: usize,
}

impl Runner for CrateRunner {
    fn name(&self) -> &'static str {
        "crate"
    }

    fn run_scenario(&self, sc: &Scenario) -> Result<Trace, String> {
        let (soft, hard) = host_rlimit_sigpending();
        let process = Arc::new(Process::new(
            Arc::new(SignalActions::new()),
            Arc::new(PendingLimit::new(soft)),
        ));
        let queues: Vec<VirtualTime> = (0..sc.threads).map(|_| VirtualTime::default()).collect();
        let threads = (0..sc.threads)
            .map(|i| {
                Thread::new(&process, i as i32 + 1, SignalSet::ALL, queues[i].clone())
                    .map(|t| Some(Arc::new(t)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("creating threads: {e:?}"))?;
        let mut w = World {
            process,
            threads,
            queues,
            bg: (0..sc.threads).map(|_| None).collect(),
            frames: vec![Vec::new(); sc.threads],
            stopped: false,
            orphaned: sc.orphaned,
            continued: false,
            hard_limit: hard,
        };
        let mut trace = Trace {
            events: vec![Event::Threads(sc.threads, sc.orphaned)],
        };
        for op in &sc.ops {
            trace.events.push(Event::Echo(op.clone()));
            let was_stopped = w.stopped;
            w.continued = false;
            let (result, first) = run_op(&mut w, op);
            if w.continued {
                trace.events.push(Event::Continued);
            }
            let end = if w.stopped {
                Ok(())
            } else if was_stopped {
                // SIGCONT woke every thread of the group (the one that stopped it in
                // the middle of its delivery loop included).
                resume(&mut w, &mut trace)
            } else {
                quiesce(&mut w, first, &mut trace)
            };
            match end {
                Ok(()) => trace.events.push(Event::Result(result)),
                Err(End::Terminated(s)) => {
                    trace.events.push(Event::Terminated(s));
                    break;
                }
                Err(End::Stopped(s)) => {
                    w.stopped = true;
                    trace.events.push(Event::Stopped(s));
                }
            }
        }
        Ok(trace.canonical())
    }
}

/// RLIMIT_SIGPENDING of this process: the Linux runner's scenario process inherits it
/// (soft), and may not raise the soft limit above the hard one.
fn host_rlimit_sigpending() -> (usize, usize) {
    #[cfg(target_os = "linux")]
    {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one `struct rlimit` we own.
        if unsafe { libc::getrlimit(libc::RLIMIT_SIGPENDING, &mut r) } == 0 {
            let clamp = |v: libc::rlim_t| usize::try_from(v).unwrap_or(usize::MAX);
            return (clamp(r.rlim_cur), clamp(r.rlim_max));
        }
    }
    (usize::MAX, usize::MAX)
}

fn signo(sig: Sig) -> Signo {
    Signo::new(u32::from(sig.num())).expect("the scenario parser only makes 1..=64")
}

fn set(s: SigSet) -> SignalSet {
    SignalSet::from_bits(s.0)
}

fn errno(e: CrateErrno) -> OpResult {
    OpResult::Err(Errno(e.get()))
}

fn ret(r: Result<(), CrateErrno>) -> OpResult {
    r.map_or_else(errno, |()| OpResult::Ok)
}

/// The runner's answer to the job-control question: the scenario says whether its
/// process group is orphaned.
struct Pgrp(bool);

impl JobControl for Pgrp {
    fn is_current_pgrp_orphaned(&mut self) -> bool {
        self.0
    }
}

/// Whether the crate's group is stopped or continued after a send: `resumed` means a
/// SIGCONT continued it.
fn note_send(w: &mut World, r: Result<ksignal::SendOutcome, CrateErrno>) -> OpResult {
    match r {
        Ok(out) => {
            if out.resumed {
                w.stopped = false;
                w.continued = true;
            }
            if out.group_exit {
                // SIGKILL reaches a stopped group too: every thread wakes to die.
                w.stopped = false;
            }
            OpResult::Ok
        }
        Err(e) => errno(e),
    }
}

/// Runs one op; returns its result and the thread whose syscall it was (that thread
/// returns to user space first).
fn run_op(w: &mut World, op: &Op) -> (OpResult, Option<usize>) {
    let queue = |sig: Sig, v: i32| {
        SignalInfo::queue(signo(sig), SENDER_PID, SENDER_UID, u64::from(v as u32))
    };
    let esrch = OpResult::Err(Errno(CrateErrno::ESRCH.get()));
    // Ops that need a thread of the process to run cannot while it is stopped.
    let needs_thread = matches!(
        op,
        Op::Action(_)
            | Op::Block(..)
            | Op::Unblock(..)
            | Op::SetMask(..)
            | Op::Wait(..)
            | Op::RlimitSigpending(_)
            | Op::Exit(_)
            | Op::WaitBg(..)
            | Op::Collect(_)
    );
    if op.thread().is_some_and(|t| w.threads[t.0].is_none()) {
        return (esrch, None);
    }
    if w.stopped && needs_thread {
        return (OpResult::Skipped, None);
    }
    settle_bg(w);
    let p = w.process.clone();
    let th = |t: Tid| w.threads[t.0].as_deref();
    match *op {
        Op::Action(a) => {
            let mut flags = SaFlags::empty();
            let disposition = match a.disp {
                Disposition::Default => CrateDisposition::Default,
                Disposition::Ignore => CrateDisposition::Ignore,
                Disposition::Handler => {
                    flags |= SaFlags::SIGINFO;
                    CrateDisposition::Handler(HANDLER_ADDR)
                }
            };
            if a.nodefer {
                flags |= SaFlags::NODEFER;
            }
            if a.resethand {
                flags |= SaFlags::RESETHAND;
            }
            let action = SignalAction::new(disposition, flags, SignalSet::EMPTY, 0);
            (ret(p.sigaction(signo(a.sig), Some(action)).map(drop)), None)
        }
        Op::Block(t, s) => (mask(th(t), MaskHow::Block, s), Some(t.0)),
        Op::Unblock(t, s) => (mask(th(t), MaskHow::Unblock, s), Some(t.0)),
        Op::SetMask(t, s) => (mask(th(t), MaskHow::SetMask, s), Some(t.0)),
        Op::Kill(sig) => {
            let info = SignalInfo::user(signo(sig), SENDER_PID, SENDER_UID);
            let r = p.send(signo(sig), Some(&info));
            (note_send(w, r), None)
        }
        Op::SigQueue(sig, v) => {
            let r = p.send(signo(sig), Some(&queue(sig, v)));
            (note_send(w, r), None)
        }
        Op::Tkill(t, sig) | Op::TSigQueue(t, sig, _) => {
            let info = match *op {
                Op::TSigQueue(_, _, v) => queue(sig, v),
                _ => SignalInfo::tkill(signo(sig), SENDER_PID, SENDER_UID),
            };
            match th(t) {
                Some(thread) => {
                    let r = thread.send(signo(sig), Some(&info));
                    (note_send(w, r), None)
                }
                // A zombie leader (exited while other threads live): Linux still
                // finds it by its pid, accepts the signal and drops it
                // (`do_send_specific`), as the syscall layer does.
                None if t.0 == 0 => (OpResult::Ok, None),
                None => (esrch, None),
            }
        }
        Op::Wait(t, s, ms) => {
            let timeout = Duration::from_millis(u64::from(ms));
            let r = match th(t).map(|x| x.sigtimedwait(set(s), Some(timeout))) {
                Some(Ok((sig, info))) => {
                    let sig = Sig::new(sig.get()).expect("crate signals are 1..=64");
                    OpResult::Got(Info::new(sig, info.code(), info.value_int()))
                }
                Some(Err(e)) => errno(e),
                None => esrch,
            };
            (r, Some(t.0))
        }
        Op::WaitBg(t, s, ms) => {
            let Some(thread) = w.threads[t.0].clone() else {
                return (esrch, None);
            };
            let q = w.queues[t.0].clone();
            {
                let mut st = q.0.st.lock().unwrap();
                *st = BgState {
                    real: true,
                    ..BgState::default()
                };
            }
            let timeout = Duration::from_millis(u64::from(ms));
            let handle = std::thread::spawn(move || thread.sigtimedwait(set(s), Some(timeout)));
            q.settle(|| handle.is_finished());
            w.bg[t.0] = Some(handle);
            (OpResult::Ok, None)
        }
        Op::Collect(t) => {
            let Some(handle) = w.bg[t.0].take() else {
                return (esrch, None);
            };
            let q = &w.queues[t.0];
            {
                let mut st = q.0.st.lock().unwrap();
                st.expired = true;
                q.0.cv.notify_all();
            }
            let r = match handle.join() {
                Ok(Ok((sig, info))) => {
                    OpResult::Got(Info::new(sig_of(sig), info.code(), info.value_int()))
                }
                Ok(Err(e)) => errno(e),
                Err(_) => errno(CrateErrno::EINVAL),
            };
            *q.0.st.lock().unwrap() = BgState::default();
            (r, Some(t.0))
        }
        Op::Pending(t) => match th(t) {
            Some(x) => (
                OpResult::Pending(SigSet(x.sigpending().bits())),
                (!w.stopped).then_some(t.0),
            ),
            None => (esrch, None),
        },
        Op::RlimitSigpending(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > w.hard_limit {
                (OpResult::Err(Errno(CrateErrno::EINVAL.get())), None)
            } else {
                p.limit().set_limit(n);
                (OpResult::Ok, None)
            }
        }
        Op::Exit(t) => {
            // The runner holds the only handle (a `waitbg` thread's ended at its
            // `collect`), so this is the thread's exit.
            if let Some(thread) = w.threads[t.0].take().and_then(|t| Arc::try_unwrap(t).ok()) {
                thread.exit();
            }
            w.frames[t.0].clear();
            (OpResult::Ok, None)
        }
    }
}

fn mask(t: Option<&Thread>, how: MaskHow, s: SigSet) -> OpResult {
    if let Some(t) = t {
        t.sigprocmask(how, set(s));
    }
    OpResult::Ok
}

/// After an op, every thread with something deliverable returns to user space (the
/// op's own thread first, then T0, T1, ...), until none has anything left.
fn quiesce(w: &mut World, first: Option<usize>, trace: &mut Trace) -> Result<(), End> {
    if let Some(k) = first {
        return_to_user(w, k, trace)?;
    }
    settle(w, trace)
}

/// Lets every `waitbg` thread a wake-up set running go back to sleep or finish.
fn settle_bg(w: &World) {
    for (k, h) in w.bg.iter().enumerate() {
        if let Some(h) = h {
            w.queues[k].settle(|| h.is_finished());
        }
    }
}

/// Whether worker `k` is inside a `waitbg` that has not ended (it returns to user
/// space only when the call ends).
fn in_bg(w: &World, k: usize) -> bool {
    w.bg[k].as_ref().is_some_and(|h| !h.is_finished())
}

/// Runs every thread with something deliverable until none has anything left.
fn settle(w: &mut World, trace: &mut Trace) -> Result<(), End> {
    loop {
        settle_bg(w);
        let Some(k) = (0..w.threads.len())
            .find(|&k| !in_bg(w, k) && w.threads[k].as_ref().is_some_and(|t| t.has_pending()))
        else {
            return Ok(());
        };
        return_to_user(w, k, trace)?;
    }
}

/// After SIGCONT: the thread that stopped the group finishes its delivery loop (its
/// pushed frames run), then every thread with something deliverable runs.
fn resume(w: &mut World, trace: &mut Trace) -> Result<(), End> {
    for k in 0..w.threads.len() {
        if !w.frames[k].is_empty() {
            return_to_user(w, k, trace)?;
        }
    }
    settle(w, trace)
}

/// The kernel's exit-to-user loop on thread `k`, with stacked frames.
fn return_to_user(w: &mut World, k: usize, trace: &mut Trace) -> Result<(), End> {
    let Some(t) = w.threads[k].clone() else {
        return Ok(());
    };
    if in_bg(w, k) {
        return Ok(());
    }
    let mut frames = std::mem::take(&mut w.frames[k]);
    let mut pgrp = Pgrp(w.orphaned);
    loop {
        while let Some(d) = t.get_signal_with(&mut pgrp) {
            match d {
                Delivery::Handler(h) => {
                    t.signal_delivered(&h);
                    frames.push(h);
                }
                Delivery::Stop(sig) => {
                    w.frames[k] = frames;
                    return Err(End::Stopped(sig_of(sig)));
                }
                Delivery::Exit { sig, .. } => return Err(End::Terminated(sig_of(sig))),
            }
        }
        // The newest frame's handler runs, then its rt_sigreturn restores its mask and
        // the loop above runs again before the next older frame resumes.
        let Some(h) = frames.pop() else { return Ok(()) };
        let info = Info::new(sig_of(h.sig), h.info.code(), h.info.value_int());
        trace.events.push(Event::Deliver(Tid(k), info));
        t.restore_saved_mask(h.saved_mask);
    }
}

fn sig_of(s: Signo) -> Sig {
    Sig::new(s.get()).expect("crate signals are 1..=64")
}
