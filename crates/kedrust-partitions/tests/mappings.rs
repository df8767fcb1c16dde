//! Partition mappings: for each type, the input keys one output key reads, and every mistake
//! in a mapping named. Each case is the mapping as YAML would write it, the two definitions,
//! the output key, and the input keys it must give.

use chrono::{DateTime, Utc};
use kedrust_partitions::{PartitionMapping, PartitionsDef};
use serde_json::json;

fn def(config: serde_json::Value) -> PartitionsDef {
    PartitionsDef::from_config(&config).unwrap()
}

fn mapping(config: serde_json::Value) -> PartitionMapping {
    PartitionMapping::from_config(&config).unwrap_or_else(|e| panic!("{config}: {e:?}"))
}

#[test]
fn each_mapping_gives_the_input_keys_of_one_output_key() {
    let now: DateTime<Utc> = "2024-03-10T12:00:00Z".parse().unwrap();
    let daily = def(json!({"type": "daily", "start": "2024-03-01"}));
    let paris = def(json!({"type": "daily", "start": "2024-03-01", "timezone": "Europe/Paris"}));
    let weekly = def(json!({"type": "weekly", "start": "2024-03-03"}));
    let hourly = def(json!({"type": "hourly", "start": "2024-03-01-00:00"}));
    let regions = def(json!({"type": "static", "keys": ["north", "south", "east"]}));
    let zones = def(json!({"type": "static", "keys": ["n", "s"]}));
    let static_map = json!({"type": "static", "downstream_partition_keys_by_upstream_partition_key":
        {"north": "n", "east": "n", "south": ["s", "n"]}});
    let hours: Vec<String> = (0..24).map(|h| format!("2024-03-02-{h:02}:00")).collect();
    let hours: Vec<&str> = hours.iter().map(String::as_str).collect();
    let cases: Vec<(
        serde_json::Value,
        &PartitionsDef,
        &PartitionsDef,
        &str,
        Vec<&str>,
    )> = vec![
        (
            json!("identity"),
            &daily,
            &daily,
            "2024-03-05",
            vec!["2024-03-05"],
        ),
        // Yesterday's partition feeds today's.
        (
            json!({"type": "time_window", "start_offset": -1, "end_offset": -1}),
            &daily,
            &daily,
            "2024-03-05",
            vec!["2024-03-04"],
        ),
        // A trailing week.
        (
            json!({"type": "TimeWindowPartitionMapping", "start_offset": -2}),
            &daily,
            &daily,
            "2024-03-05",
            vec!["2024-03-03", "2024-03-04", "2024-03-05"],
        ),
        // A week reads its seven days.
        (
            json!({"type": "time_window"}),
            &daily,
            &weekly,
            "2024-03-03",
            vec![
                "2024-03-03",
                "2024-03-04",
                "2024-03-05",
                "2024-03-06",
                "2024-03-07",
                "2024-03-08",
                "2024-03-09",
            ],
        ),
        // A UTC day overlaps two Paris days.
        (
            json!("time_window"),
            &paris,
            &daily,
            "2024-03-05",
            vec!["2024-03-05", "2024-03-06"],
        ),
        (json!("time_window"), &hourly, &daily, "2024-03-02", hours),
        (
            static_map.clone(),
            &regions,
            &zones,
            "n",
            vec!["east", "north", "south"],
        ),
        (static_map, &regions, &zones, "s", vec!["south"]),
        (
            json!("all"),
            &regions,
            &zones,
            "s",
            vec!["north", "south", "east"],
        ),
        (
            json!("dagster.LastPartitionMapping"),
            &daily,
            &regions,
            "north",
            vec!["2024-03-09"],
        ),
    ];
    for (config, input, output, key, expected) in cases {
        let keys = mapping(config.clone())
            .input_keys((input, output), key, now)
            .unwrap_or_else(|e| panic!("{config}: {e}"));
        assert_eq!(keys, expected, "{config}");
    }
}

