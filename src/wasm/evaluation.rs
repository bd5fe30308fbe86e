//! A measurement of the model on the test set, in slices so the worker answers between them.

use super::session::Session;
use super::{invalid, js_err, to_js};
use crate::train::Evaluation;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Misclassified test images listed in an evaluation report.
const MAX_MISCLASSIFIED: usize = 64;

#[derive(Serialize)]
struct Misclassified {
    index: usize,
    label: u32,
    predicted: u32,
}

/// A measurement on the test set: part-way (`done` false: how far), or whole.
#[derive(Serialize)]
struct EvalReport {
    done: bool,
    evaluated: usize,
    accuracy: f64,
    correct: usize,
    total: usize,
    loss: f32,
    confusion: Vec<u32>,
    misclassified: Vec<Misclassified>,
}

#[wasm_bindgen]
impl Session {
    /// Measures the model on the test images loaded, at most `max_images` per call: call until
    /// `done`. Until then the report says how far it got; the last call's has the accuracy, the
    /// mean loss, the confusion matrix and up to 64 misclassified images, and the model's
    /// history keeps the score. A model that changes between calls is measured from the start.
    pub fn evaluate(&mut self, max_images: u32) -> Result<JsValue, JsValue> {
        let data = &self.test.data;
        if data.is_empty() {
            return Err(invalid("no test images are loaded yet"));
        }
        let model = &mut self.trainer.model;
        let eval = self
            .evaluation
            .get_or_insert_with(|| Evaluation::new(model.classes()));
        let remaining = eval
            .run(model, data, (max_images as usize).max(1))
            .map_err(js_err)?;
        let done = remaining == 0;
        let misclassified = if done {
            eval.predictions
                .iter()
                .enumerate()
                .filter(|&(i, &p)| p != data.labels[i] as u32)
                .take(MAX_MISCLASSIFIED)
                .map(|(index, &predicted)| Misclassified {
                    index,
                    label: data.labels[index] as u32,
                    predicted,
                })
                .collect()
        } else {
            Vec::new()
        };
        let report = EvalReport {
            done,
            evaluated: eval.total,
            accuracy: eval.accuracy(),
            correct: eval.correct,
            total: data.len(),
            loss: eval.loss(),
            confusion: if done {
                eval.confusion.clone()
            } else {
                Vec::new()
            },
            misclassified,
        };
        if done {
            self.history.record_evaluation(eval.score());
            self.evaluation = None;
        }
        to_js(&report)
    }
}
