//! The repository's prose, compiled: each document below is the doc comment of an item, so
//! `cargo test --doc` builds and runs every Rust code block in it against the published API
//! (the `kedrust` facade only, as a project sees it). A code block that stops compiling fails
//! the test command. The documents live outside every published crate, hence this crate.

#[doc = include_str!("../../../README.md")]
pub struct Readme;

#[doc = include_str!("../../../docs/guide/tutorial.md")]
pub struct Tutorial;

#[doc = include_str!("../../../docs/guide/from-kedro.md")]
pub struct FromKedro;

#[doc = include_str!("../../../docs/guide/datasets-and-hooks.md")]
pub struct DatasetsAndHooks;

#[doc = include_str!("../../../docs/guide/partitions.md")]
pub struct Partitions;
