//! The return-to-user loop as a test plays it: a frame per handler (its mask at
//! once), stopping at `Exit` or `Stop`.

use ksignal::{Delivery, ThreadSignalManager, WaitQueue};

/// Runs `get_signal` until nothing is left or the thread must stop or exit,
/// acknowledging each handler's frame with `signal_delivered`.
pub fn deliver_all<W: WaitQueue>(t: &ThreadSignalManager<W>) -> Vec<Delivery> {
    let mut out = Vec::new();
    while let Some(d) = t.get_signal() {
        out.push(d);
        match d {
            Delivery::Handler(h) => t.signal_delivered(&h),
            _ => break,
        }
    }
    out
}

/// The signal numbers of the handlers in `d`, in order.
pub fn handled(d: &[Delivery]) -> Vec<u32> {
    d.iter()
        .filter_map(|d| match d {
            Delivery::Handler(h) => Some(h.sig.get()),
            _ => None,
        })
        .collect()
}
