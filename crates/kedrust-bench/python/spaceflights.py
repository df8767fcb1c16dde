"""Kedro's spaceflights tutorial in pandas and numpy, node for node what kedrust's example
(`examples/spaceflights`) does with Polars: the same raw files, the same cleaning and join, an
ordinary least-squares fit with an intercept, R², mean absolute and maximum error."""

import numpy as np
import pandas as pd
from kedro.pipeline import Pipeline, node


def _is_true(x: pd.Series) -> pd.Series:
    return x == "t"


def _fraction(x: pd.Series) -> pd.Series:
    return pd.to_numeric(x.str.replace("%", ""), errors="coerce") / 100


def _money(x: pd.Series) -> pd.Series:
    return pd.to_numeric(x.str.replace("$", "").str.replace(",", ""), errors="coerce")


def preprocess_companies(companies: pd.DataFrame) -> pd.DataFrame:
    companies["iata_approved"] = _is_true(companies["iata_approved"])
    companies["company_rating"] = _fraction(companies["company_rating"])
    return companies


def preprocess_shuttles(shuttles: pd.DataFrame) -> pd.DataFrame:
    shuttles["d_check_complete"] = _is_true(shuttles["d_check_complete"])
    shuttles["moon_clearance_complete"] = _is_true(shuttles["moon_clearance_complete"])
    shuttles["price"] = _money(shuttles["price"])
    return shuttles


def create_model_input_table(shuttles, companies, reviews):
    rated = shuttles.merge(reviews, left_on="id", right_on="shuttle_id").drop("id", axis=1)
    return rated.merge(companies, left_on="company_id", right_on="id").dropna()


def split_data(data: pd.DataFrame, options: dict):
    order = np.random.default_rng(options["random_state"]).permutation(len(data))
    cut = len(data) - int(np.ceil(options["test_size"] * len(data)))
    train, test = data.iloc[order[:cut]], data.iloc[order[cut:]]
    features = options["features"]
    return train[features], test[features], train[["price"]], test[["price"]]


def train_model(x_train: pd.DataFrame, y_train: pd.DataFrame) -> dict:
    x = np.column_stack([np.ones(len(x_train)), x_train.astype(float).to_numpy()])
    coefficients, *_ = np.linalg.lstsq(x, y_train["price"].to_numpy(dtype=float), rcond=None)
    return {"features": list(x_train.columns), "coefficients": coefficients.tolist()}


def evaluate_model(regressor: dict, x_test: pd.DataFrame, y_test: pd.DataFrame) -> dict:
    coefficients = np.array(regressor["coefficients"])
    predicted = coefficients[0] + x_test.astype(float).to_numpy() @ coefficients[1:]
    actual = y_test["price"].to_numpy(dtype=float)
    errors = np.abs(actual - predicted)
    r2 = 1 - ((actual - predicted) ** 2).sum() / ((actual - actual.mean()) ** 2).sum()
    return {"r2_score": float(r2), "mae": float(errors.mean()), "max_error": float(errors.max())}


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(preprocess_companies, "companies", "preprocessed_companies", name="preprocess_companies_node"),
            node(preprocess_shuttles, "shuttles", "preprocessed_shuttles", name="preprocess_shuttles_node"),
            node(
                create_model_input_table,
                ["preprocessed_shuttles", "preprocessed_companies", "reviews"],
                "model_input_table",
                name="create_model_input_table_node",
            ),
            node(
                split_data,
                ["model_input_table", "params:model_options"],
                ["X_train", "X_test", "y_train", "y_test"],
                name="split_data_node",
            ),
            node(train_model, ["X_train", "y_train"], "regressor", name="train_model_node"),
            node(evaluate_model, ["regressor", "X_test", "y_test"], "metrics", name="evaluate_model_node"),
        ]
    )

