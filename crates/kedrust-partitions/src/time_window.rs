//! Time-window partitions as Dagster defines them: a key is the window's start, formatted
//! with `fmt` in the definition's time zone; `start` and `end` (exclusive) are parsed with
//! `fmt`; `end_offset` adds windows past the last complete one (1: the one in progress).
//!
//! Daily, weekly and monthly windows start at the same local time on every calendar day, so a
//! day across a daylight-saving change is 23 or 25 hours long; a start that falls in a
//! skipped hour moves to the first instant after it. Hourly windows follow real hours: a
//! spring-forward day has 23 of them.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde_json::{Map, Value as Json};

/// The keys a time-window definition accepts.
pub(super) const KEYS: [&str; 9] = [
    "type",
    "start",
    "end",
    "timezone",
    "fmt",
    "minute_offset",
    "hour_offset",
    "day_offset",
    "end_offset",
];

/// How long a window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// One hour, starting at `minute_offset`.
    Hourly,
    /// One day, starting at `hour_offset:minute_offset`.
    Daily,
    /// One week, starting on `day_offset` (0 = Sunday).
    Weekly,
    /// One month, starting on day `day_offset` (default 1).
    Monthly,
}

impl Cadence {
    fn default_fmt(self) -> &'static str {
        match self {
            Cadence::Hourly => "%Y-%m-%d-%H:%M",
            _ => "%Y-%m-%d",
        }
    }
}

/// A time-window definition's settings, written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSettings {
    /// The first window's start, formatted with `fmt`.
    pub start: String,
    /// Where windows stop (exclusive), formatted with `fmt`.
    pub end: Option<String>,
    /// The IANA time zone.
    pub timezone: String,
    /// The key format (strftime).
    pub fmt: String,
    /// Minutes past the hour a window starts.
    pub minute_offset: u32,
    /// Hours past midnight a window starts (daily and longer).
    pub hour_offset: u32,
    /// The weekday (0 = Sunday) or day of the month a window starts (weekly, monthly).
    pub day_offset: u32,
    /// Windows past the last complete one.
    pub end_offset: i64,
}

/// A time-window partitions definition.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeWindows {
    cadence: Cadence,
    /// The first window's start.
    first: DateTime<Tz>,
    /// No window ends after this.
    end: Option<DateTime<Tz>>,
    timezone: Tz,
    fmt: String,
    minute_offset: u32,
    hour_offset: u32,
    day_offset: u32,
    end_offset: i64,
}

