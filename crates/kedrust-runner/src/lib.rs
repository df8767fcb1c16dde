//! Hooks and runners (issue #4, not built yet).
//!
//! Will own: the hook traits with every Kedro hook, the tracing hook, and the sequential,
//! threaded and multi-process executors of a plan.
//!
//! Must never: parse command lines or decide which pipeline to run; it executes what it is
//! given and reports what happened.
