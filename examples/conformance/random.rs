//! A seeded scenario generator.
//!
//! Each scenario draws a small palette of signals (so sends collide: coalescing, FIFO,
//! private vs shared, synchronous-first ordering, stop/continue flushes) and then ops from
//! a fixed mix. Without `fatal` it keeps a conservative model of the process and rejects
//! any op after which a signal whose default action terminates, dumps core or stops could
//! reach an unblocked thread while its action may be SIG_DFL; with `fatal` such ops are
//! let through once in a while (and SIGKILL/SIGSTOP appear).

use crate::scenario::{DefaultAction, Disposition, Op, Scenario, Sig, SigSet, Tid};

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
        }
    }

    fn blocked_everywhere(&self, s: Sig) -> bool {
        !unblockable(s) && self.masks.iter().all(|m| m.contains(s))
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
            Op::Action {
                sig,
                disp,
                resethand,
                ..
            } => {
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
            }
            Op::Wait(..) | Op::Pending(_) | Op::RlimitSigpending(_) | Op::Exit(_) => {}
        }
    }

    fn safe(&self) -> bool {
        (1..=64).filter_map(Sig::new).all(|s| !self.hazard(s))
    }
}

struct Gen<'a> {
    rng: Rng,
    palette: Vec<Sig>,
    threads: usize,
    value: i32,
    cfg: &'a GenConfig,
}

impl Gen<'_> {
    fn sig(&mut self) -> Sig {
        self.rng.pick(&self.palette)
    }

    fn tid(&mut self) -> Tid {
        Tid(self.rng.below(self.threads))
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
                Op::Action {
                    sig,
                    disp,
                    nodefer: self.rng.chance(25),
                    resethand: self.rng.chance(20),
                }
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
    let mut g = Gen {
        rng,
        palette,
        threads,
        value: 0,
        cfg,
    };
    let mut model = Model::new(threads);
    let mut ops = Vec::with_capacity(cfg.ops);
    while ops.len() < cfg.ops {
        let mut chosen = Op::Pending(Tid(0));
        for _ in 0..50 {
            let op = g.op();
            let mut next = model.clone();
            next.apply(&op);
            // With `fatal`, an op that may kill or stop still gets through now and then, so
            // traces run a while before they end.
            if next.safe() || (cfg.fatal && g.rng.chance(10)) {
                chosen = op;
                break;
            }
        }
        model.apply(&chosen);
        ops.push(chosen);
    }
    Scenario {
        name: format!("seed {seed}"),
        threads,
        orphaned: false,
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
                m.apply(op);
                assert!(m.safe(), "seed {seed}: unsafe after {op}");
                if let Op::Kill(s) | Op::Tkill(_, s) = op {
                    assert!(!unblockable(*s), "seed {seed}: {op}");
                }
            }
        }
    }
}
