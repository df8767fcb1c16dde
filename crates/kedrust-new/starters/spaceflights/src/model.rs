//! A linear regression fitted as scikit-learn's `LinearRegression` fits it: the features and
//! the target centred, then least squares by SVD with singular values below `eps · max(n, p) ·
//! σ_max` dropped (scipy's `lstsq`), which gives the minimum-norm solution on rank-deficient
//! data (a feature that is the same in every row gets weight 0), and the intercept from the
//! means. nalgebra does the linear algebra.

use serde::{Deserialize, Serialize};

/// A fitted linear model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    /// The feature names, in column order.
    pub features: Vec<String>,
    /// One weight per feature.
    pub coefficients: Vec<f64>,
    /// The constant term.
    pub intercept: f64,
}

impl LinearModel {
    /// The prediction for one row of features.
    pub fn predict(&self, row: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(row)
                .map(|(c, x)| c * x)
                .sum::<f64>()
    }
}

/// Fits `y ≈ intercept + rows · coefficients`.
pub fn least_squares(
    features: Vec<String>,
    rows: &[Vec<f64>],
    y: &[f64],
) -> Result<LinearModel, String> {
    let (n, p) = (rows.len(), features.len());
    if n == 0 {
        return Err("no training rows".into());
    }
    if rows.iter().flatten().chain(y).any(|v| !v.is_finite()) {
        return Err("the training data has missing or infinite values".into());
    }
    let x = nalgebra::DMatrix::from_fn(n, p, |i, j| rows[i][j]);
    let y = nalgebra::DVector::from_column_slice(y);
    let x_mean = x.row_mean();
    let y_mean = y.mean();
    let centred = nalgebra::DMatrix::from_fn(n, p, |i, j| x[(i, j)] - x_mean[j]);
    let target = y.add_scalar(-y_mean);
    let svd = centred.svd(true, true);
    let largest = svd.singular_values.max();
    let cutoff = f64::EPSILON * n.max(p) as f64 * largest;
    let coefficients = svd
        .solve(&target, cutoff)
        .map_err(|e| format!("least squares failed: {e}"))?;
    let intercept = y_mean - (x_mean * &coefficients)[(0, 0)];
    Ok(LinearModel {
        features,
        coefficients: coefficients.iter().copied().collect(),
        intercept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_relation() {
        let rows: Vec<Vec<f64>> = (0..20)
            .map(|i| vec![i as f64, ((i * 7) % 5) as f64])
            .collect();
        let y: Vec<f64> = rows.iter().map(|r| 3.0 + 2.0 * r[0] - 0.5 * r[1]).collect();
        let m = least_squares(vec!["a".into(), "b".into()], &rows, &y).unwrap();
        assert!((m.intercept - 3.0).abs() < 1e-9);
        assert!((m.coefficients[0] - 2.0).abs() < 1e-9);
        assert!((m.coefficients[1] + 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_constant_or_collinear_feature_gets_the_minimum_norm_fit() {
        // `b` is twice `a` and `c` is the same in every row, as a feature of the starter
        // data is after the join: scikit-learn fits it anyway, with the weight split
        // between a and b (1/5 and 2/5, the minimum-norm pair) and none on c.
        let rows: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![i as f64, 2.0 * i as f64, 1.0])
            .collect();
        let y: Vec<f64> = (0..10).map(|i| 4.0 + i as f64).collect();
        let m = least_squares(vec!["a".into(), "b".into(), "c".into()], &rows, &y).unwrap();
        assert!((m.coefficients[0] - 0.2).abs() < 1e-9, "{m:?}");
        assert!((m.coefficients[1] - 0.4).abs() < 1e-9, "{m:?}");
        assert!(m.coefficients[2].abs() < 1e-9, "{m:?}");
        assert!((m.intercept - 4.0).abs() < 1e-9, "{m:?}");
        assert!((m.predict(&rows[3]) - 7.0).abs() < 1e-9);
    }
}
