//! What the user sees: logs on stderr (plain or JSON), a progress bar when stderr is a
//! terminal, and the closing line of a run.

use crate::args::LogFormat;
use indicatif::{ProgressBar, ProgressStyle};
use kedrust_runner::RunEvent;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Logs at info (or `-v` debug, `-vv` trace); `KEDRUST_LOG` overrides with a filter.
pub(crate) fn init_logging(format: LogFormat, verbose: u8) {
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("KEDRUST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Plain => builder.without_time().try_init(),
    };
}

/// Follows a run: a bar on a terminal, one log line per node otherwise.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub(crate) fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} nodes  {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self { bar }
    }

    pub(crate) fn observe(&self, event: &RunEvent<'_>) {
        match event {
            RunEvent::NodeStarted { node } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(node.to_string());
                }
            }
            // The run's closing error line reports it.
            RunEvent::NodeFailed { .. } => {}
            RunEvent::NodeRetry {
                node,
                attempt,
                error,
            } => {
                tracing::warn!("node {node} failed, retry {attempt}: {error}");
            }
            RunEvent::NodeCompleted {
                node,
                done,
                total,
                took,
            } => match &self.bar {
                Some(bar) => bar.inc(1),
                None => tracing::info!(
                    "completed node {node} ({done} of {total}) in {:.3} s",
                    took.as_secs_f64()
                ),
            },
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
