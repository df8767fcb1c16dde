//! The command line (issue #4, not built yet).
//!
//! Will own: argument parsing, output formatting and exit codes (0 success, 1 run failed,
//! 2 bad usage or config). A project's `main.rs` hands over to it.
//!
//! Must never: hold domain logic; every command calls the library crates.
