//! PendingSignals against the rules of [`ksignal::docs::rules`] it carries out
//! (rules 1, 2, 11 to 15, 30 and 40 to 42), a reference model, and a flood at the
//! RLIMIT_SIGPENDING bound.

use ksignal::code;
use ksignal::{Errno, PendingLimit, PendingSignals, PutOutcome, SignalInfo, SignalSet, Signo};
use proptest::prelude::*;

fn sig(n: u32) -> Signo {
    Signo::new(n).unwrap()
}

/// Puts `info` as the signal it names.
fn put(
    p: &mut PendingSignals,
    info: SignalInfo,
    limit: &PendingLimit,
) -> Result<PutOutcome, Errno> {
    p.put(info.signo().unwrap(), Some(&info), limit)
}

/// A fresh queue holding `info`, which [`put`] reports queued.
fn queued_alone(info: SignalInfo, limit: &PendingLimit) -> PendingSignals {
    let mut p = PendingSignals::new();
    assert_eq!(put(&mut p, info, limit), Ok(PutOutcome::Queued));
    p
}

fn queue_info(s: Signo, value: u64) -> SignalInfo {
    SignalInfo::queue(s, 100, 1000, value)
}

#[test]
fn std_signal_coalesces_keeping_first_info() {
    let limit = PendingLimit::unlimited();
    let mut p = PendingSignals::new();
    assert_eq!(
        put(&mut p, SignalInfo::user(Signo::SIGUSR1, 1, 10), &limit),
        Ok(PutOutcome::Queued)
    );
    assert_eq!(
        put(&mut p, SignalInfo::user(Signo::SIGUSR1, 2, 20), &limit),
        Ok(PutOutcome::Coalesced)
    );
    let (s, info) = p.dequeue(SignalSet::ALL, &limit).unwrap();
    assert_eq!((s, info.pid(), info.uid()), (Signo::SIGUSR1, 1, 10));
    assert_eq!(p.dequeue(SignalSet::ALL, &limit), None);
    assert_eq!(limit.queued(), 0);
}

#[test]
fn rt_signal_queues_one_entry_per_send_in_fifo_order() {
    let limit = PendingLimit::unlimited();
    let mut p = PendingSignals::new();
    for v in 1..=3 {
        put(&mut p, queue_info(Signo::SIGRTMIN, v), &limit).unwrap();
    }
    put(&mut p, SignalInfo::user(Signo::SIGRTMIN, 5, 5), &limit).unwrap();
    assert_eq!(
        p.queued_for(Signo::SIGRTMIN),
        4,
        "kill() queues a real-time signal too (rule 2)"
    );
    let got: Vec<u64> = (0..3)
        .map(|_| p.dequeue(SignalSet::ALL, &limit).unwrap().1.value())
        .collect();
    assert_eq!(got, [1, 2, 3]);
    assert!(
        p.pending().contains(Signo::SIGRTMIN),
        "bit stays while an entry is left"
    );
    assert_eq!(
        p.dequeue(SignalSet::ALL, &limit).unwrap().1.code(),
        code::SI_USER
    );
    assert!(p.is_empty(), "bit clears with the last entry");
}

#[test]
fn dequeue_takes_synchronous_signals_first_then_lowest() {
    let limit = PendingLimit::unlimited();
    let mut p = PendingSignals::new();
    for n in [40, 1, 31, 11, 7] {
        put(&mut p, SignalInfo::user(sig(n), 0, 0), &limit).unwrap();
    }
    let order: Vec<u32> = std::iter::from_fn(|| p.dequeue(SignalSet::ALL, &limit))
        .map(|(s, _)| s.get())
        .collect();
    assert_eq!(
        order,
        [7, 11, 31, 1, 40],
        "BUS and SEGV first, then SYS (also synchronous), then lowest"
    );
}

