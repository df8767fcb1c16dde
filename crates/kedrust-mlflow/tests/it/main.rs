//! MLflow integration tests.
