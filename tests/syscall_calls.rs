//! rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigtimedwait, rt_sigsuspend,
//! pause, sigaltstack and signalfd4: Linux's argument order ([`ksignal::docs::rules`], rules
//! 29 to 37). Each test is named after the fact it checks.

mod common {
    pub mod signalfd_files;
    pub mod user_memory;
    pub mod wait;
}
mod syscall_sim;

use common::signalfd_files::Files;
use ksignal::code;
use ksignal::syscall::{
    SignalFdTable, sys_kill, sys_pause, sys_rt_sigaction, sys_rt_sigpending, sys_rt_sigprocmask,
    sys_rt_sigsuspend, sys_rt_sigtimedwait, sys_sigaltstack, sys_signalfd4, sys_tkill,
};
use ksignal::{Arch, Errno, SignalAction, SignalInfo, SignalSet, Signo};
use ksignal::{Disposition, SaFlags};
use ksignal::{SFD_CLOEXEC, SFD_NONBLOCK, SfdFlags, SignalFd};
use ksignal::{SignalStack, StackT};
use linux_raw_sys::general as abi;
use std::sync::Arc;
use std::time::{Duration, Instant};
use syscall_sim::{BAD, BASE, Mem, Sim, arg, as_thread, assert_errno, neg, take};

const ACT: usize = BASE;
const OACT: usize = BASE + 0x100;
const SET: usize = BASE + 0x200;
const OSET: usize = BASE + 0x300;
const INFO: usize = BASE + 0x400;
const TS: usize = BASE + 0x500;

/// Writes a host `struct sigaction` (handler, flags, restorer, mask on x86_64).
fn put_act(m: &mut Mem, at: usize, handler: u64, flags: u64, mask: u64) {
    let a = SignalAction::new(
        Disposition::from_raw(handler as usize),
        SaFlags::from_bits_retain(flags),
        SignalSet::from_bits(mask),
        0,
    );
    let mut b = [0u8; 32];
    let n = a.write_user_bytes(&mut b, Arch::HOST).unwrap();
    // write_user_bytes sanitises the flags; put the raw ones back.
    b[8..16].copy_from_slice(&flags.to_ne_bytes());
    m.put(at, &b[..n]);
}

fn get_act(m: &Mem, at: usize) -> SignalAction {
    SignalAction::from_user_bytes(&m.get(at, Arch::HOST.sigaction_size()), Arch::HOST).unwrap()
}

fn sigset(sigs: &[Signo]) -> SignalSet {
    sigs.iter().copied().collect()
}

// ---- rt_sigaction ([rule 29], [rule 30]) ----

#[test]
fn rt_sigaction_sigsetsize_other_than_8_is_einval() {
    as_thread(10, |_, c, m| {
        for size in [0, 4, 7, 9, 16, usize::MAX] {
            assert_errno!(sys_rt_sigaction(c, m, 10, 0, OACT, size), EINVAL);
        }
        assert_errno!(sys_rt_sigaction(c, m, 10, BAD, OACT, 16), EINVAL);
    });
}

#[test]
fn rt_sigaction_signal_out_of_range_is_einval() {
    as_thread(10, |_, c, m| {
        put_act(m, ACT, 0x1000, 0, 0);
        for sig in [0i64, 65, -1, 1 << 40] {
            assert_errno!(sys_rt_sigaction(c, m, arg(sig), ACT, 0, 8), EINVAL);
            assert_errno!(sys_rt_sigaction(c, m, arg(sig), 0, OACT, 8), EINVAL);
        }
    });
}

#[test]
fn rt_sigaction_copies_act_in_before_checking_the_signal() {
    as_thread(10, |_, c, m| {
        assert_errno!(sys_rt_sigaction(c, m, 65, BAD, 0, 8), EFAULT);
        assert_errno!(sys_rt_sigaction(c, m, 9, BAD, 0, 8), EFAULT);
    });
}

#[test]
fn rt_sigaction_setting_sigkill_or_sigstop_is_einval_querying_works() {
    as_thread(10, |_, c, m| {
        put_act(m, ACT, 0, 0, 0);
        for sig in [9, 19] {
            assert_errno!(sys_rt_sigaction(c, m, sig, ACT, 0, 8), EINVAL, "SIG_DFL");
            assert_errno!(sys_rt_sigaction(c, m, sig, ACT, OACT, 8), EINVAL);
            assert_eq!(sys_rt_sigaction(c, m, sig, 0, OACT, 8), 0);
            assert_eq!(get_act(m, OACT), SignalAction::DEFAULT);
        }
    });
}

