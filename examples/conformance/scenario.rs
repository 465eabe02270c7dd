//! The scenario language: signal names, signal sets, the op AST, the parser and the
//! canonical printer.
//!
//! Self-contained on purpose: the tool must not depend on the crate it checks. Signal
//! numbers are the kernel's generic numbering (x86, arm64, riscv): SIGHUP = 1 … SIGSYS = 31,
//! SIGRTMIN = 32 … SIGRTMAX = 64.

use std::fmt;

/// Highest signal number.
pub const NSIG: u8 = 64;
/// First real-time signal as the kernel numbers it.
pub const SIGRTMIN: u8 = 32;
/// Highest thread count a scenario may ask for.
pub const MAX_THREADS: usize = 64;
/// Highest `wait` timeout in milliseconds.
pub const MAX_TIMEOUT_MS: u32 = 60_000;

/// Canonical names of the standard signals, index = number - 1.
const STD_NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// Input-only aliases.
const ALIASES: [(&str, u8); 3] = [("IOT", 6), ("POLL", 29), ("CLD", 17)];

/// A signal number in 1..=64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sig(u8);

impl Sig {
    /// SIGKILL.
    pub const KILL: Sig = Sig(9);
    /// SIGCHLD.
    pub const CHLD: Sig = Sig(17);
    /// SIGSTOP.
    pub const STOP: Sig = Sig(19);

    /// The signal numbered `n`, if `n` is in 1..=64.
    pub const fn new(n: u32) -> Option<Sig> {
        if n >= 1 && n <= NSIG as u32 {
            Some(Sig(n as u8))
        } else {
            None
        }
    }

    /// The signal number.
    pub fn num(self) -> u8 {
        self.0
    }

    /// What the kernel does with this signal under SIG_DFL ([rule 43]).
    ///
    /// [rule 43]: ksignal::docs::rules#rule-43
    pub fn default_action(self) -> DefaultAction {
        match self.0 {
            17 | 18 | 23 | 28 => DefaultAction::Ignore,
            19..=22 => DefaultAction::Stop,
            3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => DefaultAction::Core,
            _ => DefaultAction::Terminate,
        }
    }

    /// Parses a number 1..64 or a name (case-insensitive, `SIG` prefix optional).
    pub fn parse(text: &str) -> Result<Sig, String> {
        let bad = || format!("unknown signal `{text}`");
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<u32>()
                .ok()
                .and_then(Sig::new)
                .ok_or_else(|| format!("signal number `{text}` not in 1..64"));
        }
        let upper = text.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(i) = STD_NAMES.iter().position(|n| &n[3..] == name) {
            return Ok(Sig(i as u8 + 1));
        }
        if let Some(&(_, n)) = ALIASES.iter().find(|(a, _)| *a == name) {
            return Ok(Sig(n));
        }
        // `RTMIN`, `RTMIN+n`, `RTMAX`, `RTMAX-n`: the offset after the sign is 1-3 digits.
        let offset = |rest: &str, sign: char| -> Option<u32> {
            if rest.is_empty() {
                return Some(0);
            }
            let digits = rest.strip_prefix(sign)?;
            let ok = (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| digits.parse().ok()).flatten()
        };
        if let Some(rest) = name.strip_prefix("RTMIN") {
            let n = offset(rest, '+').ok_or_else(bad)?;
            return Sig::new(n + u32::from(SIGRTMIN))
                .ok_or_else(|| format!("`{text}` is past SIGRTMAX"));
        }
        if let Some(rest) = name.strip_prefix("RTMAX") {
            let n = offset(rest, '-').ok_or_else(bad)?;
            return u32::from(NSIG)
                .checked_sub(n)
                .filter(|&v| v >= u32::from(SIGRTMIN))
                .and_then(Sig::new)
                .ok_or_else(|| format!("`{text}` is below SIGRTMIN"));
        }
        Err(bad())
    }
}

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n @ 1..=31 => f.write_str(STD_NAMES[usize::from(n) - 1]),
            32 => f.write_str("SIGRTMIN"),
            n @ 33..=48 => write!(f, "SIGRTMIN+{}", n - 32),
            n @ 49..=63 => write!(f, "SIGRTMAX-{}", 64 - n),
            _ => f.write_str("SIGRTMAX"),
        }
    }
}

