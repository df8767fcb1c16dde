//! Python's `%`-style log formats (`"%(asctime)s - %(name)s - %(levelname)-8s - %(message)s"`),
//! parsed once when the configuration is read, so that a misspelt attribute is a
//! configuration error rather than a broken line at run time.

use chrono::{DateTime, Local};

/// A log record, as a formatter sees it.
pub(crate) struct Record<'a> {
    pub time: DateTime<Local>,
    pub level: super::Level,
    /// The logger name: the event's target with `.` for `::` (`kedrust.runner.executor`).
    pub name: &'a str,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<u32>,
}

/// The record attributes a format may name (Python's `LogRecord` attributes that have a
/// meaning here).
const ATTRIBUTES: [&str; 14] = [
    "asctime",
    "created",
    "filename",
    "levelname",
    "levelno",
    "lineno",
    "message",
    "module",
    "msecs",
    "name",
    "pathname",
    "process",
    "thread",
    "threadName",
];

/// Python's default date format, with milliseconds after a comma.
const DEFAULT_DATE: &str = "%Y-%m-%d %H:%M:%S,%3f";

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Field {
        attr: &'static str,
        left: bool,
        width: usize,
        precision: Option<usize>,
    },
}

/// A parsed format and its date format.
#[derive(Debug, Clone)]
pub(crate) struct Format {
    parts: Vec<Part>,
    datefmt: String,
}

impl Format {
    /// Parses `format` (Python's `%` style) and `datefmt` (strftime).
    pub(crate) fn parse(format: &str, datefmt: Option<&str>) -> Result<Self, String> {
        let datefmt = match datefmt {
            // Python's %f is microseconds; chrono's is nanoseconds.
            Some(d) => d.replace("%f", "%6f"),
            None => DEFAULT_DATE.to_owned(),
        };
        if chrono::format::StrftimeItems::new(&datefmt).any(|i| i == chrono::format::Item::Error) {
            return Err(format!("datefmt '{datefmt}' is not a strftime format"));
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                text.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                text.push('%');
                continue;
            }
            if chars.next() != Some('(') {
                return Err(format!(
                    "'{format}': a '%' starts a field such as %(message)s, or is written %%"
                ));
            }
            let name: String = chars.by_ref().take_while(|c| *c != ')').collect();
            let Some(attr) = ATTRIBUTES.iter().find(|a| **a == name) else {
                let hint = kedrust_pipeline::suggest::hint(&name, ATTRIBUTES);
                return Err(format!(
                    "'{format}': unknown attribute '{name}'{hint} (attributes: {})",
                    ATTRIBUTES.join(", ")
                ));
            };
            let mut left = false;
            while let Some(flag) = chars.next_if(|c| "-#0 +".contains(*c)) {
                left |= flag == '-';
            }
            let width = digits(&mut chars).unwrap_or(0);
            let precision = chars
                .next_if_eq(&'.')
                .map(|_| digits(&mut chars).unwrap_or(0));
            match chars.next() {
                Some('s' | 'd' | 'i' | 'f' | 'r' | 'a') => {}
                other => {
                    return Err(format!(
                        "'{format}': %({name}) needs a conversion such as s, d or f{}",
                        other.map(|c| format!(", not '{c}'")).unwrap_or_default()
                    ));
                }
            }
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Field {
                attr,
                left,
                width,
                precision,
            });
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self { parts, datefmt })
    }

    /// Python's default: the message alone.
    pub(crate) fn message_only() -> Self {
        Self::parse("%(message)s", None).expect("a valid format")
    }

    /// The line for `record`, without its newline.
    pub(crate) fn render(&self, record: &Record<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field {
                    attr,
                    left,
                    width,
                    precision,
                } => {
                    let mut value = self.attribute(attr, record);
                    if let Some(p) = precision
                        && !matches!(*attr, "created" | "msecs")
                    {
                        value = value.chars().take(*p).collect();
                    }
                    let pad = width.saturating_sub(value.chars().count());
                    if *left {
                        out.push_str(&value);
                        out.extend(std::iter::repeat_n(' ', pad));
                    } else {
                        out.extend(std::iter::repeat_n(' ', pad));
                        out.push_str(&value);
                    }
                }
            }
        }
        out
    }

    fn attribute(&self, attr: &str, r: &Record<'_>) -> String {
        let path = r.file.unwrap_or("");
        let file_name = path.rsplit('/').next().unwrap_or(path);
        match attr {
            "asctime" => r.time.format(&self.datefmt).to_string(),
            "created" => format!("{:.6}", r.time.timestamp_micros() as f64 / 1e6),
            "msecs" => r.time.timestamp_subsec_millis().to_string(),
            "levelname" => r.level.name().to_owned(),
            "levelno" => r.level.number().to_string(),
            "name" => r.name.to_owned(),
            "message" => r.message.to_owned(),
            "pathname" => path.to_owned(),
            "filename" => file_name.to_owned(),
            "module" => file_name.trim_end_matches(".rs").to_owned(),
            "lineno" => r.line.unwrap_or(0).to_string(),
            "process" => std::process::id().to_string(),
            "thread" => format!("{:?}", std::thread::current().id()),
            "threadName" => std::thread::current().name().unwrap_or("").to_owned(),
            _ => String::new(),
        }
    }
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n = None;
    while let Some(d) = chars.next_if(char::is_ascii_digit) {
        n = Some(n.unwrap_or(0) * 10 + d.to_digit(10).unwrap_or(0) as usize);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::Level;
    use chrono::TimeZone;

    fn record<'a>(message: &'a str) -> Record<'a> {
        Record {
            time: Local.with_ymd_and_hms(2026, 12, 6, 9, 5, 7).unwrap(),
            level: Level::WARNING,
            name: "kedrust.runner",
            message,
            file: Some("crates/kedrust-runner/src/executor.rs"),
            line: Some(42),
        }
    }

    #[test]
    fn renders_as_python_does() {
        let f = Format::parse(
            "[%(asctime)s] %(levelname)-8s|%(name)s:%(lineno)d %(module)s - %(message)s 100%%",
            Some("%H:%M:%S"),
        )
        .unwrap();
        assert_eq!(
            f.render(&record("slow node")),
            "[09:05:07] WARNING |kedrust.runner:42 executor - slow node 100%"
        );
        let default = Format::parse("%(asctime)s %(levelname)5.2s", None).unwrap();
        assert_eq!(default.render(&record("")), "2026-12-06 09:05:07,000    WA");
    }

    #[test]
    fn a_misspelt_attribute_is_named_with_the_nearest() {
        let err = Format::parse("%(levelnme)s %(message)s", None).unwrap_err();
        assert!(
            err.contains("unknown attribute 'levelnme'; did you mean 'levelname'?"),
            "{err}"
        );
        let err = Format::parse("%(message)", None).unwrap_err();
        assert!(err.contains("needs a conversion"), "{err}");
        let err = Format::parse("50% done", None).unwrap_err();
        assert!(err.contains("written %%"), "{err}");
    }
}
