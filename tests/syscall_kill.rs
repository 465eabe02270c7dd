//! kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal:
//! Linux's argument order and permission rules ([`ksignal::docs::rules`], rules 9,
//! 10 and 22 to 28). Each test is named after the fact it checks.

mod common {
    pub mod user_memory;
    pub mod wait;
}
mod syscall_sim;

use ksignal::code;
use ksignal::syscall::{
    Credentials, PidfdTarget, sys_kill, sys_pidfd_send_signal, sys_rt_sigqueueinfo,
    sys_rt_tgsigqueueinfo, sys_tgkill, sys_tkill,
};
use ksignal::syscall::{
    PIDFD_SELF_THREAD, PIDFD_SELF_THREAD_GROUP, PIDFD_SIGNAL_PROCESS_GROUP, PIDFD_SIGNAL_THREAD,
    PIDFD_SIGNAL_THREAD_GROUP,
};
use ksignal::{Errno, Signo};
use syscall_sim::{BAD, BASE, LEN, Mem, Sim, arg, as_thread, assert_errno, neg, put_info, take};

const USR1: usize = 10;
const USR2: usize = 12;

fn shared_has(sim: &Sim, tgid: i32, sig: Signo) -> bool {
    sim.proc(tgid).process.shared_pending().contains(sig)
}

#[test]
fn kill_checks_pid_before_signal_number() {
    as_thread(10, |sim, c, _| {
        assert_errno!(sys_kill(sim, c, 999, 65), ESRCH);
        assert_errno!(sys_kill(sim, c, 20, 65), EINVAL);
        assert_errno!(sys_kill(sim, c, 20, arg(-1)), EINVAL);
    });
}

#[test]
fn kill_int_min_is_esrch_whatever_the_signal() {
    as_thread(10, |sim, c, _| {
        assert_errno!(sys_kill(sim, c, arg(i32::MIN as i64), 0), ESRCH);
        assert_errno!(sys_kill(sim, c, arg(i32::MIN as i64), 65), ESRCH);
    });
}

#[test]
fn kill_signal_zero_checks_existence_and_permission_only() {
    as_thread(10, |sim, c, _| {
        assert_eq!(sys_kill(sim, c, 20, 0), 0);
        assert!(sim.proc(20).process.shared_pending().is_empty());
        assert_errno!(sys_kill(sim, c, 30, 0), EPERM);
        assert_errno!(sys_kill(sim, c, 999, 0), ESRCH);
    });
}

#[test]
fn kill_permission_other_uid_is_eperm_same_uid_allowed() {
    as_thread(10, |sim, c, _| {
        assert_errno!(sys_kill(sim, c, 30, USR1), EPERM);
        assert!(!shared_has(sim, 30, Signo::SIGUSR1));
        assert_eq!(sys_kill(sim, c, 20, USR1), 0);
        assert!(shared_has(sim, 20, Signo::SIGUSR1));
    });
}

#[test]
fn kill_permission_sender_euid_or_uid_against_target_uid_or_suid() {
    let mut sim = Sim::world();
    let target = Credentials {
        uid: 7,
        euid: 99,
        suid: 8,
        cap_kill: false,
    };
    sim.spawn(50, &[50], 50, 50, target);
    for (uid, euid, ok) in [
        (1, 7, true),   // euid == uid
        (1, 8, true),   // euid == suid
        (7, 1, true),   // uid == uid
        (8, 1, true),   // uid == suid
        (1, 99, false), // the target's euid does not count
        (99, 1, false),
    ] {
        let mut c = sim.caller(20);
        c.cred = Credentials {
            uid,
            euid,
            suid: 0,
            cap_kill: false,
        };
        let want = if ok { 0 } else { neg(Errno::EPERM) };
        assert_eq!(sys_kill(&sim, &c, 50, 0), want, "uid {uid} euid {euid}");
    }
    let mut c = sim.caller(20);
    c.cred = Credentials {
        cap_kill: true,
        ..Credentials::user(1)
    };
    assert_eq!(sys_kill(&sim, &c, 50, 0), 0, "CAP_KILL");
}

#[test]
fn kill_same_thread_group_is_always_allowed() {
    let sim = Sim::world();
    let mut c = sim.caller(11);
    c.cred = Credentials::user(4242);
    assert_eq!(sys_kill(&sim, &c, 10, USR1), 0);
    assert_errno!(sys_kill(&sim, &c, 20, USR1), EPERM);
}

