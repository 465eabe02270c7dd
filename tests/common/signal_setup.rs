//! What a delivery test sets up around a frame: the handler, `sa_restorer` and
//! trampoline addresses, an alternate stack, and typed reads and writes of user
//! memory.

use super::user_stack::{ALT_BASE, REGION};
use ksignal::frame::FaultInfo;
use ksignal::{KernelFrameInfo, SignalStack, StackT, UserBuffer, UserMemory};

/// The handler address used everywhere.
pub const HANDLER: usize = 0x40_1000;
/// `sa_restorer`.
pub const RESTORER: usize = 0x40_2000;
/// The vDSO trampoline.
pub const TRAMPOLINE: u64 = 0x7fff_f000;
/// What the kernel gives the return-to-user path (`do_signal`): the trampoline
/// above, no fault.
#[allow(dead_code)] // the frame tests call the frame functions directly
pub const K: KernelFrameInfo = KernelFrameInfo {
    trampoline: TRAMPOLINE,
    fault: FaultInfo {
        address: 0,
        code: 0,
        trapno: 0,
    },
};

/// An alternate stack covering the whole alt region, with `flags`.
pub fn altstack(flags: u32) -> SignalStack {
    let mut s = SignalStack::DISABLED;
    s.sigaltstack(
        Some(StackT {
            ss_sp: ALT_BASE,
            ss_flags: flags,
            ss_size: REGION,
        }),
        0,
        0,
    )
    .unwrap();
    s
}

/// Reads `len` user bytes (panics if unmapped: test helper).
pub fn user_bytes(mem: &UserBuffer, addr: u64, len: usize) -> Vec<u8> {
    mem.bytes(addr as usize, len).expect("mapped").to_vec()
}

/// Little-endian u64 at `addr`.
pub fn user_u64(mem: &UserBuffer, addr: u64) -> u64 {
    u64::from_le_bytes(user_bytes(mem, addr, 8).try_into().unwrap())
}

/// Writes `v` at `addr`.
pub fn put_u64(mem: &mut UserBuffer, addr: u64, v: u64) {
    mem.write(addr as usize, &v.to_le_bytes()).unwrap();
}

/// Writes `v` at `addr`.
pub fn put_u32(mem: &mut UserBuffer, addr: u64, v: u32) {
    mem.write(addr as usize, &v.to_le_bytes()).unwrap();
}
