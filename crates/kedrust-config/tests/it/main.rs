//! Integration tests of the config loader over fixture projects in `tests/fixtures`.

mod interpolation;
mod limits;
mod loading;
mod runtime_params;