impl TimeWindows {
    pub(super) fn from_config(kind: &str, map: &Map<String, Json>) -> Result<Self, Vec<String>> {
        let cadence = match kind {
            "hourly" => Cadence::Hourly,
            "daily" => Cadence::Daily,
            "weekly" => Cadence::Weekly,
            _ => Cadence::Monthly,
        };
        let mut problems = Vec::new();
        let number = |key: &str, default: u64, max: u64, problems: &mut Vec<String>| -> u64 {
            match map.get(key) {
                None => default,
                Some(v) => match v.as_u64() {
                    Some(n) if n <= max => n,
                    _ => {
                        problems.push(format!(
                            "'partitions.{key}' must be a whole number from 0 to {max}, not {v}"
                        ));
                        default
                    }
                },
            }
        };
        let minute_offset = number("minute_offset", 0, 59, &mut problems) as u32;
        let hour_offset = number("hour_offset", 0, 23, &mut problems) as u32;
        let day_offset = match cadence {
            Cadence::Weekly => number("day_offset", 0, 6, &mut problems),
            Cadence::Monthly => number("day_offset", 1, 28, &mut problems),
            _ => number("day_offset", 0, 0, &mut problems),
        } as u32;
        let end_offset = match map.get("end_offset") {
            None => 0,
            Some(v) => v.as_i64().unwrap_or_else(|| {
                problems.push(format!(
                    "'partitions.end_offset' must be a whole number, not {v}"
                ));
                0
            }),
        };
        let timezone = match map.get("timezone") {
            None => Tz::UTC,
            Some(Json::String(name)) => crate::parse_time_zone(name).unwrap_or_else(|e| {
                problems.push(format!("'partitions.timezone': {e}"));
                Tz::UTC
            }),
            Some(other) => {
                problems.push(format!("'partitions.timezone' must be a name, not {other}"));
                Tz::UTC
            }
        };
        let fmt = match map.get("fmt") {
            None => cadence.default_fmt().to_owned(),
            Some(Json::String(f)) => f.clone(),
            Some(other) => {
                problems.push(format!("'partitions.fmt' must be a format, not {other}"));
                cadence.default_fmt().to_owned()
            }
        };
        let instant = |key: &str, problems: &mut Vec<String>| -> Option<DateTime<Tz>> {
            let text = match map.get(key)? {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            match parse_local(&text, &fmt) {
                Some(naive) => Some(resolve(timezone, naive)),
                None => {
                    problems.push(format!(
                        "'partitions.{key}': '{text}' does not read with the format '{fmt}'"
                    ));
                    None
                }
            }
        };
        let start = if map.contains_key("start") {
            instant("start", &mut problems)
        } else {
            problems.push(format!(
                "'partitions.start' is missing: {kind} partitions need the first window's start"
            ));
            None
        };
        let end = instant("end", &mut problems);
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            problems.push("'partitions.end' must come after 'partitions.start'".into());
        }
        match start {
            Some(start) if problems.is_empty() => {
                let mut windows = Self {
                    cadence,
                    first: start,
                    end,
                    timezone,
                    fmt,
                    minute_offset,
                    hour_offset,
                    day_offset,
                    end_offset,
                };
                windows.first = windows.first_at_or_after(start);
                Ok(windows)
            }
            _ => Err(problems),
        }
    }

    /// The definition's settings, as its configuration would write them again (the start
    /// moved to the first window's).
    pub fn settings(&self) -> WindowSettings {
        WindowSettings {
            start: self.first_key(),
            end: self.end.map(|e| e.format(&self.fmt).to_string()),
            timezone: self.timezone.name().to_owned(),
            fmt: self.fmt.clone(),
            minute_offset: self.minute_offset,
            hour_offset: self.hour_offset,
            day_offset: self.day_offset,
            end_offset: self.end_offset,
        }
    }

    /// The window length.
    pub fn cadence(&self) -> Cadence {
        self.cadence
    }

    /// The time zone keys are formatted in.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The first window's key.
    pub fn first_key(&self) -> String {
        self.key(&self.first)
    }

    /// The key of the window starting at `start`.
    pub fn key(&self, start: &DateTime<Tz>) -> String {
        start.format(&self.fmt).to_string()
    }

    /// Every key as of `now`: the complete windows, and `end_offset` more (fewer if
    /// negative), never past `end`.
    pub fn keys(&self, now: DateTime<Utc>) -> Vec<String> {
        let now = now.with_timezone(&self.timezone);
        let mut starts = Vec::new();
        let mut start = self.first;
        loop {
            let end = self.next_start(start);
            if self.end.is_some_and(|limit| end > limit) || end > now {
                break;
            }
            starts.push(start);
            start = end;
        }
        if self.end_offset > 0 {
            for _ in 0..self.end_offset {
                let end = self.next_start(start);
                if self.end.is_some_and(|limit| end > limit) {
                    break;
                }
                starts.push(start);
                start = end;
            }
        } else {
            let drop = usize::try_from(-self.end_offset).unwrap_or(0);
            starts.truncate(starts.len().saturating_sub(drop));
        }
        starts.iter().map(|s| self.key(s)).collect()
    }

    /// The window `[start, end)` whose key is `key`, if it is one of this definition's (on or
    /// after the first, ending by `end`).
    pub fn window(&self, key: &str) -> Option<(DateTime<Tz>, DateTime<Tz>)> {
        let naive = parse_local(key, &self.fmt)?;
        let start = resolve(self.timezone, naive);
        if start < self.first || self.first_at_or_after(start) != start {
            return None;
        }
        let end = self.next_start(start);
        if self.end.is_some_and(|limit| end > limit) {
            return None;
        }
        Some((start, end))
    }

