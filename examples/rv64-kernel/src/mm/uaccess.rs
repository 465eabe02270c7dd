//! Fallible access to the current process's user memory.
//!
//! Every access first checks the whole range against the process's page
//! table (U bit plus R or W). Only then does it copy, with sstatus.SUM set so
//! S-mode may touch U pages. A running process's mapping never changes
//! (everything is mapped at load or fork; there is no munmap), so nothing on
//! any hart can unmap a page between check and copy, and the copy can never
//! fault: bad pointers give EFAULT, never a kernel trap. (Another thread of
//! the process may write the same memory meanwhile; that is a data race in
//! user space, not a fault.)
//! Signal delivery writes frames to user stacks through these (`signal::KMem`).

use super::page_table::{PTE_R, PTE_W};
use crate::errno::Errno;
use core::arch::asm;
use core::mem::{MaybeUninit, size_of};

const SSTATUS_SUM: usize = 1 << 18;

/// Runs `f` with sstatus.SUM set ("permit supervisor user memory access").
fn with_sum<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: setting SUM only widens what S-mode may access; callers have
    // validated the user range, and SUM is cleared again right after.
    unsafe { asm!("csrs sstatus, {0}", in(reg) SSTATUS_SUM) };
    let r = f();
    // SAFETY: clearing SUM restores the default protection.
    unsafe { asm!("csrc sstatus, {0}", in(reg) SSTATUS_SUM) };
    r
}

/// Fails with EFAULT unless [addr, addr+len) is mapped for the current
/// process with permissions `need`.
fn check(addr: usize, len: usize, need: u64) -> Result<(), Errno> {
    if len == 0 {
        return Ok(());
    }
    let process = crate::task::current_process();
    let inner = process.inner.lock();
    let space = inner.address_space.as_ref().ok_or(Errno::EFAULT)?;
    if space.check_range(addr, len, need) { Ok(()) } else { Err(Errno::EFAULT) }
}

/// EFAULT unless [addr, addr+len) is writable user memory right now.
pub fn check_writable(addr: usize, len: usize) -> Result<(), Errno> {
    check(addr, len, PTE_W)
}

/// Copies user memory at `src` into `dst`.
pub fn copy_from_user(dst: &mut [u8], src: usize) -> Result<(), Errno> {
    check(src, dst.len(), PTE_R)?;
    with_sum(|| {
        // SAFETY: the source range was just validated as readable user memory
        // of the current (active) address space; `dst` is kernel memory.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.as_mut_ptr(), dst.len()) }
    });
    Ok(())
}

/// Copies `src` to user memory at `dst`.
pub fn copy_to_user(dst: usize, src: &[u8]) -> Result<(), Errno> {
    check(dst, src.len(), PTE_W)?;
    with_sum(|| {
        // SAFETY: the destination range was just validated as writable user
        // memory of the current (active) address space.
        unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut u8, src.len()) }
    });
    Ok(())
}

/// Reads a plain-data value (`T` must be valid for any bit pattern: integers
/// and `repr(C)` structs of integers, such as `timespec` or `siginfo`).
pub fn read_user<T: Copy>(addr: usize) -> Result<T, Errno> {
    // Zeroed first so that viewing it as bytes never reads uninitialised memory.
    let mut value = MaybeUninit::<T>::zeroed();
    // SAFETY: the value's storage is initialised (zeroes) and exclusively ours.
    let bytes =
        unsafe { core::slice::from_raw_parts_mut(value.as_mut_ptr() as *mut u8, size_of::<T>()) };
    copy_from_user(bytes, addr)?;
    // SAFETY: fully written above; `T` accepts any bit pattern (see above).
    Ok(unsafe { value.assume_init() })
}

/// Writes a plain-data value to user memory.
pub fn write_user<T: Copy>(addr: usize, value: &T) -> Result<(), Errno> {
    // SAFETY: any initialised `T` may be viewed as its bytes (`T: Copy`
    // plain data without padding, as for `read_user`).
    let bytes =
        unsafe { core::slice::from_raw_parts(value as *const T as *const u8, size_of::<T>()) };
    copy_to_user(addr, bytes)
}