#[test]
fn dequeue_respects_the_allowed_set() {
    let limit = PendingLimit::unlimited();
    let mut p = PendingSignals::new();
    p.put(Signo::SIGHUP, None, &limit).unwrap();
    p.put(Signo::SIGTERM, None, &limit).unwrap();
    assert_eq!(
        p.dequeue(SignalSet::single(Signo::SIGTERM), &limit)
            .map(|x| x.0),
        Some(Signo::SIGTERM)
    );
    assert_eq!(p.dequeue(SignalSet::single(Signo::SIGTERM), &limit), None);
    assert_eq!(p.pending(), SignalSet::single(Signo::SIGHUP));
}

#[test]
fn first_queued_fault_with_kernel_code_is_taken_first() {
    let limit = PendingLimit::unlimited();
    let mut p = PendingSignals::new();
    put(&mut p, SignalInfo::user(Signo::SIGUSR1, 1, 1), &limit).unwrap();
    put(&mut p, SignalInfo::fault(Signo::SIGSEGV, 1, 0x10), &limit).unwrap();
    put(&mut p, SignalInfo::fault(Signo::SIGBUS, 2, 0x20), &limit).unwrap();
    let mut info = SignalInfo::ZERO;
    let s = p
        .dequeue_synchronous(SignalSet::ALL, &limit, &mut info)
        .unwrap();
    assert_eq!(
        (s, info.addr()),
        (Signo::SIGSEGV, 0x10),
        "arrival order, not lowest number (rule 41)"
    );
    // A fault sent by kill() (si_code SI_USER) is not a synchronous fault.
    let mut q = PendingSignals::new();
    put(&mut q, SignalInfo::user(Signo::SIGSEGV, 1, 1), &limit).unwrap();
    assert_eq!(
        q.dequeue_synchronous(SignalSet::ALL, &limit, &mut info),
        None
    );
    assert_eq!(
        q.dequeue_synchronous(SignalSet::EMPTY, &limit, &mut info),
        None
    );
}

#[test]
fn sigkill_sets_only_the_pending_bit() {
    let limit = PendingLimit::new(0);
    let mut p = queued_alone(SignalInfo::user(Signo::SIGKILL, 9, 9), &limit);
    assert_eq!(p.queued(), 0);
    let (_, info) = p.dequeue(SignalSet::ALL, &limit).unwrap();
    assert_eq!((info.code(), info.pid()), (code::SI_USER, 0));
}

#[test]
fn kill_sent_standard_signal_bypasses_the_limit_but_counts() {
    let limit = PendingLimit::new(0);
    let mut p = queued_alone(SignalInfo::user(Signo::SIGUSR1, 4, 5), &limit);
    assert_eq!(limit.queued(), 1, "still charged (rule 13)");
    assert_eq!(p.dequeue(SignalSet::ALL, &limit).unwrap().1.pid(), 4);
    assert_eq!(limit.queued(), 0);
}

#[test]
fn over_limit_rt_sigqueue_is_eagain_and_changes_nothing() {
    let limit = PendingLimit::new(1);
    let mut p = queued_alone(queue_info(sig(40), 1), &limit);
    assert_eq!(
        put(&mut p, queue_info(sig(41), 2), &limit),
        Err(Errno::EAGAIN)
    );
    assert!(!p.pending().contains(sig(41)));
    assert_eq!(limit.queued(), 1);
    let tk = SignalInfo::tkill(sig(41), 1, 1);
    assert_eq!(
        p.put(sig(41), Some(&tk), &limit),
        Err(Errno::EAGAIN),
        "SI_TKILL is not SI_USER"
    );
}

#[test]
fn over_limit_other_signals_lose_their_info() {
    let limit = PendingLimit::new(0);
    let mut p = PendingSignals::new();
    // A standard signal via sigqueue (si_code < 0) and a real-time one via kill().
    assert_eq!(
        put(&mut p, queue_info(Signo::SIGUSR2, 7), &limit),
        Ok(PutOutcome::InfoLost)
    );
    assert_eq!(
        put(&mut p, SignalInfo::user(sig(50), 3, 3), &limit),
        Ok(PutOutcome::InfoLost)
    );
    for expected in [Signo::SIGUSR2, sig(50)] {
        let (s, info) = p.dequeue(SignalSet::ALL, &limit).unwrap();
        assert_eq!(s, expected);
        assert_eq!(
            (info.code(), info.pid(), info.uid(), info.value()),
            (code::SI_USER, 0, 0, 0),
            "rule 15"
        );
    }
}

