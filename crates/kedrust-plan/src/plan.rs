//! The job plan: what a job runs, as ops, built once per run and shared by every process.
//!
//! - A start op (`after_context_created`, `after_catalog_created`, `before_pipeline_run`)
//!   that every node op depends on.
//! - One op per node, depending on the start op and on the ops of its parent nodes.
//! - An end op (`after_pipeline_run`) that depends on **every** terminal node, whatever its
//!   layer (kedro-dagster wires only the last layer, so a terminal node of an earlier layer
//!   can still be running when its end op fires).
//!
//! Op names are valid Dagster names (`^[A-Za-z0-9_]+$`), deterministic and unique; the plan
//! stores the op-to-node map, so a name is never turned back into a node name by string
//! manipulation.

use crate::dagster_yml::{Executor, Job, RetryPolicy};
use kedrust_catalog::Catalog;
use kedrust_pipeline::naming::is_parameter;
use kedrust_pipeline::{Filter, Pipeline};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What an op does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpKind {
    /// The pipeline-level start hooks.
    Start,
    /// One node.
    Node {
        /// The node's name.
        node: String,
    },
    /// The pipeline-level end hook.
    End,
}

/// One op of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// A valid Dagster op name.
    pub name: String,
    /// What it runs.
    pub kind: OpKind,
    /// Ops that must succeed first.
    pub upstream: Vec<String>,
    /// Persisted datasets it loads.
    pub loads: Vec<String>,
    /// Persisted datasets it saves.
    pub saves: Vec<String>,
    /// Of `saves`, the unversioned ones that exist now and would be replaced.
    pub overwrites: Vec<String>,
    /// The retry policy of this op.
    pub retry: Option<RetryPolicy>,
}

/// A memory dataset whose producer and consumers are different ops: the run's IO store
/// carries it between processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crossing {
    /// The dataset.
    pub dataset: String,
    /// The producing op.
    pub from: String,
    /// The consuming ops (empty for a free output the run returns).
    pub to: Vec<String>,
}

/// A job, planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobPlan {
    /// The job's name (`__run__` for an ad-hoc run of a pipeline).
    pub job: String,
    /// The environment.
    pub env: String,
    /// The registry pipeline.
    pub pipeline_name: String,
    /// The filters applied.
    pub filter: Filter,
    /// How the ops are executed.
    pub executor: Executor,
    /// Start op, node ops in execution order, end op.
    pub ops: Vec<Op>,
    /// Op name to node name.
    pub node_of_op: BTreeMap<String, String>,
    /// Memory datasets that cross op boundaries.
    pub crossings: Vec<Crossing>,
}

/// A Dagster name from any text: `.` becomes `__`, other invalid characters `_`.
pub fn op_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '_' => out.push(c),
            '.' => out.push_str("__"),
            _ => out.push('_'),
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

