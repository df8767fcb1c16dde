//! MLflow tracking (issue #7, not built yet).
//!
//! Will own: `mlflow.yml`, a small blocking REST client, and the hook that opens one run per
//! pipeline run and a nested run per node in every execution mode.
//!
//! Must never: hang on an unreachable server, or keep run ids in memory across processes.
