//! `SignalActions`: the process's 64 `sigaction` entries (provisional lock-based
//! table; the lock-free registry replaces it).

use crate::action::SignalAction;
use crate::signo::Signo;
use spin::Mutex;

/// The 64-entry action table shared by the threads of a process.
pub struct SignalActions {
    table: Mutex<[SignalAction; 64]>,
}

impl Default for SignalActions {
    fn default() -> Self {
        SignalActions::new()
    }
}

impl SignalActions {
    /// Every entry `SIG_DFL`.
    pub const fn new() -> SignalActions {
        SignalActions {
            table: Mutex::new([SignalAction::DEFAULT; 64]),
        }
    }

    /// The entry for `sig`, by value.
    pub fn get(&self, sig: Signo) -> SignalAction {
        self.table.lock()[sig.get() as usize - 1]
    }

    /// Replaces the entry for `sig`; returns the old one.
    pub fn set(&self, sig: Signo, new: SignalAction) -> SignalAction {
        core::mem::replace(&mut self.table.lock()[sig.get() as usize - 1], new)
    }

    /// Reads the entry for delivery; with SA_RESETHAND and a handler, leaves SIG_DFL
    /// behind (flags and mask kept), atomically.
    pub fn take_for_delivery(&self, sig: Signo) -> SignalAction {
        let mut t = self.table.lock();
        let e = &mut t[sig.get() as usize - 1];
        let old = *e;
        if old.is_handler() && old.flags().contains(crate::action::SaFlags::RESETHAND) {
            *e = old.with_default_handler();
        }
        old
    }

    /// exec: handlers become SIG_DFL, SIG_IGN stays.
    pub fn reset_for_exec(&self) {
        for e in self.table.lock().iter_mut() {
            if e.is_handler() {
                *e = SignalAction::DEFAULT;
            }
        }
    }

    /// A copy for fork.
    pub fn clone_table(&self) -> SignalActions {
        SignalActions {
            table: Mutex::new(*self.table.lock()),
        }
    }
}
