//! A linear regression fitted as scikit-learn's `LinearRegression` fits it: the features and
//! the target centred, then least squares with singular values below `eps · max(n, p) · σ_max`
//! dropped (scipy's `lstsq`), which gives the minimum-norm solution on rank-deficient data (a
//! feature that is the same in every row gets weight 0), and the intercept from the means.
//!
//! The tall `n × p` system is first reduced by a QR decomposition to `R x = Qᵀy`, `p × p`, whose
//! singular values are the data's; the SVD then runs on `R` (LAPACK's least-squares drivers do
//! the same for tall matrices). nalgebra does the linear algebra.

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
    /// One prediction for each of `rows` rows, from `columns` (one column of values per
    /// feature).
    pub fn predict(&self, rows: usize, columns: &[Vec<f64>]) -> Vec<f64> {
        let mut predicted = vec![self.intercept; rows];
        for (column, weight) in columns.iter().zip(&self.coefficients) {
            for (p, x) in predicted.iter_mut().zip(column) {
                *p += weight * x;
            }
        }
        predicted
    }
}

/// Fits `y ≈ intercept + Σ coefficient × column`, one column of values per feature.
pub fn least_squares(
    features: Vec<String>,
    columns: &[Vec<f64>],
    y: &[f64],
) -> Result<LinearModel, String> {
    let (n, p) = (y.len(), features.len());
    if n == 0 {
        return Err("no training rows".into());
    }
    if columns.len() != p || columns.iter().any(|c| c.len() != n) {
        return Err(format!("expected {p} columns of {n} values"));
    }
    if columns.iter().flatten().chain(y).any(|v| !v.is_finite()) {
        return Err("the training data has missing or infinite values".into());
    }
    let mean = |values: &[f64]| values.iter().sum::<f64>() / n as f64;
    let x_mean: Vec<f64> = columns.iter().map(|c| mean(c)).collect();
    let y_mean = mean(y);
    // Column-major, as the columns come: centred while copied.
    let centred = nalgebra::DMatrix::from_iterator(
        n,
        p,
        columns
            .iter()
            .zip(&x_mean)
            .flat_map(|(c, m)| c.iter().map(move |v| v - m)),
    );
    let mut target = nalgebra::DVector::from_iterator(n, y.iter().map(|v| v - y_mean));
    let coefficients = if n >= p {
        let qr = centred.qr();
        qr.q_tr_mul(&mut target);
        solve_min_norm(qr.r(), target.rows(0, p).into_owned(), n.max(p))?
    } else {
        solve_min_norm(centred, target, n.max(p))?
    };
    let intercept = y_mean
        - coefficients
            .iter()
            .zip(&x_mean)
            .map(|(c, m)| c * m)
            .sum::<f64>();
    Ok(LinearModel {
        features,
        coefficients: coefficients.iter().copied().collect(),
        intercept,
    })
}

/// The minimum-norm `x` of `a x ≈ b` by SVD, singular values below `eps · size · σ_max`
/// treated as zero.
fn solve_min_norm(
    a: nalgebra::DMatrix<f64>,
    b: nalgebra::DVector<f64>,
    size: usize,
) -> Result<nalgebra::DVector<f64>, String> {
    let svd = a.svd(true, true);
    let cutoff = f64::EPSILON * size as f64 * svd.singular_values.max();
    svd.solve(&b, cutoff)
        .map_err(|e| format!("least squares failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
        (0..rows[0].len())
            .map(|j| rows.iter().map(|r| r[j]).collect())
            .collect()
    }

    #[test]
    fn recovers_an_exact_relation() {
        let rows: Vec<Vec<f64>> = (0..20)
            .map(|i| vec![i as f64, ((i * 7) % 5) as f64])
            .collect();
        let y: Vec<f64> = rows.iter().map(|r| 3.0 + 2.0 * r[0] - 0.5 * r[1]).collect();
        let m = least_squares(vec!["a".into(), "b".into()], &columns(&rows), &y).unwrap();
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
        let m = least_squares(
            vec!["a".into(), "b".into(), "c".into()],
            &columns(&rows),
            &y,
        )
        .unwrap();
        assert!((m.coefficients[0] - 0.2).abs() < 1e-9, "{m:?}");
        assert!((m.coefficients[1] - 0.4).abs() < 1e-9, "{m:?}");
        assert!(m.coefficients[2].abs() < 1e-9, "{m:?}");
        assert!((m.intercept - 4.0).abs() < 1e-9, "{m:?}");
        assert!((m.predict(rows.len(), &columns(&rows))[3] - 7.0).abs() < 1e-9);
    }
}
