//! `docs/scenarios.md` maps every acceptance scenario of kedro-dagster (spec §9) to a test or
//! a reason; this checks that no id is missing, that every named function is a `#[test]`,
//! and that a row without one says why it does not apply or which open issue covers it.

use std::path::Path;

const IDS: &[&str] = &[
    "S1", "S2", "S2m", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S14",
    "S15", "H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "M1", "M2", "M3", "M4", "M5",
    "M6", "M7", "N1", "N2", "N3", "N4", "N5", "N6", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8",
    "C1", "C2", "C3", "E2E1", "E2E2", "D1", "D2", "D3", "CLI1", "CFG", "T1",
];

/// The issues still open; a scenario deferred to a closed one is a stale promise.
const OPEN_ISSUES: &[u32] = &[15, 16, 17, 18, 19, 20, 21, 22, 23];

#[test]
fn every_scenario_is_mapped_to_an_existing_test_or_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let table = std::fs::read_to_string(root.join("docs/scenarios.md")).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| id"))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    for id in IDS {
        let row = rows
            .iter()
            .find(|r| r[0] == *id)
            .unwrap_or_else(|| panic!("scenario {id} is not in docs/scenarios.md"));
        let (test, note) = (row[1], row[2]);
        if test.is_empty() {
            let open_issue = OPEN_ISSUES.iter().any(|n| note.ends_with(&format!("#{n}")));
            assert!(
                note.starts_with("does not apply: ") || open_issue,
                "{id}: without a test, the note says `does not apply: ...` or ends with the \
                 open issue that will cover it: {note:?}"
            );
            continue;
        }
        let (file, function) = test.split_once("::").expect("<file>::<test function>");
        let source = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("{id}: {file}: {e}"));
        let is_test = source.lines().collect::<Vec<_>>().windows(3).any(|w| {
            w[2].trim_start().starts_with(&format!("fn {function}("))
                && (w[1].trim() == "#[test]" || w[0].trim() == "#[test]")
        });
        assert!(is_test, "{id}: no #[test] fn {function} in {file}");
    }
    assert_eq!(rows.len(), IDS.len(), "no unknown ids in the table");
}
