//! The wiring type check: a dataset written by one node and read by another must have one
//! Rust type on both sides. Kedro finds out at run time, if at all; we refuse to start.

use crate::node::Node;
use crate::outputs::MissingKey;
use crate::problem::Problem;
use crate::types::TypeTag;
use std::collections::HashMap;
use std::sync::Arc;

/// Every producer/consumer pair whose types differ. Transcoded names (`a@x`) compare
/// exactly, since transcoding exists to read one dataset as several types.
pub(crate) fn type_problems(nodes: &[Arc<Node>]) -> Vec<Problem> {
    let unknown = TypeTag::of::<MissingKey>();
    let mut produced: HashMap<&str, (&Node, TypeTag)> = HashMap::with_capacity(nodes.len());
    for n in nodes {
        for (o, t) in n.outputs().iter().zip(n.output_types()) {
            produced.insert(o.as_str(), (n, *t));
        }
    }
    let mut out = Vec::new();
    for consumer in nodes {
        for (input, arg) in consumer.inputs().iter().zip(consumer.input_types()) {
            let Some((producer, t)) = produced.get(input.as_str()) else {
                continue;
            };
            if *t != arg.held && *t != unknown {
                out.push(Problem::TypeMismatch {
                    dataset: input.clone(),
                    producer: producer.node_name().to_owned(),
                    produced: t.short_name(),
                    consumer: consumer.node_name().to_owned(),
                    expected: arg.declared.short_name(),
                });
            }
        }
    }
    out
}