/// The default action of a signal ([rule 43]).
///
/// [rule 43]: ksignal::docs::rules#rule-43
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// Discarded.
    Ignore,
    /// Stops the process.
    Stop,
    /// Terminates with a core dump.
    Core,
    /// Terminates.
    Terminate,
}

/// A set of signals; bit `n - 1` stands for signal `n` (the kernel's `sigset_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SigSet(pub u64);

impl SigSet {
    /// No signal.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal 1..=64.
    pub const ALL: SigSet = SigSet(u64::MAX);

    /// The set holding only `sig`.
    pub fn of(sig: Sig) -> SigSet {
        SigSet(1 << (sig.num() - 1))
    }

    /// Is `sig` in the set?
    pub fn contains(self, sig: Sig) -> bool {
        self.0 & SigSet::of(sig).0 != 0
    }

    /// Adds `sig`.
    pub fn insert(&mut self, sig: Sig) {
        self.0 |= SigSet::of(sig).0;
    }

    /// Removes `sig`.
    pub fn remove(&mut self, sig: Sig) {
        self.0 &= !SigSet::of(sig).0;
    }

    /// The members in increasing order.
    pub fn iter(self) -> impl Iterator<Item = Sig> {
        (1..=u32::from(NSIG))
            .filter_map(Sig::new)
            .filter(move |s| self.contains(*s))
    }

    /// Parses `none`, `all` or a comma-separated list of signals.
    pub fn parse(text: &str) -> Result<SigSet, String> {
        match text.to_ascii_lowercase().as_str() {
            "none" => return Ok(SigSet::EMPTY),
            "all" => return Ok(SigSet::ALL),
            _ => {}
        }
        let mut set = SigSet::EMPTY;
        for part in text.split(',') {
            if part.is_empty() {
                return Err(format!("empty element in signal list `{text}`"));
            }
            set.insert(Sig::parse(part)?);
        }
        Ok(set)
    }
}

impl fmt::Display for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("none");
        }
        if *self == SigSet::ALL {
            return f.write_str("all");
        }
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// A worker thread index: `Tk` is the k-th worker, T0 the process leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tid(pub usize);

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.0)
    }
}

/// A disposition `action` can install.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// SIG_DFL.
    Default,
    /// SIG_IGN.
    Ignore,
    /// The logging handler, installed with SA_SIGINFO and an empty sa_mask.
    Handler,
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Disposition::Default => "default",
            Disposition::Ignore => "ignore",
            Disposition::Handler => "handler",
        })
    }
}

/// What an `action` op installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Action {
    /// The signal.
    pub sig: Sig,
    /// What to install.
    pub disp: Disposition,
    /// SA_NODEFER.
    pub nodefer: bool,
    /// SA_RESETHAND.
    pub resethand: bool,
}

/// One scenario operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `action SIG default|ignore|handler [nodefer] [resethand]`.
    Action(Action),
    /// `block Tk SIGLIST` (SIG_BLOCK).
    Block(Tid, SigSet),
    /// `unblock Tk SIGLIST` (SIG_UNBLOCK).
    Unblock(Tid, SigSet),
    /// `setmask Tk SIGLIST` (SIG_SETMASK).
    SetMask(Tid, SigSet),
    /// `kill SIG`: process-directed, SI_USER.
    Kill(Sig),
    /// `sigqueue SIG VALUE`: process-directed, SI_QUEUE.
    SigQueue(Sig, i32),
    /// `tkill Tk SIG`: thread-directed, SI_TKILL.
    Tkill(Tid, Sig),
    /// `tsigqueue Tk SIG VALUE`: thread-directed, SI_QUEUE.
    TSigQueue(Tid, Sig, i32),
    /// `wait Tk SIGLIST [TIMEOUT_MS]`: rt_sigtimedwait on Tk.
    Wait(Tid, SigSet, u32),
    /// `pending Tk`: rt_sigpending on Tk.
    Pending(Tid),
    /// `rlimit_sigpending N`: soft RLIMIT_SIGPENDING.
    RlimitSigpending(u64),
    /// `exit Tk`: thread Tk calls `SYS_exit` (only that thread ends; T0 becomes a
    /// zombie leader while other threads live).
    Exit(Tid),
    /// `waitbg Tk SIGLIST TIMEOUT_MS`: Tk starts rt_sigtimedwait and the scenario goes on
    /// while it waits (the op's own result is `ret=0` once Tk sleeps in the call).
    /// Until `collect Tk` no other op may name Tk.
    WaitBg(Tid, SigSet, u32),
    /// `collect Tk`: waits for Tk's `waitbg` to end; its result is the wait's.
    Collect(Tid),
}

