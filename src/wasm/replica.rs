//! Data-parallel training across two workers. The training worker's [`Session`] keeps the model,
//! the optimiser and the data; a replica worker holds a copy of the network and, each step,
//! computes the gradients of the second half of the batch while the session computes the first.
//! They meet in one `SharedArrayBuffer` (so only when the page is cross-origin isolated) and wake
//! each other with `Atomics.wait`/`notify`: no message round trip per step.
//!
//! The buffer, in order: the control words, the replica's loss, the half batch (labels, then
//! pixels as bytes), the weights the session sends, the gradients the replica sends back.
//!
//! [`Session`]: super::session::Session

use super::js_err;
use crate::data::dataset::MAX_CLASSES;
use crate::data::{Examples, ImageShape};
use crate::error::{Error, Result};
use crate::nn::{Model, ModelSpec};
use crate::train::{Peer, StepStats, TrainConfig, Trainer};
use js_sys::{Atomics, Date, Float32Array, Int32Array, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;

/// The largest half batch: the trainer's batch size is at most 4096.
const MAX_HALF: usize = 2048;

/// Control words (i32).
const REQUEST: u32 = 0; // bumped by the session for each half batch it sends
const DONE: u32 = 1; // set by the replica to the request it has answered
const COUNT: u32 = 2; // examples in the request; STOP ends the replica's loop
const FAILED: u32 = 3; // 1 when the replica could not compute the answer
const CORRECT: u32 = 4;
const NUM_PARAMS: u32 = 5;
const IMAGE_LEN: u32 = 6; // bytes in one image: the network's input
const CONTROL_WORDS: u32 = 8;
const STOP: i32 = -1;

/// How long the session waits for an answer before it gives the replica up: this long, or ten
/// times what its own half took, whichever is longer (a huge network may be slow, not dead).
const TIMEOUT_MS: f64 = 20_000.0;

/// Typed-array views of the shared buffer.
struct Exchange {
    buffer: SharedArrayBuffer,
    control: Int32Array,
    loss: Float32Array,
    labels: Uint8Array,
    pixels: Uint8Array,
    params: Float32Array,
    grads: Float32Array,
}

/// Where each part of the buffer starts, in bytes, for a network of `num_params` parameters
/// taking images of `image` bytes.
struct Layout {
    control: usize,
    loss: usize,
    labels: usize,
    pixels: usize,
    params: usize,
    grads: usize,
    len: usize,
}

impl Layout {
    fn new(num_params: usize, image: usize) -> Self {
        let control = 0;
        let loss = control + 4 * CONTROL_WORDS as usize;
        let labels = loss + 4;
        let pixels = labels + MAX_HALF;
        // MAX_HALF·(1 + image) bytes of labels and pixels: a multiple of 4, so floats stay aligned.
        let params = pixels + MAX_HALF * image;
        let grads = params + 4 * num_params;
        Layout {
            control,
            loss,
            labels,
            pixels,
            params,
            grads,
            len: grads + 4 * num_params,
        }
    }
}

impl Exchange {
    fn new(num_params: usize, image: usize) -> Self {
        let buffer = SharedArrayBuffer::new(Layout::new(num_params, image).len as u32);
        let exchange = Self::views(buffer, num_params, image);
        exchange.store(NUM_PARAMS, num_params as i32);
        exchange.store(IMAGE_LEN, image as i32);
        exchange
    }

    /// The views of a buffer [`Exchange::new`] made, in another worker; anything else is an error.
    fn open(buffer: SharedArrayBuffer) -> Result<Self> {
        let bytes = buffer.byte_length() as usize;
        let (num_params, image) = if bytes >= Layout::new(0, 0).len {
            let control = Int32Array::new_with_byte_offset_and_length(&buffer, 0, CONTROL_WORDS);
            (control.get_index(NUM_PARAMS), control.get_index(IMAGE_LEN))
        } else {
            (-1, -1)
        };
        let fits = num_params >= 0
            && image >= 0
            && Layout::new(num_params as usize, image as usize).len == bytes;
        if !fits {
            return Err(Error::Invalid(
                "that is not a replica's shared buffer (Replica.buffer())".into(),
            ));
        }
        Ok(Self::views(buffer, num_params as usize, image as usize))
    }

    fn views(buffer: SharedArrayBuffer, num_params: usize, image: usize) -> Self {
        let at = Layout::new(num_params, image);
        let f32s = |offset: usize, len: usize| {
            Float32Array::new_with_byte_offset_and_length(&buffer, offset as u32, len as u32)
        };
        let u8s = |offset: usize, len: usize| {
            Uint8Array::new_with_byte_offset_and_length(&buffer, offset as u32, len as u32)
        };
        Exchange {
            control: Int32Array::new_with_byte_offset_and_length(
                &buffer,
                at.control as u32,
                CONTROL_WORDS,
            ),
            loss: f32s(at.loss, 1),
            labels: u8s(at.labels, MAX_HALF),
            pixels: u8s(at.pixels, MAX_HALF * image),
            params: f32s(at.params, num_params),
            grads: f32s(at.grads, num_params),
            buffer,
        }
    }

    // Atomics.load, store and notify cannot fail on an Int32Array; only wait can (see below).

    fn load(&self, word: u32) -> i32 {
        Atomics::load(&self.control, word).expect("an Int32Array")
    }

    fn store(&self, word: u32, value: i32) {
        Atomics::store(&self.control, word, value).expect("an Int32Array");
    }

    fn notify(&self, word: u32) {
        Atomics::notify(&self.control, word).expect("an Int32Array");
    }

    /// Sleeps while `word` holds `value`, at most `ms`. Browsers allow this in workers only.
    fn wait(&self, word: u32, value: i32, ms: f64) -> Result<()> {
        Atomics::wait_with_timeout(&self.control, word, value, ms)
            .map(|_| ())
            .map_err(|_| {
                Error::Invalid(
                    "this thread cannot wait (Atomics.wait): train with a replica in a worker"
                        .into(),
                )
            })
    }
}

/// Copies the tensors one after another into `view`.
fn write_flat<'a>(view: &Float32Array, tensors: impl Iterator<Item = &'a [f32]>) {
    let mut offset = 0;
    for t in tensors {
        let end = offset + t.len() as u32;
        view.subarray(offset, end).copy_from(t);
        offset = end;
    }
}

