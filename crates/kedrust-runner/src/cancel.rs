//! Cancelling the run in flight (Ctrl-C, SIGTERM): a flag every executor and the process
//! runner's launcher look at.

static CANCELLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks the running run to stop: no node starts after this, child processes are killed,
/// and the run ends cancelled (Ctrl-C, SIGTERM).
pub fn cancel() {
    CANCELLED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether [`cancel`] was called.
pub fn is_cancelled() -> bool {
    CANCELLED.load(std::sync::atomic::Ordering::SeqCst)
}