impl Op {
    /// `action SIG DISP`: without SA_NODEFER or SA_RESETHAND.
    pub fn action(sig: Sig, disp: Disposition) -> Op {
        Op::Action(Action {
            sig,
            disp,
            nodefer: false,
            resethand: false,
        })
    }

    /// The thread an op runs on (mask ops, `wait`, `pending`, `exit`), if it names one.
    pub fn thread(&self) -> Option<Tid> {
        match *self {
            Op::Block(t, _)
            | Op::Unblock(t, _)
            | Op::SetMask(t, _)
            | Op::Wait(t, _, _)
            | Op::Pending(t)
            | Op::Exit(t)
            | Op::WaitBg(t, _, _)
            | Op::Collect(t) => Some(t),
            _ => None,
        }
    }

    /// The signal a send op sends, if it is one.
    pub fn sent(&self) -> Option<Sig> {
        match *self {
            Op::Kill(s) | Op::SigQueue(s, _) | Op::Tkill(_, s) | Op::TSigQueue(_, s, _) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Action(a) => {
                write!(f, "action {} {}", a.sig, a.disp)?;
                if a.nodefer {
                    f.write_str(" nodefer")?;
                }
                if a.resethand {
                    f.write_str(" resethand")?;
                }
                Ok(())
            }
            Op::Block(t, set) => write!(f, "block {t} {set}"),
            Op::Unblock(t, set) => write!(f, "unblock {t} {set}"),
            Op::SetMask(t, set) => write!(f, "setmask {t} {set}"),
            Op::Kill(sig) => write!(f, "kill {sig}"),
            Op::SigQueue(sig, v) => write!(f, "sigqueue {sig} {v}"),
            Op::Tkill(t, sig) => write!(f, "tkill {t} {sig}"),
            Op::TSigQueue(t, sig, v) => write!(f, "tsigqueue {t} {sig} {v}"),
            Op::Wait(t, set, 0) => write!(f, "wait {t} {set}"),
            Op::Wait(t, set, ms) => write!(f, "wait {t} {set} {ms}"),
            Op::Pending(t) => write!(f, "pending {t}"),
            Op::RlimitSigpending(n) => write!(f, "rlimit_sigpending {n}"),
            Op::Exit(t) => write!(f, "exit {t}"),
            Op::WaitBg(t, set, ms) => write!(f, "waitbg {t} {set} {ms}"),
            Op::Collect(t) => write!(f, "collect {t}"),
        }
    }
}

/// A parsed scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Where it came from (a file name, `-`, or `seed N`), for messages.
    pub name: String,
    /// Number of worker threads (1..=64).
    pub threads: usize,
    /// `threads N orphaned`: the process runs in a session of its own, so its process
    /// group is orphaned (TSTP, TTIN and TTOU do not stop it).
    pub orphaned: bool,
    /// The ops after `threads`, in order.
    pub ops: Vec<Op>,
}

impl Scenario {
    /// Sum of the `wait` timeouts, for the runner's hard timeout.
    pub fn total_wait_ms(&self) -> u64 {
        self.ops
            .iter()
            .map(|op| match op {
                Op::Wait(_, _, ms) | Op::WaitBg(_, _, ms) => u64::from(*ms),
                _ => 0,
            })
            .sum()
    }

