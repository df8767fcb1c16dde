//! Pipeline shapes of any size, built at run time from trivial nodes.

use kedrust_pipeline::{Node, node};

/// The shapes the benchmarks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `n0 -> n1 -> ... -> n{k}`.
    Chain,
    /// One source, parallel branches, and a tree of 16-input reducers back to one sink.
    FanOutIn,
    /// Layers of width 8; each node reads two nodes of the layer before.
    Diamond,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 3] = [Shape::Chain, Shape::FanOutIn, Shape::Diamond];

    /// The shape's name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::FanOutIn => "fan-out/fan-in",
            Shape::Diamond => "layered diamond",
        }
    }

    /// The shape's key in pipeline names and `KEDRUST_BENCH_PIPELINES`.
    pub fn key(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::FanOutIn => "fan",
            Shape::Diamond => "diamond",
        }
    }

    /// The shape with key `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// About `n` nodes of this shape (at least two), tagged `even` or `odd` by position.
    pub fn nodes(self, n: usize) -> Vec<Node> {
        let n = n.max(2);
        let nodes = match self {
            Shape::Chain => chain(n),
            Shape::FanOutIn => fan_out_in(n),
            Shape::Diamond => diamond(n),
        };
        nodes
            .into_iter()
            .enumerate()
            .map(|(i, nd)| nd.tags([if i % 2 == 0 { "even" } else { "odd" }]))
            .collect()
    }
}

/// A node named `name` that xors up to 16 `u64` inputs into `output`.
pub fn trivial(name: String, inputs: Vec<String>, output: String) -> Node {
    let n = match inputs.len() {
        0 => node(|| 1u64, (), output),
        1 => node(|a: u64| a + 1, inputs, output),
        2 => node(|a: u64, b: u64| a ^ b, inputs, output),
        len => node(
            |a: u64,
             b: u64,
             c: u64,
             d: u64,
             e: u64,
             f: u64,
             g: u64,
             h: u64,
             i: u64,
             j: u64,
             k: u64,
             l: u64,
             m: u64,
             n: u64,
             o: u64,
             p: u64| { a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i ^ j ^ k ^ l ^ m ^ n ^ o ^ p },
            pad16(inputs, len),
            output,
        ),
    };
    n.name(name)
}

/// Fills a short input list up to 16 by repeating its first input (Kedro allows repeats).
fn pad16(mut inputs: Vec<String>, len: usize) -> Vec<String> {
    assert!(len <= 16, "a trivial node reads at most 16 inputs");
    let first = inputs[0].clone();
    inputs.resize(16, first);
    inputs
}

fn chain(n: usize) -> Vec<Node> {
    (0..n)
        .map(|i| {
            let inputs = if i == 0 {
                vec![]
            } else {
                vec![format!("d{}", i - 1)]
            };
            trivial(format!("n{i}"), inputs, format!("d{i}"))
        })
        .collect()
}

fn fan_out_in(n: usize) -> Vec<Node> {
    // Reducers take about a fifteenth of the nodes; branches get the rest.
    let branches = (n * 15 / 16).max(1);
    let mut nodes = vec![trivial("source".into(), vec![], "d_source".into())];
    let mut level: Vec<String> = (0..branches)
        .map(|i| {
            nodes.push(trivial(
                format!("branch{i}"),
                vec!["d_source".into()],
                format!("d_branch{i}"),
            ));
            format!("d_branch{i}")
        })
        .collect();
    let mut depth = 0;
    while level.len() > 1 {
        level = level
            .chunks(16)
            .enumerate()
            .map(|(j, chunk)| {
                let out = format!("d_reduce{depth}_{j}");
                nodes.push(trivial(
                    format!("reduce{depth}_{j}"),
                    chunk.to_vec(),
                    out.clone(),
                ));
                out
            })
            .collect();
        depth += 1;
    }
    nodes
}

fn diamond(n: usize) -> Vec<Node> {
    const WIDTH: usize = 8;
    (0..n)
        .map(|i| {
            let (layer, slot) = (i / WIDTH, i % WIDTH);
            let inputs = if layer == 0 {
                vec![]
            } else {
                let prev = (layer - 1) * WIDTH;
                vec![
                    format!("d{}", prev + slot),
                    format!("d{}", prev + (slot + 1) % WIDTH),
                ]
            };
            trivial(format!("n{i}"), inputs, format!("d{i}"))
        })
        .collect()
}