/// Fills the tensors one after another from `view`.
fn read_flat<'a>(view: &Float32Array, tensors: impl Iterator<Item = &'a mut [f32]>) {
    let mut offset = 0;
    for t in tensors {
        let end = offset + t.len() as u32;
        view.subarray(offset, end).copy_to(t);
        offset = end;
    }
}

/// The session's side: a [`Peer`] in another worker.
pub(crate) struct RemotePeer {
    exchange: Exchange,
    request: i32,
    /// When the last request went out (ms since the epoch).
    sent: f64,
    /// The half batch, gathered to cross into shared memory in one copy each.
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl RemotePeer {
    /// Connects to a replica's buffer; its network must have `model`'s parameter count and input.
    pub(crate) fn connect(buffer: SharedArrayBuffer, model: &Model) -> Result<Self> {
        let exchange = Exchange::open(buffer)?;
        if exchange.params.length() as usize != model.num_params() {
            return Err(Error::Invalid(format!(
                "the replica's network has {} parameters, this one {}",
                exchange.params.length(),
                model.num_params()
            )));
        }
        let image: usize = model.spec().input.iter().product();
        if exchange.pixels.length() as usize != MAX_HALF * image {
            return Err(Error::Invalid(
                "the replica's network takes images of another size than this one's".into(),
            ));
        }
        let request = exchange.load(REQUEST);
        Ok(RemotePeer {
            exchange,
            request,
            sent: 0.0,
            pixels: Vec::new(),
            labels: Vec::new(),
        })
    }

    /// Tells the replica's loop to end.
    pub(crate) fn stop(&mut self) {
        self.send(STOP);
    }

    /// Posts a request of `count` examples (already in the buffer), or STOP, and wakes the replica.
    fn send(&mut self, count: i32) {
        self.exchange.store(COUNT, count);
        self.request += 1;
        self.exchange.store(REQUEST, self.request);
        self.exchange.notify(REQUEST);
    }
}

impl Peer for RemotePeer {
    fn start(&mut self, model: &Model, data: &Examples, indices: &[usize]) -> Result<()> {
        let e = &self.exchange;
        if indices.len() > MAX_HALF {
            return Err(Error::Invalid(format!(
                "a half batch of {} is more than the replica takes ({MAX_HALF})",
                indices.len()
            )));
        }
        write_flat(
            &e.params,
            model
                .params()
                .map(|p| p.value.as_slice().expect("standard layout")),
        );
        data.gather_bytes(indices, &mut self.pixels, &mut self.labels);
        e.pixels
            .subarray(0, self.pixels.len() as u32)
            .copy_from(&self.pixels);
        e.labels
            .subarray(0, self.labels.len() as u32)
            .copy_from(&self.labels);
        self.send(indices.len() as i32);
        self.sent = Date::now();
        Ok(())
    }

