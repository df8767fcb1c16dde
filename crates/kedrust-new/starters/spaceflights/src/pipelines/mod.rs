//! The project's pipelines, one module each, as in Kedro's `pipelines/` package.

pub mod data_processing;
pub mod data_science;
