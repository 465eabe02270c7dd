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

use std::sync::Arc;
use std::time::Duration;

use ksignal::{
    Delivery, Disposition as CrateDisposition, Errno as CrateErrno, HandlerDelivery, MaskHow,
    PendingLimit, ProcessSignalManager, SaFlags, SignalAction, SignalActions, SignalInfo,
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

/// Time never passes in this runner: a wait that would sleep has already timed out,
/// since the controller sends nothing while a worker waits.
struct VirtualTime;

impl WaitQueue for VirtualTime {
    fn prepare_to_wait(&self) {}
    fn wait(&self, _timeout: Option<Duration>) -> WaitOutcome {
        WaitOutcome::TimedOut
    }
    fn finish_wait(&self) {}
    fn wake_one(&self) {}
}

type Process = ProcessSignalManager<VirtualTime>;
type Thread = ThreadSignalManager<VirtualTime>;

/// How a trace ended early.
enum End {
    Terminated(Sig),
    Stopped(Sig),
}

/// The runner backed by this crate's managers.
pub struct CrateRunner;

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
        let threads = (0..sc.threads)
            .map(|i| Thread::new(&process, i as i32 + 1, SignalSet::ALL, VirtualTime))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("creating threads: {e:?}"))?;
        let mut trace = Trace {
            events: vec![Event::Threads(sc.threads)],
        };
        for op in &sc.ops {
            trace.events.push(Event::Echo(op.clone()));
            let (result, first) = run_op(&process, &threads, op, hard);
            match quiesce(&threads, first, &mut trace) {
                Ok(()) => trace.events.push(Event::Result(result)),
                Err(End::Terminated(s)) => {
                    trace.events.push(Event::Terminated(s));
                    break;
                }
                Err(End::Stopped(s)) => {
                    trace.events.push(Event::Stopped(s));
                    break;
                }
            }
        }
        Ok(trace)
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

/// Runs one op; returns its result and the thread whose syscall it was (that thread
/// returns to user space first).
fn run_op(
    p: &Process,
    threads: &[Thread],
    op: &Op,
    hard_limit: usize,
) -> (OpResult, Option<usize>) {
    let queue = |sig: Sig, v: i32| {
        SignalInfo::queue(signo(sig), SENDER_PID, SENDER_UID, u64::from(v as u32))
    };
    match *op {
        Op::Action {
            sig,
            disp,
            nodefer,
            resethand,
        } => {
            let mut flags = SaFlags::empty();
            let disposition = match disp {
                Disposition::Default => CrateDisposition::Default,
                Disposition::Ignore => CrateDisposition::Ignore,
                Disposition::Handler => {
                    flags |= SaFlags::SIGINFO;
                    CrateDisposition::Handler(HANDLER_ADDR)
                }
            };
            if nodefer {
                flags |= SaFlags::NODEFER;
            }
            if resethand {
                flags |= SaFlags::RESETHAND;
            }
            let action = SignalAction::new(disposition, flags, SignalSet::EMPTY, 0);
            (ret(p.sigaction(signo(sig), Some(action)).map(drop)), None)
        }
        Op::Block(t, s) => (mask(threads, t, MaskHow::Block, s), Some(t.0)),
        Op::Unblock(t, s) => (mask(threads, t, MaskHow::Unblock, s), Some(t.0)),
        Op::SetMask(t, s) => (mask(threads, t, MaskHow::SetMask, s), Some(t.0)),
        Op::Kill(sig) => {
            let info = SignalInfo::user(signo(sig), SENDER_PID, SENDER_UID);
            (ret(p.send(signo(sig), Some(&info)).map(drop)), None)
        }
        Op::SigQueue(sig, v) => (
            ret(p.send(signo(sig), Some(&queue(sig, v))).map(drop)),
            None,
        ),
        Op::Tkill(t, sig) => {
            let info = SignalInfo::tkill(signo(sig), SENDER_PID, SENDER_UID);
            (
                ret(threads[t.0].send(signo(sig), Some(&info)).map(drop)),
                None,
            )
        }
        Op::TSigQueue(t, sig, v) => (
            ret(threads[t.0]
                .send(signo(sig), Some(&queue(sig, v)))
                .map(drop)),
            None,
        ),
        Op::Wait(t, s, ms) => {
            let timeout = Duration::from_millis(u64::from(ms));
            let r = match threads[t.0].sigtimedwait(set(s), Some(timeout)) {
                Ok((sig, info)) => {
                    let sig = Sig::new(sig.get()).expect("crate signals are 1..=64");
                    OpResult::Got(Info::new(sig, info.code(), info.value_int()))
                }
                Err(e) => errno(e),
            };
            (r, Some(t.0))
        }
        Op::Pending(t) => (
            OpResult::Pending(SigSet(threads[t.0].sigpending().bits())),
            Some(t.0),
        ),
        Op::RlimitSigpending(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > hard_limit {
                (OpResult::Err(Errno(CrateErrno::EINVAL.get())), None)
            } else {
                p.limit().set_limit(n);
                (OpResult::Ok, None)
            }
        }
    }
}

fn mask(threads: &[Thread], t: Tid, how: MaskHow, s: SigSet) -> OpResult {
    threads[t.0].sigprocmask(how, set(s));
    OpResult::Ok
}

/// After an op, every thread with something deliverable returns to user space (the
/// op's own thread first, then T0, T1, ...), until none has anything left.
fn quiesce(threads: &[Thread], first: Option<usize>, trace: &mut Trace) -> Result<(), End> {
    if let Some(k) = first {
        return_to_user(threads, k, trace)?;
    }
    loop {
        let Some(k) = threads.iter().position(|t| t.has_pending()) else {
            return Ok(());
        };
        return_to_user(threads, k, trace)?;
    }
}

/// The kernel's exit-to-user loop on thread `k`, with stacked frames.
fn return_to_user(threads: &[Thread], k: usize, trace: &mut Trace) -> Result<(), End> {
    let t = &threads[k];
    let mut frames: Vec<HandlerDelivery> = Vec::new();
    loop {
        while let Some(d) = t.get_signal() {
            match d {
                Delivery::Handler(h) => {
                    t.signal_delivered(&h);
                    frames.push(h);
                }
                Delivery::Stop(sig) => return Err(End::Stopped(sig_of(sig))),
                Delivery::Exit { sig, .. } => return Err(End::Terminated(sig_of(sig))),
            }
        }
        // The newest frame's handler runs, then its rt_sigreturn restores its mask and
        // the loop above runs again before the next older frame resumes.
        let Some(h) = frames.pop() else { return Ok(()) };
        let info = Info::new(sig_of(h.sig), h.info.code(), h.info.value_int());
        trace.events.push(Event::Deliver(Tid(k), info));
        t.sigreturn(h.saved_mask);
    }
}

fn sig_of(s: Signo) -> Sig {
    Sig::new(s.get()).expect("crate signals are 1..=64")
}
