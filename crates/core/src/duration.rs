//! Durations as `sluice.toml` and the command line write them.

use std::time::Duration;

/// The longest duration accepted: a century is past any timeout, pause or retention (purge
/// `--older-than`), and far from where `Instant + Duration` overflows (a panic, not an error).
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `2s`, `500ms`, `1m 30s`; a bare number is seconds; `off` is zero. At most a century.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(Duration::ZERO);
    }
    let d = match s.parse::<f64>() {
        Ok(n) if n >= 0.0 && n.is_finite() => Duration::try_from_secs_f64(n).ok(),
        _ => Some(
            humantime::parse_duration(s)
                .map_err(|e| format!("not a duration ({e}); e.g. \"2s\", \"500ms\""))?,
        ),
    };
    match d {
        Some(d) if d <= MAX_DURATION => Ok(d),
        _ => Err(format!(
            "`{s}` is longer than 100 years, the longest duration accepted; e.g. \"2s\", \"10m\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("off"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("36500d"), Ok(MAX_DURATION));
        assert_eq!(
            parse_duration("2y").map(|d| d > Duration::from_secs(365 * 86400)),
            Ok(true)
        );
        // once a panic in Duration::from_secs_f64 (found by the config fuzz target)
        for huge in [
            "1111111111111111111111111111",
            "1e300",
            "36501d",
            "100000000000y",
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(e.contains("longer than 100 years"), "{huge}: {e}");
        }
    }
}
