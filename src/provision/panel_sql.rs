//! The SQL behind each band panel (see [`super::panels`]), written against miband-dc's tables.
//!
//! Queries use Grafana's PostgreSQL macros (`$__timeFilter`, `$__timeTo()`, ...; expanded as
//! [`super::sqlmacros`] shows), `{dev_id}`, which rendering replaces with the band's id, and
//! `{tz}`, the household's time zone ([`super::zone`]) as an SQL literal: days, nights and
//! "today" start at its midnight (`AT TIME ZONE`, which follows daylight-saving changes, so a
//! day may have 23 or 25 hours), never at UTC's. "Today" means the day of the end of the
//! dashboard's time range, so a panel shows the same thing live (`to=now`) and for a past range.
//! Missing data gives no row, never a zero.

/// Per-minute effective activity kind from `$start` to the end of the range: the raw kind's low
/// nibble, with 0 ("no change") and 10 ("ignore") repeating the previous kind, as Gadgetbridge
/// does (docs/protocol.md §4.5).
macro_rules! kind_minutes {
    ($start:literal) => {
        concat!(
            "WITH raw AS (
  SELECT ts, category & 15 AS kind
  FROM activityrecord
  WHERE dev_id = {dev_id} AND ts >= ",
            $start,
            " AND ts <= $__timeTo()
), runs AS (
  SELECT ts, kind, count(*) FILTER (WHERE kind NOT IN (0, 10)) OVER (ORDER BY ts) AS run
  FROM raw
), minutes AS (
  SELECT ts, first_value(kind) OVER (PARTITION BY run ORDER BY ts) AS kind
  FROM runs
)"
        )
    };
}

/// Sleep periods ("nights") from the kind codes rather than a clock window: runs of light (9)
/// and deep (11) sleep minutes, split where sleep pauses for more than an hour. Hours per phase.
macro_rules! sleep_nights {
    () => {
        ", sleep AS (
  SELECT ts, kind,
    CASE WHEN ts - lag(ts) OVER (ORDER BY ts) <= interval '60 minutes' THEN 0 ELSE 1 END AS starts
  FROM minutes
  WHERE kind IN (9, 11)
), sessions AS (
  SELECT ts, kind, sum(starts) OVER (ORDER BY ts) AS session
  FROM sleep
), nights AS (
  SELECT min(ts) AS fell_asleep, max(ts) + interval '1 minute' AS woke_up,
    round(count(*) FILTER (WHERE kind = 11) / 60.0, 2) AS deep,
    round(count(*) FILTER (WHERE kind = 9) / 60.0, 2) AS light
  FROM sessions
  GROUP BY session
)
"
    };
}

/// Heart rates a heart can have: 255 is the band's "no reading" and 0 is no pulse either.
macro_rules! valid_hr {
    ($col:literal) => {
        concat!($col, " BETWEEN 1 AND 254")
    };
}

/// The household's day of a timestamp (a local date-time at midnight, no zone).
macro_rules! local_day {
    ($ts:literal) => {
        concat!("date_trunc('day', (", $ts, ") AT TIME ZONE {tz})")
    };
}

/// The instant the household's day of `$ts` began.
macro_rules! day_start {
    ($ts:literal) => {
        concat!("(", local_day!($ts), " AT TIME ZONE {tz})")
    };
}

/// Start of "today" (the household's day the range ends in) and its bounds.
macro_rules! today {
    () => {
        concat!(
            "ts >= ",
            day_start!("$__timeTo()::timestamptz"),
            " AND ts <= $__timeTo()"
        )
    };
}

/// Steps of each household day from the first day of the range to its end: the per-minute
/// history summed (it holds every day the band handed over, the first sync and any backfill
/// included), or the band's own running total from the live readings where that is higher —
/// today's, read at the last sync, is usually fresher than today's history.
macro_rules! step_days {
    () => {
        concat!(
            "WITH history AS (
  SELECT ",
            local_day!("ts"),
            " AS day, sum(steps) AS steps
  FROM activityrecord
  WHERE dev_id = {dev_id} AND ts >= ",
            day_start!("$__timeFrom()::timestamptz"),
            " AND ts <= $__timeTo()
  GROUP BY 1
), live AS (
  SELECT ",
            local_day!("ts"),
            " AS day, max(steps) AS steps
  FROM steprecord
  WHERE dev_id = {dev_id} AND ts >= ",
            day_start!("$__timeFrom()::timestamptz"),
            " AND ts <= $__timeTo()
  GROUP BY 1
), days AS (
  SELECT day, GREATEST(history.steps, live.steps) AS steps
  FROM history FULL JOIN live USING (day)
)
"
        )
    };
}

/// 11.
pub const STEPS_PER_DAY: &str = concat!(
    step_days!(),
    "SELECT day AT TIME ZONE {tz} AS \"time\", steps AS \"Steps\"
FROM days
WHERE steps > 0
ORDER BY 1"
);

/// 12: today's row of the same days.
pub const STEPS_TODAY: &str = concat!(
    step_days!(),
    "SELECT steps AS \"Steps\"
FROM days
WHERE day = ",
    local_day!("$__timeTo()::timestamptz")
);