#[test]
fn a_mapping_that_gives_no_key_or_is_written_wrong_says_why() {
    let now: DateTime<Utc> = "2024-03-10T12:00:00Z".parse().unwrap();
    let daily = def(json!({"type": "daily", "start": "2024-03-01"}));
    let regions = def(json!({"type": "static", "keys": ["north", "south"]}));
    let yesterday = mapping(json!({"type": "time_window", "start_offset": -1, "end_offset": -1}));
    let refused = [
        // The first day has no day before it.
        (
            yesterday.input_keys((&daily, &daily), "2024-03-01", now),
            "no key of it is mapped to '2024-03-01'",
        ),
        (
            yesterday.input_keys((&regions, &daily), "2024-03-02", now),
            "joins two time-window definitions",
        ),
        (
            mapping(json!("identity")).input_keys((&regions, &regions), "west", now),
            "'west' is not one of its partition keys",
        ),
    ];
    for (result, said) in refused {
        let error = result.unwrap_err();
        assert!(error.contains(said), "{error}");
    }
    let mistakes = [
        (
            json!("time_windw"),
            "unknown partition mapping type 'time_windw'; did you mean 'time_window'?",
        ),
        (
            json!({"type": "time_window", "start_ofset": -1}),
            "'start_ofset': unknown key for a time_window mapping; did you mean 'start_offset'?",
        ),
        (
            json!({"type": "time_window", "start_offset": 0, "end_offset": -1}),
            "'start_offset' (0) is after 'end_offset' (-1)",
        ),
        (
            json!({"type": "static"}),
            "a static mapping needs 'downstream_partition_keys_by_upstream_partition_key'",
        ),
        (json!({"start_offset": 1}), "'type' is missing"),
    ];
    for (config, said) in mistakes {
        let problems = PartitionMapping::from_config(&config)
            .unwrap_err()
            .join("\n");
        assert!(problems.contains(said), "{config}: {problems}");
    }
}

#[test]
fn a_mapping_between_definitions_it_cannot_join_is_refused_without_a_key() {
    let daily = def(json!({"type": "daily", "start": "2024-03-01"}));
    let weekly = def(json!({"type": "weekly", "start": "2024-03-03"}));
    let paris = def(json!({"type": "daily", "start": "2024-03-01", "timezone": "Europe/Paris"}));
    let regions = def(json!({"type": "static", "keys": ["north", "south"]}));
    let zones = def(json!({"type": "static", "keys": ["n", "s"]}));
    let customers = def(json!({"type": "dynamic", "name": "customers"}));
    let static_map = |map: serde_json::Value| {
        mapping(
            json!({"type": "static", "downstream_partition_keys_by_upstream_partition_key": map}),
        )
    };
    let joined = [
        (mapping(json!("time_window")), &daily, &weekly),
        (mapping(json!("identity")), &regions, &zones),
        (
            static_map(json!({"north": "n", "south": ["n", "s"]})),
            &regions,
            &zones,
        ),
        (mapping(json!("all")), &customers, &daily),
        (mapping(json!("last")), &daily, &regions),
    ];
    for (m, input, output) in joined {
        assert_eq!(m.check(input, output), Ok(()), "{m:?}");
    }
    let refused = [
        (
            mapping(json!("identity")),
            &daily,
            &weekly,
            "time windows of one length",
        ),
        (
            mapping(json!("identity")),
            &regions,
            &customers,
            "not static to dynamic",
        ),
        (
            static_map(json!({"west": "n"})),
            &regions,
            &zones,
            "names 'west', which is not a key of the input (north, south)",
        ),
        (
            static_map(json!({"north": "w"})),
            &regions,
            &zones,
            "maps to 'w', which is not a key of the output (n, s)",
        ),
        (
            static_map(json!({"north": "n"})),
            &daily,
            &zones,
            "joins two static definitions, not time-window to static",
        ),
        (
            mapping(json!("time_window")),
            &daily,
            &paris,
            "not UTC to Europe/Paris",
        ),
        (
            mapping(json!("time_window")),
            &regions,
            &daily,
            "joins two time-window definitions",
        ),
    ];
    for (m, input, output, said) in refused {
        let why = m.check(input, output).unwrap_err();
        assert!(why.contains(said), "{m:?}: {why}");
    }
}