#[test]
fn rt_sigaction_bad_oact_installs_the_action_and_returns_efault() {
    as_thread(10, |_, c, m| {
        put_act(m, ACT, 0x4000, abi::SA_SIGINFO as u64, 0);
        assert_errno!(sys_rt_sigaction(c, m, 10, ACT, BAD, 8), EFAULT);
        assert_eq!(
            c.process().actions().get(Signo::SIGUSR1).disposition(),
            Disposition::Handler(0x4000)
        );
    });
}

#[test]
fn rt_sigaction_clears_unknown_flags_in_what_is_stored_and_read_back() {
    as_thread(10, |_, c, m| {
        let unknown = 0x0000_0100u64 | abi::SA_UNSUPPORTED as u64 | (1 << 40);
        let flags = abi::SA_RESTART as u64 | abi::SA_SIGINFO as u64;
        let mask = u64::MAX;
        put_act(m, ACT, 0x4000, flags | unknown, mask);
        assert_eq!(sys_rt_sigaction(c, m, 10, ACT, OACT, 8), 0);
        assert_eq!(get_act(m, OACT), SignalAction::DEFAULT, "old action");
        assert_eq!(sys_rt_sigaction(c, m, 10, 0, OACT, 8), 0);
        let raw_flags = m.get_u64(OACT + 8);
        assert_eq!(
            raw_flags, flags,
            "unknown bits cleared in what is read back"
        );
        let got = get_act(m, OACT);
        assert!(!got.mask().contains(Signo::SIGKILL) && !got.mask().contains(Signo::SIGSTOP));
        assert_eq!(got.mask().len(), 62);
    });
}

#[test]
fn rt_sigaction_sig_ign_discards_a_pending_blocked_signal() {
    as_thread(10, |sim, c, m| {
        assert_eq!(sys_tkill(sim, c, 10, 10), 0);
        assert_eq!(sim.thread(10).sigpending(), sigset(&[Signo::SIGUSR1]));
        put_act(m, ACT, 1, 0, 0);
        assert_eq!(sys_rt_sigaction(c, m, 10, ACT, 0, 8), 0);
        assert!(sim.thread(10).sigpending().is_empty());
    });
}

// ---- rt_sigprocmask ([rule 31], [rule 32]) ----

#[test]
fn rt_sigprocmask_sigsetsize_other_than_8_is_einval() {
    as_thread(10, |_, c, m| {
        for size in [0, 4, 16] {
            assert_errno!(sys_rt_sigprocmask(c, m, 0, SET, OSET, size), EINVAL);
            assert_errno!(sys_rt_sigprocmask(c, m, 0, 0, 0, size), EINVAL);
        }
    });
}

#[test]
fn rt_sigprocmask_bad_how_is_einval_only_with_a_set() {
    as_thread(10, |_, c, m| {
        m.put_set(SET, SignalSet::EMPTY);
        for how in [3i64, -1, 0x7fff_ffff] {
            assert_eq!(sys_rt_sigprocmask(c, m, arg(how), 0, OSET, 8), 0);
            assert_errno!(sys_rt_sigprocmask(c, m, arg(how), SET, OSET, 8), EINVAL);
        }
        assert_errno!(sys_rt_sigprocmask(c, m, 3, BAD, OSET, 8), EFAULT);
        assert_eq!(
            c.thread.blocked(),
            SignalSet::ALL.without_unblockable(),
            "unchanged"
        );
    });
}

#[test]
fn rt_sigprocmask_drops_sigkill_and_sigstop_silently() {
    as_thread(10, |_, c, m| {
        m.put_set(SET, SignalSet::EMPTY);
        assert_eq!(sys_rt_sigprocmask(c, m, 2, SET, 0, 8), 0);
        m.put_set(
            SET,
            sigset(&[Signo::SIGKILL, Signo::SIGSTOP, Signo::SIGUSR1]),
        );
        assert_eq!(sys_rt_sigprocmask(c, m, 0, SET, OSET, 8), 0);
        assert_eq!(m.get_set(OSET), SignalSet::EMPTY);
        assert_eq!(c.thread.blocked(), sigset(&[Signo::SIGUSR1]));
        assert_eq!(sys_rt_sigprocmask(c, m, 1, SET, OSET, 8), 0, "SIG_UNBLOCK");
        assert_eq!(m.get_set(OSET), sigset(&[Signo::SIGUSR1]));
        assert!(c.thread.blocked().is_empty());
    });
}

