//! `bench/RESULTS.md` and the README's headline table, from the measured figures only.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The README's generated table sits between these lines.
const HEADLINE_START: &str = "<!-- bench:headline:start (written by kedrust-bench compare) -->";
const HEADLINE_END: &str = "<!-- bench:headline:end -->";

/// One compared figure of the headline, with its target.
pub struct Headline {
    /// What is compared.
    pub case: String,
    /// kedrust's figure, formatted.
    pub kedrust: String,
    /// The Python system's figure, formatted.
    pub python: String,
    /// kedrust / Python (smaller is better for time and memory).
    pub ratio: f64,
    /// The target, as a ratio kedrust / Python must not exceed (`None`: recorded only).
    pub target: Option<f64>,
    /// Why a missed target was missed, found by profiling.
    pub why_missed: Option<String>,
}

/// A section of the results file.
struct Section {
    title: String,
    note: String,
    table: String,
}

/// Everything one comparison measured.
#[derive(Default)]
pub struct Results {
    sections: Vec<Section>,
    headline: Vec<Headline>,
}

/// kedrust / Python, and how many times better that is.
pub fn ratio_cells(ratio: f64) -> String {
    if ratio > 0.0 && ratio.is_finite() {
        format!("{ratio:.4} | **{:.1}×**", 1.0 / ratio)
    } else {
        "n/a | n/a".into()
    }
}

/// Milliseconds, with sensible precision.
pub fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1e3;
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Mebibytes from KiB, or n/a.
pub fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.0}", k as f64 / 1024.0))
}

impl Results {
    /// Adds a section: a title, a sentence on how it was measured, a markdown table.
    pub fn section(&mut self, title: &str, note: &str, table: String) {
        self.sections.push(Section {
            title: title.to_owned(),
            note: note.to_owned(),
            table,
        });
    }

    /// Adds a headline figure.
    pub fn headline_row(&mut self, row: Headline) {
        self.headline.push(row);
    }

    /// The headline table.
    pub fn headline(&self) -> String {
        let mut out = String::from(
            "| case | kedrust | Kedro / kedro-dagster | kedrust / Python | better by | target | met |\n\
             |---|---:|---:|---:|---:|---|---|\n",
        );
        for h in &self.headline {
            let (target, met) = match h.target {
                Some(t) => (
                    // A target above 1 is a floor kedrust may exceed by a margin.
                    if t > 1.0 {
                        format!("within {:.0}% of it", (t - 1.0) * 100.0)
                    } else {
                        format!("at least {:.0}× better", 1.0 / t)
                    },
                    if h.ratio <= t { "yes" } else { "**no**" },
                ),
                None => ("recorded".into(), "-"),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {target} | {met} |",
                h.case,
                h.kedrust,
                h.python,
                ratio_cells(h.ratio)
            );
        }
        out
    }

    /// The whole results file.
    pub fn render(
        &self,
        command: &str,
        versions: &[(String, String)],
        repeat: usize,
        took: Duration,
    ) -> String {
        let mut out = String::from("# kedrust against Kedro and kedro-dagster\n\n");
        out.push_str(&crate::report::stamp(command));
        let versions: Vec<String> = versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
        let _ = writeln!(
            out,
            "- Python side: {}\n- figures: medians of up to {repeat} runs per case (fewer when one run \
             takes over a minute), both systems on this machine in this run\n- the whole \
             comparison took {:.0} s\n",
            versions.join(", "),
            took.as_secs_f64()
        );
        out.push_str("## Headline\n\n");
        out.push_str(&self.headline());
        for h in &self.headline {
            if let (Some(t), Some(why)) = (h.target, &h.why_missed)
                && h.ratio > t
            {
                let _ = writeln!(out, "\n**{}: target missed.** {why}", h.case);
            }
        }
        for s in &self.sections {
            let _ = write!(out, "\n## {}\n\n{}\n\n{}", s.title, s.note, s.table);
        }
        out
    }
}

/// Replaces the headline table in the README at `path` (between the markers).
pub fn replace_headline(path: &Path, table: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(start), Some(end)) = (text.find(HEADLINE_START), text.find(HEADLINE_END)) else {
        return Err(format!(
            "{} has no headline markers ({HEADLINE_START} ... {HEADLINE_END})",
            path.display()
        ));
    };
    let replaced = format!(
        "{}{HEADLINE_START}\n{table}{}",
        &text[..start],
        &text[end..]
    );
    std::fs::write(path, replaced).map_err(|e| format!("{}: {e}", path.display()))
}
