//! Where a handler's lines go: the console, a file, a file rotated by size, or nowhere.
//! Files are opened at the first line (Python's `delay: true`), so a command that logs
//! nothing creates none; each line is written whole, in one call, so the processes of one
//! run may append to one file.

use file_rotate::{ContentLimit, FileRotate, compression::Compression, suffix::AppendCount};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

pub(crate) enum Sink {
    Stdout,
    Stderr,
    File {
        path: PathBuf,
        truncate: bool,
        file: Mutex<Option<std::fs::File>>,
    },
    /// Python's `RotatingFileHandler`: after the line that passes `max_bytes`, the file
    /// becomes `<file>.1` (and `.1` becomes `.2`, ...), keeping `backups` of them.
    Rotating {
        path: PathBuf,
        max_bytes: usize,
        backups: usize,
        file: Mutex<Option<FileRotate<AppendCount>>>,
    },
    Null,
}

impl Sink {
    pub(crate) fn file(path: PathBuf, truncate: bool) -> Self {
        Sink::File {
            path,
            truncate,
            file: Mutex::new(None),
        }
    }

    pub(crate) fn rotating(path: PathBuf, max_bytes: usize, backups: usize) -> Self {
        Sink::Rotating {
            path,
            max_bytes,
            backups,
            file: Mutex::new(None),
        }
    }

    pub(crate) fn is_console(&self) -> bool {
        matches!(self, Sink::Stdout | Sink::Stderr)
    }

    /// Writes `line` and a newline; a file that cannot be written says so once on stderr.
    pub(crate) fn write_line(&self, line: &str) {
        let bytes = format!("{line}\n");
        let result = match self {
            Sink::Stdout => std::io::stdout().lock().write_all(bytes.as_bytes()),
            Sink::Stderr => std::io::stderr().lock().write_all(bytes.as_bytes()),
            Sink::Null => Ok(()),
            Sink::File {
                path,
                truncate,
                file,
            } => {
                let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
                open_once(&mut file, || {
                    make_parent(path)?;
                    std::fs::OpenOptions::new()
                        .create(true)
                        .write(true)
                        .append(!truncate)
                        .truncate(*truncate)
                        .open(path)
                })
                .and_then(|f| f.write_all(bytes.as_bytes()))
            }
            Sink::Rotating {
                path,
                max_bytes,
                backups,
                file,
            } => {
                let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
                open_once(&mut file, || {
                    make_parent(path)?;
                    // Python never rotates when either number is 0.
                    let limit = if *max_bytes == 0 || *backups == 0 {
                        ContentLimit::None
                    } else {
                        ContentLimit::BytesSurpassed(*max_bytes)
                    };
                    Ok(FileRotate::new(
                        path,
                        AppendCount::new(*backups),
                        limit,
                        Compression::None,
                        None,
                    ))
                })
                .and_then(|f| f.write_all(bytes.as_bytes()))
            }
        };
        if let Err(e) = result {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| eprintln!("warning: cannot write a log line: {e}"));
        }
    }
}

fn open_once<T>(
    slot: &mut Option<T>,
    open: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<&mut T> {
    if slot.is_none() {
        *slot = Some(open()?);
    }
    Ok(slot.as_mut().expect("opened above"))
}

fn make_parent(path: &std::path::Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}
