//! A spaceflights-shaped pipeline over plain Rust data: typed nodes, parameters, namespaces,
//! validation, filters and an in-memory run in topological order.
//!
//! `cargo run -p kedrust --example hello_pipeline`

use kedrust::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Clone)]
struct Shuttle {
    engines: f64,
    price: f64,
}

#[derive(Deserialize)]
struct SplitOptions {
    test_size: f64,
}

fn load_shuttles() -> Vec<Shuttle> {
    // price = 1000 * engines + 500, the relation the fit must find.
    (1..=40)
        .map(|i| Shuttle {
            engines: f64::from(i % 8 + 1),
            price: 1000.0 * f64::from(i % 8 + 1) + 500.0,
        })
        .collect()
}

fn split_data(rows: Vec<Shuttle>, options: Param<SplitOptions>) -> (Vec<Shuttle>, Vec<Shuttle>) {
    let cut = ((1.0 - options.test_size) * rows.len() as f64) as usize;
    let (train, test) = rows.split_at(cut);
    (train.to_vec(), test.to_vec())
}

fn train_model(train: Vec<Shuttle>) -> (f64, f64) {
    let n = train.len() as f64;
    let (mx, my) = train
        .iter()
        .fold((0.0, 0.0), |(x, y), s| (x + s.engines / n, y + s.price / n));
    let cov: f64 = train
        .iter()
        .map(|s| (s.engines - mx) * (s.price - my))
        .sum();
    let var: f64 = train.iter().map(|s| (s.engines - mx).powi(2)).sum();
    let slope = cov / var;
    (slope, my - slope * mx)
}

fn evaluate_model(model: (f64, f64), test: Vec<Shuttle>) -> f64 {
    let (slope, intercept) = model;
    test.iter()
        .map(|s| (slope * s.engines + intercept - s.price).abs())
        .fold(0.0, f64::max)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data_science = pipeline([
        node(split_data, ["shuttles", "params:split"], ["train", "test"]).name("split_data"),
        node(train_model, "train", "regressor").name("train_model"),
        node(evaluate_model, ["regressor", "test"], "max_error").name("evaluate_model"),
    ])
    .namespace("data_science")
    .inputs("shuttles")
    .parameters("split")
    .build()?;
    let all = Pipeline::new([
        Pipeline::new([node(load_shuttles, (), "shuttles").name("load_shuttles")])?,
        data_science,
    ])?;

    println!("{}\n", all.describe(false));
    let to_model = all.filter(&Filter {
        to_nodes: vec!["data_science.train_model".into()],
        ..Filter::default()
    })?;
    println!(
        "--to-nodes data_science.train_model selects {:?}\n",
        to_model.node_names()
    );

    let mut data: HashMap<String, Value> = HashMap::new();
    data.insert(
        "params:split".into(),
        Value::new(serde_json::json!({"test_size": 0.25})),
    );
    for n in all.nodes() {
        let inputs = n.inputs().iter().map(|i| data[i].clone()).collect();
        for (name, value) in n.outputs().iter().zip(n.run(inputs)?) {
            data.insert(name.clone(), value);
        }
        println!("ran {n}");
    }
    let (slope, intercept) = *data["data_science.regressor"]
        .downcast_ref::<(f64, f64)>()
        .ok_or("no model")?;
    let error = data["data_science.max_error"]
        .downcast_ref::<f64>()
        .ok_or("no error")?;
    println!("\nfitted price = {slope:.1} * engines + {intercept:.1}; max test error {error:.3}");
    Ok(())
}
