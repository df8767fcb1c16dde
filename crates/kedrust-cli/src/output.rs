//! What the user sees: logs on stderr (plain or JSON), a progress bar when stderr is a
//! terminal, and the closing line of a run.

use crate::args::LogFormat;
use crate::logging::{LogSetup, Routing};
use indicatif::{ProgressBar, ProgressStyle};
use kedrust_dagster::Pipes;
use kedrust_runner::RunEvent;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The crates whose debug lines `-v` shows; dependencies (the HTTP client, SQLite) stay at
/// info unless a filter asks for them.
const OWN_TARGETS: [&str; 13] = [
    "kedrust",
    "kedrust_catalog",
    "kedrust_cli",
    "kedrust_config",
    "kedrust_dagster",
    "kedrust_framework",
    "kedrust_mlflow",
    "kedrust_pipeline",
    "kedrust_plan",
    "kedrust_polars",
    "kedrust_runner",
    "kedrust_secrets",
    "kedrust_store",
];

/// The filter of `-v`/`-vv`: kedrust's crates and the project's own at that level, the rest
/// at info.
fn verbose_filter(level: &str) -> String {
    let project = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().replace('-', "_")));
    let mut directives = vec!["info".to_owned()];
    directives.extend(OWN_TARGETS.iter().map(|t| format!("{t}={level}")));
    directives.extend(project.map(|p| format!("{p}={level}")));
    directives.join(",")
}

/// Logs at info (or `-v` debug, `-vv` trace, for kedrust and the project); `KEDRUST_LOG`,
/// else `RUST_LOG`, overrides with a filter (`tracing_subscriber`'s `EnvFilter` syntax).
/// With a `logging.yml` (`setup`), its handlers replace the console lines and its loggers'
/// levels decide unless a filter was given. Under Dagster (`pipes`), every log line also goes
/// to Dagster's event log as a Pipes log message.
pub(crate) fn init_logging(
    format: LogFormat,
    verbose: u8,
    pipes: Option<Arc<Pipes>>,
    setup: Option<LogSetup>,
) {
    let given = EnvFilter::try_from_env("KEDRUST_LOG")
        .or_else(|_| EnvFilter::try_from_env("RUST_LOG"))
        .ok()
        .or_else(|| match verbose {
            0 => None,
            1 => Some(EnvFilter::new(verbose_filter("debug"))),
            _ => Some(EnvFilter::new(verbose_filter("trace"))),
        });
    let setup = setup.map(Arc::new);
    let file_decides = setup.as_deref().is_some_and(LogSetup::has_loggers);
    // What is logged: a filter given on the command line or in the environment, else the
    // levels of logging.yml (for every layer, Dagster's included), else info.
    let filter = match (given, &setup) {
        (Some(given), _) => given.boxed(),
        (None, Some(setup)) if file_decides => {
            let setup = Arc::clone(setup);
            tracing_subscriber::filter::filter_fn(move |meta| setup.admits(meta)).boxed()
        }
        (None, _) => EnvFilter::new("info").boxed(),
    };
    let console = (!file_decides).then(|| {
        let lines = tracing_subscriber::fmt::layer()
            .with_writer(|| RedactingWriter(std::io::stderr()))
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false);
        match format {
            LogFormat::Json => lines.json().boxed(),
            LogFormat::Plain => lines.without_time().boxed(),
        }
    });
    let routing = setup.map(|s| Routing::new(s, format == LogFormat::Json));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(console)
        .with(routing)
        .with(pipes.map(PipesLog))
        .try_init();
}

/// Writes log lines with secrets hidden. tracing's formatter builds each line in a buffer
/// and writes it in one call, so a secret is never split between two calls.
struct RedactingWriter<W: Write>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(kedrust_secrets::redact(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Forwards log events to Dagster through Pipes, secrets hidden.
struct PipesLog(Arc<Pipes>);

impl<S: tracing::Subscriber> Layer<S> for PipesLog {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let shown = kedrust_secrets::redact(&message.0);
        let _ = self.0.log(event.metadata().level().as_str(), &shown);
    }
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
            RunEvent::NodeRestarted { .. } => {}
            RunEvent::NodeRetry {
                node,
                attempt,
                error,
                ..
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
