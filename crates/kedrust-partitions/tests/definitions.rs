//! Partitions definitions: each type's keys as Dagster forms them (time zones and
//! daylight-saving days included), and every mistake in a definition named with the nearest
//! valid word. Each case is the definition as YAML would write it, and what it must give.

use chrono::{DateTime, Utc};
use kedrust_partitions::PartitionsDef;
use serde_json::json;

fn def(config: serde_json::Value) -> PartitionsDef {
    PartitionsDef::from_config(&config).unwrap_or_else(|e| panic!("{config}: {e:?}"))
}

fn keys(config: serde_json::Value, now: &str) -> Vec<String> {
    let now: DateTime<Utc> = now.parse().unwrap();
    match def(config) {
        PartitionsDef::TimeWindow(w) => w.keys(now),
        other => panic!("not time windows: {other:?}"),
    }
}

fn problems(config: serde_json::Value) -> String {
    PartitionsDef::from_config(&config).unwrap_err().join("\n")
}

#[test]
fn static_and_dynamic_definitions_keep_their_keys_and_name() {
    assert_eq!(
        def(json!({"type": "static", "keys": ["north", "south", 2024]})),
        PartitionsDef::Static(vec!["north".into(), "south".into(), "2024".into()])
    );
    assert_eq!(
        def(json!({"type": "dynamic", "name": "customers"})),
        PartitionsDef::Dynamic {
            name: "customers".into()
        }
    );
}

#[test]
fn time_windows_give_the_complete_windows_as_dagster_keys() {
    let cases = [
        // (definition, now, keys)
        (
            json!({"type": "daily", "start": "2024-01-01"}),
            "2024-01-04T10:00:00Z",
            vec!["2024-01-01", "2024-01-02", "2024-01-03"],
        ),
        (
            json!({"type": "daily", "start": "2024-01-01", "end_offset": 1}),
            "2024-01-03T10:00:00Z",
            vec!["2024-01-01", "2024-01-02", "2024-01-03"],
        ),
        (
            json!({"type": "daily", "start": "2024-01-01", "end": "2024-01-03"}),
            "2024-06-01T00:00:00Z",
            vec!["2024-01-01", "2024-01-02"],
        ),
        (
            json!({"type": "hourly", "start": "2024-01-01-22:00"}),
            "2024-01-02T01:30:00Z",
            vec!["2024-01-01-22:00", "2024-01-01-23:00", "2024-01-02-00:00"],
        ),
        (
            // 2024-01-01 is a Monday; weeks start on Sunday (day_offset 0).
            json!({"type": "weekly", "start": "2024-01-01"}),
            "2024-01-22T00:00:00Z",
            vec!["2024-01-07", "2024-01-14"],
        ),
        (
            json!({"type": "monthly", "start": "2024-01-01"}),
            "2024-04-15T00:00:00Z",
            vec!["2024-01-01", "2024-02-01", "2024-03-01"],
        ),
        (
            // `start` is read with `fmt`, as Dagster reads it.
            json!({"type": "monthly", "start": "2024/01/01", "day_offset": 15, "fmt": "%Y/%m/%d"}),
            "2024-03-20T00:00:00Z",
            vec!["2024/01/15", "2024/02/15"],
        ),
        (
            // Windows start at 06:30 local time.
            json!({"type": "daily", "start": "2024-01-01 00:00", "hour_offset": 6, "minute_offset": 30,
                   "fmt": "%Y-%m-%d %H:%M"}),
            "2024-01-03T07:00:00Z",
            vec!["2024-01-01 06:30", "2024-01-02 06:30"],
        ),
    ];
    for (config, now, expected) in cases {
        assert_eq!(keys(config.clone(), now), expected, "{config} at {now}");
    }
}

#[test]
fn a_daily_window_across_a_daylight_saving_change_is_one_local_day() {
    // Paris goes from UTC+1 to UTC+2 on 2024-03-31: that day has 23 hours.
    let paris = json!({"type": "daily", "start": "2024-03-30", "timezone": "Europe/Paris"});
    // 2024-03-31 00:00 in Paris is 2024-03-30T23:00Z; 2024-04-01 00:00 is 2024-03-31T22:00Z.
    assert_eq!(keys(paris.clone(), "2024-03-31T21:59:00Z"), ["2024-03-30"]);
    assert_eq!(
        keys(paris.clone(), "2024-03-31T22:00:00Z"),
        ["2024-03-30", "2024-03-31"]
    );
    let PartitionsDef::TimeWindow(w) = def(paris) else {
        unreachable!()
    };
    let (start, end) = w.window("2024-03-31").unwrap();
    assert_eq!((end - start).num_hours(), 23);
    assert!(w.window("2024-03-29").is_none(), "before the start");
    // In autumn the day has 25 hours.
    let autumn = json!({"type": "daily", "start": "2024-10-27", "timezone": "Europe/Paris"});
    let PartitionsDef::TimeWindow(w) = def(autumn) else {
        unreachable!()
    };
    let (start, end) = w.window("2024-10-27").unwrap();
    assert_eq!((end - start).num_hours(), 25);
}

