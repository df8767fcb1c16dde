//! When schedules fire: the ticks of a cron expression in its time zone, computed from a
//! clock the caller gives (so that tests never wait for real minutes).

use crate::dagster_yml::Schedule;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// The schedule's time zone (UTC when it names none).
pub fn time_zone(schedule: &Schedule) -> Result<Tz, String> {
    schedule
        .execution_timezone
        .as_deref()
        .map_or(Ok(Tz::UTC), kedrust_partitions::parse_time_zone)
}

/// Every tick strictly after `after` and at or before `until`.
pub fn ticks(
    schedule: &Schedule,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, String> {
    let mut out = Vec::new();
    let mut t = after;
    while let Some(next) = next_tick(schedule, t)? {
        if next > until {
            break;
        }
        out.push(next);
        t = next;
    }
    Ok(out)
}

/// The first tick strictly after `after`.
pub fn next_tick(
    schedule: &Schedule,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, String> {
    let tz = time_zone(schedule)?;
    let cron: Cron = schedule
        .cron_schedule
        .parse()
        .map_err(|e| format!("'{}': {e}", schedule.cron_schedule))?;
    Ok(cron
        .find_next_occurrence(&after.with_timezone(&tz), false)
        .ok()
        .map(|t| t.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(cron: &str, tz: Option<&str>) -> Schedule {
        Schedule {
            name: "s".into(),
            cron_schedule: cron.into(),
            execution_timezone: tz.map(str::to_owned),
            description: None,
            metadata: serde_json::Value::Null,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn hourly_ticks_between_two_times() {
        let t = ticks(
            &schedule("0 * * * *", None),
            at("2026-01-01T00:30:00Z"),
            at("2026-01-01T03:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            t,
            [
                at("2026-01-01T01:00:00Z"),
                at("2026-01-01T02:00:00Z"),
                at("2026-01-01T03:00:00Z")
            ]
        );
    }

    #[test]
    fn the_time_zone_moves_the_tick_and_follows_daylight_saving() {
        let paris = schedule("0 2 * * *", Some("Europe/Paris"));
        assert_eq!(
            next_tick(&paris, at("2026-01-10T00:00:00Z")).unwrap(),
            Some(at("2026-01-10T01:00:00Z"))
        );
        // Summer time: 02:00 in Paris is midnight UTC.
        assert_eq!(
            next_tick(&paris, at("2026-07-09T23:00:00Z")).unwrap(),
            Some(at("2026-07-10T00:00:00Z"))
        );
        assert_eq!(
            time_zone(&schedule("0 2 * * *", Some("Europe/Pari"))).unwrap_err(),
            "unknown time zone 'Europe/Pari'; did you mean 'Europe/Paris'?"
        );
    }
}