#[test]
fn kill_sigcont_is_allowed_within_the_session_only() {
    let mut sim = Sim::world();
    sim.spawn(50, &[50], 50, 10, Credentials::user(3000));
    let c = sim.caller(50);
    assert_eq!(sys_kill(&sim, &c, 20, 18), 0, "SIGCONT, same session");
    assert_errno!(sys_kill(&sim, &c, 20, USR1), EPERM);
    assert_errno!(sys_kill(&sim, &c, 30, 18), EPERM, "other session");
}

#[test]
fn kill_sends_si_user_with_sender_tgid_and_real_uid() {
    let sim = Sim::world();
    let mut c = sim.caller(11);
    c.cred.euid = 0;
    assert_eq!(sys_kill(&sim, &c, 20, USR1), 0);
    let i = take(&sim, 20, Signo::SIGUSR1).unwrap();
    assert_eq!((i.code(), i.pid(), i.uid()), (code::SI_USER, 10, 1000));
}

#[test]
fn kill_of_a_thread_id_is_process_directed() {
    as_thread(20, |sim, c, _| {
        assert_eq!(sys_kill(sim, c, 12, USR2), 0);
        assert!(shared_has(sim, 10, Signo::SIGUSR2));
        assert!(
            take(sim, 11, Signo::SIGUSR2).is_some(),
            "any thread may take it"
        );
    });
}

#[test]
fn kill_reaches_a_process_whose_leader_thread_exited() {
    let mut sim = Sim::world();
    sim.exit_thread(10);
    let c = sim.caller(20);
    assert_eq!(sys_kill(&sim, &c, 10, USR1), 0);
    assert!(shared_has(&sim, 10, Signo::SIGUSR1));
}

#[test]
fn kill_pid_keeps_the_low_32_bits_of_the_register() {
    as_thread(10, |sim, c, _| {
        assert_eq!(sys_kill(sim, c, 0x1_0000_0014, 0x1_0000_000a), 0);
        assert!(shared_has(sim, 20, Signo::SIGUSR1));
    });
}

#[test]
fn kill_zero_signals_the_callers_process_group() {
    as_thread(11, |sim, c, _| {
        assert_eq!(sys_kill(sim, c, 0, USR2), 0);
        assert!(shared_has(sim, 10, Signo::SIGUSR2));
        assert!(shared_has(sim, 40, Signo::SIGUSR2));
        assert!(!shared_has(sim, 20, Signo::SIGUSR2));
    });
}

#[test]
fn kill_negative_pid_signals_that_group_and_empty_group_is_esrch() {
    as_thread(20, |sim, c, _| {
        assert_eq!(sys_kill(sim, c, arg(-10), USR2), 0);
        assert!(shared_has(sim, 10, Signo::SIGUSR2) && shared_has(sim, 40, Signo::SIGUSR2));
        assert_errno!(sys_kill(sim, c, arg(-77), USR2), ESRCH);
        assert_errno!(sys_kill(sim, c, arg(-77), 65), ESRCH);
    });
}

#[test]
fn kill_process_group_succeeds_if_any_member_accepts_else_last_error() {
    let mut sim = Sim::world();
    sim.spawn(50, &[50], 10, 50, Credentials::user(2000));
    let c = sim.caller(20);
    assert_eq!(
        sys_kill(&sim, &c, arg(-10), USR1),
        0,
        "50 refuses, others accept"
    );
    assert!(!shared_has(&sim, 50, Signo::SIGUSR1));
    assert_errno!(sys_kill(&sim, &c, arg(-30), USR1), EPERM);
    assert_errno!(sys_kill(&sim, &c, arg(-10), 65), EINVAL);
}

#[test]
fn kill_minus_one_skips_init_and_the_caller_and_ignores_eperm() {
    let sim = Sim::world();
    let c = sim.caller(10);
    assert_eq!(sys_kill(&sim, &c, arg(-1), USR1), 0);
    assert!(shared_has(&sim, 20, Signo::SIGUSR1) && shared_has(&sim, 40, Signo::SIGUSR1));
    assert!(!shared_has(&sim, 1, Signo::SIGUSR1));
    assert!(!shared_has(&sim, 10, Signo::SIGUSR1));
    assert!(!shared_has(&sim, 30, Signo::SIGUSR1));
    let c = sim.caller(30);
    assert_eq!(
        sys_kill(&sim, &c, arg(-1), USR1),
        0,
        "every target refused: still 0"
    );
    assert_errno!(sys_kill(&sim, &c, arg(-1), 65), EINVAL);
}