/// 13: the best of the same days.
pub const BEST_STEPS: &str = concat!(
    step_days!(),
    "SELECT max(steps) AS \"Best day\"
FROM days
WHERE steps > 0
HAVING count(*) > 0"
);

/// 21: the per-minute history has no calories, so these are the band's running day totals as
/// the collector read them (a day it never ran on has none; the panel description says so).
pub const CALORIES_PER_DAY: &str = concat!(
    "SELECT ",
    day_start!("ts"),
    " AS \"time\", max(calories) AS \"Calories\"
FROM steprecord
WHERE dev_id = {dev_id} AND ts >= ",
    day_start!("$__timeFrom()::timestamptz"),
    " AND ts <= $__timeTo()
GROUP BY 1
HAVING max(calories) > 0
ORDER BY 1"
);

/// 22.
pub const CALORIES_TODAY: &str = concat!(
    "SELECT max(calories) AS \"Calories\"
FROM steprecord
WHERE dev_id = {dev_id} AND ",
    today!(),
    "
HAVING count(*) > 0"
);

/// 31, A: the per-minute history, averaged over Grafana's interval.
pub const HEART_RATE: &str = concat!(
    "SELECT $__timeGroupAlias(ts, $__interval), round(avg(heart_rate)) AS \"Heart rate\"
FROM activityrecord
WHERE dev_id = {dev_id} AND $__timeFilter(ts) AND ",
    valid_hr!("heart_rate"),
    "
GROUP BY 1
ORDER BY 1"
);

/// 31, B: on-demand measurements.
pub const HEART_RATE_MEASURED: &str = concat!(
    "SELECT $__time(ts), bpm AS \"Measured\"
FROM heartraterecord
WHERE dev_id = {dev_id} AND $__timeFilter(ts) AND ",
    valid_hr!("bpm"),
    "
ORDER BY ts"
);

/// 32.
pub const HEART_RATE_TODAY: &str = concat!(
    "SELECT (array_agg(heart_rate ORDER BY ts DESC))[1] AS \"Current\",
  round(avg(heart_rate)) AS \"Average\",
  min(heart_rate) AS \"Minimum\",
  max(heart_rate) AS \"Maximum\"
FROM activityrecord
WHERE dev_id = {dev_id} AND ",
    valid_hr!("heart_rate"),
    " AND ",
    today!(),
    "
HAVING count(*) > 0"
);

/// 41: status 0 is on battery; anything else is charging (docs/protocol.md §3.1).
pub const BATTERY: &str = "SELECT level AS \"Battery\",
  CASE WHEN status = 0 THEN 'On battery' ELSE 'Charging' END AS \"Status\"
FROM batteryinforecord
WHERE dev_id = {dev_id} AND ts <= $__timeTo()
ORDER BY ts DESC
LIMIT 1";

/// 51: 0 awake, 1 light sleep, 2 deep sleep; minutes not worn or charging are left out.
pub const SLEEP_TIME: &str = concat!(
    kind_minutes!("$__timeFrom()::timestamptz - interval '1 day'"),
    "
SELECT ts AS \"time\", CASE kind WHEN 11 THEN 2 WHEN 9 THEN 1 ELSE 0 END AS \"Sleep\"
FROM minutes
WHERE $__timeFilter(ts) AND kind NOT IN (3, 6)
ORDER BY ts"
);

/// 52: a night counts for the day it ends on.
pub const SLEEP_PER_DAY: &str = concat!(
    kind_minutes!("$__timeFrom()::timestamptz - interval '1 day'"),
    sleep_nights!(),
    "SELECT ",
    day_start!("woke_up"),
    " AS \"time\", sum(deep) AS \"Deep sleep\", sum(light) AS \"Light sleep\"
FROM nights
WHERE $__timeFilter(woke_up)
GROUP BY 1
ORDER BY 1"
);

/// 53: the longest sleep period that ended in the 24 hours before the end of the range (a nap
/// after a night does not replace it).
pub const LAST_NIGHT: &str = concat!(
    kind_minutes!("$__timeTo()::timestamptz - interval '2 days'"),
    sleep_nights!(),
    "SELECT deep + light AS \"Total\", deep AS \"Deep\", light AS \"Light\"
FROM nights
WHERE woke_up > $__timeTo()::timestamptz - interval '1 day'
ORDER BY deep + light DESC
LIMIT 1"
);

/// 61: minutes per kind today, named after Gadgetbridge's `HuamiConst` (docs/protocol.md §4.5).
pub const ACTIVITIES_TODAY: &str = concat!(
    kind_minutes!("$__timeTo()::timestamptz - interval '2 days'"),
    "
SELECT CASE kind
    WHEN 1 THEN 'Activity'
    WHEN 2 THEN 'Running'
    WHEN 3 THEN 'Not worn'
    WHEN 4 THEN 'Cycling'
    WHEN 6 THEN 'Charging'
    WHEN 9 THEN 'Light sleep'
    WHEN 11 THEN 'Deep sleep'
    WHEN 12 THEN 'Wake-up'
    ELSE 'Unknown'
  END AS \"Activity\",
  count(*) AS \"Minutes\"
FROM minutes
WHERE ",
    today!(),
    "
GROUP BY 1
ORDER BY 2 DESC"
);