impl JobPlan {
    /// Plans `job` over its filtered `pipeline`, reading dataset kinds from `catalog`.
    pub fn build(job: &Job, env: &str, pipeline: &Pipeline, catalog: &Catalog) -> Self {
        let start = format!("before_pipeline_run_hook_{}", op_name(&job.name));
        let end = format!("after_pipeline_run_hook_{}", op_name(&job.name));
        let mut taken: BTreeSet<String> = [start.clone(), end.clone()].into();
        let mut op_of_node: HashMap<&str, String> = HashMap::new();
        for node in pipeline.nodes() {
            let base = op_name(node.node_name());
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(name.clone());
            op_of_node.insert(node.node_name(), name);
        }
        let persisted = |d: &str| !is_parameter(d) && !catalog.is_ephemeral(d);
        let versioned = |d: &str| {
            catalog
                .resolve(d)
                .and_then(|r| r.config)
                .and_then(|c| c.get("versioned").and_then(|v| v.as_bool()))
                .unwrap_or(false)
        };
        let deps = pipeline.node_dependencies();
        let mut ops = vec![Op {
            name: start.clone(),
            kind: OpKind::Start,
            upstream: Vec::new(),
            loads: Vec::new(),
            saves: Vec::new(),
            overwrites: Vec::new(),
            retry: None,
        }];
        let mut node_of_op = BTreeMap::new();
        for node in pipeline.nodes() {
            let name = op_of_node[node.node_name()].clone();
            let mut upstream = vec![start.clone()];
            upstream.extend(deps[node.node_name()].iter().map(|p| op_of_node[p].clone()));
            let saves: Vec<String> = node
                .outputs()
                .iter()
                .filter(|o| persisted(o))
                .cloned()
                .collect();
            let overwrites = saves
                .iter()
                .filter(|o| !versioned(o) && catalog.exists(o).unwrap_or(false))
                .cloned()
                .collect();
            let retry = job
                .tag_retry_policies
                .iter()
                .find(|(tag, _)| node.tag_set().contains(*tag))
                .map(|(_, p)| p.clone())
                .or_else(|| job.retry_policy.clone());
            ops.push(Op {
                name: name.clone(),
                kind: OpKind::Node {
                    node: node.node_name().to_owned(),
                },
                upstream,
                loads: node
                    .inputs()
                    .iter()
                    .filter(|i| persisted(i))
                    .cloned()
                    .collect(),
                saves,
                overwrites,
                retry,
            });
            node_of_op.insert(name, node.node_name().to_owned());
        }
        let terminal: Vec<String> = pipeline
            .terminal_nodes()
            .iter()
            .map(|n| op_of_node[n.node_name()].clone())
            .collect();
        ops.push(Op {
            name: end,
            kind: OpKind::End,
            upstream: terminal,
            loads: Vec::new(),
            saves: Vec::new(),
            overwrites: Vec::new(),
            retry: None,
        });
        let mut crossings = Vec::new();
        for node in pipeline.nodes() {
            for output in node
                .outputs()
                .iter()
                .filter(|o| !persisted(o) && !is_parameter(o) && !catalog.carries_nothing(o))
            {
                let to = pipeline
                    .nodes()
                    .filter(|c| c.inputs().contains(output))
                    .map(|c| op_of_node[c.node_name()].clone())
                    .collect();
                crossings.push(Crossing {
                    dataset: output.clone(),
                    from: op_of_node[node.node_name()].clone(),
                    to,
                });
            }
        }
        Self {
            job: job.name.clone(),
            env: env.to_owned(),
            pipeline_name: job.pipeline_name.clone(),
            filter: job.filter.clone(),
            executor: job.executor.clone(),
            ops,
            node_of_op,
            crossings,
        }
    }

    /// Node name to op name, the inverse of `node_of_op`.
    pub fn op_of_node(&self) -> HashMap<String, String> {
        self.node_of_op
            .iter()
            .map(|(op, node)| (node.clone(), op.clone()))
            .collect()
    }

    /// The op called `name`.
    pub fn op(&self, name: &str) -> Option<&Op> {
        self.ops.iter().find(|o| o.name == name)
    }

    /// The end op's name (every plan has one: `after_pipeline_run` fires there).
    pub fn end_op(&self) -> &str {
        self.ops
            .iter()
            .find(|o| matches!(o.kind, OpKind::End))
            .map_or("", |o| o.name.as_str())
    }

    /// The dry-run text of `plan --job`: ops in order with their upstream ops, loads, saves
    /// and overwrites, then the memory datasets that cross a process boundary.
    pub fn render(&self) -> String {
        let mut out = format!(
            "job {} (env {}, pipeline {}, executor {} x{})\n",
            self.job,
            self.env,
            self.pipeline_name,
            self.executor.kind,
            self.executor.max_concurrent
        );
        for (i, op) in self.ops.iter().enumerate() {
            let what = match &op.kind {
                OpKind::Start => {
                    "start: after_context_created, after_catalog_created, before_pipeline_run"
                        .to_owned()
                }
                OpKind::Node { node } => format!("node {node}"),
                OpKind::End => "end: after_pipeline_run".to_owned(),
            };
            out.push_str(&format!("{:>3}. {}  ({what})\n", i + 1, op.name));
            let list = |label: &str, items: &[String], out: &mut String| {
                if !items.is_empty() {
                    out.push_str(&format!("       {label}: {}\n", items.join(", ")));
                }
            };
            list("after", &op.upstream, &mut out);
            list("loads", &op.loads, &mut out);
            list("saves", &op.saves, &mut out);
            list("OVERWRITES", &op.overwrites, &mut out);
            if let Some(r) = &op.retry {
                out.push_str(&format!(
                    "       retries: {} ({:?} backoff from {} s)\n",
                    r.max_retries, r.backoff, r.delay
                ));
            }
        }
        if self.crossings.is_empty() {
            out.push_str("no memory dataset crosses an op boundary\n");
        } else {
            out.push_str("memory datasets carried between processes by the run's IO store:\n");
            for c in &self.crossings {
                let to = if c.to.is_empty() {
                    "the run's result".to_owned()
                } else {
                    c.to.join(", ")
                };
                out.push_str(&format!("  {}: {} -> {to}\n", c.dataset, c.from));
            }
        }
        out
    }
}
