//! Differential tests against the host kernel (Linux, x86_64): each case runs a
//! raw system call with arguments that fail validation (or that only probe, with
//! signal 0, or that touch only this thread's mask and default-ignored signals),
//! and checks that the syscall layer returns the same value for the same case in
//! the toy kernel. No test sends a signal that could end the test process.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common {
    pub mod user_memory;
    pub mod wait;
}
mod syscall_sim;

use ksignal::StackT;
use ksignal::syscall::{
    sys_kill, sys_rt_sigaction, sys_rt_sigpending, sys_rt_sigprocmask, sys_rt_sigqueueinfo,
    sys_rt_sigtimedwait, sys_rt_tgsigqueueinfo, sys_sigaltstack, sys_tgkill, sys_tkill,
};
use std::sync::Mutex;
use syscall_sim::{BAD, BASE, Mem, Sim, SimCaller, arg, as_thread};

/// Host tests change process-wide dispositions of default-ignored signals and this
/// thread's mask; run them one at a time.
static HOST: Mutex<()> = Mutex::new(());

/// An address the host never maps (the first page).
const HOST_BAD: usize = 8;
/// A pid above `pid_max`'s ceiling (4194304): never a task.
const NO_PID: i64 = 0x3fff_fff0;

/// [`as_thread`], one host test at a time ([`HOST`]).
fn on_host(tid: i32, f: impl FnOnce(&Sim, &SimCaller<'_>, &mut Mem)) {
    let _g = HOST.lock().unwrap_or_else(|e| e.into_inner());
    as_thread(tid, f);
}

fn host(r: libc::c_long) -> isize {
    if r == -1 {
        -(std::io::Error::last_os_error().raw_os_error().unwrap() as isize)
    } else {
        r as isize
    }
}

fn sys(nr: libc::c_long, a: [usize; 4]) -> isize {
    // SAFETY: every call below passes either invalid arguments the kernel rejects
    // before acting, signal 0, or pointers to live buffers of the right size.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3]) })
}

fn gettid() -> i64 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i64 }
}

fn getpid() -> i64 {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() as i64 }
}

fn siginfo(signo: i32, code: i32, expansion_byte: u8) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[..4].copy_from_slice(&signo.to_ne_bytes());
    b[8..12].copy_from_slice(&code.to_ne_bytes());
    b[100] = expansion_byte;
    b
}

#[test]
fn host_kill_checks_pid_before_signal_number() {
    on_host(10, |sim, c, _| {
        let host_missing = sys(libc::SYS_kill, [arg(NO_PID), 65, 0, 0]);
        let host_present = sys(libc::SYS_kill, [arg(getpid()), 65, 0, 0]);
        let host_int_min = sys(libc::SYS_kill, [arg(i32::MIN as i64), 0, 0, 0]);
        assert_eq!(host_missing, -libc::ESRCH as isize);
        assert_eq!(host_present, -libc::EINVAL as isize);
        assert_eq!(host_int_min, -libc::ESRCH as isize);
        assert_eq!(sys_kill(sim, c, 999, 65), host_missing);
        assert_eq!(sys_kill(sim, c, 20, 65), host_present);
        assert_eq!(sys_kill(sim, c, arg(i32::MIN as i64), 0), host_int_min);
        assert_eq!(
            sys_kill(sim, c, arg(-77), 65),
            sys(libc::SYS_kill, [arg(-NO_PID), 65, 0, 0])
        );
    });
}

#[test]
fn host_tkill_tgkill_einval_for_nonpositive_ids_and_esrch_before_einval() {
    on_host(20, |sim, c, _| {
        let (pid, tid) = (getpid(), gettid());
        for (h, ours) in [
            (sys(libc::SYS_tkill, [0, 0, 0, 0]), sys_tkill(sim, c, 0, 0)),
            (
                sys(libc::SYS_tkill, [arg(-1), 65, 0, 0]),
                sys_tkill(sim, c, arg(-1), 65),
            ),
            (
                sys(libc::SYS_tgkill, [0, arg(tid), 0, 0]),
                sys_tgkill(sim, c, 0, 11, 0),
            ),
            (
                sys(libc::SYS_tgkill, [arg(pid), 0, 65, 0]),
                sys_tgkill(sim, c, 10, 0, 65),
            ),
            // The thread exists but is not in that thread group: ESRCH, not EINVAL.
            (
                sys(libc::SYS_tgkill, [arg(NO_PID), arg(tid), 65, 0]),
                sys_tgkill(sim, c, 20, 11, 65),
            ),
            (
                sys(libc::SYS_tgkill, [arg(pid), arg(tid), 65, 0]),
                sys_tgkill(sim, c, 10, 11, 65),
            ),
            (
                sys(libc::SYS_tkill, [arg(NO_PID), 65, 0, 0]),
                sys_tkill(sim, c, 999, 65),
            ),
        ] {
            assert_eq!(ours, h);
        }
    });
}