#[test]
fn rt_sigprocmask_bad_oset_changes_the_mask_and_returns_efault() {
    as_thread(10, |_, c, m| {
        m.put_set(SET, sigset(&[Signo::SIGUSR2]));
        assert_errno!(sys_rt_sigprocmask(c, m, 2, SET, BAD, 8), EFAULT);
        assert_eq!(c.thread.blocked(), sigset(&[Signo::SIGUSR2]));
    });
}

#[test]
fn rt_sigprocmask_how_keeps_the_low_32_bits() {
    as_thread(10, |_, c, m| {
        m.put_set(SET, sigset(&[Signo::SIGUSR2]));
        assert_eq!(sys_rt_sigprocmask(c, m, 0x1_0000_0002, SET, 0, 8), 0);
        assert_eq!(c.thread.blocked(), sigset(&[Signo::SIGUSR2]));
    });
}

// ---- rt_sigpending ([rule 33]) ----

#[test]
fn rt_sigpending_accepts_sizes_up_to_8_and_rejects_16() {
    as_thread(10, |sim, c, m| {
        assert_eq!(sys_tkill(sim, c, 10, 10), 0);
        assert_eq!(sys_kill(sim, c, 10, 12), 0);
        assert_eq!(sys_rt_sigpending(c, m, 0, 0), 0, "NULL with size 0");
        assert_eq!(sys_rt_sigpending(c, m, BAD, 0), 0);
        assert_errno!(sys_rt_sigpending(c, m, SET, 16), EINVAL);
        assert_errno!(sys_rt_sigpending(c, m, SET, 9), EINVAL);
        m.put_u64(SET, u64::MAX);
        assert_eq!(sys_rt_sigpending(c, m, SET, 1), 0);
        // Only the first byte (signals 1..=8, none pending) is written.
        assert_eq!(m.get_u64(SET), u64::MAX << 8);
        assert_eq!(sys_rt_sigpending(c, m, SET, 8), 0);
        assert_eq!(m.get_set(SET), sigset(&[Signo::SIGUSR1, Signo::SIGUSR2]));
        assert_errno!(sys_rt_sigpending(c, m, BAD, 8), EFAULT);
    });
}

#[test]
fn rt_sigpending_reports_only_blocked_pending_signals() {
    as_thread(10, |sim, c, m| {
        assert_eq!(sys_tkill(sim, c, 10, 10), 0);
        m.put_set(SET, sigset(&[Signo::SIGUSR2]));
        assert_eq!(sys_rt_sigprocmask(c, m, 2, SET, 0, 8), 0);
        // SIGUSR1 is now unblocked and deliverable: not reported.
        assert_eq!(sys_rt_sigpending(c, m, SET, 8), 0);
        assert_eq!(m.get_set(SET), SignalSet::EMPTY);
    });
}

// ---- rt_sigtimedwait ([rule 34], [rule 35]) ----

fn put_ts(m: &mut Mem, sec: i64, nsec: i64) {
    m.put(TS, &sec.to_ne_bytes());
    m.put(TS + 8, &nsec.to_ne_bytes());
}

#[test]
fn rt_sigtimedwait_invalid_timespec_is_einval_before_dequeue() {
    as_thread(10, |sim, c, m| {
        assert_eq!(sys_tkill(sim, c, 10, 10), 0);
        m.put_set(SET, sigset(&[Signo::SIGUSR1]));
        for (s, ns) in [
            (0, 1_000_000_000),
            (0, -1),
            (-1, 0),
            (i64::MIN, 0),
            (0, i64::MAX),
        ] {
            put_ts(m, s, ns);
            assert_errno!(sys_rt_sigtimedwait(c, m, SET, INFO, TS, 8), EINVAL);
        }
        assert_eq!(
            c.thread.sigpending(),
            sigset(&[Signo::SIGUSR1]),
            "still pending"
        );
    });
}