#[test]
fn kill_minus_one_with_no_other_process_is_esrch() {
    let mut sim = Sim::new();
    sim.spawn(1, &[1], 1, 1, Credentials::ROOT);
    sim.spawn(10, &[10], 10, 10, Credentials::user(1000));
    let c = sim.caller(10);
    assert_errno!(sys_kill(&sim, &c, arg(-1), USR1), ESRCH);
    assert_errno!(sys_kill(&sim, &c, arg(-1), 65), ESRCH);
}

#[test]
fn tkill_and_tgkill_reject_non_positive_ids_with_einval() {
    as_thread(10, |sim, c, _| {
        for bad in [0, -1, i32::MIN as i64] {
            assert_errno!(sys_tkill(sim, c, arg(bad), USR1), EINVAL);
            assert_errno!(sys_tgkill(sim, c, arg(bad), 11, USR1), EINVAL);
            assert_errno!(sys_tgkill(sim, c, 10, arg(bad), 65), EINVAL);
        }
    });
}

#[test]
fn tgkill_checks_tid_in_tgid_before_signal_number() {
    as_thread(20, |sim, c, _| {
        assert_errno!(sys_tgkill(sim, c, 20, 11, 65), ESRCH);
        assert_errno!(sys_tgkill(sim, c, 20, 11, USR1), ESRCH);
        assert_errno!(sys_tgkill(sim, c, 10, 11, 65), EINVAL);
        assert_errno!(sys_tkill(sim, c, 999, 65), ESRCH);
        assert_errno!(sys_tkill(sim, c, 11, 65), EINVAL);
    });
}

#[test]
fn tkill_queues_privately_with_si_tkill() {
    as_thread(20, |sim, c, _| {
        assert_eq!(sys_tkill(sim, c, 11, USR1), 0);
        assert!(!shared_has(sim, 10, Signo::SIGUSR1));
        assert!(
            take(sim, 12, Signo::SIGUSR1).is_none(),
            "another thread cannot take it"
        );
        let i = take(sim, 11, Signo::SIGUSR1).unwrap();
        assert_eq!((i.code(), i.pid(), i.uid()), (code::SI_TKILL, 20, 1000));
        assert_eq!(sys_tgkill(sim, c, 10, 12, USR2), 0);
        assert!(take(sim, 12, Signo::SIGUSR2).is_some());
    });
}

#[test]
fn tgkill_permission_is_checked_after_lookup() {
    as_thread(30, |sim, c, _| {
        assert_errno!(sys_tgkill(sim, c, 10, 11, USR1), EPERM);
        assert_errno!(sys_tgkill(sim, c, 10, 11, 0), EPERM);
    });
}

#[test]
fn tkill_of_an_exited_thread_is_esrch() {
    let mut sim = Sim::world();
    sim.exit_thread(12);
    let c = sim.caller(20);
    assert_errno!(sys_tkill(&sim, &c, 12, USR1), ESRCH);
}

#[test]
fn rt_sigqueueinfo_impersonation_from_another_task_is_eperm_before_lookup() {
    as_thread(20, |sim, c, m| {
        for si_code in [code::SI_USER, code::SI_KERNEL, 1, code::SI_TKILL] {
            put_info(m, BASE, 10, si_code, 0);
            assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 999, USR1, BASE), EPERM);
            assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 10, USR1, BASE), EPERM);
        }
        put_info(m, BASE, 10, code::SI_QUEUE, 0);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 999, USR1, BASE), ESRCH);
    });
}

#[test]
fn rt_sigqueueinfo_to_self_may_use_any_code() {
    as_thread(20, |sim, c, m| {
        put_info(m, BASE, 10, code::SI_USER, 77);
        assert_eq!(sys_rt_sigqueueinfo(sim, c, m, 20, USR1, BASE), 0);
        let i = take(sim, 20, Signo::SIGUSR1).unwrap();
        assert_eq!((i.code(), i.value()), (code::SI_USER, 77));
    });
}

#[test]
fn rt_sigqueueinfo_compares_pid_with_the_callers_thread_id() {
    as_thread(11, |sim, c, m| {
        put_info(m, BASE, 10, code::SI_USER, 0);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 10, USR1, BASE), EPERM);
        assert!(take(sim, 10, Signo::SIGUSR1).is_none(), "nothing queued");
    });
}

#[test]
fn rt_sigqueueinfo_replaces_si_signo_with_the_sig_argument() {
    as_thread(10, |sim, c, m| {
        put_info(m, BASE, 5, code::SI_QUEUE, 0xabcd);
        assert_eq!(sys_rt_sigqueueinfo(sim, c, m, 20, 34, BASE), 0);
        let i = take(sim, 20, Signo::new(34).unwrap()).unwrap();
        assert_eq!(
            (i.signo_raw(), i.code(), i.value()),
            (34, code::SI_QUEUE, 0xabcd)
        );
    });
}

