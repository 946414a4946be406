//! One SVG per change: query latency over time around the migration, naive against Sluice.

use std::path::Path;

use plotters::prelude::*;

use crate::report::{ChangeResult, RunResult};

/// Width of the time buckets whose highest latency is drawn.
const BUCKET_MS: f64 = 100.0;

/// The run whose stall is the median of its mode's runs: a typical one.
fn typical(runs: &[RunResult]) -> Option<&RunResult> {
    let mut v: Vec<&RunResult> = runs.iter().collect();
    v.sort_by(|a, b| a.stall_ms.total_cmp(&b.stall_ms));
    v.get(v.len() / 2).copied()
}

/// (seconds since the migration started, highest latency in the bucket), failed queries, and
/// the migration steps as (start, end) in seconds.
type Series = (Vec<(f64, f64)>, Vec<(f64, f64)>, Vec<(f64, f64)>);

fn series(run: &RunResult) -> Series {
    let mut buckets: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    for s in &run.samples {
        let t = s.at_ms - run.migration_start_ms;
        #[allow(clippy::cast_possible_truncation)] // a bucket index: saturating is fine
        let b = (t / BUCKET_MS).floor() as i64;
        let e = buckets.entry(b).or_insert(0.0);
        *e = e.max(s.latency_ms);
        if s.error.is_some() {
            errors.push((t / 1000.0, s.latency_ms.max(0.1)));
        }
    }
    let line = buckets
        .into_iter()
        .map(|(b, v)| (b as f64 * BUCKET_MS / 1000.0, v.max(0.1)))
        .collect();
    let steps = run
        .steps
        .iter()
        .map(|s| {
            (
                (s.start_ms - run.migration_start_ms) / 1000.0,
                (s.end_ms - run.migration_start_ms) / 1000.0,
            )
        })
        .collect();
    (line, errors, steps)
}

pub fn write(dir: &Path, change: &ChangeResult) -> anyhow::Result<()> {
    let path = dir.join(format!("{}.svg", change.change));
    let modes: Vec<(&str, RGBColor, Series)> = [("naive", RED), ("sluice", BLUE)]
        .into_iter()
        .filter_map(|(m, color)| {
            let run = typical(&change.modes.get(m)?.runs)?;
            Some((m, color, series(run)))
        })
        .collect();
    let all = || modes.iter().flat_map(|(_, _, (l, e, _))| l.iter().chain(e));
    let x0 = all().map(|p| p.0).fold(0.0f64, f64::min);
    let x1 = all().map(|p| p.0).fold(1.0f64, f64::max);
    let y1 = all().map(|p| p.1).fold(10.0f64, f64::max) * 1.5;
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(&path, (960, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{}: query latency, naive vs Sluice", change.change),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, (0.1f64..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(
                "seconds since the migration started (bands at the bottom: the migration steps)",
            )
            .y_desc(format!("highest latency per {BUCKET_MS:.0} ms (ms)"))
            .x_labels(12)
            .draw()?;
        for (name, color, (line, errors, steps)) in &modes {
            let color = *color;
            // each migration step as a light band along the bottom
            chart.draw_series(steps.iter().map(|&(a, b)| {
                let y = if *name == "naive" { 0.12 } else { 0.15 };
                Rectangle::new(
                    [(a, y), (b.max(a + 0.02), y * 1.15)],
                    color.mix(0.5).filled(),
                )
            }))?;
            chart
                .draw_series(LineSeries::new(line.iter().copied(), color))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
            if !errors.is_empty() {
                chart
                    .draw_series(
                        errors
                            .iter()
                            .take(2000)
                            .map(|p| Cross::new(*p, 3, color.stroke_width(1))),
                    )?
                    .label(format!("{name}: failed queries ({})", errors.len()))
                    .legend(move |(x, y)| Cross::new((x + 10, y), 3, color));
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}
