//! Durations as `sluice.toml` and the command line write them.

use std::time::Duration;

/// `2s`, `500ms`, `1m 30s`; a bare number is seconds; `off` is zero.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(Duration::ZERO);
    }
    if let Ok(n) = s.parse::<f64>()
        && n >= 0.0
        && n.is_finite()
    {
        return Ok(Duration::from_secs_f64(n));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("not a duration ({e}); e.g. \"2s\", \"500ms\""))
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
    }
}