    /// The first window start at or after `t`.
    fn first_at_or_after(&self, t: DateTime<Tz>) -> DateTime<Tz> {
        let local = t.naive_local();
        let date = match self.cadence {
            Cadence::Hourly => {
                let hour = local
                    .date()
                    .and_time(NaiveTime::from_hms_opt(local.hour(), 0, 0).unwrap_or_default());
                let c = resolve(self.timezone, hour) + Duration::minutes(self.minute_offset.into());
                return if c < t { c + Duration::hours(1) } else { c };
            }
            Cadence::Daily => local.date(),
            Cadence::Weekly => {
                let target = weekday(self.day_offset);
                let mut date = local.date();
                while date.weekday() != target {
                    date += Duration::days(1);
                }
                date
            }
            Cadence::Monthly => {
                month_day(local.date().year(), local.date().month(), self.day_offset)
            }
        };
        let c = self.start_on(date);
        if c < t {
            self.start_on(self.next_date(date))
        } else {
            c
        }
    }

    /// The start of the window `windows` windows after (before, if negative) the one starting
    /// at `start`.
    pub fn shifted(&self, start: DateTime<Tz>, windows: i64) -> DateTime<Tz> {
        let mut at = start;
        for _ in 0..windows.unsigned_abs() {
            at = if windows > 0 {
                self.next_start(at)
            } else {
                self.previous_start(at)
            };
        }
        at
    }

    /// The start of the window before the one starting at `start`.
    fn previous_start(&self, start: DateTime<Tz>) -> DateTime<Tz> {
        let date = start.naive_local().date();
        match self.cadence {
            Cadence::Hourly => start - Duration::hours(1),
            Cadence::Daily => self.start_on(date - Duration::days(1)),
            Cadence::Weekly => self.start_on(date - Duration::days(7)),
            Cadence::Monthly => self.start_on(previous_month(date)),
        }
    }

    /// The start of the window after the one starting at `start`.
    fn next_start(&self, start: DateTime<Tz>) -> DateTime<Tz> {
        match self.cadence {
            Cadence::Hourly => start + Duration::hours(1),
            _ => self.start_on(self.next_date(start.naive_local().date())),
        }
    }

    /// The start of the (daily, weekly or monthly) window on the local `date`.
    fn start_on(&self, date: NaiveDate) -> DateTime<Tz> {
        let time =
            NaiveTime::from_hms_opt(self.hour_offset, self.minute_offset, 0).unwrap_or_default();
        resolve(self.timezone, date.and_time(time))
    }

    /// The date of the window after the one on `date`.
    fn next_date(&self, date: NaiveDate) -> NaiveDate {
        match self.cadence {
            Cadence::Hourly | Cadence::Daily => date + Duration::days(1),
            Cadence::Weekly => date + Duration::days(7),
            Cadence::Monthly => next_month(date),
        }
    }
}

/// Dagster's weekday numbering: 0 is Sunday.
fn weekday(day_offset: u32) -> Weekday {
    use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
    [Sun, Mon, Tue, Wed, Thu, Fri, Sat][day_offset as usize % 7]
}

fn month_day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn next_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    month_day(year, month, date.day())
}

fn previous_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 1 {
        (date.year() - 1, 12)
    } else {
        (date.year(), date.month() - 1)
    };
    month_day(year, month, date.day())
}

/// `text` read with `fmt`: a date and time, or a date at midnight.
fn parse_local(text: &str, fmt: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, fmt).ok().or_else(|| {
        NaiveDate::parse_from_str(text, fmt)
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    })
}

/// A local time in `tz`: the earlier of two when the clocks go back, the first instant after
/// the gap when they go forward.
fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    let mut probe = local;
    for _ in 0..4 * 24 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t,
            LocalResult::Ambiguous(early, _) => return early,
            LocalResult::None => probe += Duration::minutes(15),
        }
    }
    tz.from_utc_datetime(&local)
}
