//! Binding a catalog to the pipeline it will run: record the Rust type of every dataset,
//! check it against what each dataset type stores, create every dataset, and report every
//! problem at once, before the first node runs.

use crate::catalog::{Catalog, Source};
use crate::error::{CatalogError, ConfigProblem, ConfigProblems};
use crate::registry::Holds;
use kedrust_pipeline::{ArgKind, MissingKey, Node, Pipeline, TypeTag};
use std::collections::BTreeMap;

/// Who reads or writes a dataset, and as what type.
struct Use<'a> {
    node: &'a Node,
    tag: TypeTag,
    writes: bool,
}

impl Catalog {
    /// Prepares the catalog for `pipeline`: every problem is returned together.
    ///
    /// - A dataset a node reads that no node writes must be declared (or a parameter).
    /// - A dataset type that stores one Rust type (CSV: `DataFrame`) must be read and written
    ///   as that type.
    /// - Every declared or matched dataset is created, so a bad argument is found now.
    pub fn bind(&self, pipeline: &Pipeline) -> Result<(), ConfigProblems> {
        let unknown = TypeTag::of::<MissingKey>();
        let mut uses: BTreeMap<&str, Vec<Use<'_>>> = BTreeMap::new();
        for node in pipeline.nodes() {
            for (name, tag) in node.outputs().iter().zip(node.output_types()) {
                if *tag != unknown {
                    uses.entry(name).or_default().push(Use {
                        node,
                        tag: *tag,
                        writes: true,
                    });
                }
            }
            for (name, arg) in node.inputs().iter().zip(node.input_types()) {
                if arg.kind == ArgKind::Data {
                    uses.entry(name).or_default().push(Use {
                        node,
                        tag: arg.held,
                        writes: false,
                    });
                }
            }
        }
        let produced = pipeline.all_outputs();
        let mut problems = Vec::new();
        for (name, uses) in &uses {
            let tag = uses
                .iter()
                .find(|u| u.writes)
                .or_else(|| uses.first())
                .map(|u| u.tag);
            // Several partitions of an input, through a mapping: its readers take them as a
            // map, whatever each partition holds.
            let several = self.mapped_read(name).filter(|read| read.several);
            if several.is_some() {
                let map = TypeTag::of::<crate::PartitionMap>();
                for u in uses.iter().filter(|u| u.tag != map) {
                    problems.push(ConfigProblem {
                        at: self.resolve(name).and_then(|r| r.at),
                        dataset: (*name).to_owned(),
                        message: format!(
                            "its partition mapping gives node '{}' several partitions of it: \
                             the node reads them as a PartitionMap, not as {}",
                            u.node.node_name(),
                            u.tag.short_name()
                        ),
                    });
                }
            } else if let Some(tag) = tag {
                self.set_value_type(name, tag);
            }
            let Some(resolution) = self.resolve(name) else {
                if !produced.contains(*name) {
                    let reader = uses.first().map(|u| u.node.node_name()).unwrap_or_default();
                    problems.push(ConfigProblem {
                        at: None,
                        dataset: (*name).to_owned(),
                        message: format!(
                            "node '{reader}' reads it, but no node writes it and the catalog \
                             does not declare it{}",
                            self.suggestion_text(name)
                        ),
                    });
                }
                continue;
            };
            if !matches!(resolution.source, Source::Entry | Source::Pattern(_)) {
                continue;
            }
            let entry = resolution
                .config
                .as_ref()
                .and_then(serde_json::Value::as_object);
            if several.is_none()
                && let Some(Holds::Fixed(stored)) = self
                    .registry()
                    .get(&resolution.type_name)
                    .map(|t| entry.map_or(t.holds(), |e| t.holds_for(e)))
            {
                for u in uses.iter().filter(|u| u.tag != stored) {
                    problems.push(ConfigProblem {
                        at: resolution.at.clone(),
                        dataset: (*name).to_owned(),
                        message: format!(
                            "{} stores {}, but node '{}' {} it as {}",
                            resolution.type_name,
                            stored.short_name(),
                            u.node.node_name(),
                            if u.writes { "writes" } else { "reads" },
                            u.tag.short_name()
                        ),
                    });
                }
            }
            match self.create_from(&resolution) {
                Ok(()) => {}
                Err(CatalogError::Config(p)) => problems.extend(p.problems),
                Err(e) => problems.push(ConfigProblem {
                    at: resolution.at.clone(),
                    dataset: (*name).to_owned(),
                    message: e.to_string(),
                }),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigProblems { problems })
        }
    }

    fn suggestion_text(&self, name: &str) -> String {
        let names: Vec<String> = self.list().into_iter().map(|r| r.name).collect();
        kedrust_pipeline::suggest::hint(name, names.iter().map(String::as_str))
    }
}
