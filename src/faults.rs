//! Crash points for tests: a debug build that sees `CTNET_CRASH_AFTER=N` aborts at the N-th
//! point, where a point is each kernel step and each file written. Release builds compile
//! this away. It stands in for SIGKILL at any moment of a command: nothing runs after it,
//! no undo, no destructor.

#[cfg(debug_assertions)]
pub fn crash_point(what: &str) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static PASSED: AtomicU32 = AtomicU32::new(0);
    let Some(limit) = std::env::var("CTNET_CRASH_AFTER")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    else {
        return;
    };
    if PASSED.fetch_add(1, Ordering::SeqCst) + 1 == limit {
        eprintln!("ctnet: crash point {limit} reached after {what}");
        std::process::abort();
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn crash_point(_what: &str) {}
