//! A progress bar on stderr: redrawn in place on a terminal, a line every tenth of the way
//! otherwise (CI logs).

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    label: String,
    total: usize,
    done: usize,
    start: Instant,
    last_draw: Instant,
    tty: bool,
    last_tenth: usize,
}

impl Progress {
    pub fn new(label: String, total: usize) -> Self {
        let now = Instant::now();
        Progress {
            label,
            total: total.max(1),
            done: 0,
            start: now,
            last_draw: now,
            tty: std::io::stderr().is_terminal(),
            last_tenth: 0,
        }
    }

    /// One more unit done; `note` is shown after the bar, `items` counts images for the rate.
    pub fn tick(&mut self, note: &str, items: usize) {
        self.done += 1;
        let tenth = self.done * 10 / self.total;
        let redraw = if self.tty {
            self.last_draw.elapsed().as_millis() >= 100 || self.done == self.total
        } else {
            tenth > self.last_tenth
        };
        if !redraw {
            return;
        }
        self.last_draw = Instant::now();
        self.last_tenth = tenth;
        let elapsed = self.start.elapsed().as_secs_f64();
        let rate = items as f64 / elapsed.max(1e-9);
        let eta = elapsed / self.done as f64 * (self.total - self.done) as f64;
        let width = 30;
        let filled = self.done * width / self.total;
        let bar = format!("{}{}", "#".repeat(filled), ".".repeat(width - filled));
        let line = format!(
            "{} [{bar}] {}/{} {note} {rate:.0} img/s ETA {eta:.0}s",
            self.label, self.done, self.total
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.tty {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }

    pub fn finish(&self) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
    }
}
