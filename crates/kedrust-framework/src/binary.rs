//! One binary per orchestrated run: the first op of a run pins the binary it runs (a hard link
//! in the run's folder, so a rebuild that replaces the file leaves it as it was), and every
//! later op of the run runs that one. The process runner needs none of this: its steps start
//! the binary of their orchestrator's process.

use crate::options::SessionError;
use std::path::{Path, PathBuf};

/// What an op of run `run_id` runs: `None` when this process is the run's binary (the first
/// op pins it), else the binary the run pinned, which the caller runs instead of itself.
pub fn pin_binary(project_path: &Path, run_id: &str) -> Result<Option<PathBuf>, SessionError> {
    kedrust_store::check_run_id(run_id).map_err(SessionError::Selection)?;
    // This host's own: a host of a run that shares no disk pins the binary it runs.
    let pinned = crate::settings::local_run_dir(project_path, run_id).join("binary");
    pinned_other_than_this(&pinned).map_err(|e| {
        SessionError::Io(format!(
            "cannot pin the run's binary at {}: {e}",
            pinned.display()
        ))
    })
}

#[cfg(target_os = "linux")]
fn pinned_other_than_this(pinned: &Path) -> std::io::Result<Option<PathBuf>> {
    use std::os::unix::fs::MetadataExt;
    // The kernel's handle to the file this process runs, even if it was replaced since.
    let running = Path::new("/proc/self/exe");
    if !pinned.exists() {
        if let Some(dir) = pinned.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let linked = std::env::current_exe().and_then(|own| std::fs::hard_link(own, pinned));
        match linked {
            Ok(()) => {}
            // Another op of the run pinned it first.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            // Another filesystem: a copy, moved into place whole.
            Err(_) => {
                let partial = pinned.with_extension(std::process::id().to_string());
                std::fs::copy(running, &partial)?;
                let placed = std::fs::hard_link(&partial, pinned);
                std::fs::remove_file(&partial)?;
                match placed {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                    _ => {}
                }
            }
        }
    }
    let (own, theirs) = (std::fs::metadata(running)?, std::fs::metadata(pinned)?);
    Ok(((own.dev(), own.ino()) != (theirs.dev(), theirs.ino())).then(|| pinned.to_owned()))
}

#[cfg(not(target_os = "linux"))]
fn pinned_other_than_this(_pinned: &Path) -> std::io::Result<Option<PathBuf>> {
    Ok(None)
}