#[test]
fn hourly_windows_follow_real_hours_across_daylight_saving() {
    // New York skips 02:00-03:00 local on 2024-03-10: that day has 23 hourly windows.
    let ny = json!({"type": "hourly", "start": "2024-03-10-00:00", "timezone": "America/New_York"});
    let day = keys(ny, "2024-03-11T04:00:00Z"); // 2024-03-11 00:00 in New York (UTC-4)
    assert_eq!(day.len(), 23, "{day:?}");
    assert!(!day.contains(&"2024-03-10-02:00".to_owned()), "{day:?}");
}

#[test]
fn every_mistake_in_a_definition_is_named_with_the_nearest_word() {
    let cases = [
        (
            json!({"type": "daly", "start": "2024-01-01"}),
            "'partitions.type': unknown partitions type 'daly'; did you mean 'daily'?",
        ),
        (
            json!({"type": "daily", "start": "2024-01-01", "timezon": "UTC"}),
            "'partitions.timezon': unknown key for daily partitions; did you mean 'timezone'?",
        ),
        (
            json!({"type": "daily", "start": "2024-01-01", "timezone": "Europe/Pariss"}),
            "'partitions.timezone': unknown time zone 'Europe/Pariss'; did you mean 'Europe/Paris'?",
        ),
        (
            json!({"type": "daily", "start": "01/02/2024"}),
            "'partitions.start': '01/02/2024' does not read with the format '%Y-%m-%d'",
        ),
        (json!({"type": "daily"}), "'partitions.start' is missing"),
        (
            json!({"type": "daily", "start": "2024-02-01", "end": "2024-01-01"}),
            "'partitions.end' must come after 'partitions.start'",
        ),
        (
            json!({"type": "weekly", "start": "2024-01-01", "day_offset": 7}),
            "'partitions.day_offset' must be a whole number from 0 to 6, not 7",
        ),
        (
            json!({"type": "static", "keys": ["a", "a", "b...c", ""]}),
            "key 'a' is listed twice",
        ),
        (
            json!({"type": "static", "keys": ["b...c"]}),
            "contains '...'",
        ),
        (json!({"type": "dynamic"}), "dynamic partitions need a name"),
        (
            json!("daily"),
            "'partitions' must be a mapping with a 'type'",
        ),
    ];
    for (config, expected) in cases {
        let said = problems(config.clone());
        assert!(said.contains(expected), "{config}: {said}");
    }
    // All at once.
    let said = problems(json!({"type": "daily", "strat": "2024-01-01", "timezone": "Mars/Base"}));
    assert!(said.contains("'partitions.strat'"), "{said}");
    assert!(said.contains("'partitions.timezone'"), "{said}");
    assert!(said.contains("'partitions.start' is missing"), "{said}");
}

#[test]
fn a_key_range_is_taken_in_the_definitions_order_and_refused_when_it_cannot_be() {
    let now: DateTime<Utc> = "2024-01-10T12:00:00Z".parse().unwrap();
    let regions = def(json!({"type": "static", "keys": ["north", "east", "south", "west"]}));
    assert_eq!(
        regions.key_range("east", "west", now).unwrap(),
        ["east", "south", "west"]
    );
    let daily = def(json!({"type": "daily", "start": "2024-01-01"}));
    assert_eq!(
        daily.key_range("2024-01-08", "2024-01-09", now).unwrap(),
        ["2024-01-08", "2024-01-09"]
    );
    let refused = [
        (
            regions.key_range("west", "north", now),
            "'west' comes after 'north'",
        ),
        (
            regions.key_range("nort", "east", now),
            "did you mean 'north'?",
        ),
        // The 10th's window has not ended at noon on the 10th.
        (
            daily.key_range("2024-01-08", "2024-01-10", now),
            "'2024-01-10' is not a partition key yet (its window has not ended; the last is \
             2024-01-09)",
        ),
        (
            daily.key_range("2023-12-31", "2024-01-02", now),
            "the first is 2024-01-01",
        ),
        (
            def(json!({"type": "dynamic", "name": "customers"})).key_range("a", "b", now),
            "dynamic partitions have no order",
        ),
    ];
    for (range, said) in refused {
        let error = range.unwrap_err();
        assert!(error.contains(said), "{error}");
    }
}
