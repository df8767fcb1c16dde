//! Properties over random DAGs: orders respect edges, filters stay inside the original.

use kedrust_pipeline::{Filter, Node, Pipeline, node};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

/// A node named `name` reading `inputs` (0 to 3 of them) and writing `output`.
fn make(name: &str, inputs: Vec<String>, output: String) -> Node {
    let n = match inputs.len() {
        0 => node(|| 0u8, (), output),
        1 => node(|a: u8| a, inputs, output),
        2 => node(|a: u8, b: u8| a ^ b, inputs, output),
        _ => node(
            |a: u8, b: u8, c: u8| a ^ b ^ c,
            inputs[..3].to_vec(),
            output,
        ),
    };
    n.name(name).tags([format!("t{}", name.len() % 3)])
}

/// Node `i` writes `d{i}` and reads up to three earlier outputs or a free input.
fn dag() -> impl Strategy<Value = Vec<Node>> {
    (1usize..40)
        .prop_flat_map(|n| {
            let parents = (0..n)
                .map(|i| proptest::collection::vec(0..=i, 0..=3))
                .collect::<Vec<_>>();
            (
                parents,
                Just(n).prop_perturb(|n, mut rng| {
                    let mut ids: Vec<usize> = (0..n).collect();
                    for k in (1..n).rev() {
                        ids.swap(k, rng.random_range(0..=k));
                    }
                    ids
                }),
            )
        })
        .prop_map(|(parents, ids)| {
            parents
                .into_iter()
                .enumerate()
                .map(|(i, ps)| {
                    let mut inputs: Vec<String> = ps
                        .into_iter()
                        .map(|p| {
                            if p == i {
                                format!("free{i}")
                            } else {
                                format!("d{p}")
                            }
                        })
                        .collect();
                    inputs.dedup();
                    make(&format!("n{}", ids[i]), inputs, format!("d{i}"))
                })
                .collect()
        })
}

fn producers(p: &Pipeline) -> HashMap<String, usize> {
    p.nodes()
        .enumerate()
        .flat_map(|(i, n)| n.outputs().iter().map(move |o| (o.clone(), i)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_order_respects_every_edge(nodes in dag()) {
        let p = Pipeline::new(nodes.clone()).unwrap();
        prop_assert_eq!(p.len(), nodes.len());
        let made_by = producers(&p);
        let mut layer_of = HashMap::new();
        for (l, layer) in p.grouped_nodes().iter().enumerate() {
            for n in layer.iter() {
                layer_of.insert(n.node_name().to_owned(), l);
            }
            let names: Vec<&str> = layer.iter().map(|n| n.node_name()).collect();
            let mut sorted = names.clone();
            sorted.sort();
            prop_assert_eq!(names, sorted);
        }
        for (i, n) in p.nodes().enumerate() {
            for input in n.inputs() {
                if let Some(&j) = made_by.get(input) {
                    prop_assert!(j < i, "{} runs before its producer", n.node_name());
                    let producer = p.nodes().nth(j).unwrap().node_name();
                    prop_assert!(layer_of[producer] < layer_of[n.node_name()]);
                }
            }
        }
    }

    #[test]
    fn filters_never_leave_the_original(nodes in dag(), pick in any::<prop::sample::Index>()) {
        let p = Pipeline::new(nodes).unwrap();
        let all: HashSet<String> = p.node_names().into_iter().map(str::to_owned).collect();
        let seed = p.node_names()[pick.index(p.len())].to_owned();
        let seed_output = p.node(&seed).unwrap().outputs()[0].clone();
        let results = [
            p.from_nodes(&[&seed]).unwrap(),
            p.to_nodes(&[&seed]).unwrap(),
            p.from_inputs(&[&seed_output]).unwrap_or_default(),
            p.to_outputs(&[&seed_output]).unwrap(),
            p.only_nodes_with_tags(&["t0", "t2"]),
            p.filter(&Filter { from_nodes: vec![seed.clone()], to_nodes: vec![seed.clone()], ..Filter::default() }).unwrap(),
        ];
        for r in &results {
            for name in r.node_names() {
                prop_assert!(all.contains(name));
            }
        }
        prop_assert!(results[0].node(&seed).is_some() && results[1].node(&seed).is_some());
        prop_assert_eq!(results[5].node_names(), vec![seed.as_str()]);
        // from_nodes is closed downstream: every consumer of a kept output is kept.
        let kept = &results[0];
        let kept_outputs = kept.all_outputs();
        for n in p.nodes() {
            let reads_kept = n.inputs().iter().any(|i| kept_outputs.contains(i));
            prop_assert!(!reads_kept || kept.node(n.node_name()).is_some());
        }
    }

    #[test]
    fn difference_and_intersection_partition_the_pipeline(nodes in dag(), mask in any::<u64>()) {
        let p = Pipeline::new(nodes).unwrap();
        let some = p.shared_nodes().iter().enumerate().filter(|(i, _)| mask >> (i % 64) & 1 == 1)
            .map(|(_, n)| (**n).clone());
        let q = Pipeline::new(some).unwrap();
        let (d, x) = (&p - &q, &p & &q);
        prop_assert_eq!(d.len() + x.len(), p.len());
        let union = (&d + &x).unwrap();
        prop_assert_eq!(union.node_names(), p.node_names());
    }
}
