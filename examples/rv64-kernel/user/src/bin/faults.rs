//! A user fault kills only the faulting process, and wait4 reports it as
//! "killed by signal" (SIGSEGV for bad memory, SIGILL for a bad instruction).
#![no_std]
#![no_main]

use core::arch::asm;
use user::*;

const SIGILL: i32 = 4;
const SIGSEGV: i32 = 11;

fn expect_killed_by(what: &str, sig: i32, child: fn()) {
    let pid = fork();
    if pid == 0 {
        child();
        fail!("faults: {} did not fault", what);
    }
    check!(pid > 0, "faults: fork failed: {}", pid);
    let (r, status) = wait4(pid, 0);
    check!(r == pid, "faults: wait4 {}", r);
    // WIFSIGNALED: low 7 bits = signal number, no core-dump bit.
    check!(status == sig, "faults: {} gave status {:#x}, want {:#x}", what, status, sig);
    println!("faults: {} -> killed by signal {}", what, status & 0x7f);
}

fn store_null() {
    // SAFETY: deliberately faulting; the kernel kills this child process.
    unsafe { core::ptr::write_volatile(0x10 as *mut u64, 1) };
}

fn load_kernel() {
    // SAFETY: deliberately faulting: kernel pages have no U bit.
    let v = unsafe { core::ptr::read_volatile(0x8020_0000 as *const u64) };
    core::hint::black_box(v);
}

fn illegal() {
    // SAFETY: deliberately executes an illegal instruction.
    unsafe { asm!("unimp") };
}

fn write_text() {
    // SAFETY: deliberately stores into our own read-only text page.
    unsafe { core::ptr::write_volatile(expect_killed_by as *const () as *mut u32, 0) };
}

fn write_trampoline() {
    // SAFETY: deliberately stores into the kernel's read-only trampoline page.
    unsafe { core::ptr::write_volatile(SIGRETURN_TRAMPOLINE as *mut u32, 0) };
}

fn stack_overflow() {
    // SAFETY: deliberately touches the unmapped page below the 64 KiB stack.
    unsafe { core::ptr::write_volatile((0x4000_0000 - 64 * 1024 - 8) as *mut u64, 1) };
}

fn main() -> i32 {
    expect_killed_by("store to address 0x10", SIGSEGV, store_null);
    expect_killed_by("load from kernel memory", SIGSEGV, load_kernel);
    expect_killed_by("store to text", SIGSEGV, write_text);
    expect_killed_by("illegal instruction", SIGILL, illegal);
    expect_killed_by("store to the sigreturn trampoline", SIGSEGV, write_trampoline);
    expect_killed_by("store below the stack", SIGSEGV, stack_overflow);
    println!("PASS faults");
    0
}

entry!(main);