    /// Parses scenario text; `name` is used in error messages.
    pub fn parse(name: &str, text: &str) -> Result<Scenario, ParseError> {
        let mut threads = None;
        let mut orphaned = false;
        let mut ops = Vec::new();
        let mut busy: Vec<usize> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |msg: String| ParseError {
                file: name.to_string(),
                line: i + 1,
                msg,
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            let keyword = words[0].to_ascii_lowercase();
            let args = &words[1..];
            match threads {
                None => {
                    if keyword != "threads" {
                        return Err(err("the first op must be `threads N`".into()));
                    }
                    expect_args(args, 1, 2).map_err(err)?;
                    if let Some(flag) = args.get(1) {
                        if !flag.eq_ignore_ascii_case("orphaned") {
                            return Err(err(format!("unknown flag `{flag}`")));
                        }
                        orphaned = true;
                    }
                    let n = args[0]
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_THREADS).contains(n))
                        .ok_or_else(|| err(format!("thread count `{}` not in 1..64", args[0])))?;
                    threads = Some(n);
                }
                Some(n) => {
                    let op = parse_op(&keyword, args, n).map_err(err)?;
                    // A thread in `waitbg` runs nothing else until `collect`.
                    if let Some(t) = op.thread() {
                        let waiting = busy.contains(&t.0);
                        match op {
                            Op::WaitBg(..) if !waiting => busy.push(t.0),
                            Op::Collect(_) if waiting => busy.retain(|k| *k != t.0),
                            Op::Collect(_) => {
                                return Err(err(format!("`collect {t}` without `waitbg {t}`")));
                            }
                            _ if waiting => {
                                return Err(err(format!("{t} is in `waitbg` until `collect {t}`")));
                            }
                            _ => {}
                        }
                    }
                    ops.push(op);
                }
            }
        }
        if let Some(k) = busy.first() {
            return Err(ParseError {
                file: name.to_string(),
                line: text.lines().count().max(1),
                msg: format!("`waitbg {}` without `collect {}`", Tid(*k), Tid(*k)),
            });
        }
        let threads = threads.ok_or_else(|| ParseError {
            file: name.to_string(),
            line: text.lines().count().max(1),
            msg: "missing `threads N`".into(),
        })?;
        Ok(Scenario {
            name: name.to_string(),
            threads,
            orphaned,
            ops,
        })
    }
}

impl fmt::Display for Scenario {
    /// The canonical text: `threads N` and one op a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "threads {}", self.threads)?;
        writeln!(f, "{}", if self.orphaned { " orphaned" } else { "" })?;
        for op in &self.ops {
            writeln!(f, "{op}")?;
        }
        Ok(())
    }
}

/// A parse error with its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// File name.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.msg)
    }
}

fn expect_args(args: &[&str], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min {
        Err(format!("too few arguments (expected {min})"))
    } else if args.len() > max {
        Err(format!("unexpected `{}`", args[max]))
    } else {
        Ok(())
    }
}

fn parse_tid(text: &str, threads: usize) -> Result<Tid, String> {
    let k = text
        .strip_prefix(['T', 't'])
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|r| r.parse::<usize>().ok())
        .ok_or_else(|| format!("expected a thread `Tk`, found `{text}`"))?;
    if k >= threads {
        return Err(format!("thread `{text}` out of range (threads {threads})"));
    }
    Ok(Tid(k))
}

fn parse_value(text: &str) -> Result<i32, String> {
    text.parse::<i32>()
        .map_err(|_| format!("value `{text}` is not a signed 32-bit integer"))
}

/// A timeout in milliseconds, at most [`MAX_TIMEOUT_MS`].
fn parse_timeout(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|ms| *ms <= MAX_TIMEOUT_MS)
        .ok_or_else(|| format!("timeout `{text}` not in 0..60000"))
}

