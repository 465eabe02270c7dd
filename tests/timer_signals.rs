//! Timer signals (the crate's catalogue, rules 60 to 64): POSIX timers' preallocated
//! entries, `SI_TIMER` siginfo, overruns, rearming at delivery, deletion, ignored
//! timers, and the interval timers. A fake clock plays the kernel's part: it
//! forwards a periodic timer when the crate asks for a rearm.

mod common {
    pub mod delivery;
    pub mod group;
    pub mod wait;
}

use common::delivery::{deliver_all, handled};
use common::group::{Process, Thread, group, process_with_limit};
use common::wait::CondvarQueue;
use ksignal::SaFlags;
use ksignal::code;
use ksignal::timer::{SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID};
use ksignal::{
    Errno, Fate, Itimer, MaskHow, PosixTimer, SigEvent, SignalAction, SignalInfo, SignalSet, Signo,
    TimerFire, TimerRearm, TimerStatus,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

type Timer = PosixTimer<CondvarQueue>;

fn rt(n: u32) -> Signo {
    Signo::new(n).unwrap()
}

fn handler() -> SignalAction {
    SignalAction::handler(0x1000, SaFlags::SIGINFO, SignalSet::EMPTY)
}

fn event(sig: Signo, value: u64) -> SigEvent {
    SigEvent {
        value,
        signo: sig.get() as i32,
        notify: SIGEV_SIGNAL,
        tid: 0,
    }
}

/// Timer 1, one-shot, sending rt(40) with value 0, armed and expired once: its
/// signal queued (`TimerFire::Queued`).
fn fired_once(p: &Arc<Process>) -> Timer {
    let timer = Timer::create(p, 1, Some(&event(rt(40), 0)), None, None).unwrap();
    timer.set(true, false);
    assert_eq!(timer.expire(), TimerFire::Queued);
    timer
}

/// A `sigqueue` of `sig` with `value` to the process (SI_QUEUE from pid 1).
fn sigqueue(p: &Process, sig: Signo, value: u64) {
    p.send(sig, Some(&SignalInfo::queue(sig, 1, 0, value)))
        .unwrap();
}

/// The kernel's periodic timer as a fake clock sees it: an expiry time and an
/// interval; `rearm` forwards the expiry past `now` by whole intervals.
struct FakeTimer {
    now: AtomicU64,
    expires: AtomicU64,
    interval: u64,
    rearms: AtomicU32,
}

impl FakeTimer {
    fn new(first: u64, interval: u64) -> Arc<FakeTimer> {
        Arc::new(FakeTimer {
            now: AtomicU64::new(first),
            expires: AtomicU64::new(first),
            interval,
            rearms: AtomicU32::new(0),
        })
    }
}

impl TimerRearm for FakeTimer {
    fn rearm(&self) -> u64 {
        self.rearms.fetch_add(1, Ordering::Relaxed);
        let now = self.now.load(Ordering::Relaxed);
        let exp = self.expires.load(Ordering::Relaxed);
        if self.interval == 0 || now < exp {
            return 0;
        }
        let n = (now - exp) / self.interval + 1;
        self.expires
            .store(exp + n * self.interval, Ordering::Relaxed);
        n
    }
}

/// Timer 7 (`sig`, value 0xabc), periodic on a fake clock whose first expiry is at
/// `first`, then every `interval`: the clock and the armed timer.
fn periodic(p: &Arc<Process>, sig: Signo, first: u64, interval: u64) -> (Arc<FakeTimer>, Timer) {
    let clock = FakeTimer::new(first, interval);
    let t = Timer::create(p, 7, Some(&event(sig, 0xabc)), None, Some(clock.clone())).unwrap();
    t.set(true, true);
    (clock, t)
}

// ---- rule 60: preallocated entry, SI_TIMER siginfo, targets, good_sigevent ----

#[test]
fn rule60_timer_signal_never_fails_with_eagain_and_is_charged_once_at_create() {
    let p = process_with_limit(1);
    let account = p.limit();
    let t = Thread::new(&p, 100, SignalSet::ALL, CondvarQueue::default()).unwrap();
    let timer = Timer::create(&p, 3, Some(&event(rt(40), 5)), None, None).unwrap();
    assert_eq!(
        account.queued(),
        1,
        "the timer holds one charge for its life"
    );
    // The user's count is at its limit: an rt_sigqueueinfo is refused...
    assert_eq!(
        p.send(rt(40), Some(&SignalInfo::queue(rt(40), 1, 0, 9))),
        Err(Errno::EAGAIN)
    );
    // ...but the timer's signal uses its preallocated entry.
    timer.set(true, false);
    assert_eq!(timer.expire(), TimerFire::Queued);
    assert_eq!(account.queued(), 1, "queueing the entry charges nothing");
    let (sig, info) = t.sigtimedwait(SignalSet::single(rt(40)), None).unwrap();
    assert_eq!(sig, rt(40));
    assert_eq!(info.code(), code::SI_TIMER);
    assert_eq!(account.queued(), 1, "dequeueing it gives nothing back");
    drop(timer);
    assert_eq!(
        account.queued(),
        0,
        "deleting the timer gives the charge back"
    );
}

#[test]
fn rule60_timer_create_over_rlimit_sigpending_is_eagain() {
    let p = process_with_limit(0);
    let account = p.limit();
    let _t = Thread::new(&p, 100, SignalSet::EMPTY, CondvarQueue::default()).unwrap();
    let err = Timer::create(&p, 1, None, None, None).unwrap_err();
    assert_eq!(err, Errno::EAGAIN);
    assert_eq!(account.queued(), 0);
    // The group's own limit is the one compared (task_rlimit of the creator).
    p.set_rlimit_sigpending(Some(1));
    assert!(Timer::create(&p, 1, None, None, None).is_ok());
}

#[test]
fn rule60_timer_siginfo_carries_si_timer_tid_value_and_zero_overrun() {
    let (p, t) = group(1, SignalSet::ALL);
    let timer = Timer::create(&p, 42, Some(&event(rt(35), 0xdead_beef)), None, None).unwrap();
    timer.set(true, false);
    assert_eq!(timer.expire(), TimerFire::Queued);
    let (sig, info) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(sig, rt(35));
    assert_eq!(info.signo_raw(), 35);
    assert_eq!(info.code(), code::SI_TIMER);
    assert_eq!(info.timer_id(), 42);
    assert_eq!(info.value(), 0xdead_beef);
    assert_eq!(info.overrun(), 0);
    assert_eq!(timer.status(), TimerStatus::Disarmed, "a one-shot is spent");
}

#[test]
fn rule60_null_sigevent_means_sigalrm_to_the_process_with_the_id_as_value() {
    let (p, t) = group(1, SignalSet::ALL);
    let timer = Timer::create(&p, 9, None, None, None).unwrap();
    timer.set(true, false);
    timer.expire();
    assert_eq!(p.shared_pending(), SignalSet::single(Signo::SIGALRM));
    let (sig, info) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(sig, Signo::SIGALRM);
    assert_eq!(info.value_int(), 9);
    assert_eq!(info.timer_id(), 9);
}

#[test]
fn rule60_timer_signal_is_never_queued_twice() {
    let (p, t) = group(1, SignalSet::ALL);
    let timer = fired_once(&p);
    assert_eq!(timer.expire(), TimerFire::AlreadyPending);
    // A sigqueue of the same real-time signal still queues behind it.
    sigqueue(&p, rt(40), 3);
    let (_, first) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    let (_, second) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(first.code(), code::SI_TIMER);
    assert_eq!(second.code(), code::SI_QUEUE);
    assert!(t[0].sigpending().is_empty());
}

#[test]
fn rule60_sigev_thread_id_timer_signal_reaches_only_its_thread() {
    let (p, t) = group(3, SignalSet::EMPTY);
    let ev = SigEvent {
        value: 1,
        signo: Signo::SIGUSR1.get() as i32,
        notify: SIGEV_SIGNAL | SIGEV_THREAD_ID,
        tid: 102,
    };
    assert!(ev.names_thread());
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    let timer = Timer::create(&p, 1, Some(&ev), Some(&t[2]), None).unwrap();
    timer.set(true, false);
    assert_eq!(timer.expire(), TimerFire::Queued);
    assert!(p.shared_pending().is_empty(), "not process-directed");
    assert!(!t[0].has_pending() && !t[1].has_pending());
    assert!(t[2].has_pending());
    assert!(deliver_all(&t[0]).is_empty());
    assert!(deliver_all(&t[1]).is_empty());
    assert_eq!(handled(&deliver_all(&t[2])), [Signo::SIGUSR1.get()]);
}

#[test]
fn rule60_good_sigevent_rejects_bad_notify_signo_and_foreign_thread() {
    let (p, t) = group(1, SignalSet::EMPTY);
    let account = p.limit();
    let (other, ot) = group(1, SignalSet::EMPTY);
    let _ = &other;
    let bad = |notify: i32, signo: i32, tid: i32| SigEvent {
        value: 0,
        signo,
        notify,
        tid,
    };
    let cases = [
        (bad(3, 10, 0), None),
        (bad(5, 10, 100), Some(&t[0])),
        (bad(SIGEV_THREAD_ID | SIGEV_THREAD, 10, 100), Some(&t[0])),
        (bad(-1, 10, 0), None),
        (bad(SIGEV_SIGNAL, 0, 0), None),
        (bad(SIGEV_SIGNAL, 65, 0), None),
        (bad(SIGEV_THREAD, -3, 0), None),
        (bad(SIGEV_THREAD_ID, 10, 100), None),
        (bad(SIGEV_THREAD_ID, 10, 100), Some(&ot[0])),
        (bad(SIGEV_THREAD_ID, 0, 100), Some(&t[0])),
    ];
    for (ev, thread) in cases {
        assert_eq!(
            Timer::create(&p, 1, Some(&ev), thread, None).unwrap_err(),
            Errno::EINVAL,
            "{ev:?}"
        );
        assert_eq!(account.queued(), 0, "nothing left charged");
    }
    // SIGEV_NONE does not check its signal; SIGEV_THREAD is SIGEV_SIGNAL here.
    assert!(Timer::create(&p, 1, Some(&bad(SIGEV_NONE, 999, 0)), None, None).is_ok());
    assert!(Timer::create(&p, 2, Some(&bad(SIGEV_THREAD, 64, 0)), None, None).is_ok());
}

#[test]
fn rule60_sigev_none_timer_never_signals() {
    let (p, t) = group(1, SignalSet::EMPTY);
    let ev = SigEvent {
        notify: SIGEV_NONE,
        ..event(Signo::SIGUSR1, 0)
    };
    let timer = Timer::create(&p, 1, Some(&ev), None, None).unwrap();
    timer.set(true, true);
    assert_eq!(timer.status(), TimerStatus::Disarmed);
    assert_eq!(timer.expire(), TimerFire::NoTarget);
    assert!(!t[0].has_pending());
}

#[test]
fn rule60_timer_of_an_exited_thread_has_no_target() {
    let (p, mut t) = group(2, SignalSet::ALL);
    let account = p.limit();
    let ev = SigEvent {
        notify: SIGEV_THREAD_ID,
        tid: 101,
        ..event(rt(40), 0)
    };
    let timer = Timer::create(&p, 1, Some(&ev), Some(&t[1]), None).unwrap();
    timer.set(true, false);
    assert_eq!(timer.expire(), TimerFire::Queued);
    t.pop().unwrap().exit();
    timer.set(true, false);
    assert_eq!(timer.expire(), TimerFire::NoTarget);
    assert!(t[0].sigpending().is_empty());
    drop(timer);
    assert_eq!(account.queued(), 0);
}

#[test]
fn rule60_timer_sigev_value_reaches_the_signal_hooks() {
    let (p, _t) = group(1, SignalSet::ALL);
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let _h = p
        .hooks()
        .register(
            SignalSet::single(rt(41)),
            Arc::new(move |_, e: &ksignal::HookEvent| {
                assert_eq!(e.code, code::SI_TIMER);
                s2.store(e.value, Ordering::Relaxed);
            }),
        )
        .unwrap();
    let timer = Timer::create(&p, 1, Some(&event(rt(41), 77)), None, None).unwrap();
    timer.set(true, false);
    timer.expire();
    assert_eq!(seen.load(Ordering::Relaxed), 77);
}

// ---- rule 61: overruns ----

#[test]
fn rule61_periodic_timer_blocked_for_five_periods_delivers_once_with_overrun_4() {
    let (p, t) = group(1, SignalSet::single(rt(40)));
    p.sigaction(rt(40), Some(handler())).unwrap();
    let (clock, timer) = periodic(&p, rt(40), 10, 10);
    // First expiry at 10: queued; the kernel does not restart the timer.
    assert_eq!(timer.expire(), TimerFire::Queued);
    assert_eq!(timer.status(), TimerStatus::RequeuePending);
    // Four more periods pass while the signal stays blocked.
    clock.now.store(54, Ordering::Relaxed);
    t[0].sigprocmask(MaskHow::Unblock, SignalSet::single(rt(40)));
    let d = deliver_all(&t[0]);
    assert_eq!(handled(&d), [40]);
    let ksignal::Delivery::Handler(h) = d[0] else {
        unreachable!()
    };
    assert_eq!(h.info.overrun(), 4);
    assert_eq!(
        timer.overrun(),
        4,
        "timer_getoverrun: the last delivered one"
    );
    assert_eq!(timer.status(), TimerStatus::Armed);
    assert_eq!(clock.rearms.load(Ordering::Relaxed), 1);
    assert_eq!(clock.expires.load(Ordering::Relaxed), 60);
    // The handler returns; the next expiry, delivered on time, has no overrun.
    t[0].restore_saved_mask(SignalSet::EMPTY);
    clock.now.store(60, Ordering::Relaxed);
    assert_eq!(timer.expire(), TimerFire::Queued);
    let d = deliver_all(&t[0]);
    let ksignal::Delivery::Handler(h) = d[0] else {
        unreachable!()
    };
    assert_eq!(h.info.overrun(), 0);
    assert_eq!(timer.overrun(), 0);
}

#[test]
fn rule61_timer_getoverrun_is_clamped_to_int_max() {
    let (p, t) = group(1, SignalSet::ALL);
    let (clock, timer) = periodic(&p, rt(40), 1, 1);
    timer.expire();
    clock
        .now
        .store(1 + 3 * (i32::MAX as u64), Ordering::Relaxed);
    let (_, info) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(info.overrun(), i32::MAX);
    assert_eq!(timer.overrun(), i32::MAX);
}

#[test]
fn rule61_overrun_is_never_negative_without_a_rearm_callback() {
    let (p, t) = group(1, SignalSet::ALL);
    let timer = Timer::create(&p, 1, Some(&event(rt(40), 0)), None, None).unwrap();
    timer.set(true, true);
    timer.expire();
    let (_, info) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(info.overrun(), 0);
    assert_eq!(timer.overrun(), 0);
    assert_eq!(timer.status(), TimerStatus::Armed);
}

#[test]
fn rule61_settime_and_gettime_forwarding_count_as_linux_does() {
    let (p, t) = group(1, SignalSet::ALL);
    let (clock, timer) = periodic(&p, rt(40), 10, 10);
    timer.expire();
    clock.now.store(35, Ordering::Relaxed);
    // timer_gettime on a requeue-pending timer forwards it (here by 3) and counts.
    timer.add_overrun(3);
    clock.expires.store(40, Ordering::Relaxed);
    clock.now.store(41, Ordering::Relaxed);
    let (_, info) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(info.overrun(), -1 + 3 + 1);
    // timer_settime resets the last overrun.
    timer.set(true, true);
    assert_eq!(timer.overrun(), 0);
}

// ---- rule 62: rearm at delivery, stale signals dropped ----

#[test]
fn rule62_deleted_timer_signal_stays_pending_until_a_dequeue_drops_it() {
    let (p, t) = group(1, SignalSet::ALL);
    let account = p.limit();
    p.sigaction(rt(40), Some(handler())).unwrap();
    let timer = fired_once(&p);
    timer.delete();
    // Linux 6.18 leaves the entry queued: sigpending still shows it...
    assert_eq!(t[0].sigpending(), SignalSet::single(rt(40)));
    assert_eq!(
        account.queued(),
        1,
        "the queued entry keeps the timer's charge"
    );
    // ...and the dequeue drops it and looks again: nothing is delivered.
    t[0].sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    assert!(deliver_all(&t[0]).is_empty());
    assert!(t[0].sigpending().is_empty());
    assert_eq!(account.queued(), 0);
}

#[test]
fn rule62_dropped_timer_signal_lets_the_dequeue_take_the_next_one() {
    let (p, t) = group(1, SignalSet::ALL);
    let timer = fired_once(&p);
    sigqueue(&p, rt(40), 3);
    sigqueue(&p, rt(33), 4);
    drop(timer);
    let (sig, info) = t[0]
        .sigtimedwait(SignalSet::single(rt(40)), Some(std::time::Duration::ZERO))
        .unwrap();
    assert_eq!(
        (sig, info.code(), info.value()),
        (rt(40), code::SI_QUEUE, 3)
    );
    assert_eq!(
        t[0].sigtimedwait(SignalSet::single(rt(40)), Some(std::time::Duration::ZERO)),
        Err(Errno::EAGAIN)
    );
}

#[test]
fn rule62_timer_set_again_drops_the_signal_queued_before() {
    let (p, t) = group(1, SignalSet::ALL);
    let (clock, timer) = periodic(&p, rt(40), 10, 10);
    timer.expire();
    timer.set(true, true);
    assert_eq!(
        t[0].sigtimedwait(SignalSet::ALL, Some(std::time::Duration::ZERO)),
        Err(Errno::EAGAIN)
    );
    assert_eq!(
        clock.rearms.load(Ordering::Relaxed),
        0,
        "not rearmed either"
    );
    // Expiring again after the set re-validates the still-queued entry.
    timer.expire();
    timer.set(true, true);
    timer.expire();
    assert_eq!(timer.expire(), TimerFire::AlreadyPending);
    let (_, info) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(info.code(), code::SI_TIMER);
    assert_eq!(clock.rearms.load(Ordering::Relaxed), 1);
}

#[test]
fn rule62_exec_flushes_si_timer_entries_forged_ones_too() {
    let (p, t) = group(1, SignalSet::ALL);
    let account = p.limit();
    let timer = fired_once(&p);
    drop(timer);
    let forged = SignalInfo::timer(rt(41), 5, 0, 0);
    p.send(rt(41), Some(&forged)).unwrap();
    sigqueue(&p, rt(42), 0);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    t[0].flush_itimer_signals();
    assert_eq!(
        t[0].sigpending(),
        [rt(42), Signo::SIGUSR1].into_iter().collect()
    );
    assert_eq!(account.queued(), 1, "only the SI_QUEUE entry is left");
}

// ---- rule 63: ignored timer signals ----

#[test]
fn rule63_ignored_periodic_timer_is_parked_and_requeued_when_the_handler_changes() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.sigaction(rt(40), Some(SignalAction::IGNORE)).unwrap();
    let (clock, timer) = periodic(&p, rt(40), 10, 10);
    assert_eq!(timer.expire(), TimerFire::Ignored);
    assert!(t[0].sigpending().is_empty() && !t[0].has_pending());
    assert_eq!(timer.status(), TimerStatus::RequeuePending, "not rearmed");
    // A handler is installed: the parked signal is queued again and its delivery
    // rearms the timer, counting the periods it missed.
    clock.now.store(31, Ordering::Relaxed);
    p.sigaction(rt(40), Some(handler())).unwrap();
    assert!(t[0].has_pending());
    let d = deliver_all(&t[0]);
    assert_eq!(handled(&d), [40]);
    let ksignal::Delivery::Handler(h) = d[0] else {
        unreachable!()
    };
    assert_eq!(h.info.overrun(), 2);
    assert_eq!(clock.rearms.load(Ordering::Relaxed), 1);
}