#[test]
fn host_rt_sigqueueinfo_eperm_before_lookup_and_compares_with_thread_id() {
    let _g = HOST.lock().unwrap_or_else(|e| e.into_inner());
    let sim = Sim::world();
    let mut m = Mem::new();
    let info = siginfo(0, 0, 0); // SI_USER
    let p = info.as_ptr() as usize;
    // A missing pid with SI_USER: EPERM, before the lookup.
    let h = sys(libc::SYS_rt_sigqueueinfo, [arg(NO_PID), 0, p, 0]);
    assert_eq!(h, -libc::EPERM as isize);
    m.put(BASE, &info);
    assert_eq!(
        sys_rt_sigqueueinfo(&sim, &sim.caller(20), &m, 999, 0, BASE),
        h
    );
    // The test runs on a thread other than the main one: its own tgid is not its tid.
    assert_ne!(getpid(), gettid());
    let h = sys(libc::SYS_rt_sigqueueinfo, [arg(getpid()), 0, p, 0]);
    assert_eq!(h, -libc::EPERM as isize);
    assert_eq!(
        sys_rt_sigqueueinfo(&sim, &sim.caller(11), &m, 10, 0, BASE),
        h
    );
    let h = sys(libc::SYS_rt_sigqueueinfo, [arg(gettid()), 0, p, 0]);
    assert_eq!(h, 0);
    assert_eq!(
        sys_rt_sigqueueinfo(&sim, &sim.caller(11), &m, 11, 0, BASE),
        h
    );
    // SI_QUEUE to a missing pid: ESRCH; a bad pointer: EFAULT first.
    let q = siginfo(0, -1, 0);
    m.put(BASE, &q);
    let h = sys(
        libc::SYS_rt_sigqueueinfo,
        [arg(NO_PID), 65, q.as_ptr() as usize, 0],
    );
    assert_eq!(h, -libc::ESRCH as isize);
    assert_eq!(
        sys_rt_sigqueueinfo(&sim, &sim.caller(20), &m, 999, 65, BASE),
        h
    );
    let h = sys(libc::SYS_rt_sigqueueinfo, [arg(NO_PID), 65, HOST_BAD, 0]);
    assert_eq!(h, -libc::EFAULT as isize);
    assert_eq!(
        sys_rt_sigqueueinfo(&sim, &sim.caller(20), &m, 999, 65, BAD),
        h
    );
}

#[test]
fn host_rt_sigqueueinfo_unknown_layout_with_nonzero_expansion_is_e2big() {
    let _g = HOST.lock().unwrap_or_else(|e| e.into_inner());
    let sim = Sim::world();
    let mut m = Mem::new();
    for (code, byte) in [
        (-100, 1u8),
        (-100, 0),
        (200, 1),
        (200, 0),
        (0x80, 1),
        (-1, 1),
    ] {
        let info = siginfo(0, code, byte);
        let h = sys(
            libc::SYS_rt_sigqueueinfo,
            [arg(NO_PID), 0, info.as_ptr() as usize, 0],
        );
        m.put(BASE, &info);
        let ours = sys_rt_sigqueueinfo(&sim, &sim.caller(20), &m, 999, 0, BASE);
        assert_eq!(ours, h, "si_code {code} expansion byte {byte}");
    }
}

