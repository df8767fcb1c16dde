//! A linear regression fitted by least squares through a Householder QR decomposition,
//! which stays accurate where the normal equations lose digits (features of very different
//! scales, nearly collinear columns).

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
    let p = features.len() + 1; // the intercept's column of ones comes first
    let n = rows.len();
    if n < p {
        return Err(format!("{n} rows cannot fit {p} parameters"));
    }
    // Column-major design matrix with a leading column of ones.
    let mut a: Vec<Vec<f64>> = vec![vec![1.0; n]];
    for j in 0..features.len() {
        a.push(rows.iter().map(|r| r[j]).collect());
    }
    let mut b = y.to_vec();
    if a.iter().flatten().chain(&b).any(|v| !v.is_finite()) {
        return Err("the training data has missing or infinite values".into());
    }
    // Householder QR: turn A into R in place, applying the same reflections to b.
    for k in 0..p {
        let norm = a[k][k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Err(format!("feature column {k} is constant zero or collinear"));
        }
        let alpha = if a[k][k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = a[k][k..].to_vec();
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|x| x * x).sum();
        if vnorm2 == 0.0 {
            continue;
        }
        for col in a.iter_mut().skip(k) {
            let dot: f64 = v.iter().zip(&col[k..]).map(|(x, y)| x * y).sum();
            let f = 2.0 * dot / vnorm2;
            for (c, x) in col[k..].iter_mut().zip(&v) {
                *c -= f * x;
            }
        }
        let dot: f64 = v.iter().zip(&b[k..]).map(|(x, y)| x * y).sum();
        let f = 2.0 * dot / vnorm2;
        for (c, x) in b[k..].iter_mut().zip(&v) {
            *c -= f * x;
        }
    }
    // Back substitution on R x = Qᵀb.
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|j| a[j][i] * x[j]).sum();
        if a[i][i].abs() < 1e-12 {
            return Err(format!("feature column {i} is collinear with the others"));
        }
        x[i] = (b[i] - s) / a[i][i];
    }
    Ok(LinearModel {
        features,
        intercept: x[0],
        coefficients: x[1..].to_vec(),
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
    fn collinear_columns_are_refused() {
        let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64, 2.0 * i as f64]).collect();
        let y: Vec<f64> = (0..10).map(|i| i as f64).collect();
        assert!(least_squares(vec!["a".into(), "b".into()], &rows, &y).is_err());
    }
}
