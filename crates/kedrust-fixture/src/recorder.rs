//! A hook that writes every call it receives to `KEDRUST_FIXTURE_RECORD` (one line: the
//! recorder's name, the hook, the node and dataset), and fails at the point named by
//! `KEDRUST_FIXTURE_FAIL_HOOK`. Tests compare its file with the built-in trace. With
//! `KEDRUST_FIXTURE_OFFSET` set, both recorders replace the `params:offset` input in
//! `before_node_run`: the first with that value, the second with 0 (Kedro's rule makes the
//! first registered win). With `KEDRUST_FIXTURE_VERSIONS` set, the first writes each node's
//! save version there. With `KEDRUST_FIXTURE_BLOCK_HOOK=<hook>=<file>`, the second blocks in
//! that pipeline hook before noting it (it writes the file, then waits up to 30 s for it to
//! disappear). With
//! `KEDRUST_FIXTURE_FAIL_SAVED_ONCE=<file>`, the first fails once after `checked` was saved.
//! With `KEDRUST_FIXTURE_MARK_SAVED=<dataset>=<file>`, the first creates the file once the
//! dataset is saved. With `KEDRUST_FIXTURE_DEBUG=<file>`, the first writes the `Debug` output of every hook's
//! arguments there, as a project debugging its hooks would; with `KEDRUST_FIXTURE_NODE_KEYS=<file>`,
//! it notes the partition key each node sees.

use kedrust_pipeline::{BoxError, Value};
use kedrust_runner::{
    CatalogInfo, ContextInfo, DatasetInfo, Hook, HookResult, NamedValues, NodeInfo, PipelineInfo,
    RunError, RunResult,
};
use std::io::Write;

pub struct Recorder {
    label: &'static str,
    file: Option<std::path::PathBuf>,
    fail_at: Option<String>,
    offset: Option<i64>,
}

