//! Running one node: load its inputs, fire the node hooks, call the function, save the
//! outputs; each load and save between its dataset hooks. Kedro's order, §6.4.

use crate::error::RunError;
use crate::hooks::{DatasetInfo, Hooks, NamedValues, NodeInfo};
use crate::point::HookPoint;
use crate::trace::TracePoint;
use kedrust_catalog::Catalog;
use kedrust_pipeline::{Node, Pipeline};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What every node of a run shares: the catalog, the hooks, the loads still to come (so
/// that a memory dataset is released at its last load), each node's op and retry policy.
pub struct Execution<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) hooks: &'a Hooks,
    /// Loads still to come per dataset; the last load releases a memory dataset, so its
    /// value moves into the node instead of being copied.
    pending_loads: HashMap<&'a str, AtomicUsize>,
    free_inputs: BTreeSet<String>,
    free_outputs: BTreeSet<String>,
    /// The op each node runs in (empty when there is no plan: benchmarks, embedding).
    pub(crate) op_of_node: HashMap<String, String>,
    /// The retry policy of each node that has one.
    pub(crate) retries: HashMap<String, kedrust_plan::RetryPolicy>,
    /// Nodes that run in one process of the process runner, in order.
    groups: Vec<Vec<String>>,
}

impl<'a> Execution<'a> {
    /// The nodes of `pipeline` against `catalog`, firing `hooks`.
    pub fn new(pipeline: &'a Pipeline, catalog: &'a Catalog, hooks: &'a Hooks) -> Self {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for node in pipeline.nodes() {
            for input in node.inputs() {
                *counts.entry(input.as_str()).or_default() += 1;
            }
        }
        Self {
            catalog,
            hooks,
            pending_loads: counts
                .into_iter()
                .map(|(k, v)| (k, AtomicUsize::new(v)))
                .collect(),
            free_inputs: pipeline.inputs(),
            free_outputs: pipeline.outputs(),
            op_of_node: HashMap::new(),
            retries: HashMap::new(),
            groups: Vec::new(),
        }
    }

    /// Retries failed nodes as their op's policy says.
    pub fn with_retries(mut self, retries: HashMap<String, kedrust_plan::RetryPolicy>) -> Self {
        self.retries = retries;
        self
    }

    /// Names the op of every node.
    pub fn with_ops(mut self, op_of_node: HashMap<String, String>) -> Self {
        self.op_of_node = op_of_node;
        self
    }

    /// Runs each of `groups` (nodes, in order) in one process of the process runner.
    pub fn with_groups(mut self, groups: Vec<Vec<String>>) -> Self {
        self.groups = groups;
        self
    }

    /// The steps of the process runner over `pipeline`: each group's nodes that `pipeline`
    /// has, and every other node alone, in the order of their first nodes.
    pub(crate) fn steps<'p>(&self, pipeline: &'p Pipeline) -> Vec<Vec<&'p Node>> {
        let group_of: HashMap<&str, usize> = self
            .groups
            .iter()
            .enumerate()
            .flat_map(|(i, g)| g.iter().map(move |n| (n.as_str(), i)))
            .collect();
        let mut steps: Vec<Vec<&Node>> = Vec::new();
        let mut step_of_group: HashMap<usize, usize> = HashMap::new();
        for node in pipeline.nodes() {
            match group_of.get(node.node_name()) {
                Some(g) => match step_of_group.get(g) {
                    Some(&i) => steps[i].push(node),
                    None => {
                        step_of_group.insert(*g, steps.len());
                        steps.push(vec![node]);
                    }
                },
                None => steps.push(vec![node]),
            }
        }
        steps
    }

    /// Counts one load of `name`; true when it was the last one.
    fn last_load(&self, name: &str) -> bool {
        self.pending_loads
            .get(name)
            .is_some_and(|c| c.fetch_sub(1, Ordering::AcqRel) == 1)
    }

    fn has_consumers_left(&self, name: &str) -> bool {
        self.pending_loads
            .get(name)
            .is_some_and(|c| c.load(Ordering::Acquire) > 0)
    }
}

