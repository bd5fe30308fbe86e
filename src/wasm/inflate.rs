//! A gzip file inflated as it streams in, by the core's inflater ([`GzipStream`]): the page reads
//! the built-in datasets (`*.gz`) with it in every browser, including those without
//! `DecompressionStream` (Safari before 16.4), and the output is bounded as the CLI's is.

use super::js_err;
use crate::data::dataset::MAX_BYTES;
use crate::io::inflate::GzipStream;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Gunzip {
    /// None once finished or failed: a stream is read once.
    stream: Option<GzipStream<Vec<u8>>>,
    what: String,
}

#[wasm_bindgen]
impl Gunzip {
    /// A stream for the file named `what` (in its messages); it may inflate to a dataset's
    /// largest size and a header.
    #[wasm_bindgen(constructor)]
    pub fn new(what: &str) -> Gunzip {
        Gunzip {
            stream: Some(GzipStream::new(Vec::new(), MAX_BYTES + 64, what)),
            what: what.into(),
        }
    }

    /// Inflates the next piece of the file; returns the bytes it came to (perhaps none yet).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(ended(&self.what));
        };
        if let Err(e) = stream.push(bytes) {
            self.stream = None;
            return Err(js_err(e));
        }
        Ok(std::mem::take(stream.get_mut()))
    }

    /// The file has ended: returns its last bytes; a file cut short is refused.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        let stream = self.stream.take().ok_or_else(|| ended(&self.what))?;
        stream.finish().map_err(js_err)
    }
}

fn ended(what: &str) -> JsValue {
    super::invalid(format!("{what}: its stream has already ended"))
}