#[test]
fn limit_n_allows_exactly_n_queued_entries() {
    for n in [0usize, 1, 3] {
        let limit = PendingLimit::new(n);
        let mut p = PendingSignals::new();
        let ok = (0..5)
            .filter(|v| put(&mut p, queue_info(sig(33), *v), &limit).is_ok())
            .count();
        assert_eq!(ok, n);
    }
}

#[test]
fn infoless_rt_instance_behind_queued_entries_is_never_received() {
    let limit = PendingLimit::new(1);
    let mut p = queued_alone(queue_info(sig(35), 1), &limit);
    assert_eq!(
        put(&mut p, SignalInfo::user(sig(35), 2, 2), &limit),
        Ok(PutOutcome::InfoLost)
    );
    assert_eq!(p.dequeue(SignalSet::ALL, &limit).unwrap().1.value(), 1);
    assert_eq!(p.dequeue(SignalSet::ALL, &limit), None, "rule 42");
}

#[test]
fn infoless_rt_instances_alone_merge_into_one() {
    let limit = PendingLimit::new(0);
    let mut p = PendingSignals::new();
    for _ in 0..3 {
        put(&mut p, SignalInfo::user(sig(35), 2, 2), &limit).unwrap();
    }
    assert_eq!(
        p.dequeue(SignalSet::ALL, &limit).unwrap().1.code(),
        code::SI_USER
    );
    assert_eq!(p.dequeue(SignalSet::ALL, &limit), None);
}

#[test]
fn limit_is_shared_by_every_store_of_a_user() {
    let limit = PendingLimit::new(2);
    let (mut a, mut b) = (PendingSignals::new(), PendingSignals::new());
    put(&mut a, queue_info(sig(40), 1), &limit).unwrap();
    put(&mut b, queue_info(sig(40), 2), &limit).unwrap();
    assert_eq!(
        put(&mut a, queue_info(sig(40), 3), &limit),
        Err(Errno::EAGAIN)
    );
    b.dequeue(SignalSet::ALL, &limit).unwrap();
    assert!(
        put(&mut a, queue_info(sig(40), 3), &limit).is_ok(),
        "charge returned on dequeue"
    );
}

#[test]
fn flush_removes_every_instance_and_returns_the_charge() {
    let limit = PendingLimit::unlimited();
    let mut p = PendingSignals::new();
    for v in 0..4 {
        put(&mut p, queue_info(sig(45), v), &limit).unwrap();
    }
    put(&mut p, SignalInfo::user(Signo::SIGTSTP, 1, 1), &limit).unwrap();
    p.put(Signo::SIGTTIN, None, &limit).unwrap();
    put(&mut p, SignalInfo::user(Signo::SIGHUP, 1, 1), &limit).unwrap();
    assert_eq!(p.flush(SignalSet::STOP, &limit), 1, "TTIN had no siginfo");
    assert_eq!(p.flush(SignalSet::single(sig(45)), &limit), 4);
    assert_eq!(p.pending(), SignalSet::single(Signo::SIGHUP));
    assert_eq!(limit.queued(), 1);
    // The freed nodes are reused.
    let heap = p.heap_bytes();
    for v in 0..4 {
        put(&mut p, queue_info(sig(45), v), &limit).unwrap();
    }
    assert_eq!(p.heap_bytes(), heap);
}