#[test]
fn rt_sigqueueinfo_unknown_layout_with_nonzero_expansion_is_e2big() {
    as_thread(10, |sim, c, m| {
        put_info(m, BASE, 10, -100, 0);
        m.put(BASE + 100, &[1]);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 20, USR1, BASE), E2BIG);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 999, USR1, BASE), E2BIG);
        m.put(BASE + 100, &[0]);
        assert_eq!(sys_rt_sigqueueinfo(sim, c, m, 20, USR1, BASE), 0);
        // A known layout ignores the expansion bytes.
        put_info(m, BASE, 10, code::SI_QUEUE, 0);
        m.put(BASE + 100, &[1]);
        assert_eq!(sys_rt_sigqueueinfo(sim, c, m, 20, USR2, BASE), 0);
    });
}

#[test]
fn rt_sigqueueinfo_reads_only_48_bytes_of_a_known_layout() {
    as_thread(10, |sim, c, m| {
        let at = BASE + LEN - 48;
        let mut b = [0u8; 48];
        b[8..12].copy_from_slice(&code::SI_QUEUE.to_ne_bytes());
        m.put(at, &b);
        assert_eq!(sys_rt_sigqueueinfo(sim, c, m, 20, USR1, at), 0);
        b[8..12].copy_from_slice(&(-100i32).to_ne_bytes());
        m.put(at, &b);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 20, USR1, at), EFAULT);
    });
}

#[test]
fn rt_sigqueueinfo_copies_in_before_everything_else() {
    as_thread(10, |sim, c, m| {
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 999, 65, BAD), EFAULT);
    });
}

#[test]
fn rt_sigqueueinfo_checks_pid_before_signal_number_and_has_no_groups() {
    as_thread(10, |sim, c, m| {
        put_info(m, BASE, 0, code::SI_QUEUE, 0);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 999, 65, BASE), ESRCH);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 20, 65, BASE), EINVAL);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 0, USR1, BASE), ESRCH);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, arg(-10), USR1, BASE), ESRCH);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 30, USR1, BASE), EPERM);
    });
}

#[test]
fn rt_sigqueueinfo_over_the_pending_limit_is_eagain() {
    as_thread(10, |sim, c, m| {
        put_info(m, BASE, 0, code::SI_QUEUE, 0);
        let limit = sim.proc(20).process.limit().limit();
        for _ in 0..limit {
            assert_eq!(sys_rt_sigqueueinfo(sim, c, m, 20, 40, BASE), 0);
        }
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 20, 40, BASE), EAGAIN);
    });
}

#[test]
fn rt_tgsigqueueinfo_si_user_to_another_thread_of_the_same_process_is_eperm() {
    as_thread(11, |sim, c, m| {
        put_info(m, BASE, 0, code::SI_USER, 0);
        assert_errno!(sys_rt_tgsigqueueinfo(sim, c, m, 10, 12, USR1, BASE), EPERM);
        assert_eq!(
            sys_rt_tgsigqueueinfo(sim, c, m, 10, 11, USR1, BASE),
            0,
            "itself"
        );
        put_info(m, BASE, 0, code::SI_QUEUE, 5);
        assert_eq!(sys_rt_tgsigqueueinfo(sim, c, m, 10, 12, USR2, BASE), 0);
        let i = take(sim, 12, Signo::SIGUSR2).unwrap();
        assert_eq!((i.code(), i.value()), (code::SI_QUEUE, 5));
        assert!(!shared_has(sim, 10, Signo::SIGUSR2), "thread-directed");
    });
}

#[test]
fn rt_tgsigqueueinfo_copies_in_before_checking_ids() {
    as_thread(11, |sim, c, m| {
        assert_errno!(sys_rt_tgsigqueueinfo(sim, c, m, 0, 0, USR1, BAD), EFAULT);
        put_info(m, BASE, 0, code::SI_QUEUE, 0);
        assert_errno!(sys_rt_tgsigqueueinfo(sim, c, m, 0, 12, USR1, BASE), EINVAL);
        assert_errno!(sys_rt_tgsigqueueinfo(sim, c, m, 20, 12, 65, BASE), ESRCH);
        assert_errno!(sys_rt_tgsigqueueinfo(sim, c, m, 10, 12, 65, BASE), EINVAL);
    });
}

