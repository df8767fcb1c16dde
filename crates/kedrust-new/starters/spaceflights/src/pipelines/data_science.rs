//! `data_science`: split the table, fit a linear regression, evaluate it.

use crate::model::{LinearModel, least_squares};
use kedrust::polars::prelude::*;
use kedrust::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

/// `params:model_options`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelOptions {
    /// The share of rows held out for evaluation.
    pub test_size: f64,
    /// The seed of the shuffle.
    pub random_state: u64,
    /// The columns the model reads.
    pub features: Vec<String>,
}

/// The feature columns as floats (booleans are 0 and 1, missing values NaN).
pub fn columns(x: &DataFrame) -> PolarsResult<Vec<Vec<f64>>> {
    x.columns()
        .iter()
        .map(|c| {
            let c = c.cast(&DataType::Float64)?;
            Ok(c.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        })
        .collect()
}

fn target(y: &DataFrame) -> PolarsResult<Vec<f64>> {
    Ok(y.column("price")?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

/// A seeded shuffle (ChaCha8 from `random_state`, the same on every platform), then the last
/// `ceil(test_size·n)` rows are the test set, as scikit-learn's `train_test_split` sizes it.
pub fn split_data(
    data: LazyFrame,
    options: Param<ModelOptions>,
) -> PolarsResult<(DataFrame, DataFrame, DataFrame, DataFrame)> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    // Only the columns the model reads are read from the table.
    let wanted: Vec<Expr> = options
        .features
        .iter()
        .map(|c| col(c.as_str()))
        .chain([col("price")])
        .collect();
    let data = data.select(wanted).collect()?;
    let n = data.height();
    let mut order: Vec<IdxSize> = (0..n as IdxSize).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(
        options.random_state,
    ));
    let test_rows = (options.test_size * n as f64).ceil() as usize;
    let (train, test) = order.split_at(n - test_rows);
    let features = data.select(options.features.iter().map(String::as_str))?;
    let price = data.select(["price"])?;
    let rows = |frame: &DataFrame, idx: &[IdxSize]| {
        frame.take(&IdxCa::from_vec("idx".into(), idx.to_vec()))
    };
    Ok((
        rows(&features, train)?,
        rows(&features, test)?,
        rows(&price, train)?,
        rows(&price, test)?,
    ))
}

/// Ordinary least squares with an intercept.
pub fn train_model(x_train: DataFrame, y_train: DataFrame) -> Result<LinearModel, BoxError> {
    let features = x_train
        .get_column_names()
        .into_iter()
        .map(|s| s.to_string())
        .collect();
    Ok(least_squares(
        features,
        &columns(&x_train)?,
        &target(&y_train)?,
    )?)
}

/// R², mean absolute error and maximum error on the test set.
pub fn evaluate_model(
    regressor: LinearModel,
    x_test: DataFrame,
    y_test: DataFrame,
) -> PolarsResult<Value> {
    let predicted = regressor.predict(x_test.height(), &columns(&x_test)?);
    let actual = target(&y_test)?;
    let n = actual.len() as f64;
    let mean = actual.iter().sum::<f64>() / n;
    let residual: f64 = actual
        .iter()
        .zip(&predicted)
        .map(|(a, p)| (a - p).powi(2))
        .sum();
    let total: f64 = actual.iter().map(|a| (a - mean).powi(2)).sum();
    let errors = actual.iter().zip(&predicted).map(|(a, p)| (a - p).abs());
    let r2 = 1.0 - residual / total;
    tracing::info!("model has a coefficient R^2 of {r2:.3} on test data");
    Ok(json!({
        "r2_score": r2,
        "mae": errors.clone().sum::<f64>() / n,
        "max_error": errors.fold(0.0, f64::max),
    }))
}

/// The three nodes, named as in Kedro's starter.
pub fn create_pipeline() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        try_node(
            split_data,
            ["model_input_table", "params:model_options"],
            ["X_train", "X_test", "y_train", "y_test"],
        )
        .name("split_data_node"),
        try_node(train_model, ["X_train", "y_train"], "regressor").name("train_model_node"),
        try_node(evaluate_model, ["regressor", "X_test", "y_test"], "metrics")
            .name("evaluate_model_node"),
    ])
}