#[test]
fn rt_sigtimedwait_argument_order_size_set_timespec() {
    as_thread(10, |_, c, m| {
        put_ts(m, -1, 0);
        assert_errno!(sys_rt_sigtimedwait(c, m, BAD, INFO, TS, 4), EINVAL);
        assert_errno!(sys_rt_sigtimedwait(c, m, BAD, INFO, TS, 8), EFAULT);
        m.put_set(SET, SignalSet::EMPTY);
        assert_errno!(sys_rt_sigtimedwait(c, m, SET, INFO, BAD, 8), EFAULT);
    });
}

#[test]
fn rt_sigtimedwait_zero_timeout_with_nothing_pending_is_eagain() {
    as_thread(10, |_, c, m| {
        m.put_set(SET, sigset(&[Signo::SIGUSR1]));
        put_ts(m, 0, 0);
        assert_errno!(sys_rt_sigtimedwait(c, m, SET, INFO, TS, 8), EAGAIN);
    });
}

#[test]
fn rt_sigtimedwait_returns_the_signal_and_its_siginfo() {
    as_thread(10, |sim, c, m| {
        m.put(INFO, &[0xff; 128]);
        assert_eq!(sys_kill(sim, &sim.caller(20), 10, 12), 0);
        m.put_set(SET, sigset(&[Signo::SIGUSR2]));
        put_ts(m, 0, 0);
        assert_eq!(sys_rt_sigtimedwait(c, m, SET, INFO, TS, 8), 12);
        let mut b = [0u8; 128];
        b.copy_from_slice(&m.get(INFO, 128));
        let i = SignalInfo::from_bytes(b);
        assert_eq!((i.signo_raw(), i.code(), i.pid()), (12, code::SI_USER, 20));
        assert!(i.expansion_is_zero(), "bytes 48..128 cleared");
    });
}

#[test]
fn rt_sigtimedwait_bad_info_pointer_is_efault_after_the_signal_was_consumed() {
    as_thread(10, |sim, c, m| {
        assert_eq!(sys_tkill(sim, c, 10, 10), 0);
        m.put_set(SET, sigset(&[Signo::SIGUSR1]));
        assert_errno!(sys_rt_sigtimedwait(c, m, SET, BAD, 0, 8), EFAULT);
        assert!(c.thread.sigpending().is_empty(), "consumed");
        assert!(take(sim, 10, Signo::SIGUSR1).is_none());
    });
}

#[test]
fn rt_sigtimedwait_leaves_out_sigkill_and_sigstop() {
    as_thread(10, |sim, c, m| {
        m.put_set(SET, sigset(&[Signo::SIGSTOP]));
        assert_eq!(sys_tkill(sim, c, 10, 19), 0);
        put_ts(m, 0, 0);
        assert_errno!(sys_rt_sigtimedwait(c, m, SET, 0, TS, 8), EAGAIN);
    });
}

#[test]
fn rt_sigtimedwait_timeout_expires_with_eagain() {
    as_thread(10, |_, c, m| {
        m.put_set(SET, sigset(&[Signo::SIGUSR1]));
        put_ts(m, 0, 20_000_000);
        let t = Instant::now();
        assert_errno!(sys_rt_sigtimedwait(c, m, SET, INFO, TS, 8), EAGAIN);
        assert!(t.elapsed() >= Duration::from_millis(20));
    });
}

#[test]
fn rt_sigtimedwait_is_woken_by_a_signal_of_the_set() {
    let sim = Sim::world();
    let mut m = Mem::new();
    m.put_set(SET, sigset(&[Signo::SIGUSR1]));
    put_ts(&mut m, 5, 0);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let c = sim.caller(11);
            sys_rt_sigtimedwait(&c, &mut m, SET, INFO, TS, 8)
        });
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(sys_tkill(&sim, &sim.caller(20), 11, 10), 0);
        assert_eq!(waiter.join().unwrap(), 10);
    });
}

// ---- rt_sigsuspend and pause ([rule 36]) ----

#[test]
fn rt_sigsuspend_checks_size_then_copies_the_set() {
    as_thread(10, |_, c, m| {
        assert_errno!(sys_rt_sigsuspend(c, m, BAD, 16), EINVAL);
        assert_errno!(sys_rt_sigsuspend(c, m, BAD, 8), EFAULT);
        assert_errno!(sys_rt_sigsuspend(c, m, 0, 8), EFAULT, "NULL is not special");
    });
}