impl Recorder {
    pub fn from_env(label: &'static str) -> Self {
        Self {
            label,
            file: std::env::var_os("KEDRUST_FIXTURE_RECORD").map(Into::into),
            fail_at: std::env::var("KEDRUST_FIXTURE_FAIL_HOOK").ok(),
            offset: std::env::var("KEDRUST_FIXTURE_OFFSET")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    fn note(&self, hook: &str, node: Option<&str>, dataset: Option<&str>) -> HookResult {
        if let Some(path) = &self.file {
            let line = format!(
                "{} {hook} {} {}\n",
                self.label,
                node.unwrap_or("-"),
                dataset.unwrap_or("-")
            );
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?
                .write_all(line.as_bytes())?;
        }
        // Only the hook registered first fails, so the other one's calls show the order.
        if self.label == "first" && self.fail_at.as_deref() == Some(hook) {
            return Err(format!("{hook} was told to fail").into());
        }
        Ok(())
    }
}

impl Recorder {
    /// Appends `what`'s `Debug` output to `KEDRUST_FIXTURE_DEBUG`.
    fn dump(&self, what: &dyn std::fmt::Debug) -> HookResult {
        if let (Some(path), "first") = (std::env::var_os("KEDRUST_FIXTURE_DEBUG"), self.label) {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?
                .write_all(format!("{what:#?}\n").as_bytes())?;
        }
        Ok(())
    }

    /// The hook called first blocks at `hook` before it notes anything, for the tests that kill
    /// the process firing a pipeline hook.
    fn block_at(&self, hook: &str) -> HookResult {
        let asked = std::env::var("KEDRUST_FIXTURE_BLOCK_HOOK").unwrap_or_default();
        if let (Some((point, file)), "second") = (asked.split_once('='), self.label)
            && point == hook
        {
            crate::block_until_removed(file.as_ref())?;
        }
        Ok(())
    }
}

impl Hook for Recorder {
    fn name(&self) -> String {
        format!("recorder_{}", self.label)
    }
    fn after_context_created(&self, info: &ContextInfo<'_>) -> HookResult {
        self.dump(info)?;
        self.note("after_context_created", None, None)
    }
    fn after_catalog_created(&self, info: &CatalogInfo<'_>) -> HookResult {
        self.dump(info)?;
        self.note("after_catalog_created", None, None)
    }
    fn before_pipeline_run(&self, info: PipelineInfo<'_>) -> HookResult {
        self.dump(&info)?;
        self.block_at("before_pipeline_run")?;
        if self.label == "first" {
            info.state
                .set("started_in", serde_json::json!(std::process::id()))?;
        }
        self.note("before_pipeline_run", None, None)
    }
    fn after_pipeline_run(&self, _: &RunResult, _: PipelineInfo<'_>) -> HookResult {
        self.note("after_pipeline_run", None, None)
    }
    fn on_pipeline_error(&self, error: &RunError, _: PipelineInfo<'_>) -> HookResult {
        self.dump(error)?;
        self.block_at("on_pipeline_error")?;
        self.note("on_pipeline_error", None, None)
    }
    fn before_node_run(
        &self,
        info: NodeInfo<'_>,
    ) -> Result<Option<Vec<(String, Value)>>, BoxError> {
        self.note("before_node_run", Some(info.node.node_name()), None)?;
        // The partition key each node sees, for the partition tests.
        if let (Some(path), "first") = (std::env::var_os("KEDRUST_FIXTURE_NODE_KEYS"), self.label) {
            let line = format!(
                "{} {}\n",
                info.node.node_name(),
                info.partition_key().unwrap_or("-")
            );
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?
                .write_all(line.as_bytes())?;
        }
        // The save version each node's process saves to, for the save-version race test.
        if let (Some(path), "first") = (std::env::var_os("KEDRUST_FIXTURE_VERSIONS"), self.label) {
            let line = format!(
                "{} {}\n",
                info.node.node_name(),
                info.catalog.save_version()
            );
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?
                .write_all(line.as_bytes())?;
        }
        let replaces = info.inputs.names().any(|n| n == "params:offset");
        Ok(self.offset.filter(|_| replaces).map(|offset| {
            let value = if self.label == "first" { offset } else { 0 };
            vec![(
                "params:offset".to_owned(),
                Value::new(serde_json::json!(value)),
            )]
        }))
    }
    fn after_node_run(&self, _: &NamedValues, info: NodeInfo<'_>) -> HookResult {
        // What the start op stored, seen from the node's process.
        if let (Some(path), "first") = (std::env::var_os("KEDRUST_FIXTURE_STATE"), self.label) {
            let line = format!(
                "{} {} {}\n",
                info.node.node_name(),
                std::process::id(),
                info.state.get("started_in").unwrap_or_default()
            );
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?
                .write_all(line.as_bytes())?;
        }
        self.note("after_node_run", Some(info.node.node_name()), None)
    }
    fn on_node_error(&self, error: &RunError, info: NodeInfo<'_>) -> HookResult {
        self.dump(error)?;
        self.dump(&info)?;
        self.note("on_node_error", Some(info.node.node_name()), None)
    }
    fn before_dataset_loaded(&self, info: DatasetInfo<'_>) -> HookResult {
        let (name, node) = (info.dataset, info.node);
        self.note("before_dataset_loaded", Some(node.node_name()), Some(name))
    }
    fn after_dataset_loaded(&self, _: &Value, info: DatasetInfo<'_>) -> HookResult {
        let (name, node) = (info.dataset, info.node);
        self.note("after_dataset_loaded", Some(node.node_name()), Some(name))
    }
    fn before_dataset_saved(&self, _: &Value, info: DatasetInfo<'_>) -> HookResult {
        let (name, node) = (info.dataset, info.node);
        self.note("before_dataset_saved", Some(node.node_name()), Some(name))
    }
    fn after_dataset_saved(&self, _: &Value, info: DatasetInfo<'_>) -> HookResult {
        let (name, node) = (info.dataset, info.node);
        // Fails once after `checked` was saved (the marker file remembers it across processes).
        if let (Some(marker), "first", "checked") = (
            std::env::var_os("KEDRUST_FIXTURE_FAIL_SAVED_ONCE"),
            self.label,
            name,
        ) && std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
            .is_ok()
        {
            return Err("failed once after checked was saved".into());
        }
        if let (Ok(asked), "first") = (std::env::var("KEDRUST_FIXTURE_MARK_SAVED"), self.label)
            && let Some((dataset, file)) = asked.split_once('=')
            && dataset == name
        {
            std::fs::write(file, b"saved")?;
        }
        self.note("after_dataset_saved", Some(node.node_name()), Some(name))
    }
}