#[test]
fn host_rt_tgsigqueueinfo_si_user_to_another_thread_is_eperm() {
    let _g = HOST.lock().unwrap_or_else(|e| e.into_inner());
    let sim = Sim::world();
    let mut m = Mem::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        tx.send(gettid()).unwrap();
        let _ = done_rx.recv();
    });
    let other_tid = rx.recv().unwrap();
    let info = siginfo(0, 0, 0);
    m.put(BASE, &info);
    let h = sys(
        libc::SYS_rt_tgsigqueueinfo,
        [arg(getpid()), arg(other_tid), 0, info.as_ptr() as usize],
    );
    assert_eq!(h, -libc::EPERM as isize);
    assert_eq!(
        sys_rt_tgsigqueueinfo(&sim, &sim.caller(11), &m, 10, 12, 0, BASE),
        h
    );
    let h = sys(
        libc::SYS_rt_tgsigqueueinfo,
        [0, arg(other_tid), 0, info.as_ptr() as usize],
    );
    assert_eq!(
        sys_rt_tgsigqueueinfo(&sim, &sim.caller(11), &m, 0, 12, 0, BASE),
        h
    );
    let h = sys(libc::SYS_rt_tgsigqueueinfo, [0, 0, 0, HOST_BAD]);
    assert_eq!(
        sys_rt_tgsigqueueinfo(&sim, &sim.caller(11), &m, 0, 0, 0, BAD),
        h
    );
    drop(done_tx);
    other.join().unwrap();
}

#[test]
fn host_rt_sigaction_order_and_flag_clearing() {
    on_host(10, |_, c, m| {
        let mut act = [0u64; 4]; // handler, flags, restorer, mask
        let mut old = [0u64; 4];
        let ap = act.as_mut_ptr() as usize;
        let op = old.as_mut_ptr() as usize;
        m.put(BASE, &[0u8; 32]);
        let cases: [(usize, usize, usize, usize, usize, usize); 7] = [
            // (sig, act, oact, size) on the host, then (act, oact) in the toy
            (9, ap, 0, 8, BASE, 0),
            (9, 0, op, 8, 0, BASE + 64),
            (19, ap, op, 8, BASE, BASE + 64),
            (65, HOST_BAD, 0, 8, BAD, 0),
            (0, 0, op, 8, 0, BASE + 64),
            (28, ap, op, 16, BASE, BASE + 64),
            (65, ap, 0, 8, BASE, 0),
        ];
        for (sig, a, o, size, ta, to) in cases {
            let h = sys(libc::SYS_rt_sigaction, [sig, a, o, size]);
            assert_eq!(sys_rt_sigaction(c, m, sig, ta, to, size), h, "sig {sig}");
        }
        // SIGWINCH (default-ignored): SIG_IGN with unknown flag bits, bad oact.
        act = [1, 0x0400_0000 | 0x1000_0000 | 0x100 | 0x400, 0, 0];
        m.put(
            BASE,
            &act.iter().flat_map(|w| w.to_ne_bytes()).collect::<Vec<_>>(),
        );
        let h = sys(libc::SYS_rt_sigaction, [28, ap, HOST_BAD, 8]);
        assert_eq!(h, -libc::EFAULT as isize);
        assert_eq!(sys_rt_sigaction(c, m, 28, BASE, BAD, 8), h);
        assert_eq!(sys(libc::SYS_rt_sigaction, [28, 0, op, 8]), 0);
        assert_eq!(sys_rt_sigaction(c, m, 28, 0, BASE + 64, 8), 0);
        assert_eq!(old[0], 1, "installed despite EFAULT");
        assert_eq!(m.get_u64(BASE + 64 + 8), old[1], "same flags read back");
        assert_eq!(
            old[1],
            0x0400_0000 | 0x1000_0000,
            "unknown 0x100, 0x400 cleared"
        );
        let dfl = [0u64; 4];
        assert_eq!(
            sys(libc::SYS_rt_sigaction, [28, dfl.as_ptr() as usize, 0, 8]),
            0
        );
    });
}

