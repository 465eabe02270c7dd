//! A seeded scenario generator.
//!
//! Each scenario draws a small palette of signals (so sends collide: coalescing, FIFO,
//! private vs shared, synchronous-first ordering, stop/continue flushes) and then ops from
//! a fixed mix. Without `fatal` it keeps a conservative model of the process and rejects
//! any op after which a signal whose default action terminates, dumps core or stops could
//! reach an unblocked thread while its action may be SIG_DFL; with `fatal` such ops are
//! let through once in a while (and SIGKILL/SIGSTOP appear); an op that may stop the
//! group is let through only in a single-threaded process, because after a SIGCONT every
//! thread runs at once and Linux then leaves the choice of thread to the scheduler.
//!
//! Besides single ops it inserts *episodes*, short op sequences built so that Linux's
//! trace stays deterministic:
//! - stop, sends while stopped (caught, default-fatal, ignored, blocked; process- and
//!   thread-directed), continue: every signal of the episode has one owner thread (the
//!   only live thread that does not block it), so after the SIGCONT each pending signal
//!   has exactly one thread that can take it; a default-fatal one races the other
//!   threads' handlers (the trace then shows only the exit status);
//! - the current target thread exits between two process-directed sends;
//! - the group leader exits and thread-directed signals go to the zombie leader.
//!
//! `exit Tk` also appears now and then on its own.

use crate::scenario::{Action, DefaultAction, Disposition, Op, Scenario, Sig, SigSet, Tid};

