//! The pipeline-model benchmark: building, validating and sorting, filtering and namespacing
//! pipelines of every shape and size.

use crate::report::{median, ms};
use crate::shapes::Shape;
use kedrust_pipeline::{Filter, Pipeline, pipeline};
use std::fmt::Write;
use std::time::Duration;

/// One row of the table.
struct Row {
    shape: Shape,
    nodes: usize,
    build: Duration,
    validate: Duration,
    filter: Duration,
    namespace: Duration,
}

impl Row {
    fn total(&self) -> Duration {
        self.build + self.validate + self.filter
    }
}

/// Measures every shape at every size and returns the markdown table.
pub fn run(sizes: &[usize], repeat: usize) -> String {
    let mut rows = Vec::new();
    for &n in sizes {
        for shape in Shape::ALL {
            rows.push(measure(shape, n, repeat));
        }
    }
    let mut out = String::from(
        "| shape | nodes | build nodes (ms) | validate + sort (ms) | filter: tags+from_nodes, to_nodes, to_outputs (ms) | build + validate + filter (ms) | namespace (ms) |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | **{}** | {} |",
            r.shape.name(),
            r.nodes,
            ms(r.build),
            ms(r.validate),
            ms(r.filter),
            ms(r.total()),
            ms(r.namespace)
        );
    }
    out
}

fn measure(shape: Shape, n: usize, repeat: usize) -> Row {
    let (build, nodes) = median(repeat, || shape.nodes(n));
    let count = nodes.len();
    let (validate, p) = median(repeat, || {
        Pipeline::new(nodes.clone()).expect("shapes are valid")
    });
    // The first node in order is a root created first, so it is tagged `even` and the
    // combined filter below always keeps it.
    let root = p.node_names()[0].to_owned();
    let middle = p.node_names()[count / 2].to_owned();
    let last_output = p
        .nodes()
        .last()
        .and_then(|n| n.outputs().first().cloned())
        .unwrap_or_default();
    let filter = Filter {
        tags: vec!["even".into()],
        from_nodes: vec![root],
        ..Filter::default()
    };
    let (filter_time, _) = median(repeat, || {
        let a = p.filter(&filter).expect("the filter selects nodes");
        let b = p.to_nodes(&[&middle]).expect("the node exists");
        let c = p.to_outputs(&[&last_output]).expect("the dataset exists");
        (a.len(), b.len(), c.len())
    });
    let (namespace, _) = median(repeat, || {
        pipeline([&p])
            .namespace("bench")
            .build()
            .expect("namespacing a valid pipeline")
    });
    Row {
        shape,
        nodes: count,
        build,
        validate,
        filter: filter_time,
        namespace,
    }
}
