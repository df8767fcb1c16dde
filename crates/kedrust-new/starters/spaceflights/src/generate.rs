//! Raw data with the spaceflights schemas and their quirks: money as `"$1,325.0"`, booleans
//! as `"t"`/`"f"`, ratings as `"95%"`, empty fields for missing values, the shuttles in an
//! Excel sheet, and a feature that is constant once incomplete rows are dropped. The same
//! seed and size always give the same data.
//!
//! Shuttle prices follow a known linear relation ([`PLANTED`]) plus bounded noise, so the
//! model the pipeline fits can be checked against the truth.

use std::fmt::Write as _;
use std::path::Path;

/// The true model: price = intercept + Σ coefficient × feature, features in the order of
/// `parameters_data_science.yml`.
pub const PLANTED: Planted = Planted {
    intercept: 300.0,
    coefficients: [
        ("engines", 100.0),
        ("passenger_capacity", 150.0),
        ("crew", 50.0),
        ("d_check_complete", 80.0),
        ("moon_clearance_complete", 60.0),
        ("iata_approved", 120.0),
        ("company_rating", 500.0),
        ("review_scores_rating", 4.0),
    ],
    noise: 50.0,
};

/// A linear relation with uniform noise in `[-noise, noise]`.
#[derive(Debug, Clone, Copy)]
pub struct Planted {
    /// The constant term.
    pub intercept: f64,
    /// Feature name and weight.
    pub coefficients: [(&'static str, f64); 8],
    /// The noise's half-width.
    pub noise: f64,
}

/// splitmix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const LOCATIONS: [&str; 6] = [
    "Isle of Man",
    "Niue",
    "Saint Helena",
    "Tuvalu",
    "Nauru",
    "Tokelau",
];
const TYPES: [&str; 4] = ["Type V5", "Type F5", "Type V2", "Type F2"];
const ENGINES: [&str; 3] = ["Quantum", "Plasma", "Nuclear"];
const VENDORS: [&str; 3] = [
    "ThetaBase Services",
    "Banks, Wood and Phillips",
    "Daniel Group",
];
const POLICIES: [&str; 3] = ["strict", "moderate", "flexible"];

/// `"$1,325.0"`: dollars, thousands separated by commas, one decimal.
pub fn money(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let (whole, tenth) = (tenths / 10, tenths % 10);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{tenth}")
}

fn flag(b: bool) -> &'static str {
    if b { "t" } else { "f" }
}

/// Writes `companies.csv`, `shuttles.xlsx` and `reviews.csv` for `shuttles` shuttles into
/// `<root>/data/01_raw`, as Kedro's starter has them; more shuttles than an Excel sheet holds
/// go to `shuttles.csv` (see [`shuttles_file`]).
pub fn write(root: &Path, shuttles: usize, seed: u64) -> std::io::Result<()> {
    write_with_sheet_limit(root, shuttles, seed, SHEET_ROWS)
}

