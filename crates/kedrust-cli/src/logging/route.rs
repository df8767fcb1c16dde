//! The tracing layer that hands each event to the handlers of [`LogSetup`].

use super::{Level, LogSetup, Record, logger_name};
use std::sync::Arc;
use tracing_subscriber::Layer;

/// Routes events through a [`LogSetup`].
pub(crate) struct Routing {
    setup: Arc<LogSetup>,
    /// `--log-format json`: console handlers write JSON objects.
    json: bool,
}

impl Routing {
    pub(crate) fn new(setup: Arc<LogSetup>, json: bool) -> Self {
        Self { setup, json }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Routing {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let meta = event.metadata();
        let mut text = Text::default();
        event.record(&mut text);
        let name = logger_name(meta.target());
        let record = Record {
            time: chrono::Local::now(),
            level: Level::of(meta.level()),
            name: &name,
            message: &text.line(),
            file: meta.file(),
            line: meta.line(),
        };
        self.setup.emit(&record, self.json);
    }
}

/// An event's message, then its other fields as `key=value`, as tracing's own lines show.
#[derive(Default)]
struct Text {
    message: String,
    fields: Vec<String>,
}

impl Text {
    fn line(&self) -> String {
        let mut out = self.message.clone();
        for f in &self.fields {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(f);
        }
        out
    }
}

impl tracing::field::Visit for Text {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            name => self.fields.push(format!("{name}={value:?}")),
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            name => self.fields.push(format!("{name}={value:?}")),
        }
    }
}
