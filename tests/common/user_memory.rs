//! User memory for the tests that drive the system-call layer: the crate's own
//! `UserBuffer`, with one more check on every copy.

use ksignal::{Errno, UserBuffer, UserMemory};

/// A `UserBuffer` that also checks what the crate promises its callers: it never
/// asks for a copy of zero bytes.
#[derive(Clone, Debug, Default)]
pub struct Mem(pub UserBuffer);

impl UserMemory for Mem {
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        assert!(!buf.is_empty(), "the crate never copies zero bytes");
        self.0.read(addr, buf)
    }

    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno> {
        assert!(!buf.is_empty(), "the crate never copies zero bytes");
        self.0.write(addr, buf)
    }

    fn maps_at_or_above(&self, addr: usize) -> bool {
        self.0.maps_at_or_above(addr)
    }
}