/// [`write`], with shuttles in a CSV file when there are more than `sheet_rows`.
pub fn write_with_sheet_limit(
    root: &Path,
    shuttles: usize,
    seed: u64,
    sheet_rows: usize,
) -> std::io::Result<()> {
    let mut rng = Rng(seed);
    let companies = (shuttles * 2 / 3).max(1);
    let raw = root.join("data/01_raw");
    std::fs::create_dir_all(&raw)?;

    let mut company_rating = Vec::with_capacity(companies);
    let mut company_iata = Vec::with_capacity(companies);
    let mut text =
        String::from("id,company_rating,company_location,total_fleet_count,iata_approved\n");
    for id in 0..companies {
        let rating = rng.below(101);
        let iata = rng.chance(0.4);
        let missing_rating = rng.chance(0.15);
        company_rating.push((!missing_rating).then_some(rating as f64 / 100.0));
        company_iata.push(iata);
        let location = if rng.chance(0.1) {
            ""
        } else {
            rng.pick(&LOCATIONS)
        };
        let rating = if missing_rating {
            String::new()
        } else {
            format!("{rating}%")
        };
        let fleet = 1 + rng.below(5);
        let _ = writeln!(
            text,
            "{},{rating},{location},{fleet}.0,{}",
            30_000 + id,
            flag(iata)
        );
    }
    std::fs::write(raw.join("companies.csv"), text)?;

    let mut shuttles_csv = String::from(
        "id,shuttle_location,shuttle_type,engine_type,engine_vendor,engines,passenger_capacity,\
         cancellation_policy,crew,d_check_complete,moon_clearance_complete,price,company_id\n",
    );
    let mut reviews_csv = String::from(
        "shuttle_id,review_scores_rating,review_scores_comfort,review_scores_amenities,\
         review_scores_trip,review_scores_crew,review_scores_location,review_scores_price,\
         number_of_reviews,reviews_per_month\n",
    );
    let w: Vec<f64> = PLANTED.coefficients.iter().map(|(_, c)| *c).collect();
    for id in 0..shuttles {
        let company = rng.below(companies as u64) as usize;
        let engines = 1 + rng.below(4);
        let capacity = 1 + rng.below(8);
        let crew = 1 + rng.below(8);
        let d_check = rng.chance(0.7);
        let moon = rng.chance(0.2);
        let review = 20.0 + rng.below(81) as f64;
        let missing_engines = rng.chance(0.01);
        let missing_crew = rng.chance(0.02);
        // The starter's quirk: every shuttle with moon clearance lacks a review score, so
        // after the join drops incomplete rows, `moon_clearance_complete` is the same in
        // every row and the regression must fit a constant column.
        let missing_review = rng.chance(0.1) || moon;
        let rating = company_rating[company].unwrap_or(0.5);
        let features = [
            engines as f64,
            capacity as f64,
            crew as f64,
            f64::from(u8::from(d_check)),
            f64::from(u8::from(moon)),
            f64::from(u8::from(company_iata[company])),
            rating,
            review,
        ];
        let noise = (rng.unit() * 2.0 - 1.0) * PLANTED.noise;
        let price =
            PLANTED.intercept + features.iter().zip(&w).map(|(f, c)| f * c).sum::<f64>() + noise;
        let shuttle_id = 10_000 + id;
        let _ = writeln!(
            shuttles_csv,
            "{shuttle_id},{},{},{},\"{}\",{},{capacity},{},{},{},{},\"{}\",{}",
            rng.pick(&LOCATIONS),
            rng.pick(&TYPES),
            rng.pick(&ENGINES),
            rng.pick(&VENDORS),
            if missing_engines {
                String::new()
            } else {
                format!("{engines}.0")
            },
            rng.pick(&POLICIES),
            if missing_crew {
                String::new()
            } else {
                format!("{crew}.0")
            },
            flag(d_check),
            flag(moon),
            money(price),
            30_000 + company,
        );
        let score = |rng: &mut Rng| 2 + rng.below(9);
        let _ = writeln!(
            reviews_csv,
            "{shuttle_id},{},{},{},{},{},{},{},{},{:.2}",
            if missing_review {
                String::new()
            } else {
                format!("{review:.1}")
            },
            score(&mut rng),
            score(&mut rng),
            score(&mut rng),
            score(&mut rng),
            score(&mut rng),
            score(&mut rng),
            rng.below(200),
            rng.unit() * 5.0,
        );
    }
    std::fs::write(raw.join("reviews.csv"), reviews_csv)?;
    // More shuttles than a sheet holds go to a CSV file, which the `big` environment reads;
    // the other file is removed, so a run never mixes two sizes.
    let (file, stale) = shuttles_file(shuttles, sheet_rows);
    let _ = std::fs::remove_file(raw.join(stale));
    if file == "shuttles.csv" {
        return std::fs::write(raw.join(file), shuttles_csv);
    }
    // The starter keeps its shuttles in an Excel sheet: typed cells where the CSV had text.
    use kedrust::polars::prelude::SerReader;
    let sheet = kedrust::polars::prelude::CsvReader::new(std::io::Cursor::new(shuttles_csv))
        .finish()
        .and_then(|frame| kedrust::frames::excel_bytes(&frame, "Sheet1"))
        .map_err(std::io::Error::other)?;
    std::fs::write(raw.join(file), sheet)
}

/// The data rows an Excel sheet holds below its header row.
pub const SHEET_ROWS: usize = 1_048_575;

/// The file `shuttles` shuttles are written to, and the one of the other size to remove:
/// the starter's Excel sheet while they fit in `sheet_rows`, else a CSV file.
pub fn shuttles_file(shuttles: usize, sheet_rows: usize) -> (&'static str, &'static str) {
    if shuttles <= sheet_rows {
        ("shuttles.xlsx", "shuttles.csv")
    } else {
        ("shuttles.csv", "shuttles.xlsx")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_the_spaceflights_way() {
        assert_eq!(money(1325.0), "$1,325.0");
        assert_eq!(money(999.95), "$1,000.0");
        assert_eq!(money(42.04), "$42.0");
        assert_eq!(money(1_234_567.25), "$1,234,567.3");
    }
}
