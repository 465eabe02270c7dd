//! Runners: anything that turns a scenario into a trace.
//!
//! The Linux runner executes on the host kernel; the crate runner (to be written with the
//! crate's managers) will model the same process in memory. `diff`, `golden` and `random`
//! only see this trait, so a new runner plugs in by implementing it and adding a name to
//! [`by_name`].

use std::time::Duration;

use crate::scenario::Scenario;
use crate::trace::Trace;

/// Turns a scenario into a trace.
pub trait Runner {
    /// The name used on the command line (`--on NAME`).
    fn name(&self) -> &'static str;
    /// Runs one scenario from its initial state. `Err` means the runner itself failed
    /// (not a scenario outcome: those are trace lines).
    fn run_scenario(&self, sc: &Scenario) -> Result<Trace, String>;
}

/// Stand-in where the host is not Linux.
#[cfg(not(target_os = "linux"))]
struct NoLinux;

#[cfg(not(target_os = "linux"))]
impl Runner for NoLinux {
    fn name(&self) -> &'static str {
        "linux"
    }

    fn run_scenario(&self, _sc: &Scenario) -> Result<Trace, String> {
        Err("the linux runner needs a Linux host".into())
    }
}

/// The runner called `name`; `timeout` overrides the Linux runner's hard timeout.
pub fn by_name(name: &str, timeout: Option<Duration>) -> Result<Box<dyn Runner>, String> {
    match name {
        #[cfg(target_os = "linux")]
        "linux" => Ok(Box::new(crate::linux::LinuxRunner::new(timeout))),
        #[cfg(not(target_os = "linux"))]
        "linux" => {
            let _ = timeout;
            Ok(Box::new(NoLinux))
        }
        "crate" => Ok(Box::new(crate::crate_runner::CrateRunner)),
        other => Err(format!("unknown runner `{other}` (linux, crate)")),
    }
}
