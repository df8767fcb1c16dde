//! Polars DataFrame datasets of the catalog (issue #3).