/// The flood: a million real-time sends into a store limited to 128, drained a
/// little at a time. The bound holds, every refusal is EAGAIN, and every accepted
/// value arrives exactly once, in FIFO order per signal.
/// A siginfo as `copy_siginfo_from_user` takes it: `si_signo` is `s`, the other 44
/// bytes Linux keeps (`si_errno`, `si_code`, the hole after it, the union) come from
/// `seed`, and the rest is zero.
fn raw_info(s: Signo, seed: u64) -> SignalInfo {
    let mut b = [0u8; 128];
    let mut x = seed;
    for byte in &mut b[4..48] {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *byte = (x >> 56) as u8;
    }
    b[..4].copy_from_slice(&(s.get() as i32).to_ne_bytes());
    SignalInfo::from_bytes(b)
}

#[test]
fn queued_siginfo_reads_back_every_kernel_byte_with_the_signal_as_si_signo() {
    let limit = PendingLimit::unlimited();
    let mut p = PendingSignals::new();
    for s in [Signo::SIGUSR1, Signo::SIGSEGV, Signo::SIGRTMIN, sig(64)] {
        let info = raw_info(s, u64::from(s.get()) * 77);
        p.put(s, Some(&info), &limit).unwrap();
        assert_eq!(
            p.dequeue(SignalSet::ALL, &limit),
            Some((s, info)),
            "all 48 bytes round-trip, as through Linux's queue"
        );
        // `put` keeps the signal as si_signo: Linux's senders make them agree
        // (rt_sigqueueinfo replaces the caller's, rule 26).
        let mut other = *info.as_bytes();
        other[..4].copy_from_slice(&7i32.to_ne_bytes());
        p.put(s, Some(&SignalInfo::from_bytes(other)), &limit)
            .unwrap();
        let (got_sig, got) = p.dequeue(SignalSet::ALL, &limit).unwrap();
        assert_eq!((got_sig, got), (s, info), "si_signo reads as {s:?}");
    }
    assert_eq!(limit.queued(), 0);
}