/// splitmix64: tiny, deterministic, good enough for test generation.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `pct`%.
    pub fn chance(&mut self, pct: u32) -> bool {
        self.below(100) < pct as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct GenConfig {
    /// Ops after `threads`.
    pub ops: usize,
    /// Fixed thread count, or 1..=4 at random.
    pub threads: Option<usize>,
    /// Allow ops that may kill or stop the process.
    pub fatal: bool,
}

/// Signals the palette is drawn from, with the categories the rules care about.
const STD_CAUGHT: [u8; 6] = [1, 2, 10, 12, 14, 15];
const SYNC: [u8; 6] = [4, 5, 7, 8, 11, 31];
const DEFAULT_IGNORED: [u8; 4] = [17, 18, 23, 28];
const STOPS: [u8; 3] = [20, 21, 22];
const RT: [u8; 8] = [32, 33, 34, 35, 48, 49, 63, 64];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Disp {
    Default,
    Ignore,
    Handler,
    HandlerReset,
}

/// The generator's conservative view of the process.
#[derive(Clone)]
struct Model {
    masks: Vec<SigSet>,
    disp: [Disp; 65],
    /// Upper bound on instances that may still be pending (reset only by a flush).
    sends: [u32; 65],
    /// Threads that have not exited.
    live: Vec<bool>,
}

fn unblockable(s: Sig) -> bool {
    s == Sig::KILL || s == Sig::STOP
}

impl Model {
    fn new(threads: usize) -> Model {
        Model {
            masks: vec![SigSet::ALL; threads],
            disp: [Disp::Default; 65],
            sends: [0; 65],
            live: vec![true; threads],
        }
    }

    fn blocked_everywhere(&self, s: Sig) -> bool {
        !unblockable(s)
            && self
                .masks
                .iter()
                .zip(&self.live)
                .all(|(m, live)| !live || m.contains(s))
    }

    fn live_threads(&self) -> Vec<Tid> {
        (0..self.live.len())
            .filter(|k| self.live[*k])
            .map(Tid)
            .collect()
    }

    /// Could the group stop from this state?
    fn stop_hazard(&self) -> bool {
        (1..=64)
            .filter_map(Sig::new)
            .filter(|s| *s == Sig::STOP || s.default_action() == DefaultAction::Stop)
            .any(|s| self.hazard(s))
    }

    /// Could `s` kill or stop the process from this state?
    fn hazard(&self, s: Sig) -> bool {
        if s.default_action() == DefaultAction::Ignore {
            return false;
        }
        let n = self.sends[usize::from(s.num())];
        if unblockable(s) {
            return n > 0;
        }
        let armed = match self.disp[usize::from(s.num())] {
            Disp::Default => n >= 1,
            Disp::HandlerReset => n >= 2,
            Disp::Ignore | Disp::Handler => false,
        };
        armed && !self.blocked_everywhere(s)
    }

    fn apply(&mut self, op: &Op) {
        let strip = |mut set: SigSet| {
            set.remove(Sig::KILL);
            set.remove(Sig::STOP);
            set
        };
        match *op {
            Op::Action(Action {
                sig,
                disp,
                resethand,
                ..
            }) => {
                if unblockable(sig) {
                    return;
                }
                let i = usize::from(sig.num());
                self.disp[i] = match disp {
                    Disposition::Default => Disp::Default,
                    Disposition::Ignore => Disp::Ignore,
                    Disposition::Handler if resethand => Disp::HandlerReset,
                    Disposition::Handler => Disp::Handler,
                };
                let flushes = disp == Disposition::Ignore
                    || (disp == Disposition::Default
                        && sig.default_action() == DefaultAction::Ignore);
                if flushes {
                    self.sends[i] = 0;
                }
            }
            Op::Block(t, set) => self.masks[t.0].0 |= strip(set).0,
            Op::Unblock(t, set) => self.masks[t.0].0 &= !set.0,
            Op::SetMask(t, set) => self.masks[t.0] = strip(set),
            Op::Kill(s) | Op::SigQueue(s, _) | Op::Tkill(_, s) | Op::TSigQueue(_, s, _) => {
                let n = &mut self.sends[usize::from(s.num())];
                *n = n.saturating_add(1);
                if s == SIGCONT {
                    // SIGCONT discards pending stop signals (rule 7).
                    for stop in 19..=22 {
                        self.sends[stop] = 0;
                    }
                }
            }
            Op::Exit(t) => self.live[t.0] = false,
            Op::Wait(..)
            | Op::Pending(_)
            | Op::RlimitSigpending(_)
            | Op::WaitBg(..)
            | Op::Collect(_) => {}
        }
    }

    fn safe(&self) -> bool {
        (1..=64).filter_map(Sig::new).all(|s| !self.hazard(s))
    }
}

const SIGCONT: Sig = sig(18);

const fn sig(n: u8) -> Sig {
    match Sig::new(n as u32) {
        Some(s) => s,
        None => panic!("signal number out of range"),
    }
}

struct Gen<'a> {
    rng: Rng,
    palette: Vec<Sig>,
    threads: usize,
    value: i32,
    cfg: &'a GenConfig,
    /// Live threads, as the ops generated so far leave them.
    live: Vec<bool>,
}

/// What an episode signal is while the group is stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Caught,
    Fatal,
    Ignored,
    Blocked,
}

