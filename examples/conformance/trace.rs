//! Traces: what a runner observed, in the shared text format, and how two traces compare.
//!
//! A runner (the Linux one, later the crate one) builds a [`Trace`] as a list of
//! [`Event`]s; rendering it gives the exact text every tool agrees on.

use std::fmt;

use crate::scenario::{Op, Sig, SigSet, Tid};

/// si_code values the trace names (from include/uapi/asm-generic/siginfo.h).
const SI_CODES: [(i32, &str); 10] = [
    (0, "SI_USER"),
    (0x80, "SI_KERNEL"),
    (-1, "SI_QUEUE"),
    (-2, "SI_TIMER"),
    (-3, "SI_MESGQ"),
    (-4, "SI_ASYNCIO"),
    (-5, "SI_SIGIO"),
    (-6, "SI_TKILL"),
    (-7, "SI_DETHREAD"),
    (-60, "SI_ASYNCNL"),
];

/// si_code of kill().
pub const SI_USER: i32 = 0;
/// si_code of sigqueue().
pub const SI_QUEUE: i32 = -1;
/// si_code of tkill()/tgkill().
pub const SI_TKILL: i32 = -6;

/// An si_code, printed by name when it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub i32);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_named(f, &SI_CODES, self.0)
    }
}

/// Writes `value` by its name in `names`, or as a number when it has none.
fn write_named(f: &mut fmt::Formatter<'_>, names: &[(i32, &str)], value: i32) -> fmt::Result {
    match names.iter().find(|(c, _)| *c == value) {
        Some((_, name)) => f.write_str(name),
        None => write!(f, "{value}"),
    }
}

/// Errno names the trace may print (generic Linux numbering).
const ERRNOS: [(i32, &str); 14] = [
    (1, "EPERM"),
    (2, "ENOENT"),
    (3, "ESRCH"),
    (4, "EINTR"),
    (5, "EIO"),
    (7, "E2BIG"),
    (9, "EBADF"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (14, "EFAULT"),
    (22, "EINVAL"),
    (38, "ENOSYS"),
    (512, "ERESTARTSYS"),
    (514, "ERESTARTNOHAND"),
];

/// A positive errno value, printed by name when it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_named(f, &ERRNOS, self.0)
    }
}

/// A received signal: which, its si_code and its sival_int.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// si_signo.
    pub sig: Sig,
    /// si_code.
    pub code: Code,
    /// si_value.sival_int (shown as 0 for SI_USER and SI_TKILL).
    pub value: i32,
}

impl Info {
    /// Builds an info, zeroing the value for codes that carry none.
    pub fn new(sig: Sig, code: i32, value: i32) -> Info {
        let value = if code == SI_USER || code == SI_TKILL {
            0
        } else {
            value
        };
        Info {
            sig,
            code: Code(code),
            value,
        }
    }
}

impl fmt::Display for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} code={} value={}", self.sig, self.code, self.value)
    }
}

/// The result of one op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpResult {
    /// `ret=0`.
    Ok,
    /// `err=ENAME`.
    Err(Errno),
    /// `got SIG code=C value=V` (wait).
    Got(Info),
    /// `pending LIST`.
    Pending(SigSet),
    /// `skipped (stopped)`: the op needs a thread of the process to run, and the
    /// group is stopped.
    Skipped,
}

impl fmt::Display for OpResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpResult::Ok => f.write_str("ret=0"),
            OpResult::Err(e) => write!(f, "err={e}"),
            OpResult::Got(info) => write!(f, "got {info}"),
            OpResult::Pending(set) => write!(f, "pending {set}"),
            OpResult::Skipped => f.write_str("skipped (stopped)"),
        }
    }
}

/// One line of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `> threads N [orphaned]`.
    Threads(usize, bool),
    /// `> op`, before the op runs.
    Echo(Op),
    /// `deliver Tk SIG code=C value=V`: a handler entry.
    Deliver(Tid, Info),
    /// The op's result.
    Result(OpResult),
    /// `terminated SIG`: the process died of SIG.
    Terminated(Sig),
    /// `stopped SIG`: the group stopped on SIG (what `waitpid(WUNTRACED)` reports);
    /// it ends the op, in place of its result, and the ops after it still run.
    Stopped(Sig),
    /// `continued`: a SIGCONT continued the stopped group (what
    /// `waitpid(WCONTINUED)` reports); printed right after the op's echo.
    Continued,
    /// `timeout`: the runner gave up.
    Timeout,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Threads(n, false) => write!(f, "> threads {n}"),
            Event::Threads(n, true) => write!(f, "> threads {n} orphaned"),
            Event::Echo(op) => write!(f, "> {op}"),
            Event::Deliver(t, info) => write!(f, "deliver {t} {info}"),
            Event::Result(r) => write!(f, "{r}"),
            Event::Terminated(s) => write!(f, "terminated {s}"),
            Event::Stopped(s) => write!(f, "stopped {s}"),
            Event::Continued => f.write_str("continued"),
            Event::Timeout => f.write_str("timeout"),
        }
    }
}