#[test]
fn host_rt_sigprocmask_and_rt_sigpending_argument_order() {
    on_host(10, |_, c, m| {
        let mut saved = 0u64;
        let sp = &mut saved as *mut u64 as usize;
        assert_eq!(sys(libc::SYS_rt_sigprocmask, [0, 0, sp, 8]), 0);
        let set = 0u64;
        let s = &set as *const u64 as usize;
        m.put_u64(BASE, 0);
        let mut out = 0u64;
        let o = &mut out as *mut u64 as usize;
        for (how, nset, oset, size, tn, to) in [
            (3usize, 0, o, 8, 0, BASE + 8),
            (3, s, 0, 8, BASE, 0),
            (arg(-1), s, o, 8, BASE, BASE + 8),
            (3, HOST_BAD, 0, 8, BAD, 0),
            (0, s, o, 16, BASE, BASE + 8),
            (0, s, o, 0, BASE, BASE + 8),
        ] {
            let h = sys(libc::SYS_rt_sigprocmask, [how, nset, oset, size]);
            assert_eq!(sys_rt_sigprocmask(c, m, how, tn, to, size), h, "how {how}");
        }
        // A good set with a bad oset changes the mask, then EFAULT.
        let urg = 1u64 << (libc::SIGURG - 1);
        let h = sys(
            libc::SYS_rt_sigprocmask,
            [0, &urg as *const u64 as usize, HOST_BAD, 8],
        );
        assert_eq!(h, -libc::EFAULT as isize);
        assert_eq!(sys(libc::SYS_rt_sigprocmask, [0, 0, o, 8]), 0);
        assert_ne!(out & urg, 0, "blocked despite EFAULT");
        assert_eq!(sys(libc::SYS_rt_sigprocmask, [2, sp, 0, 8]), 0, "restore");
        // rt_sigpending: sizes up to 8, not 16; NULL with 0.
        for (p, size, tp) in [
            (0usize, 0usize, 0usize),
            (o, 4, BASE),
            (o, 16, BASE),
            (o, 9, BASE),
        ] {
            let h = sys(libc::SYS_rt_sigpending, [p, size, 0, 0]);
            assert_eq!(sys_rt_sigpending(c, m, tp, size), h, "size {size}");
        }
    });
}

#[test]
fn host_rt_sigtimedwait_einval_before_dequeue_eagain_and_efault_after_consuming() {
    on_host(10, |sim, c, m| {
        let urg = 1u64 << (libc::SIGURG - 1);
        let mut saved = 0u64;
        let sp = &mut saved as *mut u64 as usize;
        assert_eq!(
            sys(
                libc::SYS_rt_sigprocmask,
                [0, &urg as *const u64 as usize, sp, 8]
            ),
            0
        );
        let tid = gettid();
        // SIGURG is blocked (and ignored by default): it stays queued.
        assert_eq!(
            sys(libc::SYS_tkill, [arg(tid), libc::SIGURG as usize, 0, 0]),
            0
        );
        assert_eq!(sys_tkill(sim, c, 10, libc::SIGURG as usize), 0);
        let set = &urg as *const u64 as usize;
        m.put_u64(BASE, urg);
        let mut info = [0u8; 128];
        let ip = info.as_mut_ptr() as usize;
        // The host's call and ours with the same timespec (ours reads the set at BASE
        // and the timespec at BASE + 16): the same result.
        let mut timedwait = |host_info: usize, our_info: usize, ts: [i64; 2]| {
            m.put(BASE + 16, &ts[0].to_ne_bytes());
            m.put(BASE + 24, &ts[1].to_ne_bytes());
            let h = sys(
                libc::SYS_rt_sigtimedwait,
                [set, host_info, ts.as_ptr() as usize, 8],
            );
            assert_eq!(sys_rt_sigtimedwait(c, m, BASE, our_info, BASE + 16, 8), h);
            h
        };
        for ts in [[0, 1_000_000_000], [0, -1], [-1, 0]] {
            assert_eq!(timedwait(ip, BASE + 64, ts), -libc::EINVAL as isize);
        }
        let mut pending = 0u64;
        let pp = &mut pending as *mut u64 as usize;
        assert_eq!(sys(libc::SYS_rt_sigpending, [pp, 8, 0, 0]), 0);
        assert_ne!(pending & urg, 0, "EINVAL dequeued nothing");
        // A bad info pointer: the signal is consumed, then EFAULT.
        assert_eq!(timedwait(HOST_BAD, BAD, [0, 0]), -libc::EFAULT as isize);
        assert_eq!(sys(libc::SYS_rt_sigpending, [pp, 8, 0, 0]), 0);
        assert_eq!(pending & urg, 0, "consumed");
        // Nothing pending, zero timeout: EAGAIN.
        assert_eq!(timedwait(ip, BASE + 64, [0, 0]), -libc::EAGAIN as isize);
        assert_eq!(sys(libc::SYS_rt_sigprocmask, [2, sp, 0, 8]), 0, "restore");
    });
}

