//! signalfd through ksignal (`sys_signalfd4`, `sys_signalfd_read`): a
//! blocked signal read as one 128-byte `signalfd_siginfo` with its fields;
//! several records in one read; EAGAIN with SFD_NONBLOCK; a blocking read
//! woken by a kill from another thread and from another process; a mask
//! changed by signalfd4 on the existing descriptor; a forked child reading
//! its own signals through the inherited descriptor; a signal of the mask
//! that is not blocked still goes to its handler; close; Linux's errors.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use user::thread::{Stack, spawn};
use user::*;

const SFD_NONBLOCK: usize = 0o4000;
const SFD_CLOEXEC: usize = 0o2000000;
const RT: usize = SIGRTMIN + 2;

static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);
static HANDLED: AtomicUsize = AtomicUsize::new(0);

/// `struct signalfd_siginfo` (128 bytes), the fields the checks read.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
struct Record([u8; 128]);

impl Record {
    fn u32_at(&self, off: usize) -> u32 {
        u32::from_le_bytes([self.0[off], self.0[off + 1], self.0[off + 2], self.0[off + 3]])
    }
    fn signo(&self) -> u32 {
        self.u32_at(0)
    }
    fn code(&self) -> i32 {
        self.u32_at(8) as i32
    }
    fn pid(&self) -> u32 {
        self.u32_at(12)
    }
    fn uid(&self) -> u32 {
        self.u32_at(16)
    }
    fn int(&self) -> i32 {
        self.u32_at(44) as i32
    }
    fn ptr(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[48..56]);
        u64::from_le_bytes(b)
    }
}

const ZERO: Record = Record([0; 128]);

fn read_records(fd: usize, recs: &mut [Record]) -> isize {
    // SAFETY: `Record` is plain bytes; the slice is exactly that many bytes.
    let bytes =
        unsafe { core::slice::from_raw_parts_mut(recs.as_mut_ptr() as *mut u8, recs.len() * 128) };
    read(fd, bytes)
}