impl Gen<'_> {
    fn sig(&mut self) -> Sig {
        self.rng.pick(&self.palette)
    }

    fn tid(&mut self) -> Tid {
        let live: Vec<usize> = (0..self.threads).filter(|k| self.live[*k]).collect();
        if live.is_empty() || self.rng.chance(5) {
            Tid(self.rng.below(self.threads))
        } else {
            Tid(self.rng.pick(&live))
        }
    }

    fn live_tids(&self) -> Vec<Tid> {
        (0..self.threads)
            .filter(|k| self.live[*k])
            .map(Tid)
            .collect()
    }

    fn set(&mut self) -> SigSet {
        match self.rng.below(20) {
            0 => SigSet::ALL,
            1 => SigSet::EMPTY,
            2 => {
                let mut s = SigSet::EMPTY;
                for sig in &self.palette {
                    s.insert(*sig);
                }
                s
            }
            _ => {
                let mut s = SigSet::EMPTY;
                for _ in 0..1 + self.rng.below(3) {
                    s.insert(self.sig());
                }
                s
            }
        }
    }

    fn value(&mut self) -> i32 {
        if self.rng.chance(10) {
            self.rng.next_u64() as i32
        } else {
            self.value += 1;
            self.value
        }
    }

    fn op(&mut self) -> Op {
        if self.rng.chance(2) && self.live_tids().len() >= 2 {
            let t = self.rng.pick(&self.live_tids());
            return Op::Exit(t);
        }
        let r = self.rng.below(100);
        match r {
            0..18 => {
                let disp = match self.rng.below(10) {
                    0..6 => Disposition::Handler,
                    6..8 => Disposition::Ignore,
                    _ => Disposition::Default,
                };
                let sig = if self.cfg.fatal && self.rng.chance(2) {
                    self.rng.pick(&[Sig::KILL, Sig::STOP])
                } else {
                    self.sig()
                };
                Op::Action(Action {
                    sig,
                    disp,
                    nodefer: self.rng.chance(25),
                    resethand: self.rng.chance(20),
                })
            }
            18..26 => Op::Block(self.tid(), self.set()),
            26..40 => Op::Unblock(self.tid(), self.set()),
            40..45 => Op::SetMask(self.tid(), self.set()),
            45..59 => Op::Kill(self.send_sig()),
            59..69 => {
                let (s, v) = (self.send_sig(), self.value());
                Op::SigQueue(s, v)
            }
            69..77 => Op::Tkill(self.tid(), self.send_sig()),
            77..83 => {
                let (t, s, v) = (self.tid(), self.send_sig(), self.value());
                Op::TSigQueue(t, s, v)
            }
            83..91 => {
                let ms = if self.rng.chance(15) {
                    1 + self.rng.below(20) as u32
                } else {
                    0
                };
                Op::Wait(self.tid(), self.set(), ms)
            }
            91..98 => Op::Pending(self.tid()),
            _ => Op::RlimitSigpending(if self.rng.chance(80) {
                self.rng.below(5) as u64
            } else {
                1000
            }),
        }
    }

    fn send_sig(&mut self) -> Sig {
        if self.cfg.fatal && self.rng.chance(3) {
            self.rng.pick(&[Sig::KILL, Sig::STOP])
        } else {
            self.sig()
        }
    }
}

