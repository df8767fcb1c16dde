//! The external side of Dagster Pipes, protocol 0.1.
//!
//! The bootstrap variables hold base64(zlib(JSON)). Messages are JSON lines, and **each line,
//! newline included, goes out in one `write`**: Dagster's file reader parses a line as soon as
//! it sees one, so a message whose newline arrives in a second write is read as broken JSON,
//! which kills the reader for every later message of the step (the published Rust crate
//! writes them separately). Without the variables, every call does nothing.

use base64::Engine;
use serde_json::{Value as Json, json};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

/// The bootstrap variable of the context.
pub const CONTEXT_ENV: &str = "DAGSTER_PIPES_CONTEXT";
/// The bootstrap variable of the message channel.
pub const MESSAGES_ENV: &str = "DAGSTER_PIPES_MESSAGES";
/// The protocol version written in every message.
pub const PROTOCOL_VERSION: &str = "0.1";

/// A Pipes problem.
#[derive(Debug, thiserror::Error)]
#[error("dagster pipes: {0}")]
pub struct PipesError(pub String);

/// base64(zlib(JSON)) to JSON.
pub fn decode_param(text: &str) -> Result<Json, PipesError> {
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| PipesError(format!("not base64: {e}")))?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_end(&mut json)
        .map_err(|e| PipesError(format!("not zlib: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| PipesError(format!("not JSON: {e}")))
}

/// JSON to base64(zlib(JSON)), as Dagster encodes its bootstrap parameters.
pub fn encode_param(value: &Json) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(value.to_string().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap_or_default())
}

/// Where messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// Appended to a file: the named pipe kedrust's code location reads, or a file Dagster's
    /// own reader tails.
    File(PathBuf),
    /// Lines on standard error (the k8s and docker clients).
    Stderr,
    /// Lines on standard output.
    Stdout,
}

/// A Pipes session of this process.
#[derive(Debug)]
pub struct Pipes {
    context: Option<Json>,
    channel: Option<Channel>,
    /// The message file (or named pipe).
    file: Mutex<MessageFile>,
    closed: Mutex<bool>,
}

