//! `data_processing`: clean the raw companies and shuttles, join them with the reviews.

use kedrust::prelude::*;
use polars::prelude::*;

/// `"t"` is true; anything else, missing included, is false.
fn is_true(df: &DataFrame, column: &str) -> PolarsResult<Column> {
    let flags: BooleanChunked = df
        .column(column)?
        .str()?
        .iter()
        .map(|v| Some(v == Some("t")))
        .collect();
    Ok(flags.with_name(column.into()).into_column())
}

/// Parses a text column into floats with `parse`; unparsable or missing values are null.
fn parsed(df: &DataFrame, column: &str, parse: fn(&str) -> Option<f64>) -> PolarsResult<Column> {
    let values: Float64Chunked = df
        .column(column)?
        .str()?
        .iter()
        .map(|v| v.and_then(parse))
        .collect();
    Ok(values.with_name(column.into()).into_column())
}

/// `"95%"` as 0.95.
pub fn percentage(text: &str) -> Option<f64> {
    text.trim()
        .strip_suffix('%')?
        .parse::<f64>()
        .ok()
        .map(|p| p / 100.0)
}

/// `"$1,325.0"` as 1325.0.
pub fn money(text: &str) -> Option<f64> {
    text.trim()
        .trim_start_matches('$')
        .replace(',', "")
        .parse()
        .ok()
}

/// `iata_approved` to a boolean, `company_rating` to a fraction.
pub fn preprocess_companies(mut companies: DataFrame) -> PolarsResult<DataFrame> {
    let iata = is_true(&companies, "iata_approved")?;
    let rating = parsed(&companies, "company_rating", percentage)?;
    companies.with_column(iata)?;
    companies.with_column(rating)?;
    Ok(companies)
}

/// The two checks to booleans, `price` to a number.
pub fn preprocess_shuttles(mut shuttles: DataFrame) -> PolarsResult<DataFrame> {
    let d_check = is_true(&shuttles, "d_check_complete")?;
    let moon = is_true(&shuttles, "moon_clearance_complete")?;
    let price = parsed(&shuttles, "price", money)?;
    shuttles.with_column(d_check)?;
    shuttles.with_column(moon)?;
    shuttles.with_column(price)?;
    Ok(shuttles)
}

/// Shuttles joined with their reviews and their company; rows with any missing value dropped.
pub fn create_model_input_table(
    shuttles: DataFrame,
    companies: DataFrame,
    reviews: DataFrame,
) -> PolarsResult<DataFrame> {
    shuttles
        .lazy()
        .inner_join(reviews.lazy(), col("id"), col("shuttle_id"))
        .rename(["id"], ["shuttle_id"], true)
        .inner_join(companies.lazy(), col("company_id"), col("id"))
        .drop_nulls(None)
        .collect()
}

/// The three nodes, named as in Kedro's starter.
pub fn create_pipeline() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        try_node(preprocess_companies, "companies", "preprocessed_companies")
            .name("preprocess_companies_node"),
        try_node(preprocess_shuttles, "shuttles", "preprocessed_shuttles")
            .name("preprocess_shuttles_node"),
        try_node(
            create_model_input_table,
            ["preprocessed_shuttles", "preprocessed_companies", "reviews"],
            "model_input_table",
        )
        .name("create_model_input_table_node"),
    ])
}