#[test]
fn rule63_ignored_oneshot_timer_signal_is_dropped() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.sigaction(rt(40), Some(SignalAction::IGNORE)).unwrap();
    let timer = Timer::create(&p, 1, Some(&event(rt(40), 0)), None, None).unwrap();
    timer.set(true, false);
    assert_eq!(timer.expire(), TimerFire::Ignored);
    p.sigaction(rt(40), Some(handler())).unwrap();
    assert!(!t[0].has_pending());
    assert!(deliver_all(&t[0]).is_empty());
}

#[test]
fn rule63_sig_ign_moves_a_queued_periodic_timer_signal_to_the_ignored_list() {
    let (p, t) = group(1, SignalSet::single(rt(40)));
    let account = p.limit();
    let (_clock, timer) = periodic(&p, rt(40), 10, 10);
    assert_eq!(timer.expire(), TimerFire::Queued);
    p.sigaction(rt(40), Some(SignalAction::IGNORE)).unwrap();
    assert!(t[0].sigpending().is_empty(), "flushed by SIG_IGN");
    // From SIG_IGN to SIG_DFL (not ignoring for a real-time signal): re-queued.
    p.sigaction(rt(40), Some(SignalAction::DEFAULT)).unwrap();
    assert_eq!(t[0].sigpending(), SignalSet::single(rt(40)));
    let (_, info) = t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(info.timer_id(), 7);
    drop(timer);
    assert_eq!(account.queued(), 0);
}

