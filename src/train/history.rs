//! A model's story: where its weights began (initialised with a seed, or read from a file) and
//! how they were trained since — a loss and accuracy curve, a record per epoch, the time it took,
//! and the latest score on the test set. It travels with the weights, in a checkpoint's metadata
//! and in the browser's storage, so the page can draw a model's curves again after a reload or
//! an upload, and every panel can say where the model came from.

use super::{StepStats, TrainConfig};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Curve points per epoch: a point is the mean over 1/100 of an epoch (600 MNIST images).
pub const CURVE_POINTS_PER_EPOCH: usize = 100;
/// Beyond this many points the curve keeps every other one, so a long run's story stays small
/// (a point is about 30 bytes of JSON).
pub const MAX_CURVE_POINTS: usize = 4000;
/// Epoch records kept: the oldest go first.
pub const MAX_EPOCHS: usize = 1000;
/// A file name longer than this is cut (it is shown, never used as a path).
pub const MAX_FILE_NAME: usize = 200;
/// The largest count a history may hold: JavaScript's largest exact integer (2^53 − 1), far
/// beyond any real run, so that the page reads every count exactly and adding a step never
/// overflows.
pub const MAX_COUNT: u64 = (1 << 53) - 1;
/// A history in a file's metadata larger than this is not read.
pub const MAX_JSON_BYTES: usize = 1 << 20;

/// A model's story. Counts are since the weights began, across every run that trained them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct History {
    /// The seed the weights were initialised with, when they began here (or in the CLI).
    pub seed: Option<u64>,
    /// The file the model was last loaded from: a name as the user gave it, not a path.
    pub file: Option<String>,
    /// The settings of the latest run that trained it.
    pub config: Option<TrainConfig>,
    /// Optimisation steps taken, training images seen, and the seconds they took.
    pub steps: u64,
    pub images: u64,
    pub seconds: f64,
    /// Training loss and accuracy, one point per 1/100 of an epoch.
    pub curve: Vec<CurvePoint>,
    pub epochs: Vec<EpochRecord>,
    /// The latest score on the test set.
    pub evaluation: Option<Evaluated>,
    /// The dataset it was last trained on: what its outputs mean, in a file's metadata too.
    pub data: Option<TrainedOn>,
    /// Where its first layers came from when it was made to fine-tune another model's, in
    /// words ("a model trained on MNIST: conv1, conv2, fc1").
    pub fine_tuned_from: Option<String>,
    /// Corrections learnt ("that was a 7"): drawings the user labelled, fine-tuned on.
    pub corrections: u64,
    /// The open curve point and the open epoch's sums, and where the current run's epoch began
    /// on the curve (not saved: a run starts them afresh).
    #[serde(skip)]
    point: Sums,
    #[serde(skip)]
    epoch: Sums,
    #[serde(skip)]
    epoch_start: Option<f64>,
}

/// The dataset a model was trained on: its name and its classes, in the order of the model's
/// outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainedOn {
    pub name: String,
    pub classes: Vec<String>,
}

/// `[epochs, loss, accuracy]`: how many epochs of training the weights had had (1.5: one and a
/// half) and the mean training loss and accuracy of the batches since the previous point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint(pub f64, pub f32, pub f32);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochRecord {
    /// 1-based, counted across runs.
    pub epoch: usize,
    /// Where the epoch ended on the curve (a run stopped part-way moves later epochs along).
    pub at: f64,
    pub train_loss: f32,
    pub train_accuracy: f32,
    /// The test score at the end of the epoch, once measured.
    pub test: Option<Score>,
    /// The history's step count and training seconds when the epoch ended.
    pub steps: u64,
    pub seconds: f64,
}

/// A model's score on a test set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub accuracy: f64,
    pub correct: usize,
    pub total: usize,
    pub loss: f32,
}

/// A score and the step count of the weights it measured: it describes the model only while
/// no step has been taken since.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluated {
    pub score: Score,
    pub steps: u64,
}

/// Size-weighted sums of step statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Sums {
    loss: f64,
    correct: usize,
    images: usize,
    /// The 1/100 of the epoch the sums began in.
    slot: usize,
}

impl Sums {
    fn add(&mut self, stats: &StepStats) {
        self.loss += stats.loss as f64 * stats.size as f64;
        self.correct += stats.correct;
        self.images += stats.size;
    }

    fn means(&self) -> (f32, f32) {
        let n = self.images.max(1) as f64;
        ((self.loss / n) as f32, (self.correct as f64 / n) as f32)
    }
}

