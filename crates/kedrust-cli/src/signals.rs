//! What Ctrl-C does to the commands that run work.

/// Ctrl-C or SIGTERM: no node starts after it, running steps are stopped, the run ends
/// cancelled and on_pipeline_error fires. A second one exits at once (the run is then an
/// orphan, which the next run fails with its hook).
pub(crate) fn stop_on_ctrl_c() {
    let handler = || {
        if kedrust_runner::is_cancelled() {
            eprintln!("stopped at once");
            std::process::exit(crate::error::INTERRUPTED);
        }
        kedrust_runner::cancel();
        eprintln!(
            "stopping: no node starts now, running steps are stopped (Ctrl-C again exits at once)"
        );
    };
    if let Err(e) = ctrlc::set_handler(handler) {
        tracing::warn!("Ctrl-C will stop this process without ending its run: {e}");
    }
}