#[test]
fn rt_sigsuspend_returns_erestartnohand_and_restores_the_mask_without_handler() {
    as_thread(10, |sim, c, m| {
        let before = c.thread.blocked();
        assert_eq!(
            sys_tkill(sim, c, 10, 28),
            0,
            "SIGWINCH, blocked: stays queued"
        );
        m.put_set(SET, SignalSet::EMPTY);
        assert_eq!(sys_rt_sigsuspend(c, m, SET, 8), -514);
        assert!(c.thread.blocked().is_empty(), "suspend mask until delivery");
        assert_eq!(c.thread.get_signal(), None, "SIGWINCH ignored by default");
        assert_eq!(
            c.thread.blocked(),
            before,
            "restored at once: no handler ran"
        );
    });
}

#[test]
fn pause_returns_erestartnohand_once_a_signal_is_deliverable() {
    let sim = Sim::world();
    let mut m = Mem::new();
    let c = sim.caller(11);
    m.put_set(SET, SignalSet::EMPTY);
    assert_eq!(sys_rt_sigprocmask(&c, &mut m, 2, SET, 0, 8), 0);
    std::thread::scope(|s| {
        let p = s.spawn(|| sys_pause(&sim.caller(11)));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(sys_tkill(&sim, &sim.caller(20), 11, 28), 0);
        // SIGWINCH unblocked and ignored is discarded at generation: send one that
        // is not ignored but caught.
        let mut act = Mem::new();
        put_act(&mut act, ACT, 0x1000, 0, 0);
        assert_eq!(
            sys_rt_sigaction(&sim.caller(20), &mut act, 10, ACT, 0, 8),
            0
        );
        assert_eq!(sys_tkill(&sim, &sim.caller(20), 11, 10), 0);
        assert_eq!(p.join().unwrap(), -514);
    });
}

// ---- sigaltstack ([rule 37]) ----

const SS: usize = BASE + 0x600;
const OSS: usize = BASE + 0x700;

fn put_ss(m: &mut Mem, sp: usize, flags: u32, size: usize) {
    m.put(
        SS,
        &StackT {
            ss_sp: sp,
            ss_flags: flags,
            ss_size: size,
        }
        .to_bytes(),
    );
}

fn get_ss(m: &Mem, at: usize) -> StackT {
    StackT::from_bytes(&m.get(at, StackT::SIZE).try_into().unwrap())
}

#[test]
fn sigaltstack_bad_mode_is_einval() {
    as_thread(10, |_, c, m| {
        for flags in [3u32, 4, 0x7fff_ffff, abi::SS_AUTODISARM | 8] {
            put_ss(m, 0x8000, flags, 1 << 16);
            assert_errno!(sys_sigaltstack(c, m, SS, OSS, 0), EINVAL);
        }
        assert_eq!(c.thread.altstack(), SignalStack::DISABLED);
    });
}

#[test]
fn sigaltstack_size_below_minimum_is_enomem() {
    as_thread(10, |_, c, m| {
        let min = c.arch.min_sigstksz();
        put_ss(m, 0x8000, 0, min - 1);
        assert_errno!(sys_sigaltstack(c, m, SS, 0, 0), ENOMEM);
        put_ss(m, 0x8000, abi::SS_ONSTACK, min);
        assert_eq!(sys_sigaltstack(c, m, SS, OSS, 0), 0, "SS_ONSTACK accepted");
        assert_eq!(get_ss(m, OSS).ss_flags, abi::SS_DISABLE, "old: none");
        assert_eq!(
            (c.thread.altstack().sp(), c.thread.altstack().size()),
            (0x8000, min)
        );
    });
}

#[test]
fn sigaltstack_change_while_on_it_is_eperm() {
    as_thread(10, |_, c, m| {
        put_ss(m, 0x8000, 0, 0x4000);
        assert_eq!(sys_sigaltstack(c, m, SS, 0, 0), 0);
        let on = 0x9000;
        put_ss(m, 0, abi::SS_DISABLE, 0);
        assert_errno!(sys_sigaltstack(c, m, SS, OSS, on), EPERM);
        assert_eq!(sys_sigaltstack(c, m, 0, OSS, on), 0, "query works");
        assert_eq!(get_ss(m, OSS).ss_flags, abi::SS_ONSTACK);
    });
}