impl History {
    /// The story of weights initialised here with `seed`.
    pub fn initialised(seed: u64) -> Self {
        History {
            seed: Some(seed),
            ..History::default()
        }
    }

    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.epochs.last().map_or(0, |e| e.epoch)
    }

    /// Where on the curve training stands: the end of the last point.
    pub fn trained_epochs(&self) -> f64 {
        self.curve.last().map_or(0.0, |p| p.0)
    }

    /// Records a step's statistics; `epoch_fraction` (0–1) is how far through its epoch the
    /// step ended. A curve point closes each time a 1/100 of the epoch is passed.
    pub fn record_step(&mut self, stats: &StepStats, epoch_fraction: f64) {
        if self.epoch_start.is_none() {
            self.epoch_start = Some(self.trained_epochs());
        }
        self.steps += 1;
        self.images += stats.size as u64;
        self.evaluation = None;
        self.point.add(stats);
        self.epoch.add(stats);
        // The epsilon keeps 29/100 of an epoch in slot 29 (29.0 / 100.0 * 100.0 = 28.999…).
        let slot = (epoch_fraction.clamp(0.0, 1.0) * CURVE_POINTS_PER_EPOCH as f64 + 1e-9) as usize;
        if slot > self.point.slot {
            self.close_point(epoch_fraction);
            self.point.slot = slot;
        }
    }

    /// Adds training time (the caller has the clock: wasm has none of its own).
    pub fn add_seconds(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.seconds += seconds;
        }
    }

    /// Closes the epoch that the steps since the last call belonged to.
    pub fn end_epoch(&mut self) {
        self.close_point(1.0);
        let (train_loss, train_accuracy) = self.epoch.means();
        if self.epoch.images > 0 {
            self.epochs.push(EpochRecord {
                epoch: self.epochs_done() + 1,
                at: self.trained_epochs(),
                train_loss,
                train_accuracy,
                test: None,
                steps: self.steps,
                seconds: self.seconds,
            });
        }
        if self.epochs.len() > MAX_EPOCHS {
            self.epochs.drain(..self.epochs.len() - MAX_EPOCHS);
        }
        self.epoch = Sums::default();
        self.point = Sums::default();
        self.epoch_start = None;
    }

    /// Starts a new run with `config`: its first epoch begins where the curve ends (a run
    /// stopped part-way leaves its steps on the curve, but no epoch record).
    pub fn start_run(&mut self, config: TrainConfig) {
        self.config = Some(config);
        self.epoch = Sums::default();
        self.point = Sums::default();
        self.epoch_start = None;
    }

    /// Records a test score of the current weights; when no step was taken since the last epoch
    /// ended, it is that epoch's test score too.
    pub fn record_evaluation(&mut self, score: Score) {
        if let Some(last) = self.epochs.last_mut() {
            if last.steps == self.steps {
                last.test = Some(score.clone());
            }
        }
        self.evaluation = Some(Evaluated {
            score,
            steps: self.steps,
        });
    }

    /// The latest test score, if it measured the current weights.
    pub fn current_score(&self) -> Option<&Score> {
        self.evaluation
            .as_ref()
            .filter(|e| e.steps == self.steps)
            .map(|e| &e.score)
    }

    /// Records that the steps that follow train on the dataset `name` of `classes`.
    pub fn trained_on(&mut self, name: &str, classes: &[String]) {
        let same = self
            .data
            .as_ref()
            .is_some_and(|d| d.name == name && d.classes == classes);
        if !same {
            self.data = Some(TrainedOn {
                name: name.to_string(),
                classes: classes.to_vec(),
            });
        }
    }

    /// Records a correction learnt in `steps` steps of `images` images (no curve point: they
    /// are not an epoch's).
    pub fn corrected(&mut self, steps: u64, images: u64) {
        self.steps = self.steps.saturating_add(steps).min(MAX_COUNT);
        self.images = self.images.saturating_add(images).min(MAX_COUNT);
        self.corrections = self.corrections.saturating_add(1).min(MAX_COUNT);
        self.evaluation = None;
    }

    /// Marks the model as loaded from the file `name` (only its last path component is kept).
    pub fn loaded_from(&mut self, name: &str) {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        self.file = Some(base.chars().take(MAX_FILE_NAME).collect());
    }

    fn close_point(&mut self, epoch_fraction: f64) {
        if self.point.images == 0 {
            return;
        }
        let (loss, accuracy) = self.point.means();
        let x = self.epoch_start.unwrap_or(0.0) + epoch_fraction.clamp(0.0, 1.0);
        self.curve.push(CurvePoint(x, loss, accuracy));
        self.point = Sums {
            slot: self.point.slot,
            ..Sums::default()
        };
        if self.curve.len() > MAX_CURVE_POINTS {
            self.curve = thin(&self.curve);
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a history always serialises")
    }

    /// A history read from a file: bounded in size, every number finite, counts consistent.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.len() > MAX_JSON_BYTES {
            return Err(Error::Format(format!(
                "the training history is {} bytes, more than the {MAX_JSON_BYTES} allowed",
                json.len()
            )));
        }
        let mut h: History = serde_json::from_str(json)
            .map_err(|e| Error::Format(format!("the training history cannot be read: {e}")))?;
        // Every number must survive being written back: JSON has no infinity, and a score of
        // 1e61 read into an f32 becomes one.
        let score = |s: &Score| s.accuracy.is_finite() && s.loss.is_finite();
        let finite = h.seconds.is_finite()
            && h.curve
                .iter()
                .all(|p| p.0.is_finite() && p.1.is_finite() && p.2.is_finite())
            && h.epochs.iter().all(|e| {
                [
                    e.seconds,
                    e.at,
                    e.train_loss as f64,
                    e.train_accuracy as f64,
                ]
                .iter()
                .all(|v| v.is_finite())
                    && e.test.as_ref().is_none_or(score)
            })
            && h.evaluation.as_ref().is_none_or(|e| score(&e.score));
        if !finite {
            return Err(Error::Format(
                "the training history holds a number that is not finite".into(),
            ));
        }
        if let Some(config) = &h.config {
            config.check().map_err(|e| {
                Error::Format(format!(
                    "the training history's settings cannot be used: {}",
                    e.reason()
                ))
            })?;
        }
        if let Some(d) = &h.data {
            let long = |s: &String| s.chars().count() > MAX_FILE_NAME;
            if d.classes.len() > crate::data::dataset::MAX_CLASSES
                || long(&d.name)
                || d.classes.iter().any(long)
            {
                return Err(Error::Format(
                    "the training history's dataset has too many classes or too long a name".into(),
                ));
            }
        }
        if h.curve.len() > MAX_CURVE_POINTS || h.epochs.len() > MAX_EPOCHS {
            return Err(Error::Format(format!(
                "the training history is too long ({} curve points, {} epochs)",
                h.curve.len(),
                h.epochs.len()
            )));
        }
        // Counts the page reads as JavaScript numbers, and that training adds one to.
        let counts = [h.steps, h.images, h.corrections, h.seed.unwrap_or(0)]
            .into_iter()
            .chain(h.config.iter().map(|c| c.seed))
            .chain(h.evaluation.iter().map(|e| e.steps))
            .chain(h.epochs.iter().flat_map(|e| [e.steps, e.epoch as u64]));
        if counts.into_iter().any(|n| n > MAX_COUNT) {
            return Err(Error::Format(format!(
                "the training history holds a count above {MAX_COUNT}"
            )));
        }
        if let Some(name) = h.file.take() {
            h.loaded_from(&name);
        }
        if let Some(from) = h.fine_tuned_from.take() {
            h.fine_tuned_from = Some(from.chars().take(MAX_FILE_NAME).collect());
        }
        Ok(h)
    }
}

