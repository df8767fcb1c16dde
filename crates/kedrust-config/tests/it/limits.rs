//! Config that would take unbounded work fails fast, naming its file and key.

use crate::conf_with;
use kedrust_config::ConfigLoader;
use std::fmt::Write;

#[test]
fn a_chain_of_references_that_doubles_stops_with_the_key_that_started_it() {
    // 2^40 copies of a 64-byte text: neither time nor memory would suffice.
    let mut text = format!("level_0: {}\n", "x".repeat(64));
    for n in 1..=40 {
        writeln!(text, "level_{n}: ${{level_{m}}}${{level_{m}}}", m = n - 1).unwrap();
    }
    let dir = conf_with(&[("parameters.yml", &text)]);
    let err = ConfigLoader::new(dir.path(), "local")
        .load("parameters")
        .unwrap_err()
        .to_string();
    assert!(err.contains("parameters.yml:"), "names the file: {err}");
    assert!(err.contains("level_40"), "names the top key: {err}");
    assert!(err.contains("interpolation stopped: "), "says why: {err}");
    assert!(
        err.len() < 20_000,
        "one line per failing key, not one per level"
    );
}

#[test]
fn a_yaml_alias_bomb_is_refused_at_its_file() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for n in 1..=9 {
        let m = n - 1;
        writeln!(
            text,
            "a{n}: &a{n} [*a{m}, *a{m}, *a{m}, *a{m}, *a{m}, *a{m}, *a{m}, *a{m}, *a{m}, *a{m}]"
        )
        .unwrap();
    }
    let dir = conf_with(&[("catalog.yml", &text)]);
    let err = ConfigLoader::new(dir.path(), "local")
        .load("catalog")
        .unwrap_err()
        .to_string();
    assert!(err.contains("catalog.yml:"), "names the file: {err}");
    assert!(
        err.to_lowercase().contains("budget") || err.contains("alias"),
        "{err}"
    );
}
