//! Configuration environments.
//!
//! Owns: finding the files of a config group (`catalog*`, `parameters*`, ...) in `conf/base`
//! and the run environment, YAML with anchors, aliases and merge keys, the key-in-two-files
//! check, merging environments (destructive or soft), runtime parameters, and locations (file,
//! line, column) for every key so that every message can point at it, and `${...}`
//! interpolation with the `globals:`, `runtime_params:` and `oc.env:` resolvers plus the
//! resolvers a project registers.
//!
//! Must never: know about nodes, datasets or runs; it turns files into values only.

mod discover;
mod error;
mod interpolate;
mod keys;
mod loader;
mod location;
mod merge;
mod params;
mod template;
mod yaml;

pub use discover::{Group, default_groups};
pub use error::{ConfigError, ConfigErrors};
pub use interpolate::Resolver;
pub use keys::{dotted_paths, nearest_location};
pub use loader::{BASE_ENV, Config, ConfigLoader, DEFAULT_RUN_ENV, ENV_VAR, run_env};
pub use location::Loc;
pub use merge::{MergeStrategy, deep_merge, merge};
pub use params::{parse_runtime_params, set_path};
pub use yaml::{Document, KeyPath, parse};
