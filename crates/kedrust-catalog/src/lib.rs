//! The data catalog (issue #3, not built yet).
//!
//! Will own: dataset types and their registry, dataset factories, versioning, atomic saves and
//! the catalog-level type check (a dataset declares the Rust type it loads and saves).
//!
//! Must never: depend on Polars (DataFrame datasets live in their own crate), schedule nodes
//! or fire hooks.
