//! Deflate and gzip, as datasets come (`*-ubyte.gz`, CIFAR's `.tar.gz`, zipped folders), through
//! flate2's pure-Rust inflater, so the page and the CLI read them with the same code. Every
//! output is bounded before it is made: a small file that inflates to gigabytes (a "zip bomb")
//! is refused at the limit, not after.

use crate::error::{Error, Result};
use std::io::{Read, Write};

/// The two bytes every gzip file starts with.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// A gzip file's contents, refused if they come to more than `limit` bytes.
pub fn gunzip(bytes: &[u8], limit: usize, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Format(format!("{what}: not a readable gzip file ({e})")))?;
    if out.len() > limit {
        return Err(over(what, limit));
    }
    Ok(out)
}

/// Raw deflate data (a zip entry's) that must come to exactly `size` bytes.
pub fn inflate(bytes: &[u8], size: usize, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size);
    flate2::read::DeflateDecoder::new(bytes)
        .take(size as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Format(format!("{what}: its compressed data is damaged ({e})")))?;
    if out.len() != size {
        return Err(Error::Format(format!(
            "{what}: inflates to {}{} bytes, but the archive says {size}",
            out.len().min(size + 1),
            if out.len() > size { " or more" } else { "" }
        )));
    }
    Ok(out)
}

fn over(what: &str, limit: usize) -> Error {
    Error::Invalid(format!(
        "{what} inflates to more than {} MB, more than a dataset here may hold",
        limit >> 20
    ))
}

/// A gzip stream inflated as its bytes arrive (the page reads a file in pieces), each piece of
/// output handed to `W`, at most `limit` bytes in all.
pub struct GzipStream<W: Write> {
    decoder: flate2::write::MultiGzDecoder<Bounded<W>>,
    limit: usize,
    what: String,
}

/// A writer that refuses to take more than its limit.
struct Bounded<W> {
    inner: W,
    left: usize,
    over: bool,
}

impl<W: Write> Write for Bounded<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.left {
            self.over = true;
            return Err(std::io::Error::other("over the limit"));
        }
        let n = self.inner.write(buf)?;
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> GzipStream<W> {
    pub fn new(inner: W, limit: usize, what: impl Into<String>) -> Self {
        let bounded = Bounded {
            inner,
            left: limit,
            over: false,
        };
        GzipStream {
            decoder: flate2::write::MultiGzDecoder::new(bounded),
            limit,
            what: what.into(),
        }
    }

    /// Inflates the next piece of the file. An error of the writer's own is handed back as it
    /// is (the dataset's words); one of the stream's says what is wrong with the file.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        let result = self.decoder.write_all(bytes);
        self.check(result)
    }

    fn check(&mut self, result: std::io::Result<()>) -> Result<()> {
        let Err(e) = result else { return Ok(()) };
        if self.decoder.get_ref().over {
            return Err(over(&self.what, self.limit));
        }
        match e
            .into_inner()
            .and_then(|inner| inner.downcast::<Error>().ok())
        {
            Some(error) => Err(*error),
            None => Err(Error::Format(format!(
                "{}: not a readable gzip file, or cut short",
                self.what
            ))),
        }
    }

    /// The file has ended: the last bytes are inflated and the writer handed back. A file cut
    /// short is refused.
    pub fn finish(mut self) -> Result<W> {
        let result = self.decoder.try_finish();
        self.check(result)?;
        let done = self
            .decoder
            .finish()
            .map_err(|_| Error::Format(format!("{}: the gzip file is cut short", self.what)))?;
        Ok(done.inner)
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.decoder.get_mut().inner
    }
}

/// An error of ours carried through `std::io::Write`, so a writer can refuse in its own words.
pub fn io_error(e: Error) -> std::io::Error {
    std::io::Error::other(e)
}