extern "C" fn on_usr1(_sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn kill_me_later(_: usize) -> i32 {
    sleep_ms(100);
    kill(getpid(), SIGUSR2);
    0
}

fn main() -> i32 {
    let me = getpid();
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR1) | sigbit(SIGUSR2) | sigbit(RT));

    // Linux's errors: size, flags, a descriptor that is not a signalfd, one
    // that is not open.
    let m = sigbit(SIGUSR1);
    check!(
        syscall6(SYS_SIGNALFD4, [usize::MAX, &m as *const u64 as usize, 4, 0, 0, 0]) == -EINVAL,
        "sig_signalfd: sizemask 4"
    );
    check!(signalfd4(-1, m, 0x1) == -EINVAL, "sig_signalfd: unknown flag");
    check!(signalfd4(1, m, 0) == -EINVAL, "sig_signalfd: the console is not a signalfd");
    check!(signalfd4(50, m, 0) == -EBADF, "sig_signalfd: fd 50 is not open");
    println!(
        "PASS sig_signalfd: signalfd4 checks the mask size, the flags and the descriptor (EINVAL, EBADF)"
    );

    // 1. One blocked signal, one record with its fields; then EAGAIN.
    let fd = signalfd4(-1, sigbit(SIGUSR1), SFD_NONBLOCK | SFD_CLOEXEC);
    check!(fd >= 3, "sig_signalfd: signalfd4 gave {}", fd);
    let fd = fd as usize;
    check!(sigqueue(me, SIGUSR1, 0x1234_5678) == 0, "sig_signalfd: sigqueue");
    let mut recs = [ZERO; 4];
    let n = read_records(fd, &mut recs);
    check!(n == 128, "sig_signalfd: read gave {}", n);
    let r = recs[0];
    check!(
        r.signo() == SIGUSR1 as u32 && r.code() == SI_QUEUE && r.pid() == me as u32 && r.uid() == 0,
        "sig_signalfd: record signo {} code {} pid {} uid {}",
        r.signo(),
        r.code(),
        r.pid(),
        r.uid()
    );
    check!(
        r.int() == 0x1234_5678 && r.ptr() == 0x1234_5678,
        "sig_signalfd: value {:#x} / {:#x}",
        r.int(),
        r.ptr()
    );
    check!(
        sigpending() & sigbit(SIGUSR1) == 0,
        "sig_signalfd: the signal is still pending after the read"
    );
    println!(
        "PASS sig_signalfd: a blocked signal is read as one 128-byte record: signo, SI_QUEUE, pid, uid, value"
    );
    check!(read_records(fd, &mut recs) == -EAGAIN, "sig_signalfd: empty non-blocking read");
    let mut small = [0u8; 127];
    check!(read(fd, &mut small) == -EINVAL, "sig_signalfd: a 127-byte read");
    println!(
        "PASS sig_signalfd: an empty SFD_NONBLOCK signalfd reads EAGAIN; a read shorter than a record is EINVAL"
    );

    // 2. signalfd4 on the existing descriptor widens the mask; one read
    //    takes several records, in Linux's order (lowest number first, RT
    //    instances in the order queued).
    check!(
        signalfd4(fd as isize, sigbit(SIGUSR1) | sigbit(SIGUSR2) | sigbit(RT), 0) == fd as isize,
        "sig_signalfd: mask update"
    );
    for v in 1..=3 {
        sigqueue(me, RT, v);
    }
    kill(me, SIGUSR2);
    let n = read_records(fd, &mut recs);
    check!(n == 4 * 128, "sig_signalfd: read of 4 records gave {}", n);
    check!(
        recs[0].signo() == SIGUSR2 as u32 && recs[0].code() == SI_USER,
        "sig_signalfd: first record {}",
        recs[0].signo()
    );
    for (k, r) in recs[1..].iter().enumerate() {
        check!(
            r.signo() == RT as u32 && r.int() == k as i32 + 1,
            "sig_signalfd: record {} signo {} value {}",
            k + 1,
            r.signo(),
            r.int()
        );
    }
    check!(
        read_records(fd, &mut recs) == -EAGAIN,
        "sig_signalfd: still non-blocking after the update"
    );
    println!(
        "PASS sig_signalfd: signalfd4 on the descriptor changes its mask; one read returns 4 records in Linux's order"
    );

    // 3. A blocking read, woken by a kill from another thread, then from
    //    another process.
    let bfd = signalfd4(-1, sigbit(SIGUSR2), 0);
    check!(bfd > fd as isize, "sig_signalfd: second signalfd {}", bfd);
    let bfd = bfd as usize;
    let t = spawn(&STACK, &TID, kill_me_later, 0)
        .unwrap_or_else(|e| fail!("sig_signalfd: clone {}", e));
    let t0 = now_ns();
    let n = read_records(bfd, &mut recs[..1]);
    let waited = now_ns() - t0;
    t.join();
    check!(
        n == 128 && recs[0].signo() == SIGUSR2 as u32,
        "sig_signalfd: blocking read gave {} ({})",
        n,
        recs[0].signo()
    );
    check!(
        recs[0].pid() == me as u32 && waited >= 50_000_000,
        "sig_signalfd: pid {} after {} ns",
        recs[0].pid(),
        waited
    );
    let child = fork();
    if child == 0 {
        sleep_ms(100);
        kill(getppid(), SIGUSR2);
        exit_group(0);
    }
    let n = read_records(bfd, &mut recs[..2]);
    check!(
        n == 128 && recs[0].signo() == SIGUSR2 as u32 && recs[0].pid() == child as u32,
        "sig_signalfd: read gave {} from pid {}",
        n,
        recs[0].pid()
    );
    let (w, status) = wait4(child, 0);
    check!(w == child && status == 0, "sig_signalfd: child {} {:#x}", w, status);
    println!(
        "PASS sig_signalfd: a blocking read sleeps until a kill from another thread, then from another process, wakes it"
    );

    // 4. A forked child reads its own signals through the inherited
    //    descriptor, not the parent's.
    kill(me, SIGUSR1);
    let child = fork();
    if child == 0 {
        let mut recs = [ZERO; 1];
        if read_records(fd, &mut recs) != -EAGAIN {
            exit_group(2);
        }
        kill(getpid(), SIGUSR1);
        let ok = read_records(fd, &mut recs) == 128 && recs[0].pid() == getpid() as u32;
        exit_group(if ok { 0 } else { 3 });
    }
    let (w, status) = wait4(child, 0);
    check!(w == child && status == 0, "sig_signalfd: forked reader {} {:#x}", w, status);
    check!(
        read_records(fd, &mut recs) == 128 && recs[0].pid() == me as u32,
        "sig_signalfd: the parent's SIGUSR1"
    );
    println!(
        "PASS sig_signalfd: a forked child reads its own signals through the inherited descriptor"
    );

    // 5. A signal of the mask that is not blocked goes to its handler.
    check!(on_signal(SIGUSR1, on_usr1, 0, 0) == 0, "sig_signalfd: sigaction");
    sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR1));
    kill(me, SIGUSR1);
    check!(HANDLED.load(Ordering::SeqCst) == 1, "sig_signalfd: the handler did not run");
    check!(
        read_records(fd, &mut recs) == -EAGAIN,
        "sig_signalfd: the delivered signal was read too"
    );
    println!(
        "PASS sig_signalfd: a signal of the mask that is not blocked is delivered to its handler, not read"
    );

    check!(close(fd) == 0 && close(bfd) == 0, "sig_signalfd: close");
    check!(
        read_records(fd, &mut recs) == -EBADF && close(fd) == -EBADF,
        "sig_signalfd: a closed descriptor"
    );
    println!("PASS sig_signalfd: close; a closed descriptor is EBADF");
    println!("PASS sig_signalfd");
    0
}

entry!(main);