#[test]
fn million_rt_signals_respect_the_limit_and_lose_nothing_else() {
    const SENDS: u64 = 1_000_000;
    let limit = PendingLimit::new(128);
    let mut p = PendingSignals::new();
    let mut accepted = 0u64;
    let mut refused = 0u64;
    let mut received = 0u64;
    let mut last_value = [None::<u64>; 65];
    let mut max_queued = 0;
    let mut expected_refusals = 0u64;
    let mut drain = |p: &mut PendingSignals, n: usize, received: &mut u64| {
        for _ in 0..n {
            let Some((s, info)) = p.dequeue(SignalSet::ALL, &limit) else {
                break;
            };
            let v = info.value();
            assert_eq!(v % 33 + 32, s.get() as u64, "value belongs to its signal");
            if let Some(prev) = last_value[s.get() as usize] {
                assert!(v > prev, "FIFO per signal");
            }
            last_value[s.get() as usize] = Some(v);
            *received += 1;
        }
    };
    for v in 0..SENDS {
        let s = sig((v % 33 + 32) as u32);
        if limit.queued() == 128 {
            expected_refusals += 1;
        }
        match put(&mut p, queue_info(s, v), &limit) {
            Ok(PutOutcome::Queued) => accepted += 1,
            Err(Errno::EAGAIN) => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
        max_queued = max_queued.max(limit.queued());
        if v % 7 == 0 {
            drain(&mut p, 3, &mut received);
        }
    }
    drain(&mut p, usize::MAX, &mut received);
    assert_eq!(max_queued, 128);
    assert_eq!(refused, expected_refusals);
    assert!(refused > 0 && accepted > 0);
    assert_eq!(accepted + refused, SENDS);
    assert_eq!(received, accepted);
    assert_eq!(limit.queued(), 0);
    assert!(p.is_empty());
    assert!(
        p.heap_bytes() <= 64 * 8 + 256 * 64,
        "storage stays near the bound: {}",
        p.heap_bytes()
    );
}

// ---- Reference model: Linux's `struct sigpending` as a set plus one list. ----

#[derive(Default)]
struct Model {
    set: SignalSet,
    list: Vec<(Signo, SignalInfo)>,
    charged: usize,
}

impl Model {
    fn put(
        &mut self,
        s: Signo,
        info: Option<SignalInfo>,
        limit: usize,
    ) -> Result<PutOutcome, Errno> {
        if !s.is_realtime() && self.set.contains(s) {
            return Ok(PutOutcome::Coalesced);
        }
        if s == Signo::SIGKILL {
            self.set.insert(s);
            return Ok(PutOutcome::Queued);
        }
        let Some(info) = info else {
            self.set.insert(s);
            return Ok(PutOutcome::Queued);
        };
        let bypass = !s.is_realtime() && info.code() >= 0;
        if bypass || self.charged < limit {
            self.list.push((s, info));
            self.charged += 1;
            self.set.insert(s);
            return Ok(PutOutcome::Queued);
        }
        if s.is_realtime() && info.code() != code::SI_USER {
            return Err(Errno::EAGAIN);
        }
        self.set.insert(s);
        Ok(PutOutcome::InfoLost)
    }

    fn dequeue(&mut self, allowed: SignalSet) -> Option<(Signo, SignalInfo)> {
        let s = (self.set & allowed).next_signal()?;
        let mut hits = self
            .list
            .iter()
            .enumerate()
            .filter(|(_, e)| e.0 == s)
            .map(|(i, _)| i);
        let first = hits.next();
        if hits.next().is_none() {
            self.set.remove(s);
        }
        Some(match first {
            Some(i) => {
                self.charged -= 1;
                self.list.remove(i)
            }
            None => (s, SignalInfo::infoless(s)),
        })
    }

    fn flush(&mut self, set: SignalSet) -> usize {
        let before = self.list.len();
        self.list.retain(|(s, _)| !set.contains(*s));
        let freed = before - self.list.len();
        self.charged -= freed;
        self.set = self.set - set;
        freed
    }
}

#[derive(Debug, Clone)]
enum Op {
    Put { sig: u32, kind: u8, value: u64 },
    Dequeue { allowed: u64 },
    Flush { set: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let sig = prop_oneof![1u32..=64, Just(9), 30u32..=36, Just(64)];
    prop_oneof![
        4 => (sig, 0u8..6, any::<u64>()).prop_map(|(sig, kind, value)| Op::Put { sig, kind, value }),
        3 => prop_oneof![Just(u64::MAX), any::<u64>()].prop_map(|allowed| Op::Dequeue { allowed }),
        1 => any::<u64>().prop_map(|set| Op::Flush { set: set & set.rotate_left(7) }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn random_sequences_match_the_reference_model(limit in 0usize..6, ops in proptest::collection::vec(op(), 1..120)) {
        let account = PendingLimit::new(limit);
        let mut store = PendingSignals::new();
        let mut model = Model::default();
        for op in ops {
            match op {
                Op::Put { sig: n, kind, value } => {
                    let s = sig(n);
                    let info = match kind {
                        0 => None,
                        1 => Some(SignalInfo::user(s, value as i32, 1)),
                        2 => Some(SignalInfo::queue(s, 1, 1, value)),
                        3 => Some(SignalInfo::tkill(s, value as i32, 1)),
                        4 => Some(SignalInfo::kernel(s)),
                        _ => Some(raw_info(s, value)),
                    };
                    prop_assert_eq!(store.put(s, info.as_ref(), &account), model.put(s, info, limit));
                }
                Op::Dequeue { allowed } => {
                    let allowed = SignalSet::from_bits(allowed);
                    prop_assert_eq!(store.dequeue(allowed, &account), model.dequeue(allowed));
                }
                Op::Flush { set } => {
                    let set = SignalSet::from_bits(set);
                    prop_assert_eq!(store.flush(set, &account), model.flush(set));
                }
            }
            prop_assert_eq!(store.pending(), model.set);
            prop_assert_eq!(account.queued(), model.charged);
            prop_assert_eq!(store.queued(), model.charged);
        }
    }
}
