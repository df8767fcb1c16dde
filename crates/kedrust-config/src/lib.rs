//! Configuration environments (issue #3, not built yet).
//!
//! Will own: finding config files by group pattern in `conf/base` and the run environment,
//! YAML with anchors and merge keys, merging, `${...}` interpolation, runtime parameters and
//! errors that name the file, line, column and key.
//!
//! Must never: know about nodes, datasets or runs; it turns files into typed values only.