fn parse_op(keyword: &str, args: &[&str], threads: usize) -> Result<Op, String> {
    let tid = |i: usize| parse_tid(args[i], threads);
    let sig = |i: usize| Sig::parse(args[i]);
    let set = |i: usize| SigSet::parse(args[i]);
    Ok(match keyword {
        "threads" => return Err("`threads` may appear only once, as the first op".into()),
        "action" => {
            expect_args(args, 2, 4)?;
            let disp = match args[1].to_ascii_lowercase().as_str() {
                "default" => Disposition::Default,
                "ignore" => Disposition::Ignore,
                "handler" => Disposition::Handler,
                other => return Err(format!("expected default|ignore|handler, found `{other}`")),
            };
            let (mut nodefer, mut resethand) = (false, false);
            for flag in &args[2..] {
                let slot = match flag.to_ascii_lowercase().as_str() {
                    "nodefer" => &mut nodefer,
                    "resethand" => &mut resethand,
                    _ => return Err(format!("unknown flag `{flag}`")),
                };
                if *slot {
                    return Err(format!("flag `{flag}` given twice"));
                }
                *slot = true;
            }
            Op::Action(Action {
                sig: sig(0)?,
                disp,
                nodefer,
                resethand,
            })
        }
        "block" | "unblock" | "setmask" => {
            expect_args(args, 2, 2)?;
            let (t, s) = (tid(0)?, set(1)?);
            match keyword {
                "block" => Op::Block(t, s),
                "unblock" => Op::Unblock(t, s),
                _ => Op::SetMask(t, s),
            }
        }
        "kill" => {
            expect_args(args, 1, 1)?;
            Op::Kill(sig(0)?)
        }
        "sigqueue" => {
            expect_args(args, 2, 2)?;
            Op::SigQueue(sig(0)?, parse_value(args[1])?)
        }
        "tkill" => {
            expect_args(args, 2, 2)?;
            Op::Tkill(tid(0)?, sig(1)?)
        }
        "tsigqueue" => {
            expect_args(args, 3, 3)?;
            Op::TSigQueue(tid(0)?, sig(1)?, parse_value(args[2])?)
        }
        "wait" => {
            expect_args(args, 2, 3)?;
            let ms = args.get(2).map_or(Ok(0), |t| parse_timeout(t))?;
            Op::Wait(tid(0)?, set(1)?, ms)
        }
        "waitbg" => {
            expect_args(args, 3, 3)?;
            Op::WaitBg(tid(0)?, set(1)?, parse_timeout(args[2])?)
        }
        "pending" | "collect" | "exit" => {
            expect_args(args, 1, 1)?;
            let t = tid(0)?;
            match keyword {
                "pending" => Op::Pending(t),
                "collect" => Op::Collect(t),
                _ => Op::Exit(t),
            }
        }
        "rlimit_sigpending" => {
            expect_args(args, 1, 1)?;
            Op::RlimitSigpending(
                args[0]
                    .parse::<u64>()
                    .map_err(|_| format!("limit `{}` is not a non-negative integer", args[0]))?,
            )
        }
        other => return Err(format!("unknown op `{other}`")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(s: &str) -> u8 {
        Sig::parse(s).unwrap().num()
    }

    #[test]
    fn names_and_numbers() {
        assert_eq!(sig("SIGRTMIN+16"), 48);
        assert_eq!(sig("SIGRTMAX-15"), 49);
        assert_eq!(sig("sigrtmin"), 32);
        assert_eq!(sig("RTMAX"), 64);
        assert_eq!(sig("rtmin+1"), 33);
        assert_eq!(sig("SIGIOT"), 6);
        assert_eq!(sig("poll"), 29);
        assert_eq!(sig("SIGCLD"), 17);
        assert_eq!(sig("usr1"), 10);
        assert_eq!(sig("64"), 64);
        assert_eq!(sig("SIGSYS"), 31);
        for n in 1..=64u32 {
            let s = Sig::new(n).unwrap();
            assert_eq!(Sig::parse(&s.to_string()), Ok(s), "{s}");
        }
        assert_eq!(Sig::new(48).unwrap().to_string(), "SIGRTMIN+16");
        assert_eq!(Sig::new(49).unwrap().to_string(), "SIGRTMAX-15");
        assert_eq!(Sig::new(6).unwrap().to_string(), "SIGABRT");
        assert_eq!(Sig::new(17).unwrap().to_string(), "SIGCHLD");
        assert_eq!(Sig::new(29).unwrap().to_string(), "SIGIO");
        for bad in [
            "0",
            "65",
            "SIGFOO",
            "",
            "SIGRTMIN+33",
            "SIGRTMAX-33",
            "SIGRTMIN-1",
            "RTMIN+",
            "SIGRTMAX+1",
            "-1",
        ] {
            assert!(Sig::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sets() {
        assert_eq!(SigSet::parse("none").unwrap(), SigSet::EMPTY);
        assert_eq!(SigSet::parse("ALL").unwrap(), SigSet::ALL);
        let s = SigSet::parse("SIGUSR2,usr1,34,SIGRTMAX").unwrap();
        assert_eq!(s.to_string(), "SIGUSR1,SIGUSR2,SIGRTMIN+2,SIGRTMAX");
        assert!(SigSet::parse("USR1,,USR2").is_err());
        assert!(SigSet::parse("USR1,").is_err());
        let every: Vec<String> = (1..=64).map(|n| n.to_string()).collect();
        assert_eq!(SigSet::parse(&every.join(",")).unwrap().to_string(), "all");
    }

    #[test]
    fn round_trip() {
        let text = "# header\n\
            THREADS 3   # comment\n\
            \n\
            Action usr1 HANDLER resethand nodefer\n\
            action 2 ignore\n\
            block t1 usr2,usr1\n\
            unblock T2 all\n\
            setmask T0 none\n\
            kill SIGIOT\n\
            sigqueue RTMIN+3 -2147483648\n\
            tkill T2 cld\n\
            tsigqueue T1 rtmax-0 7\n\
            wait T0 usr1,rtmin 0\n\
            wait T1 all 60000\n\
            pending T2\n\
            rlimit_sigpending 0\n\
            EXIT t2\n";
        let s = Scenario::parse("x.scen", text).unwrap();
        let canon = s.to_string();
        // One canonical line an op: names for numbers and aliases, flags sorted.
        assert_eq!(
            canon.lines().collect::<Vec<_>>(),
            [
                "threads 3",
                "action SIGUSR1 handler nodefer resethand",
                "action SIGINT ignore",
                "block T1 SIGUSR1,SIGUSR2",
                "unblock T2 all",
                "setmask T0 none",
                "kill SIGABRT",
                "sigqueue SIGRTMIN+3 -2147483648",
                "tkill T2 SIGCHLD",
                "tsigqueue T1 SIGRTMAX 7",
                "wait T0 SIGUSR1,SIGRTMIN",
                "wait T1 all 60000",
                "pending T2",
                "rlimit_sigpending 0",
                "exit T2",
            ]
        );
        assert!(canon.ends_with('\n'));
        let orphaned = Scenario::parse("o.scen", "threads 2 ORPHANED\nexit T0\n").unwrap();
        assert!(orphaned.orphaned);
        assert_eq!(orphaned.to_string(), "threads 2 orphaned\nexit T0\n");
        let again = Scenario::parse("x.scen", &canon).unwrap();
        assert_eq!(again.ops, s.ops);
        assert_eq!(again.to_string(), canon);
    }

    #[test]
    fn errors_carry_location() {
        // Whole scenarios, and the line their error is on.
        let scenarios = [
            ("kill USR1\n", 1, "first op"),
            ("threads 0\n", 1, "not in 1..64"),
            ("threads 65\n", 1, "not in 1..64"),
            ("threads 1 detached\n", 1, "unknown flag"),
            ("# nothing\n", 1, "missing"),
            ("threads 2\nblock T2 USR1\n", 2, "out of range"),
            ("threads 1\n\nkill SIGFOO\n", 3, "unknown signal"),
        ];
        // One bad line after `threads 1`: the error is on line 2.
        let second_lines = [
            ("threads 1", "only once"),
            ("sigqueue USR1 2147483648", "32-bit"),
            ("wait T0 USR1 60001", "timeout"),
            ("action USR1 handler nodefer nodefer", "twice"),
            ("action USR1 catch", "expected"),
            ("kill USR1 USR2", "unexpected"),
            ("tkill T0", "too few"),
            ("frobnicate", "unknown op"),
            ("exit T1", "out of range"),
            ("rlimit_sigpending -1", "non-negative"),
        ];
        let cases = scenarios
            .map(|(text, line, needle)| (text.to_string(), line, needle))
            .into_iter()
            .chain(second_lines.map(|(op, needle)| (format!("threads 1\n{op}\n"), 2, needle)));
        for (text, line, needle) in cases {
            let e = Scenario::parse("f.scen", &text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.msg.contains(needle), "{text:?}: {e}");
            assert!(e.to_string().starts_with(&format!("f.scen:{line}: ")));
        }
    }
}
