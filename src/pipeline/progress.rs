//! The terminal progress line: indicatif's bar with a time-left estimate that counts down on
//! every redraw. Long steps (the battery, the calibration copies) set a deadline — when, at the
//! rate of what has finished, the step should end — and the bar shows the seconds to it, so a
//! 10-second test shows 10, 9, 8… rather than the estimate made when it began.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A progress bar (hidden when stderr is not a terminal or `--quiet`) and its deadline.
pub struct Progress {
    bar: indicatif::ProgressBar,
    deadline: Arc<Mutex<Option<Instant>>>,
}

impl Progress {
    pub fn new(steps: u64, visible: bool) -> Progress {
        let bar = if visible {
            indicatif::ProgressBar::new(steps)
        } else {
            indicatif::ProgressBar::hidden()
        };
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::default();
        let shown = Arc::clone(&deadline);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} {elapsed} {msg}{left}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .with_key(
            "left",
            move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let at = *shown.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(at) = at {
                    let _ = w.write_str(&left(at.saturating_duration_since(Instant::now())));
                }
            },
        );
        bar.set_style(style);
        Progress { bar, deadline }
    }

    /// Show the time left until `seconds` from now (`None`: no estimate).
    pub fn set_left(&self, seconds: Option<f64>) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = seconds
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Instant::now() + Duration::from_secs_f64(s.min(1e7)));
    }

    /// A step-counting estimate: `done` of `total` equal steps took `elapsed`.
    pub fn set_left_by_steps(&self, elapsed: Duration, done: u64, total: u64) {
        self.set_left(
            (done > 0 && done < total)
                .then(|| elapsed.as_secs_f64() * (total - done) as f64 / done as f64),
        );
    }
}

impl std::ops::Deref for Progress {
    type Target = indicatif::ProgressBar;
    fn deref(&self) -> &indicatif::ProgressBar {
        &self.bar
    }
}

/// ", about N s left" (minutes past a minute; at least 1 s while a step runs).
pub fn left(d: Duration) -> String {
    let left = d.as_secs_f64().round().max(1.0) as u64;
    if left >= 60 {
        format!(", about {} min {} s left", left / 60, left % 60)
    } else {
        format!(", about {left} s left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_seconds_then_minutes() {
        assert_eq!(left(Duration::from_secs(30)), ", about 30 s left");
        assert_eq!(left(Duration::from_secs(130)), ", about 2 min 10 s left");
        assert_eq!(left(Duration::ZERO), ", about 1 s left");
    }

    #[test]
    fn the_deadline_follows_the_estimate() {
        let p = Progress::new(4, false);
        p.set_left_by_steps(Duration::from_secs(10), 5, 20);
        let at = p.deadline.lock().unwrap().unwrap();
        let s = at.saturating_duration_since(Instant::now()).as_secs_f64();
        assert!((29.0..=30.0).contains(&s), "{s}");
        p.set_left_by_steps(Duration::from_secs(10), 0, 20);
        assert!(p.deadline.lock().unwrap().is_none());
        p.set_left(Some(f64::NAN));
        assert!(p.deadline.lock().unwrap().is_none());
    }
}