impl Pipes {
    /// From the bootstrap variables; standalone (every call a no-op) when they are absent.
    pub fn from_env() -> Result<Self, PipesError> {
        let (Ok(context), Ok(messages)) = (std::env::var(CONTEXT_ENV), std::env::var(MESSAGES_ENV))
        else {
            return Ok(Self::standalone());
        };
        // Which variable is wrong, for a bootstrap that did not come from Dagster.
        fn named(name: &'static str) -> impl Fn(PipesError) -> PipesError {
            move |e| PipesError(format!("{name}: {}", e.0))
        }
        let injected = decode_param(&context).map_err(named(CONTEXT_ENV))?;
        let context = match (injected.get("path"), injected.get("data")) {
            (Some(Json::String(path)), _) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| PipesError(format!("cannot read the context file {path}: {e}")))?;
                serde_json::from_str(&text)
                    .map_err(|e| PipesError(format!("bad context file: {e}")))?
            }
            (_, Some(data)) => data.clone(),
            _ => return Err(PipesError(format!("unknown context injection: {injected}"))),
        };
        let reader = decode_param(&messages).map_err(named(MESSAGES_ENV))?;
        let channel = match (
            reader.get("path"),
            reader.get("stdio"),
            reader.get("buffered_stdio"),
        ) {
            (Some(Json::String(path)), _, _) => Channel::File(PathBuf::from(path)),
            (_, Some(Json::String(s)), _) | (_, _, Some(Json::String(s))) if s == "stdout" => {
                Channel::Stdout
            }
            (_, Some(_), _) | (_, _, Some(_)) => Channel::Stderr,
            _ => return Err(PipesError(format!("unknown message channel: {reader}"))),
        };
        Ok(Self {
            context: Some(context),
            channel: Some(channel),
            file: Mutex::new(MessageFile::NotOpened),
            closed: Mutex::new(false),
        })
    }

    /// No Dagster: every call does nothing.
    pub fn standalone() -> Self {
        Self {
            context: None,
            channel: None,
            file: Mutex::new(MessageFile::NotOpened),
            closed: Mutex::new(false),
        }
    }

    /// Whether Dagster started this process.
    pub fn is_active(&self) -> bool {
        self.channel.is_some()
    }

    /// The context data (`run_id`, `job_name`, `extras`, `retry_number`, ...).
    pub fn context(&self) -> Option<&Json> {
        self.context.as_ref()
    }

    /// The Dagster run id.
    pub fn run_id(&self) -> Option<&str> {
        self.context.as_ref()?.get("run_id")?.as_str()
    }

    /// The partition key of the run, when it runs one partition (Dagster gives it only to
    /// runs tagged `dagster/partition`; ranged runs get none).
    pub fn partition_key(&self) -> Option<&str> {
        self.context()?.get("partition_key")?.as_str()
    }

    /// What the op passed as `extras`.
    pub fn extras(&self) -> Option<&Json> {
        self.context.as_ref()?.get("extras")
    }

    /// One message: the whole line in a single write, secrets hidden (everything kedrust
    /// tells Dagster goes through here).
    fn send(&self, method: &str, params: Json) -> Result<(), PipesError> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        self.send_to(&mut file, method, params)
    }

    /// [`Pipes::send`] with the message file already locked.
    fn send_to(
        &self,
        file: &mut MessageFile,
        method: &str,
        params: Json,
    ) -> Result<(), PipesError> {
        let Some(channel) = &self.channel else {
            return Ok(());
        };
        let params = kedrust_secrets::redact_json(&params);
        let result = match channel {
            Channel::File(path) => {
                if matches!(file, MessageFile::NotOpened) {
                    let opened = OpenOptions::new().create(true).append(true).open(path);
                    *file = MessageFile::Open(opened.map_err(|e| {
                        PipesError(format!(
                            "cannot open the message file {}: {e}",
                            path.display()
                        ))
                    })?);
                }
                match file {
                    MessageFile::Open(f) => write_message(f, method, params),
                    // Nothing follows `closed`; a named pipe's reader may be gone.
                    MessageFile::NotOpened | MessageFile::Closed => Ok(()),
                }
            }
            Channel::Stderr => write_message(&mut std::io::stderr().lock(), method, params),
            Channel::Stdout => {
                let mut out = std::io::stdout().lock();
                write_message(&mut out, method, params).and_then(|()| out.flush())
            }
        };
        result.map_err(|e| PipesError(format!("cannot write a message: {e}")))
    }

    /// `opened`: the first message.
    pub fn opened(&self) -> Result<(), PipesError> {
        self.send("opened", json!({"extras": {}}))
    }

    /// A log line in Dagster's event log (`trace` becomes DEBUG: Dagster rejects TRACE).
    pub fn log(&self, level: &str, message: &str) -> Result<(), PipesError> {
        let level = match level.to_ascii_uppercase().as_str() {
            "TRACE" | "DEBUG" => "DEBUG",
            "WARN" | "WARNING" => "WARNING",
            "ERROR" => "ERROR",
            "CRITICAL" => "CRITICAL",
            _ => "INFO",
        };
        self.send("log", json!({"message": message, "level": level}))
    }

    /// An asset materialisation with metadata (`{"path": {"raw_value": .., "type": "path"}}`).
    pub fn report_asset_materialization(
        &self,
        asset_key: &str,
        metadata: Json,
        data_version: Option<&str>,
    ) -> Result<(), PipesError> {
        self.send(
            "report_asset_materialization",
            json!({"asset_key": asset_key, "metadata": metadata, "data_version": data_version}),
        )
    }

    /// An asset check result.
    pub fn report_asset_check(
        &self,
        asset_key: &str,
        check_name: &str,
        passed: bool,
        severity: &str,
        metadata: Json,
    ) -> Result<(), PipesError> {
        self.send(
            "report_asset_check",
            json!({"asset_key": asset_key, "check_name": check_name, "passed": passed, "severity": severity, "metadata": metadata}),
        )
    }

    /// `closed`, once; with the error when the step failed.
    pub fn closed(&self, error: Option<(&str, &str)>) -> Result<(), PipesError> {
        let mut closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return Ok(());
        }
        *closed = true;
        let params = match error {
            None => json!({}),
            Some((name, message)) => json!({"exception": {
                "name": name, "message": message, "stack": [], "cause": null, "context": null
            }}),
        };
        // Under one lock, so that no other thread's message follows `closed`; the reader of a
        // named pipe sees its end now, not when this process exits.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let sent = self.send_to(&mut file, "closed", params);
        *file = MessageFile::Closed;
        sent
    }
}

/// The message file of a file channel: held open from the first message to `closed`, as
/// Dagster's own writers hold theirs (a named pipe ends for its reader when it is closed).
#[derive(Debug)]
enum MessageFile {
    NotOpened,
    Open(std::fs::File),
    Closed,
}

