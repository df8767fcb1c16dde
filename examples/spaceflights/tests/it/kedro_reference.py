"""What Kedro's spaceflights-pandas starter gets from the raw files in argv[1]: its
data_processing nodes, as the starter writes them, then scikit-learn's LinearRegression
(least squares on centred data, as numpy's lstsq solves it) on 200 random 80/20 splits of
model_input_table with the starter's features. Prints the table's row count, the 1st and
99th percentiles of the test R² over those splits (the band a run of the starter lands in,
whatever its shuffle), and the features that are constant in the table."""

import json, sys
import numpy as np, pandas as pd
raw = sys.argv[1]
companies = pd.read_csv(f"{raw}/companies.csv")
reviews = pd.read_csv(f"{raw}/reviews.csv")
shuttles = pd.read_excel(f"{raw}/shuttles.xlsx", engine="openpyxl")
companies["iata_approved"] = companies["iata_approved"] == "t"
companies["company_rating"] = companies["company_rating"].str.replace("%", "").astype(float) / 100
shuttles["d_check_complete"] = shuttles["d_check_complete"] == "t"
shuttles["moon_clearance_complete"] = shuttles["moon_clearance_complete"] == "t"
shuttles["price"] = shuttles["price"].str.replace("$", "").str.replace(",", "").astype(float)
rated = shuttles.merge(reviews, left_on="id", right_on="shuttle_id").drop("id", axis=1)
table = rated.merge(companies, left_on="company_id", right_on="id").dropna()
features = ["engines", "passenger_capacity", "crew", "d_check_complete", "moon_clearance_complete", "iata_approved", "company_rating", "review_scores_rating"]
X = table[features].to_numpy(dtype=float)
y = table["price"].to_numpy(dtype=float)
n = len(table)
test = int(np.ceil(0.2 * n))
rng = np.random.default_rng(0)
scores = []
for _ in range(200):
    order = rng.permutation(n)
    tr, te = order[test:], order[:test]
    mean_x, mean_y = X[tr].mean(0), y[tr].mean()
    coef = np.linalg.lstsq(X[tr] - mean_x, y[tr] - mean_y, rcond=None)[0]
    pred = (X[te] - mean_x) @ coef + mean_y
    scores.append(1 - ((y[te] - pred) ** 2).sum() / ((y[te] - y[te].mean()) ** 2).sum())
print(json.dumps({"rows": n, "low": float(np.percentile(scores, 1)), "high": float(np.percentile(scores, 99)),
                  "constant": [f for f in features if table[f].nunique() == 1]}))