/// Runs `node` between its hooks and saves its outputs.
pub fn run_node(shared: &Execution<'_>, node: &Node) -> Result<(), RunError> {
    let catalog = shared.catalog;
    let in_op;
    let hooks = match shared.op_of_node.get(node.node_name()) {
        Some(op) => {
            in_op = shared.hooks.in_op(op);
            &in_op
        }
        None => shared.hooks,
    };
    let node_name = node.node_name();
    let dataset_error = |source| RunError::Dataset {
        node: node_name.to_owned(),
        source: Box::new(source),
    };
    // A node that may be tried again keeps its in-memory inputs until it succeeds: its next
    // attempt loads them again.
    let retried = shared.retries.contains_key(node_name);
    let mut pairs = Vec::with_capacity(node.inputs().len());
    for name in node.inputs() {
        let at = TracePoint {
            node: Some(node_name),
            dataset: Some(name),
        };
        let dataset = dataset_info(name, node, catalog, hooks);
        hooks.each(HookPoint::BeforeDatasetLoaded, at, |h| {
            h.before_dataset_loaded(dataset)
        })?;
        let value = catalog.load(name).map_err(dataset_error)?;
        hooks.each(HookPoint::AfterDatasetLoaded, at, |h| {
            h.after_dataset_loaded(&value, dataset)
        })?;
        if !retried {
            release_after_load(shared, name);
        }
        pairs.push((name.clone(), value));
    }
    let mut inputs = NamedValues::new(pairs);
    let info = |inputs| node_info(node, catalog, inputs, hooks);
    let replacements = hooks.before_node_run(node_info(node, catalog, &inputs, hooks))?;
    for (name, value) in replacements {
        inputs.replace(&name, value);
    }
    // Hooks that read the inputs after the run keep a handle; otherwise the values move into
    // the function, which then takes them without copying.
    let kept = hooks.read_node_inputs().then(|| inputs.clone());
    let result = node.run(inputs.into_values());
    let kept = kept.unwrap_or_default();
    let values = match result {
        Ok(values) => values,
        Err(e) => {
            let error = RunError::from(e);
            let at = TracePoint {
                node: Some(node_name),
                dataset: None,
            };
            hooks.each(HookPoint::OnNodeError, at, |h| {
                h.on_node_error(&error, info(&kept))
            })?;
            return Err(error);
        }
    };
    let outputs = NamedValues::new(node.outputs().iter().cloned().zip(values).collect());
    let at = TracePoint {
        node: Some(node_name),
        dataset: None,
    };
    hooks.each(HookPoint::AfterNodeRun, at, |h| {
        h.after_node_run(&outputs, info(&kept))
    })?;
    for (name, value) in outputs.iter() {
        let at = TracePoint {
            node: Some(node_name),
            dataset: Some(name),
        };
        let dataset = dataset_info(name, node, catalog, hooks);
        hooks.each(HookPoint::BeforeDatasetSaved, at, |h| {
            h.before_dataset_saved(value, dataset)
        })?;
        catalog.save(name, value.clone()).map_err(dataset_error)?;
        hooks.each(HookPoint::AfterDatasetSaved, at, |h| {
            h.after_dataset_saved(value, dataset)
        })?;
        if hooks.store().is_some() && !catalog.is_ephemeral(name) {
            // A fan-out's slice is the partitioned dataset's materialisation for its key.
            let (dataset, key) = match catalog.partition_alias(name) {
                Some((base, key)) => (base, Some(key)),
                None => (name.to_owned(), catalog.partition_key().map(str::to_owned)),
            };
            let mut metadata = serde_json::json!({
                "dataset": dataset,
                "type": catalog.type_name(name),
                "path": catalog.path(name),
                "version": catalog.save_version(),
                "value": catalog.describe_saved(name, value),
                "node": node_name,
                "pid": std::process::id(),
                // What the run's lineage is kept under: the name saved, the run's key.
                "saved_as": name,
                "run_partition": catalog.partition_key(),
            });
            if let Some(key) = key {
                metadata["partition"] = key.into();
            }
            hooks.record(
                kedrust_store::EventKind::AssetMaterialization,
                &format!("saved {name}"),
                metadata,
            );
        }
        // An output nobody reads is dropped at once, unless it is a result of the run.
        if !shared.has_consumers_left(name) && !shared.free_outputs.contains(name) {
            catalog.release(name);
        }
    }
    if retried {
        for name in node.inputs() {
            release_after_load(shared, name);
        }
    }
    Ok(())
}

/// Before a node is tried again: removes what its earlier attempt saved to this run's
/// versions, which a version's write-once rule would otherwise refuse to save again.
pub fn discard_outputs(catalog: &Catalog, node: &Node) {
    for output in node.outputs() {
        if let Err(e) = catalog.discard_save(output) {
            tracing::warn!("node '{}' is tried again, but {e}", node.node_name());
        }
    }
}

/// Counts one load of `name` and releases a memory dataset at its last load (not the run's
/// free inputs, which the caller gave).
fn release_after_load(shared: &Execution<'_>, name: &str) {
    if shared.last_load(name) && !shared.free_inputs.contains(name) {
        shared.catalog.release(name);
    }
}

fn node_info<'a>(
    node: &'a Node,
    catalog: &'a Catalog,
    inputs: &'a NamedValues,
    hooks: &'a Hooks,
) -> NodeInfo<'a> {
    NodeInfo {
        node,
        catalog,
        inputs,
        is_async: false,
        run_id: hooks.run_id(),
        state: hooks.state(),
    }
}

fn dataset_info<'a>(
    dataset: &'a str,
    node: &'a Node,
    catalog: &'a Catalog,
    hooks: &'a Hooks,
) -> DatasetInfo<'a> {
    DatasetInfo {
        dataset,
        node,
        catalog,
        run_id: hooks.run_id(),
        state: hooks.state(),
    }
}