static ON_STACK_RESULT: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(1);

extern "C" fn on_altstack(_: libc::c_int) {
    let disable = StackT {
        ss_sp: 0,
        ss_flags: libc::SS_DISABLE as u32,
        ss_size: 0,
    }
    .to_bytes();
    let r = sys(libc::SYS_sigaltstack, [disable.as_ptr() as usize, 0, 0, 0]);
    ON_STACK_RESULT.store(r, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn host_sigaltstack_einval_enomem_disable_and_eperm_on_the_stack() {
    on_host(10, |_, c, m| {
        let mut old = [0u8; 24];
        let op = old.as_mut_ptr() as usize;
        let mut stack = vec![0u8; 1 << 16];
        let base = stack.as_mut_ptr() as usize;
        for (flags, size) in [(3u32, 1usize << 16), (4, 1 << 16), (0, 100), (0, 2047)] {
            let ss = StackT {
                ss_sp: base,
                ss_flags: flags,
                ss_size: size,
            }
            .to_bytes();
            m.put(BASE, &ss);
            let h = sys(libc::SYS_sigaltstack, [ss.as_ptr() as usize, op, 0, 0]);
            assert_eq!(
                sys_sigaltstack(c, m, BASE, BASE + 32, 0),
                h,
                "{flags} {size}"
            );
        }
        let garbage = StackT {
            ss_sp: usize::MAX,
            ss_flags: libc::SS_DISABLE as u32,
            ss_size: 1,
        };
        m.put(BASE, &garbage.to_bytes());
        let h = sys(
            libc::SYS_sigaltstack,
            [garbage.to_bytes().as_ptr() as usize, op, 0, 0],
        );
        assert_eq!(h, 0);
        assert_eq!(sys_sigaltstack(c, m, BASE, BASE + 32, 0), h);
        // (The old stack is std's own guard-page stack for this thread, now disabled.)
        // EPERM while running on it: a handler on the alternate stack asks to disable it.
        let ss = StackT {
            ss_sp: base,
            ss_flags: 0,
            ss_size: stack.len(),
        }
        .to_bytes();
        assert_eq!(
            sys(libc::SYS_sigaltstack, [ss.as_ptr() as usize, 0, 0, 0]),
            0
        );
        // SAFETY: installs a handler for SIGWINCH (ignored by default) that only makes
        // a raw system call and stores an atomic; restored below.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_altstack as *const () as usize;
            sa.sa_flags = libc::SA_ONSTACK;
            assert_eq!(
                libc::sigaction(libc::SIGWINCH, &sa, std::ptr::null_mut()),
                0
            );
        }
        assert_eq!(
            sys(
                libc::SYS_tkill,
                [arg(gettid()), libc::SIGWINCH as usize, 0, 0]
            ),
            0
        );
        let h = ON_STACK_RESULT.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(h, -libc::EPERM as isize);
        // SAFETY: back to SIG_DFL; the alternate stack is disabled before it is freed.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = libc::SIG_DFL;
            assert_eq!(
                libc::sigaction(libc::SIGWINCH, &sa, std::ptr::null_mut()),
                0
            );
        }
        let off = StackT {
            ss_sp: 0,
            ss_flags: libc::SS_DISABLE as u32,
            ss_size: 0,
        }
        .to_bytes();
        assert_eq!(
            sys(libc::SYS_sigaltstack, [off.as_ptr() as usize, 0, 0, 0]),
            0
        );
        drop(stack);
        m.put(BASE, &ss);
        assert_eq!(sys_sigaltstack(c, m, BASE, 0, 0), 0);
        m.put(BASE, &off);
        assert_eq!(sys_sigaltstack(c, m, BASE, 0, base + 0x100), h);
    });
}