impl Gen<'_> {
    /// A signal for an episode: from the palette or a few common ones, never KILL,
    /// STOP or CONT.
    fn episode_sig(&mut self, taken: &[Sig]) -> Option<Sig> {
        let mut pool: Vec<Sig> = self.palette.clone();
        pool.extend([sig(1), sig(10), sig(12), sig(15), sig(34)]);
        pool.retain(|s| !unblockable(*s) && *s != SIGCONT && !taken.contains(s));
        (!pool.is_empty()).then(|| self.rng.pick(&pool))
    }

    /// One episode, or `None` when this state does not allow it. The ops are checked
    /// against `model` (without `fatal`, none may make the process killable).
    fn episode(&mut self, model: &Model) -> Option<Vec<Op>> {
        let ops = match self.rng.below(10) {
            0..6 => self.stop_episode()?,
            6..8 => self.target_exit_episode()?,
            _ => self.zombie_leader_episode()?,
        };
        if !self.cfg.fatal {
            let mut m = model.clone();
            for op in &ops {
                // The stop episode's own SIGSTOP is undone by its SIGCONT.
                if op.sent() != Some(Sig::STOP) {
                    m.apply(op);
                }
                if !m.safe() {
                    return None;
                }
            }
        }
        Some(ops)
    }

    /// Stop, send while stopped, continue (module docs).
    fn stop_episode(&mut self) -> Option<Vec<Op>> {
        let live = self.live_tids();
        let r = self.rng.pick(&live);
        let mut ops = Vec::new();
        let mut signals: Vec<(Sig, Kind, Tid)> = Vec::new();
        let mut fatal_used = false;
        for _ in 0..1 + self.rng.below(3) {
            let taken: Vec<Sig> = signals.iter().map(|x| x.0).collect();
            let s = self.episode_sig(&taken)?;
            let fatal_ok = self.cfg.fatal
                && !fatal_used
                && matches!(
                    s.default_action(),
                    DefaultAction::Terminate | DefaultAction::Core
                );
            let kind = match self.rng.below(10) {
                0..4 => Kind::Caught,
                4..6 if fatal_ok => Kind::Fatal,
                4..7 => Kind::Ignored,
                _ => Kind::Blocked,
            };
            fatal_used |= kind == Kind::Fatal;
            // The fatal signal's owner is the receiver; others any live thread.
            let owner = if kind == Kind::Fatal {
                r
            } else {
                self.rng.pick(&live)
            };
            signals.push((s, kind, owner));
        }
        if fatal_used && live.len() >= 2 {
            // A caught signal on another thread races the fatal one at the continue.
            let taken: Vec<Sig> = signals.iter().map(|x| x.0).collect();
            if let Some(s) = self.episode_sig(&taken) {
                let others: Vec<Tid> = live.iter().copied().filter(|t| *t != r).collect();
                signals.push((s, Kind::Caught, self.rng.pick(&others)));
            }
        }
        // Dispositions first, then masks (each signal unblocked only in its owner), all
        // before the stop: nothing that needs a running thread comes after it.
        for &(s, kind, _) in &signals {
            let disp = match kind {
                Kind::Caught => Some(Disposition::Handler),
                Kind::Fatal => Some(Disposition::Default),
                Kind::Ignored => Some(Disposition::Ignore),
                Kind::Blocked => None,
            };
            if let Some(disp) = disp {
                ops.push(Op::action(s, disp));
            }
        }
        for &t in &live {
            let mut block = SigSet::EMPTY;
            let mut unblock = SigSet::EMPTY;
            for &(s, kind, owner) in &signals {
                if kind != Kind::Blocked && owner == t {
                    unblock.insert(s);
                } else {
                    block.insert(s);
                }
            }
            // SIGCONT too has one possible taker (it may have a handler).
            if t == r {
                unblock.insert(SIGCONT);
            } else {
                block.insert(SIGCONT);
            }
            if block != SigSet::EMPTY {
                ops.push(Op::Block(t, block));
            }
            if unblock != SigSet::EMPTY {
                ops.push(Op::Unblock(t, unblock));
            }
        }
        // The stop: SIGSTOP, or (with `fatal`, where a stop that does not happen is
        // fine) a terminal stop signal with its default action, taken by the receiver
        // (an orphaned group discards it: the sends below then find it running).
        if self.cfg.fatal && self.rng.chance(25) {
            let tstp = self.rng.pick(&[sig(20), sig(21), sig(22)]);
            ops.push(Op::action(tstp, Disposition::Default));
            for &t in &live {
                if t != r {
                    ops.push(Op::Block(t, SigSet::of(tstp)));
                }
            }
            ops.push(Op::Unblock(r, SigSet::of(tstp)));
            ops.push(Op::Tkill(r, tstp));
        } else if self.rng.chance(50) {
            ops.push(Op::Kill(Sig::STOP));
        } else {
            let t = self.rng.pick(&live);
            ops.push(Op::Tkill(t, Sig::STOP));
        }
        // Each signal once, then a few more at random.
        let extra = self.rng.below(3);
        let mut order: Vec<usize> = (0..signals.len()).collect();
        for _ in 0..extra {
            order.push(self.rng.below(signals.len()));
        }
        for i in order {
            let (s, kind, owner) = signals[i];
            let v = self.value();
            let op = match self.rng.below(10) {
                0..4 => Op::Kill(s),
                4..6 => Op::SigQueue(s, v),
                // A fatal signal goes only to its owner; the others also to a thread
                // that blocks them (pending there, privately).
                6..8 if kind == Kind::Fatal => Op::Tkill(owner, s),
                6..8 => Op::Tkill(self.rng.pick(&live), s),
                _ => Op::TSigQueue(owner, s, v),
            };
            ops.push(op);
            if self.rng.chance(25) {
                ops.push(Op::Pending(self.rng.pick(&live)));
            }
        }
        if self.rng.chance(15) {
            // A stop signal sent while stopped: SIGCONT discards it (rule 7).
            ops.push(Op::Kill(self.rng.pick(&[Sig::STOP, sig(20)])));
        }
        if !self.live[0] && self.rng.chance(50) {
            // Thread-directed to the zombie leader: Linux drops it.
            ops.push(Op::Tkill(Tid(0), SIGCONT));
        }
        let v = self.value();
        ops.push(match self.rng.below(10) {
            0..6 => Op::Kill(SIGCONT),
            6..8 => Op::SigQueue(SIGCONT, v),
            _ => Op::Tkill(self.rng.pick(&live), SIGCONT),
        });
        if self.rng.chance(40) {
            ops.push(Op::Pending(self.rng.pick(&live)));
        }
        Some(ops)
    }

    /// The current target thread exits between two process-directed sends (Linux's
    /// `__exit_signal` moves `curr_target` to the next thread).
    fn target_exit_episode(&mut self) -> Option<Vec<Op>> {
        let live = self.live_tids();
        if live.len() < 3 {
            return None;
        }
        // Not the leader (it would stay as a zombie), not the last live thread.
        let m = live[1 + self.rng.below(live.len() - 2)];
        let x = self.episode_sig(&[])?;
        let y = self.episode_sig(&[x])?;
        let mut ops = vec![
            Op::action(x, Disposition::Handler),
            Op::action(y, Disposition::Handler),
        ];
        for &t in &live {
            if t != m {
                ops.push(Op::Block(t, SigSet::of(x)));
            }
        }
        ops.push(Op::Unblock(m, SigSet::of(x)));
        ops.push(Op::Kill(x));
        ops.push(Op::Exit(m));
        let mut takers = 0;
        for &t in &live {
            if t == m {
                continue;
            }
            if t.0 != 0 && self.rng.chance(60) {
                ops.push(Op::Unblock(t, SigSet::of(y)));
                takers += 1;
            } else {
                ops.push(Op::Block(t, SigSet::of(y)));
            }
        }
        if takers == 0 {
            return None;
        }
        for _ in 0..1 + self.rng.below(3) {
            ops.push(Op::Kill(y));
        }
        Some(ops)
    }

    /// The leader exits while other threads live; signals then go to the zombie
    /// leader's tid and to the process.
    fn zombie_leader_episode(&mut self) -> Option<Vec<Op>> {
        let live = self.live_tids();
        if !self.live[0] || live.len() < 2 {
            return None;
        }
        let x = self.episode_sig(&[])?;
        let mut ops = vec![Op::action(x, Disposition::Handler), Op::Exit(Tid(0))];
        let others: Vec<Tid> = live.iter().copied().filter(|t| t.0 != 0).collect();
        let owner = self.rng.pick(&others);
        for &t in &others {
            if t == owner {
                ops.push(Op::Unblock(t, SigSet::of(x)));
            } else {
                ops.push(Op::Block(t, SigSet::of(x)));
            }
        }
        for _ in 0..1 + self.rng.below(3) {
            let v = self.value();
            ops.push(match self.rng.below(4) {
                0 => Op::Tkill(Tid(0), x),
                1 => Op::TSigQueue(Tid(0), x, v),
                2 => Op::Kill(x),
                _ => Op::Tkill(Tid(0), self.sig()),
            });
        }
        ops.push(Op::Pending(owner));
        Some(ops)
    }
}