#[test]
fn rule63_blocked_ignored_timer_signal_is_queued_like_any_blocked_signal() {
    let (p, t) = group(1, SignalSet::single(rt(40)));
    p.sigaction(rt(40), Some(SignalAction::IGNORE)).unwrap();
    let (_clock, timer) = periodic(&p, rt(40), 10, 10);
    assert_eq!(timer.expire(), TimerFire::Queued);
    assert_eq!(t[0].sigpending(), SignalSet::single(rt(40)));
}

#[test]
fn rule63_deleting_a_parked_timer_gives_its_charge_back() {
    let (p, _t) = group(1, SignalSet::EMPTY);
    let account = p.limit();
    p.sigaction(rt(40), Some(SignalAction::IGNORE)).unwrap();
    let (_clock, timer) = periodic(&p, rt(40), 10, 10);
    assert_eq!(timer.expire(), TimerFire::Ignored);
    drop(timer);
    assert_eq!(account.queued(), 0);
    p.sigaction(rt(40), Some(handler())).unwrap();
}

// ---- rule 64: interval timers ----

struct CountRearm(AtomicU32);

impl TimerRearm for CountRearm {
    fn rearm(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed);
        1
    }
}

#[test]
fn rule64_itimers_send_sigalrm_sigvtalrm_sigprof_as_si_kernel() {
    let (p, t) = group(1, SignalSet::ALL);
    for which in [Itimer::Real, Itimer::Virtual, Itimer::Prof] {
        assert_eq!(p.itimer_expired(which).unwrap().fate, Fate::Queued);
    }
    let want: SignalSet = [Signo::SIGALRM, Signo::SIGVTALRM, Signo::SIGPROF]
        .into_iter()
        .collect();
    assert_eq!(p.shared_pending(), want);
    for sig in want {
        let (got, info) = t[0].sigtimedwait(SignalSet::single(sig), None).unwrap();
        assert_eq!(got, sig);
        assert_eq!(info.code(), code::SI_KERNEL);
        assert_eq!((info.pid(), info.uid()), (0, 0));
    }
    // A second expiry while the first is pending coalesces (standard signal).
    p.itimer_expired(Itimer::Real).unwrap();
    assert_eq!(
        p.itimer_expired(Itimer::Real).unwrap().fate,
        Fate::Coalesced
    );
}

