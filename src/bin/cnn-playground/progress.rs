//! An epoch's progress bar on stderr (indicatif), on a terminal only: elsewhere (CI logs, a
//! pipe) the epoch's own line says it all.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

pub struct Progress {
    bar: ProgressBar,
    start: Instant,
}

impl Progress {
    pub fn new(label: String, total: usize) -> Self {
        // Hidden where stderr is not a terminal.
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
                .expect("a valid template")
                .progress_chars("#>."),
        );
        bar.set_prefix(label);
        Progress {
            bar,
            start: Instant::now(),
        }
    }

    /// One more step done; `note` is shown after the bar, `items` counts images for the rate.
    pub fn tick(&mut self, note: &str, items: usize) {
        let rate = items as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        self.bar.set_message(format!("{note} {rate:.0} img/s"));
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