impl Drop for Pipes {
    fn drop(&mut self) {
        // A session always ends with `closed`, even on an early return.
        let _ = self.closed(None);
    }
}

/// Writes one message with a single `write_all` of the whole line.
pub fn write_message(out: &mut dyn Write, method: &str, params: Json) -> std::io::Result<()> {
    out.write_all(&message_line(method, params))
}

/// The bytes of one message, newline included.
pub fn message_line(method: &str, params: Json) -> Vec<u8> {
    let mut line = serde_json::to_vec(&json!({
        "__dagster_pipes_version": PROTOCOL_VERSION,
        "method": method,
        "params": params,
    }))
    .unwrap_or_default();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_dagsters_own_test_vectors() {
        assert_eq!(
            decode_param("eJyrVipILMlQslJQ0i/JLdCv0E/OzytJrShRqgUAclAI4w==").unwrap(),
            json!({"path": "/tmp/x/context"})
        );
        let v = json!({"path": "/tmp/m", "include_stdio_in_messages": false});
        assert_eq!(decode_param(&encode_param(&v)).unwrap(), v);
    }

    #[test]
    fn one_message_is_one_line_with_its_newline() {
        let line = message_line("log", json!({"message": "a\nb", "level": "INFO"}));
        assert_eq!(
            line.iter().filter(|b| **b == b'\n').count(),
            1,
            "newlines inside are escaped"
        );
        assert_eq!(*line.last().unwrap(), b'\n');
    }

    /// A writer that counts its `write` calls.
    struct Counting {
        writes: usize,
        bytes: Vec<u8>,
    }

    impl Write for Counting {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_counting_writer_sees_one_write_per_message() {
        let mut w = Counting {
            writes: 0,
            bytes: Vec::new(),
        };
        for i in 0..1000 {
            write_message(
                &mut w,
                "log",
                json!({"message": format!("m{i}"), "level": "INFO"}),
            )
            .unwrap();
        }
        write_message(
            &mut w,
            "log",
            json!({"message": "x".repeat(70 * 1024), "level": "INFO"}),
        )
        .unwrap();
        write_message(&mut w, "closed", json!({})).unwrap();
        assert_eq!(w.writes, 1002);
        assert_eq!(w.bytes.iter().filter(|b| **b == b'\n').count(), 1002);
    }

    /// The generated code location reads messages from a named pipe, which ends for its
    /// reader only when the binary closes it: at `closed`, while the process goes on.
    #[cfg(unix)]
    #[test]
    fn a_named_pipe_ends_for_its_reader_at_closed() {
        let dir = std::env::temp_dir().join(format!("kedrust-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("messages");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        let reading = path.clone();
        std::thread::spawn(move || tx.send(std::fs::read_to_string(reading).unwrap()));
        let pipes = Pipes {
            context: Some(json!({})),
            channel: Some(Channel::File(path)),
            file: Mutex::new(MessageFile::NotOpened),
            closed: Mutex::new(false),
        };
        pipes.opened().unwrap();
        pipes.log("info", "one").unwrap();
        pipes.closed(None).unwrap();
        // Nothing after `closed` reaches (or waits for) a reader that has gone.
        pipes.log("info", "late").unwrap();
        let text = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the reader saw the end of the pipe");
        let methods: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Json>(l).unwrap()["method"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(methods, ["opened", "log", "closed"]);
        drop(pipes);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Messages through a file channel, as Dagster's default reader receives them.
    #[test]
    fn every_message_is_one_line_of_the_file() {
        let dir = std::env::temp_dir().join(format!("kedrust-pipes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("messages");
        let pipes = Pipes {
            context: Some(json!({})),
            channel: Some(Channel::File(path.clone())),
            file: Mutex::new(MessageFile::NotOpened),
            closed: Mutex::new(false),
        };
        pipes.opened().unwrap();
        for i in 0..100 {
            pipes.log("info", &format!("message {i}")).unwrap();
        }
        pipes.log("info", &"x".repeat(70 * 1024)).unwrap();
        pipes.closed(None).unwrap();
        drop(pipes);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Json> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines.len(),
            103,
            "opened, 101 logs, one closed (Drop adds none)"
        );
        assert_eq!(lines[0]["method"], "opened");
        assert_eq!(lines[102]["method"], "closed");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn without_the_variables_it_is_standalone() {
        let p = Pipes::standalone();
        assert!(!p.is_active());
        p.log("info", "nowhere").unwrap();
        assert_eq!(p.run_id(), None);
    }
}