#[test]
fn pidfd_send_signal_checks_flags_first() {
    as_thread(10, |sim, c, m| {
        let both = (PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP) as usize;
        assert_errno!(sys_pidfd_send_signal(sim, c, m, 99, USR1, BAD, 8), EINVAL);
        assert_errno!(
            sys_pidfd_send_signal(sim, c, m, 99, USR1, BAD, both),
            EINVAL
        );
        assert_errno!(sys_pidfd_send_signal(sim, c, m, 99, USR1, BAD, 0), EBADF);
    });
}

#[test]
fn pidfd_send_signal_scope_follows_pidfd_then_flags() {
    let mut sim = Sim::world();
    sim.pidfds.push((
        3,
        PidfdTarget {
            pid: 10,
            thread: false,
        },
    ));
    sim.pidfds.push((
        4,
        PidfdTarget {
            pid: 12,
            thread: true,
        },
    ));
    let c = sim.caller(20);
    let m = Mem::new();
    assert_eq!(sys_pidfd_send_signal(&sim, &c, &m, 3, USR1, 0, 0), 0);
    assert!(shared_has(&sim, 10, Signo::SIGUSR1));
    assert_eq!(sys_pidfd_send_signal(&sim, &c, &m, 4, USR2, 0, 0), 0);
    let i = take(&sim, 12, Signo::SIGUSR2).unwrap();
    assert_eq!(i.code(), code::SI_TKILL);
    let pg = PIDFD_SIGNAL_PROCESS_GROUP as usize;
    assert_eq!(sys_pidfd_send_signal(&sim, &c, &m, 3, USR2, 0, pg), 0);
    assert!(shared_has(&sim, 40, Signo::SIGUSR2), "process group 10");
    assert_errno!(sys_pidfd_send_signal(&sim, &c, &m, 3, 65, 0, 0), EINVAL);
}

#[test]
fn pidfd_send_signal_info_must_match_sig_and_not_impersonate() {
    as_thread(10, |sim, c, m| {
        let me = arg(PIDFD_SELF_THREAD as i64);
        let us = arg(PIDFD_SELF_THREAD_GROUP as i64);
        put_info(m, BASE, 12, code::SI_QUEUE, 0);
        assert_errno!(sys_pidfd_send_signal(sim, c, m, me, USR1, BASE, 0), EINVAL);
        put_info(m, BASE, 10, code::SI_USER, 0);
        assert_eq!(
            sys_pidfd_send_signal(sim, c, m, me, USR1, BASE, 0),
            0,
            "to itself"
        );
        let c11 = sim.caller(11);
        assert_errno!(
            sys_pidfd_send_signal(sim, &c11, m, us, USR1, BASE, 0),
            EPERM
        );
        put_info(m, BASE, 10, code::SI_QUEUE, 0);
        assert_eq!(sys_pidfd_send_signal(sim, &c11, m, us, USR1, BASE, 0), 0);
    });
}

#[test]
fn rt_sigqueueinfo_positive_code_above_its_limit_is_an_unknown_layout() {
    as_thread(10, |sim, c, m| {
        put_info(m, BASE, 10, 200, 0);
        m.put(BASE + 100, &[1]);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 999, USR1, BASE), E2BIG);
        m.put(BASE + 100, &[0]);
        assert_errno!(sys_rt_sigqueueinfo(sim, c, m, 999, USR1, BASE), EPERM);
    });
}

#[test]
fn kernel_hears_what_each_send_did_and_sigcont_resumes_a_stopped_group() {
    as_thread(10, |sim, c, _| {
        let t20 = sim.thread(20);
        t20.sigprocmask(ksignal::MaskHow::SetMask, ksignal::SignalSet::EMPTY);
        assert_eq!(sys_kill(sim, c, 20, Signo::SIGSTOP.get() as usize), 0);
        assert_eq!(
            t20.get_signal(),
            Some(ksignal::Delivery::Stop(Signo::SIGSTOP))
        );
        assert_eq!(sys_kill(sim, c, 20, Signo::SIGCONT.get() as usize), 0);
        let sent = sim.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 2);
        assert_eq!((sent[0].0, sent[0].1, sent[0].2.resumed), (20, 19, false));
        assert_eq!(
            (sent[1].0, sent[1].1, sent[1].2.resumed),
            (20, 18, true),
            "SIGCONT continued the stopped group"
        );
        // The null signal sends nothing, so the kernel hears nothing.
        assert_eq!(sys_kill(sim, c, 20, 0), 0);
        assert_eq!(sim.sent.lock().unwrap().len(), 2);
    });
}
