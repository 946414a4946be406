//! The fleet's arithmetic, pure: wave sizes over the targets, the error budget, and the
//! shard a target belongs to.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// How many targets a wave takes: a count, or a percentage of the targets not yet in a
/// wave (rounded up, at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaveSize {
    Count(usize),
    Percent(u32),
}

/// How many failed targets the fleet tolerates before it stops at the end of a wave: a
/// count, or a percentage of all targets (rounded down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Count(usize),
    Percent(u32),
}

impl Default for Budget {
    fn default() -> Self {
        Budget::Count(0)
    }
}

/// Parse `"3"` or `"25%"`: the count and the percentage, `1..=100`.
fn count_or_percent(s: &str, zero: bool) -> Result<Result<usize, u32>, String> {
    let t = s.trim();
    if let Some(p) = t.strip_suffix('%') {
        let p: u32 = p
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a percentage (e.g. \"10%\")"))?;
        if p == 0 && !zero || p > 100 {
            return Err(format!(
                "`{s}`: a percentage from {}% to 100%",
                u32::from(!zero)
            ));
        }
        return Ok(Err(p));
    }
    let n: usize = t
        .parse()
        .map_err(|_| format!("`{s}` is neither a count (e.g. \"1\") nor a percentage (\"10%\")"))?;
    if n == 0 && !zero {
        return Err(format!("`{s}`: a wave takes at least one target"));
    }
    Ok(Ok(n))
}

impl FromStr for WaveSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match count_or_percent(s, false)? {
            Ok(n) => WaveSize::Count(n),
            Err(p) => WaveSize::Percent(p),
        })
    }
}

impl FromStr for Budget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match count_or_percent(s, true)? {
            Ok(n) => Budget::Count(n),
            Err(p) => Budget::Percent(p),
        })
    }
}

impl fmt::Display for WaveSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaveSize::Count(n) => write!(f, "{n}"),
            WaveSize::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Budget {
    /// Failures tolerated among `total` targets.
    pub fn allowed(self, total: usize) -> usize {
        match self {
            Budget::Count(n) => n,
            Budget::Percent(p) => total * p as usize / 100,
        }
    }
}

/// The waves over `n` targets in their stable order: each size takes from the targets
/// left; targets the sizes leave over form one last wave.
pub fn waves(n: usize, sizes: &[WaveSize]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for s in sizes {
        if start >= n {
            break;
        }
        let left = n - start;
        let k = match *s {
            WaveSize::Count(c) => c,
            WaveSize::Percent(p) => (left * p as usize).div_ceil(100),
        }
        .clamp(1, left);
        out.push(start..start + k);
        start += k;
    }
    if start < n {
        out.push(start..n);
    }
    out
}

/// `--shard I/N`: the I-th (from 0) of N disjoint slices of the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether the target at `i` (in the stable order) is this shard's. Round robin: every
    /// wave spreads over the shards, so a canary wave of one target runs on shard 0 only.
    pub fn owns(self, i: usize) -> bool {
        i % self.count == self.index
    }

    /// `I/N`; `I` may be left out (`/N`) to take it from `index` (a Kubernetes Indexed
    /// Job's `JOB_COMPLETION_INDEX`).
    pub fn parse(s: &str, index: Option<&str>) -> Result<Shard, String> {
        let Some((i, n)) = s.split_once('/') else {
            return Err(format!(
                "`{s}` is not a shard: I/N, e.g. 0/4 (the first of 4 slices), or /4 with JOB_COMPLETION_INDEX set"
            ));
        };
        let count: usize = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{s}`: N must be a count of at least 1"))?;
        let i = i.trim();
        let index = if i.is_empty() {
            let Some(v) = index.map(str::trim).filter(|v| !v.is_empty()) else {
                return Err(format!(
                    "`{s}` leaves the index out, and JOB_COMPLETION_INDEX is not set (give I/N)"
                ));
            };
            v.parse::<usize>()
                .map_err(|_| format!("JOB_COMPLETION_INDEX=`{v}` is not an index"))?
        } else {
            i.parse::<usize>()
                .map_err(|_| format!("`{s}`: I must be an index from 0"))?
        };
        if index >= count {
            return Err(format!(
                "`{s}`: shard index {index} is not below {count} (indexes count from 0)"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(s: &[&str]) -> Vec<WaveSize> {
        s.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn canary_then_percentages_of_the_rest() {
        let w = waves(100, &sizes(&["1", "10%", "100%"]));
        assert_eq!(w, vec![0..1, 1..11, 11..100]);
        // sizes that leave targets over: one last wave takes them
        assert_eq!(waves(10, &sizes(&["2", "3"])), vec![0..2, 2..5, 5..10]);
        // more waves than targets: no empty wave
        assert_eq!(
            waves(2, &sizes(&["1", "1", "50%", "100%"])),
            vec![0..1, 1..2]
        );
        assert_eq!(waves(3, &sizes(&["10%"])), vec![0..1, 1..3]);
        assert!(waves(0, &sizes(&["1"])).is_empty());
        // every target in exactly one wave, in order
        for n in 0..50 {
            let w = waves(n, &sizes(&["1", "33%", "5", "100%"]));
            let flat: Vec<usize> = w.into_iter().flatten().collect();
            assert_eq!(flat, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn sizes_and_budgets_parse_strictly() {
        assert_eq!("25%".parse::<WaveSize>(), Ok(WaveSize::Percent(25)));
        assert_eq!("3".parse::<WaveSize>(), Ok(WaveSize::Count(3)));
        assert!("0".parse::<WaveSize>().is_err());
        assert!("0%".parse::<WaveSize>().is_err());
        assert!("101%".parse::<WaveSize>().is_err());
        assert!("half".parse::<WaveSize>().is_err());
        assert_eq!("0".parse::<Budget>(), Ok(Budget::Count(0)));
        assert_eq!("5%".parse::<Budget>().unwrap().allowed(200), 10);
        assert_eq!("5%".parse::<Budget>().unwrap().allowed(19), 0);
        assert_eq!(Budget::default().allowed(100), 0);
    }

    #[test]
    fn shards_are_disjoint_and_complete() {
        for n in 1..7 {
            let shards: Vec<Shard> = (0..n).map(|i| Shard { index: i, count: n }).collect();
            for t in 0..100 {
                assert_eq!(shards.iter().filter(|s| s.owns(t)).count(), 1);
            }
        }
        assert_eq!(Shard::parse("2/4", None), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(
            Shard::parse("/4", Some("3")),
            Ok(Shard { index: 3, count: 4 })
        );
        assert!(
            Shard::parse("/4", None)
                .unwrap_err()
                .contains("JOB_COMPLETION_INDEX")
        );
        assert!(Shard::parse("4/4", None).is_err());
        assert!(Shard::parse("0/0", None).is_err());
        assert!(Shard::parse("4", None).is_err());
    }
}
