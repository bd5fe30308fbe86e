//! Evaluation: a model's accuracy, mean loss and confusion matrix on a dataset, the same whether
//! after an epoch, for a model just uploaded, or from the CLI's `eval`. It runs in slices
//! ([`Evaluation::run`]) so the page can show progress and answer between them.

use super::history::Score;
use super::{argmax, check_labels};
use crate::data::Examples;
use crate::error::Result;
use crate::nn::loss::softmax_cross_entropy;
use crate::nn::{Mode, Model};

/// The batch size evaluation runs at: the tutorial's training batch. The model keeps its
/// activation buffers at their largest and wasm memory never shrinks, so a larger evaluation
/// batch would hold more memory for good; the convolutions, which work image by image, would
/// gain nothing from it.
pub const EVAL_BATCH: usize = 64;

/// Accuracy on a dataset so far, with the confusion matrix and every prediction, in the
/// dataset's order.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub correct: usize,
    pub total: usize,
    pub classes: usize,
    /// `confusion[true_label * classes + predicted]`.
    pub confusion: Vec<u32>,
    pub predictions: Vec<u32>,
    loss_sum: f64,
    /// Reused from slice to slice: a batch's images and labels, and the loss's gradient (which
    /// evaluation does not need but the fused loss writes).
    x: Vec<f32>,
    y: Vec<u8>,
    dlogits: Vec<f32>,
}

impl Evaluation {
    /// An evaluation of a network with `classes` outputs that has seen nothing yet.
    pub fn new(classes: usize) -> Self {
        Evaluation {
            correct: 0,
            total: 0,
            classes,
            confusion: vec![0; classes * classes],
            predictions: Vec::new(),
            loss_sum: 0.0,
            x: Vec::new(),
            y: Vec::new(),
            dlogits: Vec::new(),
        }
    }

    /// Runs `model` in evaluation mode over the next `count` examples of `data` (fewer at its
    /// end); returns how many remain.
    pub fn run(&mut self, model: &mut Model, data: &Examples, count: usize) -> Result<usize> {
        let end = self.total.saturating_add(count).min(data.len());
        let indices: Vec<usize> = (self.total..end).collect();
        for batch in indices.chunks(EVAL_BATCH) {
            data.gather(batch, &mut self.x, &mut self.y);
            check_labels(&self.y, self.classes)?;
            let logits = model.forward_batch(&self.x, batch.len(), Mode::Eval)?;
            self.dlogits.resize(logits.len(), 0.0);
            let loss = softmax_cross_entropy(logits, &self.y, 0.0, &mut self.dlogits);
            self.loss_sum += loss as f64 * batch.len() as f64;
            for (row, &label) in logits.chunks_exact(self.classes).zip(&self.y) {
                let predicted = argmax(row);
                self.predictions.push(predicted as u32);
                self.confusion[label as usize * self.classes + predicted] += 1;
                self.correct += (predicted == label as usize) as usize;
                self.total += 1;
            }
        }
        Ok(data.len() - self.total)
    }

    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }

    /// Mean cross-entropy over the examples seen.
    pub fn loss(&self) -> f32 {
        (self.loss_sum / self.total.max(1) as f64) as f32
    }

    /// The summary a model's history keeps.
    pub fn score(&self) -> Score {
        Score {
            accuracy: self.accuracy(),
            correct: self.correct,
            total: self.total,
            loss: self.loss(),
        }
    }
}

/// Runs `model` over the whole of `data` in evaluation mode.
pub fn evaluate(model: &mut Model, data: &Examples) -> Result<Evaluation> {
    let mut eval = Evaluation::new(model.classes());
    eval.run(model, data, data.len())?;
    Ok(eval)
}