#[test]
fn rule64_sigalrm_dequeued_from_the_shared_queue_rearms_itimer_real() {
    let (p, t) = group(1, SignalSet::ALL);
    let rearm = Arc::new(CountRearm(AtomicU32::new(0)));
    p.set_itimer_real_rearm(Some(rearm.clone()));
    p.itimer_expired(Itimer::Real).unwrap();
    t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(rearm.0.load(Ordering::Relaxed), 1);
    // As in Linux, any SIGALRM taken from the shared queue does it (kill too)...
    p.send(
        Signo::SIGALRM,
        Some(&SignalInfo::user(Signo::SIGALRM, 1, 0)),
    )
    .unwrap();
    t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(rearm.0.load(Ordering::Relaxed), 2);
    // ...but not one from the private queue (tgkill).
    t[0].send(Signo::SIGALRM, None).unwrap();
    t[0].sigtimedwait(SignalSet::ALL, None).unwrap();
    assert_eq!(rearm.0.load(Ordering::Relaxed), 2);
}

#[test]
fn rule64_itimer_which_other_than_real_virtual_prof_is_einval() {
    assert_eq!(Itimer::from_raw(0), Ok(Itimer::Real));
    assert_eq!(Itimer::from_raw(1), Ok(Itimer::Virtual));
    assert_eq!(Itimer::from_raw(2), Ok(Itimer::Prof));
    for w in [-1, 3, 4, i32::MAX, i32::MIN] {
        assert_eq!(Itimer::from_raw(w), Err(Errno::EINVAL));
    }
}

#[test]
fn sigevent_bytes_follow_the_uapi_layout() {
    let ev = SigEvent {
        value: 0x1122_3344_5566_7788,
        signo: 34,
        notify: SIGEV_THREAD_ID,
        tid: 4242,
    };
    let b = ev.to_bytes();
    assert_eq!(&b[0..8], &0x1122_3344_5566_7788u64.to_ne_bytes());
    assert_eq!(&b[8..12], &34i32.to_ne_bytes());
    assert_eq!(&b[12..16], &4i32.to_ne_bytes());
    assert_eq!(&b[16..20], &4242i32.to_ne_bytes());
    assert_eq!(SigEvent::from_bytes(&b), ev);
}