    fn finish(&mut self, grads: &mut [f32]) -> Result<StepStats> {
        let e = &self.exchange;
        let started = Date::now();
        let patience = TIMEOUT_MS.max(10.0 * (started - self.sent));
        loop {
            let done = e.load(DONE);
            if done == self.request {
                break;
            }
            let waited = Date::now() - started;
            if waited > patience {
                return Err(Error::Invalid(format!(
                    "the second training thread did not answer in {:.0} s",
                    patience / 1000.0
                )));
            }
            e.wait(DONE, done, patience - waited)?;
        }
        if e.load(FAILED) != 0 {
            return Err(Error::Invalid(
                "the second training thread failed (its console has the details)".into(),
            ));
        }
        e.grads.copy_to(grads);
        Ok(StepStats {
            loss: e.loss.get_index(0),
            correct: e.load(CORRECT) as usize,
            size: e.load(COUNT) as usize,
        })
    }
}

/// The replica worker's side: a copy of the network that answers the session's half batches.
#[wasm_bindgen]
pub struct Replica {
    trainer: Trainer,
    exchange: Exchange,
    data: Examples,
    indices: Vec<usize>,
}

#[wasm_bindgen]
impl Replica {
    /// A replica of the network `spec` (a model spec, as `Session` takes it) trained with
    /// `config` (its augmentation applies here too); `seed` draws its dropout masks and shifts.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: JsValue, config: JsValue, seed: u32) -> std::result::Result<Replica, JsValue> {
        let spec: ModelSpec = super::from_js_or(spec, "architecture", ModelSpec::tutorial)?;
        let mut config: TrainConfig =
            super::from_js_or(config, "training settings", TrainConfig::default)?;
        config.seed = seed as u64;
        let model = Model::new(&spec, seed as u64).map_err(js_err)?;
        let shape = ImageShape::from_dims(spec.input).map_err(js_err)?;
        let exchange = Exchange::new(model.num_params(), shape.len());
        let data = Examples::empty(shape, model.classes().min(MAX_CLASSES));
        let trainer = Trainer::new(model, config, 1).map_err(js_err)?;
        Ok(Replica {
            trainer,
            exchange,
            data,
            indices: Vec::new(),
        })
    }

    /// The buffer to hand to the session (`Session.attach_replica`).
    pub fn buffer(&self) -> SharedArrayBuffer {
        self.exchange.buffer.clone()
    }

    /// Answers the session's requests until it says stop; blocks this worker meanwhile.
    pub fn serve(&mut self) -> std::result::Result<(), JsValue> {
        // DONE, not REQUEST: a request sent before this loop started is still to be answered.
        let mut answered = self.exchange.load(DONE);
        loop {
            let request = self.exchange.load(REQUEST);
            if request == answered {
                self.exchange
                    .wait(REQUEST, request, f64::INFINITY)
                    .map_err(js_err)?;
                continue;
            }
            answered = request;
            let count = self.exchange.load(COUNT);
            if count == STOP {
                return Ok(());
            }
            let failed = match self.compute(count as usize) {
                Ok(stats) => {
                    self.exchange.loss.set_index(0, stats.loss);
                    self.exchange.store(CORRECT, stats.correct as i32);
                    false
                }
                Err(e) => {
                    web_sys::console::error_1(&format!("replica: {e}").into());
                    true
                }
            };
            self.exchange.store(FAILED, failed as i32);
            self.exchange.store(DONE, answered);
            self.exchange.notify(DONE);
        }
    }

    fn compute(&mut self, count: usize) -> Result<StepStats> {
        // The count comes from shared memory: anything but a half batch the buffer holds is
        // refused rather than read past its end.
        if !(1..=MAX_HALF).contains(&count) {
            return Err(crate::Error::Invalid(format!(
                "a replica computes 1 to {MAX_HALF} examples, asked for {count}"
            )));
        }
        let e = &self.exchange;
        read_flat(
            &e.params,
            self.trainer
                .model
                .params_mut()
                .map(|p| p.value.as_slice_mut().expect("standard layout")),
        );
        let image = self.data.shape.len();
        self.data.images.resize(count * image, 0);
        e.pixels
            .subarray(0, (count * image) as u32)
            .copy_to(&mut self.data.images);
        self.data.labels.resize(count, 0);
        e.labels
            .subarray(0, count as u32)
            .copy_to(&mut self.data.labels);
        self.indices.clear();
        self.indices.extend(0..count);
        let stats = self.trainer.gradients(&self.data, &self.indices)?;
        write_flat(
            &e.grads,
            self.trainer
                .model
                .params()
                .map(|p| p.grad.as_slice().expect("standard layout")),
        );
        Ok(stats)
    }
}

/// Tells a waiting session that its replica died (the replica worker's last words after an
/// exception), so the session goes on alone at once instead of after its timeout.
#[wasm_bindgen]
pub fn replica_failed(buffer: SharedArrayBuffer) {
    if let Ok(e) = Exchange::open(buffer) {
        e.store(FAILED, 1);
        e.store(DONE, e.load(REQUEST));
        e.notify(DONE);
    }
}
