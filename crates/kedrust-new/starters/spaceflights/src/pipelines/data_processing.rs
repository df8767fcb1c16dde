//! `data_processing`: clean the raw companies and shuttles, join them with the reviews.

use kedrust::polars::prelude::*;
use kedrust::prelude::*;

/// `"t"` is true; anything else, missing included, is false.
fn flag(column: &str) -> Expr {
    col(column).eq(lit("t")).fill_null(lit(false)).alias(column)
}

/// A text column as floats once `strip` has cleaned it; what does not parse is null.
fn number(column: &str, strip: impl FnOnce(Expr) -> Expr) -> Expr {
    strip(col(column).str().strip_chars(lit(NULL)))
        .cast(DataType::Float64)
        .alias(column)
}

/// `"95%"` as 0.95, as Kedro's starter parses it.
fn percentage(column: &str) -> Expr {
    number(column, |text| text.str().strip_suffix(lit("%"))) / lit(100.0)
}

/// `"$1,325.0"` as 1325.0.
fn money(column: &str) -> Expr {
    number(column, |text| {
        text.str()
            .strip_prefix(lit("$"))
            .str()
            .replace_all(lit(","), lit(""), true)
    })
}

// The cleaning and the join are queries (`polars.LazyPolarsDataset`): each runs when its
// table is saved, one plan from the files it reads to the table, batch after batch.

/// `iata_approved` to a boolean, `company_rating` to a fraction.
pub fn preprocess_companies(companies: LazyFrame) -> LazyFrame {
    companies.with_columns([flag("iata_approved"), percentage("company_rating")])
}

/// The two checks to booleans, `price` to a number.
pub fn preprocess_shuttles(shuttles: LazyFrame) -> LazyFrame {
    shuttles.with_columns([
        flag("d_check_complete"),
        flag("moon_clearance_complete"),
        money("price"),
    ])
}

/// Shuttles joined with their reviews and their company; rows with any missing value dropped.
pub fn create_model_input_table(
    shuttles: LazyFrame,
    companies: LazyFrame,
    reviews: LazyFrame,
) -> LazyFrame {
    // The shuttles' order, kept through both joins, makes the seeded split the same on
    // every run (a streaming join gives no order unless asked).
    let in_shuttles_order = || JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Inner)
    };
    shuttles
        .join(
            reviews,
            [col("id")],
            [col("shuttle_id")],
            in_shuttles_order(),
        )
        .rename(["id"], ["shuttle_id"], true)
        .join(
            companies,
            [col("company_id")],
            [col("id")],
            in_shuttles_order(),
        )
        .drop_nulls(None)
}

/// The three nodes, named as in Kedro's starter.
pub fn create_pipeline() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(preprocess_companies, "companies", "preprocessed_companies")
            .name("preprocess_companies_node"),
        node(preprocess_shuttles, "shuttles", "preprocessed_shuttles")
            .name("preprocess_shuttles_node"),
        node(
            create_model_input_table,
            ["preprocessed_shuttles", "preprocessed_companies", "reviews"],
            "model_input_table",
        )
        .name("create_model_input_table_node"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starters_text_columns_are_cleaned_as_kedro_cleans_them() {
        let companies = df!(
            "iata_approved" => [Some("t"), Some("f"), None],
            "company_rating" => [Some("95%"), Some(" 100% "), Some("n/a")],
        )
        .unwrap();
        let cleaned = preprocess_companies(companies.lazy()).collect().unwrap();
        let flags: Vec<Option<bool>> = cleaned
            .column("iata_approved")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(flags, [Some(true), Some(false), Some(false)]);
        let ratings: Vec<Option<f64>> = cleaned
            .column("company_rating")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
        // Polars divides by multiplying with the reciprocal: equal to the last bit or so.
        let close = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 1e-12);
        assert!(
            close(ratings[0], 0.95) && close(ratings[1], 1.0),
            "{ratings:?}"
        );
        assert_eq!(ratings[2], None);
        let shuttles = df!(
            "d_check_complete" => ["t", "f"],
            "moon_clearance_complete" => ["f", "f"],
            "price" => ["$1,325.0", "$42.0"],
        )
        .unwrap();
        let cleaned = preprocess_shuttles(shuttles.lazy()).collect().unwrap();
        let prices: Vec<Option<f64>> = cleaned
            .column("price")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(prices, [Some(1325.0), Some(42.0)]);
    }
}