/// A whole trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The events, first `Threads`.
    pub events: Vec<Event>,
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.events {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl Trace {
    /// The canonical form both runners return, which removes what Linux leaves to the
    /// scheduler:
    /// - within one op, `continued` comes first and handler entries are grouped by
    ///   thread (stable, so each thread's own order is kept): threads that run at the
    ///   same time (all of them, after a SIGCONT) log in any interleaving;
    /// - an op that continued the group and in which the group then died shows only
    ///   the death: every woken thread raced the group exit, so which handlers ran
    ///   first is the scheduler's choice (the exit status is not).
    pub fn canonical(mut self) -> Trace {
        let mut out = Vec::with_capacity(self.events.len());
        let mut segment: Vec<Event> = Vec::new();
        let flush = |segment: &mut Vec<Event>, out: &mut Vec<Event>| {
            let continued = segment.contains(&Event::Continued);
            let died = segment.iter().any(|e| matches!(e, Event::Terminated(_)));
            let mut delivers: Vec<Event> = segment
                .iter()
                .filter(|e| matches!(e, Event::Deliver(..)))
                .cloned()
                .collect();
            delivers.sort_by_key(|e| match e {
                Event::Deliver(t, _) => t.0,
                _ => 0,
            });
            if continued && died {
                delivers.clear();
            }
            let mut rest = segment
                .drain(..)
                .filter(|e| !matches!(e, Event::Deliver(..) | Event::Continued));
            if let Some(echo) = rest.next() {
                out.push(echo);
            }
            if continued {
                out.push(Event::Continued);
            }
            out.extend(delivers);
            out.extend(rest);
        };
        for e in self.events.drain(..) {
            match e {
                Event::Threads(..) => out.push(e),
                Event::Echo(_) => {
                    flush(&mut segment, &mut out);
                    segment.push(e);
                }
                _ => segment.push(e),
            }
        }
        flush(&mut segment, &mut out);
        Trace { events: out }
    }
}

/// The first difference between two rendered traces: 1-based line number and the two
/// lines (`<end>` where one trace is shorter).
pub fn first_difference(a: &str, b: &str) -> Option<(usize, String, String)> {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (x, y) if x == y => continue,
            (x, y) => {
                let show = |l: Option<&str>| l.unwrap_or("<end>").to_string();
                return Some((n, show(x), show(y)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Action, Disposition};

    #[test]
    fn renders_the_shared_format() {
        let usr1 = Sig::new(10).unwrap();
        let t = Trace {
            events: vec![
                Event::Threads(2, false),
                Event::Echo(Op::Action(Action {
                    sig: usr1,
                    disp: Disposition::Handler,
                    nodefer: false,
                    resethand: true,
                })),
                Event::Result(OpResult::Ok),
                Event::Echo(Op::Wait(Tid(1), SigSet::of(usr1), 0)),
                Event::Result(OpResult::Err(Errno(11))),
                Event::Deliver(Tid(1), Info::new(Sig::new(32).unwrap(), SI_TKILL, 9)),
                Event::Result(OpResult::Got(Info::new(usr1, SI_QUEUE, -4))),
                Event::Result(OpResult::Pending(SigSet::EMPTY)),
                Event::Result(OpResult::Err(Errno(77))),
                Event::Deliver(Tid(0), Info::new(usr1, -2, 1)),
                Event::Deliver(Tid(0), Info::new(usr1, 3, 1)),
                Event::Terminated(Sig::new(15).unwrap()),
            ],
        };
        assert_eq!(
            t.to_string(),
            "> threads 2\n\
             > action SIGUSR1 handler resethand\n\
             ret=0\n\
             > wait T1 SIGUSR1\n\
             err=EAGAIN\n\
             deliver T1 SIGRTMIN code=SI_TKILL value=0\n\
             got SIGUSR1 code=SI_QUEUE value=-4\n\
             pending none\n\
             err=77\n\
             deliver T0 SIGUSR1 code=SI_TIMER value=1\n\
             deliver T0 SIGUSR1 code=3 value=1\n\
             terminated SIGTERM\n"
        );
    }

    #[test]
    fn canonical_groups_threads_and_hides_the_exit_race() {
        let usr1 = Sig::new(10).unwrap();
        let term = Sig::new(15).unwrap();
        let d = |t, s| Event::Deliver(Tid(t), Info::new(s, SI_USER, 0));
        let echo = Event::Echo(Op::Kill(Sig::new(18).unwrap()));
        let t = Trace {
            events: vec![
                Event::Threads(3, false),
                echo.clone(),
                d(2, usr1),
                Event::Continued,
                d(1, term),
                d(2, term),
                Event::Result(OpResult::Ok),
                echo.clone(),
                d(2, usr1),
                Event::Continued,
                d(1, usr1),
                Event::Terminated(term),
            ],
        };
        assert_eq!(
            t.canonical().to_string(),
            "> threads 3\n\
             > kill SIGCONT\n\
             continued\n\
             deliver T1 SIGTERM code=SI_USER value=0\n\
             deliver T2 SIGUSR1 code=SI_USER value=0\n\
             deliver T2 SIGTERM code=SI_USER value=0\n\
             ret=0\n\
             > kill SIGCONT\n\
             continued\n\
             terminated SIGTERM\n"
        );
    }

    #[test]
    fn difference() {
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
        assert_eq!(
            first_difference("a\nb\n", "a\nc\n"),
            Some((2, "b".into(), "c".into()))
        );
        assert_eq!(
            first_difference("a\n", "a\nc\n"),
            Some((2, "<end>".into(), "c".into()))
        );
    }
}