/// Draws the palette: a few signals, usually mixing standard, synchronous and RT ones.
fn palette(rng: &mut Rng) -> Vec<Sig> {
    let groups: [&[u8]; 5] = [&STD_CAUGHT, &SYNC, &DEFAULT_IGNORED, &STOPS, &RT];
    let weights = [4, 2, 2, 1, 4];
    let total: usize = weights.iter().sum();
    let want = 3 + rng.below(4);
    let mut out: Vec<Sig> = Vec::new();
    while out.len() < want {
        let mut r = rng.below(total);
        let mut g = 0;
        while r >= weights[g] {
            r -= weights[g];
            g += 1;
        }
        let sig = Sig::new(u32::from(rng.pick(groups[g]))).expect("palette numbers are 1..64");
        if !out.contains(&sig) {
            out.push(sig);
        }
    }
    out.sort();
    out
}

/// The scenario for `seed`.
pub fn generate(seed: u64, cfg: &GenConfig) -> Scenario {
    let mut rng = Rng::new(seed);
    let threads = cfg.threads.unwrap_or_else(|| 1 + rng.below(4));
    let palette = palette(&mut rng);
    let orphaned = rng.chance(8);
    let mut g = Gen {
        rng,
        palette,
        threads,
        value: 0,
        cfg,
        live: vec![true; threads],
    };
    let mut model = Model::new(threads);
    let mut ops = Vec::with_capacity(cfg.ops);
    let mut episodes = 0;
    while ops.len() < cfg.ops {
        if episodes < 2
            && g.rng.chance(3)
            && let Some(ep) = g
                .episode(&model)
                .filter(|ep| ep.len() <= cfg.ops - ops.len())
        {
            episodes += 1;
            for op in ep {
                if op.sent() != Some(Sig::STOP) {
                    model.apply(&op);
                }
                if let Op::Exit(t) = op {
                    g.live[t.0] = false;
                }
                ops.push(op);
            }
            continue;
        }
        let mut chosen = Op::Pending(Tid(0));
        for _ in 0..50 {
            let op = g.op();
            // SIGSTOP on its own only while a single thread lives (module docs).
            if op.sent() == Some(Sig::STOP) && model.live_threads().len() > 1 {
                continue;
            }
            let mut next = model.clone();
            next.apply(&op);
            // With `fatal`, an op that may kill or stop still gets through now and then, so
            // traces run a while before they end; one that may stop only while a single
            // thread lives (see the module docs).
            let may_stop = next.stop_hazard() && next.live_threads().len() > 1;
            if next.safe() || (cfg.fatal && !may_stop && g.rng.chance(10)) {
                chosen = op;
                break;
            }
        }
        model.apply(&chosen);
        if let Op::Exit(t) = chosen {
            g.live[t.0] = false;
        }
        ops.push(chosen);
    }
    Scenario {
        name: format!("seed {seed}"),
        threads,
        orphaned,
        ops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_parsable() {
        let cfg = GenConfig {
            ops: 40,
            threads: None,
            fatal: false,
        };
        for seed in 0..50 {
            let a = generate(seed, &cfg);
            assert_eq!(a, generate(seed, &cfg));
            assert_eq!(a.ops.len(), 40);
            let back = Scenario::parse("gen", &a.to_string()).unwrap();
            assert_eq!(back.ops, a.ops);
            assert_eq!(back.threads, a.threads);
        }
    }

    #[test]
    fn non_fatal_never_sends_default_terminating_to_unblocked() {
        let cfg = GenConfig {
            ops: 60,
            threads: Some(3),
            fatal: false,
        };
        for seed in 0..200 {
            let sc = generate(seed, &cfg);
            let mut m = Model::new(sc.threads);
            for op in &sc.ops {
                // A stop episode's SIGSTOP is undone by its SIGCONT; SIGKILL never comes.
                if op.sent() != Some(Sig::STOP) {
                    m.apply(op);
                }
                assert!(m.safe(), "seed {seed}: unsafe after {op}");
                assert_ne!(op.sent(), Some(Sig::KILL), "seed {seed}: {op}");
            }
        }
    }
}