/// Every other point, each pair averaged: half the points over the same span.
fn thin(curve: &[CurvePoint]) -> Vec<CurvePoint> {
    curve
        .chunks(2)
        .map(|pair| match pair {
            [a, b] => CurvePoint(b.0, (a.1 + b.1) / 2.0, (a.2 + b.2) / 2.0),
            [a] => *a,
            _ => unreachable!("chunks of two"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(loss: f32, correct: usize) -> StepStats {
        StepStats {
            loss,
            correct,
            size: 10,
        }
    }

    /// 1,000 images an epoch in steps of 10: a point every step, and an epoch per 100 steps.
    fn run_epoch(h: &mut History, loss: f32) {
        for i in 1..=100 {
            h.record_step(&step(loss, 5), i as f64 / 100.0);
        }
        h.end_epoch();
    }

    #[test]
    fn a_point_per_hundredth_of_an_epoch_and_a_record_per_epoch() {
        let mut h = History::initialised(7);
        run_epoch(&mut h, 2.0);
        run_epoch(&mut h, 1.0);
        assert_eq!(h.curve.len(), 200);
        assert_eq!(h.curve[0], CurvePoint(0.01, 2.0, 0.5));
        assert_eq!(h.curve[199], CurvePoint(2.0, 1.0, 0.5));
        assert_eq!(h.epochs.len(), 2);
        assert_eq!((h.epochs[1].epoch, h.epochs[1].train_loss), (2, 1.0));
        assert_eq!((h.steps, h.images), (200, 2000));
    }

    #[test]
    fn points_gather_the_steps_of_their_slot() {
        // 5 steps per hundredth: each point is the mean of its 5 steps.
        let mut h = History::default();
        let at = |i: usize| (i as f64 + 0.5) / 500.0;
        for i in 1..=10 {
            h.record_step(&step(i as f32, 10), at(i));
        }
        assert_eq!(
            h.curve,
            vec![CurvePoint(at(5), 3.0, 1.0), CurvePoint(at(10), 8.0, 1.0)]
        );
    }

    #[test]
    fn a_score_belongs_to_an_epoch_only_if_no_step_came_between() {
        let mut h = History::default();
        run_epoch(&mut h, 1.0);
        let score = Score {
            accuracy: 0.9,
            correct: 9,
            total: 10,
            loss: 0.3,
        };
        h.record_evaluation(score.clone());
        assert_eq!(h.epochs[0].test.as_ref(), Some(&score));
        assert_eq!(h.current_score(), Some(&score));
        h.record_step(&step(1.0, 5), 0.01);
        assert_eq!(h.current_score(), None, "a step makes the score stale");
        h.record_evaluation(Score {
            accuracy: 0.5,
            ..score.clone()
        });
        assert_eq!(
            h.epochs[0].test.as_ref(),
            Some(&score),
            "epoch 1 keeps its own"
        );
    }

    #[test]
    fn a_long_run_keeps_a_bounded_curve() {
        let mut h = History::default();
        for _ in 0..(MAX_CURVE_POINTS / CURVE_POINTS_PER_EPOCH + 5) {
            run_epoch(&mut h, 1.0);
        }
        assert!(h.curve.len() <= MAX_CURVE_POINTS);
        assert!(h.curve.len() > MAX_CURVE_POINTS / 2);
        assert!(
            h.curve.windows(2).all(|w| w[0].0 < w[1].0),
            "x keeps increasing"
        );
        assert_eq!(h.curve.last().unwrap().0, h.epochs_done() as f64);
    }

    #[test]
    fn a_run_stopped_part_way_moves_the_next_one_along() {
        let mut h = History::default();
        for i in 1..=30 {
            h.record_step(&step(1.0, 5), i as f64 / 100.0);
        }
        h.start_run(TrainConfig::default());
        run_epoch(&mut h, 1.0);
        assert_eq!(h.curve.len(), 130);
        assert!(
            h.curve.windows(2).all(|w| w[0].0 < w[1].0),
            "x keeps increasing"
        );
        assert_eq!((h.epochs[0].epoch, h.epochs[0].at), (1, 1.3));
        assert_eq!(h.epochs[0].steps, 130);
    }

    #[test]
    fn json_round_trip_and_hostile_json_refused() {
        let mut h = History::initialised(3);
        run_epoch(&mut h, 1.5);
        h.add_seconds(12.5);
        h.loaded_from("C:\\Users\\me\\model.safetensors");
        h.trained_on("CIFAR-10", &["airplane".to_string(), "truck".to_string()]);
        let back = History::from_json(&h.to_json()).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.data.as_ref().unwrap().classes[1], "truck");
        // Found by scripts/fuzz.sh: a long decimal must read as the float it writes back as.
        let long = format!(r#"{{"curve": [[1{}.0, 2.1, 0.2]]}}"#, "3".repeat(60));
        let once = History::from_json(&long).unwrap();
        assert_eq!(History::from_json(&once.to_json()).unwrap(), once);
        assert_eq!(back.file.as_deref(), Some("model.safetensors"));
        for bad in [
            r#"{"steps": -1}"#,
            r#"{"steps": 9007199254740992}"#,
            r#"{"seed": 18446744073709551615}"#,
            r#"{"evaluation": {"steps": 9007199254740993, "score": {"accuracy": 1, "correct": 1, "total": 1, "loss": 0}}}"#,
            // Found by scripts/fuzz.sh: a loss too large for an f32 became infinite, and the
            // history written back could not be read again.
            r#"{"epochs": [{"epoch": 1, "at": 1, "train_loss": 1, "train_accuracy": 1, "test": {"accuracy": 1, "correct": 1, "total": 1, "loss": 2.4e61}, "steps": 0, "seconds": 0}]}"#,
            r#"{"evaluation": {"steps": 0, "score": {"accuracy": 1e400, "correct": 1, "total": 1, "loss": 0}}}"#,
            r#"{"config": {"optimizer": {"type": "adam", "lr": 1e39}}}"#,
            r#"{"config": {"sshift": 5}}"#,
            r#"{"curve": [[1e999, 0, 0]]}"#,
            r#"{"unknown": 1}"#,
            r#"{"data": {"name": "x", "classes": ["a"], "more": 1}}"#,
            "not json",
        ] {
            assert!(History::from_json(bad).is_err(), "{bad}");
        }
        let many = format!(
            r#"{{"data": {{"name": "x", "classes": [{}]}}}}"#,
            vec!["\"c\""; 300].join(",")
        );
        assert!(History::from_json(&many).is_err(), "300 classes");
        let long = format!("{{\"file\": \"{}\"}}", "x".repeat(10_000));
        assert_eq!(
            History::from_json(&long).unwrap().file.unwrap().len(),
            MAX_FILE_NAME
        );
    }
}