#[test]
fn sigaltstack_ss_disable_ignores_sp_and_size() {
    as_thread(10, |_, c, m| {
        put_ss(m, usize::MAX, abi::SS_DISABLE, 1);
        assert_eq!(sys_sigaltstack(c, m, SS, OSS, 0), 0);
        assert_eq!(
            (c.thread.altstack().sp(), c.thread.altstack().size()),
            (0, 0)
        );
        assert_eq!(
            get_ss(m, OSS),
            StackT {
                ss_sp: 0,
                ss_flags: abi::SS_DISABLE,
                ss_size: 0
            }
        );
    });
}

#[test]
fn sigaltstack_bad_uss_is_efault_and_bad_uoss_efault_after_install() {
    as_thread(10, |_, c, m| {
        assert_errno!(sys_sigaltstack(c, m, BAD, OSS, 0), EFAULT);
        put_ss(m, 0x8000, abi::SS_AUTODISARM, 0x4000);
        assert_errno!(sys_sigaltstack(c, m, SS, BAD, 0), EFAULT);
        assert_eq!(
            (c.thread.altstack().sp(), c.thread.altstack().flags().bits()),
            (0x8000, abi::SS_AUTODISARM)
        );
        assert_eq!(sys_sigaltstack(c, m, 0, OSS, 0x9000), 0);
        assert_eq!(
            get_ss(m, OSS).ss_flags,
            abi::SS_AUTODISARM,
            "never on an autodisarmed stack"
        );
    });
}

// ---- signalfd4 ----

const MASK: usize = BASE + 0x600;

/// Descriptors 0..4: 0 another kind of file, 1 a signalfd for SIGHUP, 2 and 3 free;
/// `mask` in user memory at MASK.
fn signalfd_setup(mask: SignalSet) -> (Mem, Files) {
    let mut m = Mem::new();
    m.put_set(MASK, mask);
    let existing = Arc::new(SignalFd::new(SignalSet::single(Signo::SIGHUP)));
    let slots = vec![Some(None), Some(Some(existing)), None, None];
    (m, Files::new(slots))
}

#[test]
fn signalfd4_checks_size_then_mask_then_flags_then_the_descriptor() {
    let sim = Sim::world();
    let c = sim.caller(10);
    let (m, mut f) = signalfd_setup(SignalSet::ALL);
    // (what is checked, ufd, user_mask, sizemask, flags, the error)
    let rows = [
        ("size first", 7, BAD, 4, arg(-1), Errno::EINVAL),
        ("then the mask", 7, BAD, 8, arg(-1), Errno::EFAULT),
        ("then flags", 7, MASK, 8, 1, Errno::EINVAL),
        ("then the fd", 7, MASK, 8, 0, Errno::EBADF),
        ("only -1 creates", arg(-2), MASK, 8, 0, Errno::EBADF),
        ("not a signalfd", 0, MASK, 8, 0, Errno::EINVAL),
    ];
    for (what, ufd, at, size, flags, e) in rows {
        let r = sys_signalfd4(&c, &m, &mut f, ufd, at, size, flags);
        assert_eq!(r, neg(e), "{what}");
    }
    assert!(f.installed.is_empty(), "nothing was created");
}

#[test]
fn signalfd4_creates_with_its_flags_and_a_sanitised_mask() {
    let sim = Sim::world();
    let c = sim.caller(10);
    let (m, mut f) = signalfd_setup(SignalSet::ALL);
    let flags = (SFD_CLOEXEC | SFD_NONBLOCK) as usize;
    assert_eq!(sys_signalfd4(&c, &m, &mut f, arg(-1), MASK, 8, flags), 2);
    let both = SfdFlags {
        cloexec: true,
        nonblock: true,
    };
    assert_eq!(f.installed, [both]);
    let fd = f.lookup(2).unwrap();
    assert_eq!(fd.mask(), SignalSet::ALL.without_unblockable());
}

#[test]
fn signalfd4_on_a_signalfd_updates_its_mask_and_returns_it() {
    let sim = Sim::world();
    let c = sim.caller(10);
    let (m, mut f) = signalfd_setup(SignalSet::single(Signo::SIGUSR1));
    let before = f.lookup(1).unwrap();
    let nonblock = SFD_NONBLOCK as usize;
    assert_eq!(sys_signalfd4(&c, &m, &mut f, 1, MASK, 8, nonblock), 1);
    assert_eq!(before.mask(), SignalSet::single(Signo::SIGUSR1));
    assert!(f.installed.is_empty(), "no new file, flags not applied");
}
