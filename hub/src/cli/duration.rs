//! Durations on the command line: seconds, fractions allowed, checked to be finite and within
//! a sane range (as `sse-conformance --timeout` does), so a typo cannot become a zero or a
//! century.

use std::fmt;
use std::time::Duration;

/// A duration given in seconds (`10`, `0.5`). Displays back as seconds, for `--help`'s
/// defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

/// One hour: the cap on timeouts and intervals.
const HOUR: f64 = 3_600.0;
/// One week: the cap on a stream's lifetime.
const WEEK: f64 = 7.0 * 24.0 * HOUR;
/// 366 days: the cap on the history's age.
const YEAR: f64 = 366.0 * 24.0 * HOUR;

/// Seconds in `(0, max]`, or `[0, max]` when `zero_ok`.
fn seconds(value: &str, zero_ok: bool, max: f64) -> Result<Seconds, String> {
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a number of seconds"))?;
    if !secs.is_finite() {
        return Err(format!("{value} is not a finite number of seconds"));
    }
    let low_ok = if zero_ok { secs >= 0.0 } else { secs > 0.0 };
    if !(low_ok && secs <= max) {
        let low = if zero_ok { "at least 0" } else { "more than 0" };
        return Err(format!("{value} s is out of range: {low}, at most {max}"));
    }
    Ok(Seconds(Duration::from_secs_f64(secs)))
}

/// A timeout: more than 0 s, at most an hour.
pub(crate) fn timeout(value: &str) -> Result<Seconds, String> {
    seconds(value, false, HOUR)
}

/// An interval that 0 turns off: at least 0 s, at most an hour.
pub(crate) fn interval_or_off(value: &str) -> Result<Seconds, String> {
    seconds(value, true, HOUR)
}

/// A stream's lifetime: more than 0 s, at most a week.
pub(crate) fn lifetime(value: &str) -> Result<Seconds, String> {
    seconds(value, false, WEEK)
}

/// How long history is kept: more than 0 s, at most 366 days.
pub(crate) fn age(value: &str) -> Result<Seconds, String> {
    seconds(value, false, YEAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_and_display_back() {
        assert_eq!(timeout("10").unwrap().0, Duration::from_secs(10));
        assert_eq!(timeout(" 0.25 ").unwrap().0, Duration::from_millis(250));
        assert_eq!(timeout("10").unwrap().to_string(), "10");
        assert_eq!(timeout("0.5").unwrap().to_string(), "0.5");
        assert_eq!(interval_or_off("0").unwrap().0, Duration::ZERO);
        assert_eq!(age("86400").unwrap().to_string(), "86400");
    }

    #[test]
    fn seconds_out_of_range_are_refused() {
        for bad in ["0", "-1", "3600.5", "NaN", "inf", "", "ten", "1e400"] {
            assert!(timeout(bad).is_err(), "{bad:?}");
        }
        assert!(interval_or_off("-0.1").is_err());
        assert!(lifetime("604800").is_ok());
        assert!(lifetime("604801").is_err());
    }
}
