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
    /// Several nodes in one process, in order (a job's grouping).
    Group {
        /// The group's name.
        group: String,
        /// Its nodes, in execution order.
        nodes: Vec<String>,
        /// Threads its nodes run on (1: one after the other, in order).
        #[serde(default = "one")]
        workers: usize,
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

impl Op {
    /// The nodes it runs, in order (none for the start and end ops).
    pub fn nodes(&self) -> Vec<&str> {
        match &self.kind {
            OpKind::Node { node } => vec![node.as_str()],
            OpKind::Group { nodes, .. } => nodes.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
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

fn one() -> usize {
    1
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
    /// Plans `job` over its filtered `pipeline`, reading dataset kinds from `catalog`; the
    /// problems of the job's grouping, if it has any.
    pub fn build(
        job: &Job,
        env: &str,
        pipeline: &Pipeline,
        catalog: &Catalog,
    ) -> Result<Self, Vec<String>> {
        Self::build_over(job, env, (pipeline, true), catalog)
    }

    /// [`JobPlan::build`] over `pipeline`, which is the job's whole pipeline (`whole`) or the
    /// part of it a run selects (resumed, filtered further, fanned out).
    pub fn build_over(
        job: &Job,
        env: &str,
        (pipeline, whole): (&Pipeline, bool),
        catalog: &Catalog,
    ) -> Result<Self, Vec<String>> {
        let groups = crate::grouping::groups(&job.grouping, pipeline, catalog, whole)?;
        let start = format!("before_pipeline_run_hook_{}", op_name(&job.name));
        let end = format!("after_pipeline_run_hook_{}", op_name(&job.name));
        let mut taken: BTreeSet<String> = [start.clone(), end.clone()].into();
        let mut op_of_node: HashMap<&str, String> = HashMap::new();
        let mut op_of_group: Vec<String> = Vec::with_capacity(groups.len());
        for group in &groups {
            let base = op_name(&group.name);
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(name.clone());
            for node in &group.nodes {
                if let Some(node) = pipeline.node(node) {
                    op_of_node.insert(node.node_name(), name.clone());
                }
            }
            op_of_group.push(name);
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
        for (group, name) in groups.iter().zip(&op_of_group) {
            let nodes: Vec<&kedrust_pipeline::Node> = group
                .nodes
                .iter()
                .filter_map(|n| pipeline.node(n))
                .collect();
            let mut upstream = vec![start.clone()];
            for node in &nodes {
                for parent in &deps[node.node_name()] {
                    let op = &op_of_node[parent];
                    if op != name && !upstream.contains(op) {
                        upstream.push(op.clone());
                    }
                }
            }
            let made_here: BTreeSet<&str> = nodes
                .iter()
                .flat_map(|n| n.outputs().iter().map(String::as_str))
                .collect();
            let mut loads: Vec<String> = Vec::new();
            for input in nodes.iter().flat_map(|n| n.inputs()) {
                if persisted(input) && !made_here.contains(input.as_str()) && !loads.contains(input)
                {
                    loads.push(input.clone());
                }
            }
            let saves: Vec<String> = made_here
                .iter()
                .filter(|o| persisted(o))
                .map(|o| (*o).to_owned())
                .collect();
            let overwrites = saves
                .iter()
                .filter(|o| !versioned(o) && catalog.exists(o).unwrap_or(false))
                .cloned()
                .collect();
            let retry = job
                .tag_retry_policies
                .iter()
                .find(|(tag, _)| nodes.iter().any(|n| n.tag_set().contains(*tag)))
                .map(|(_, p)| p.clone())
                .or_else(|| job.retry_policy.clone());
            let kind = if group.alone {
                node_of_op.insert(name.clone(), group.nodes[0].clone());
                OpKind::Node {
                    node: group.nodes[0].clone(),
                }
            } else {
                OpKind::Group {
                    group: group.name.clone(),
                    nodes: group.nodes.clone(),
                    workers: job.group_workers,
                }
            };
            ops.push(Op {
                name: name.clone(),
                kind,
                upstream,
                loads,
                saves,
                overwrites,
                retry,
            });
        }
        let mut terminal: Vec<String> = Vec::new();
        for node in pipeline.terminal_nodes() {
            let op = &op_of_node[node.node_name()];
            if !terminal.contains(op) {
                terminal.push(op.clone());
            }
        }
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
            let from = &op_of_node[node.node_name()];
            for output in node
                .outputs()
                .iter()
                .filter(|o| !persisted(o) && !is_parameter(o) && !catalog.carries_nothing(o))
            {
                let consumers: Vec<&String> = pipeline
                    .nodes()
                    .filter(|c| c.inputs().contains(output))
                    .map(|c| &op_of_node[c.node_name()])
                    .collect();
                // Read only inside its own op, it never leaves that op's process.
                if !consumers.is_empty() && consumers.iter().all(|op| *op == from) {
                    continue;
                }
                let mut to: Vec<String> = Vec::new();
                for op in consumers {
                    if op != from && !to.contains(op) {
                        to.push(op.clone());
                    }
                }
                crossings.push(Crossing {
                    dataset: output.clone(),
                    from: from.clone(),
                    to,
                });
            }
        }
        Ok(Self {
            job: job.name.clone(),
            env: env.to_owned(),
            pipeline_name: job.pipeline_name.clone(),
            filter: job.filter.clone(),
            executor: job.executor.clone(),
            ops,
            node_of_op,
            crossings,
        })
    }

    /// The nodes op `op` runs, in order (none for the start and end ops).
    pub fn nodes_of(&self, op: &str) -> Vec<&str> {
        self.op(op).map_or_else(Vec::new, Op::nodes)
    }

    /// Whether dataset `name` crosses an op boundary (its value travels between processes).
    /// For many names, [`JobPlan::crossing`] once.
    pub fn crosses(&self, name: &str) -> bool {
        self.crossings.iter().any(|c| c.dataset == name)
    }

    /// The datasets that cross an op boundary.
    pub fn crossing(&self) -> std::collections::HashSet<&str> {
        self.crossings.iter().map(|c| c.dataset.as_str()).collect()
    }

    /// Node name to the name of the op that runs it.
    pub fn op_of_node(&self) -> HashMap<String, String> {
        self.ops
            .iter()
            .flat_map(|op| {
                op.nodes()
                    .into_iter()
                    .map(|node| (node.to_owned(), op.name.clone()))
            })
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
                OpKind::Group {
                    group,
                    nodes,
                    workers,
                } => {
                    let threads = if *workers > 1 {
                        format!(" (on {workers} threads)")
                    } else {
                        String::new()
                    };
                    format!("group {group}: {}{threads}", nodes.join(", "))
                }
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
