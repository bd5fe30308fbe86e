//! CIFAR-10 and CIFAR-100 in their binary versions as published (`cifar-10-binary.tar.gz`,
//! `cifar-100-binary.tar.gz`), read as a stream: the gzip inflated and the tar's files taken
//! record by record as they arrive, so the 163 MB archive is never held whole.
//!
//! A CIFAR-10 record is a label byte and 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue,
//! row-major 32×32: already C×H×W); a CIFAR-100 record has a coarse and a fine label byte first,
//! and the fine one (100 classes) is used, as torchvision does.

use super::dataset::{numbered, Dataset, Examples, ImageShape, TestSplit, MAX_BYTES};
use super::tar::{TarSink, TarStream};
use crate::error::{quote, Error, Result};
use crate::io::inflate::GzipStream;

/// CIFAR's images: 3×32×32.
const SHAPE: [usize; 3] = [3, 32, 32];
/// The most bytes of other files before the first CIFAR file: past this, it is not CIFAR.
const MAX_PREAMBLE: u64 = 1 << 20;
/// The longest class-name file read.
const MAX_NAMES: u64 = 64 << 10;
/// The most records a file's header makes room for before they arrive: a CIFAR-10 batch's.
const MAX_RESERVED: u64 = 10_000;
/// CIFAR-10's training batches (`data_batch_1.bin` to `data_batch_5.bin`).
const TEN_TRAIN_BATCHES: u64 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    Ten,
    Hundred,
}

impl Version {
    fn name(self) -> &'static str {
        match self {
            Version::Ten => "CIFAR-10",
            Version::Hundred => "CIFAR-100",
        }
    }

    fn classes(self) -> usize {
        match self {
            Version::Ten => 10,
            Version::Hundred => 100,
        }
    }

    /// Label bytes before each image.
    fn label_bytes(self) -> usize {
        match self {
            Version::Ten => 1,
            Version::Hundred => 2,
        }
    }
}

/// What the current file is.
enum Current {
    Records { version: Version, test: bool },
    Names,
    Other,
}

/// Collects the records of the archive's files.
struct Collector {
    shape: ImageShape,
    version: Option<Version>,
    current: Current,
    /// A record split across two pieces of a file.
    partial: Vec<u8>,
    train: (Vec<u8>, Vec<u8>),
    test: (Vec<u8>, Vec<u8>),
    names: Vec<u8>,
    /// Bytes of files that are not CIFAR's, before the first that is.
    preamble: u64,
    others: Vec<String>,
}

impl Collector {
    fn record_len(&self, v: Version) -> usize {
        v.label_bytes() + self.shape.len()
    }
}

impl TarSink for Collector {
    fn file(&mut self, path: &str, size: u64) -> Result<()> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let records = match name {
            "test_batch.bin" => Some((Version::Ten, true)),
            "train.bin" => Some((Version::Hundred, false)),
            "test.bin" => Some((Version::Hundred, true)),
            _ if name.starts_with("data_batch_") && name.ends_with(".bin") => {
                Some((Version::Ten, false))
            }
            _ => None,
        };
        self.partial.clear();
        self.current = match records {
            Some((version, test)) => {
                if self.version.is_some_and(|v| v != version) {
                    return Err(Error::Format(format!(
                        "the archive mixes CIFAR-10's and CIFAR-100's files ({})",
                        quote(path)
                    )));
                }
                self.version = Some(version);
                let record = self.record_len(version) as u64;
                if !size.is_multiple_of(record) {
                    return Err(Error::Format(format!(
                        "{} is {size} bytes, not a whole number of {record}-byte records: \
                         not {}'s binary version",
                        quote(path),
                        version.name()
                    )));
                }
                let held = self.train.0.len() + self.test.0.len();
                let adds = size / record * self.shape.len() as u64;
                if held as u64 + adds > MAX_BYTES as u64 {
                    return Err(Error::Invalid(format!(
                        "the archive's images come to more than {} MB, more than a dataset here may hold",
                        MAX_BYTES >> 20
                    )));
                }
                // Room for the file at once, as far as a real batch needs (10,000 records): a
                // header that claims more gets its room as its bytes arrive. CIFAR-10's training
                // set comes as five such batches: room for all five at the first, so it is never
                // copied as it grows (in wasm each copy's memory would stay taken).
                let image = self.shape.len();
                let split = if test {
                    &mut self.test
                } else {
                    &mut self.train
                };
                let batches = match (version, test, split.1.is_empty()) {
                    (Version::Ten, false, true) => TEN_TRAIN_BATCHES,
                    _ => 1,
                };
                let records = ((size / record).min(MAX_RESERVED) * batches) as usize;
                split.0.reserve_exact(records * image);
                split.1.reserve_exact(records);
                Current::Records { version, test }
            }
            None if name == "batches.meta.txt" || name == "fine_label_names.txt" => {
                if size > MAX_NAMES {
                    return Err(Error::Format(format!(
                        "{} is {size} bytes: too long for a list of class names",
                        quote(path)
                    )));
                }
                self.names.clear();
                Current::Names
            }
            None => {
                if self.version.is_none() {
                    self.preamble += size;
                    if self.others.len() < 3 {
                        self.others.push(quote(path));
                    }
                    if self.preamble > MAX_PREAMBLE {
                        return Err(not_cifar(&self.others));
                    }
                }
                Current::Other
            }
        };
        Ok(())
    }

    fn data(&mut self, mut bytes: &[u8]) -> Result<()> {
        let (version, test) = match self.current {
            Current::Records { version, test } => (version, test),
            Current::Names => {
                self.names.extend_from_slice(bytes);
                return Ok(());
            }
            Current::Other => return Ok(()),
        };
        let record = self.record_len(version);
        let label_at = version.label_bytes() - 1;
        let classes = version.classes();
        let split = if test {
            &mut self.test
        } else {
            &mut self.train
        };
        let mut take = |r: &[u8]| -> Result<()> {
            let label = r[label_at];
            if label as usize >= classes {
                return Err(Error::Format(format!(
                    "a record's label is {label}, but {} has {classes} classes: not its binary version",
                    version.name()
                )));
            }
            split.1.push(label);
            split.0.extend_from_slice(&r[version.label_bytes()..]);
            Ok(())
        };
        if !self.partial.is_empty() {
            let need = (record - self.partial.len()).min(bytes.len());
            self.partial.extend_from_slice(&bytes[..need]);
            bytes = &bytes[need..];
            if self.partial.len() < record {
                return Ok(());
            }
            take(&self.partial)?;
            self.partial.clear();
        }
        let mut records = bytes.chunks_exact(record);
        for r in &mut records {
            take(r)?;
        }
        self.partial.extend_from_slice(records.remainder());
        Ok(())
    }
}

fn not_cifar(seen: &[String]) -> Error {
    Error::Format(format!(
        "not CIFAR-10's or CIFAR-100's binary version (cifar-10-binary.tar.gz): {}",
        if seen.is_empty() {
            "it holds none of their files".to_string()
        } else {
            format!("its first files are {}", seen.join(", "))
        }
    ))
}

/// A CIFAR archive read a piece at a time: [`Cifar::push`] each piece, then [`Cifar::finish`].
pub struct Cifar {
    stream: GzipStream<TarStream<Collector>>,
    source: String,
}

impl Cifar {
    /// `source` names the file, for messages and the dataset's story.
    pub fn new(source: &str) -> Self {
        let shape = ImageShape::from_dims(SHAPE).expect("CIFAR's shape is allowed");
        let collector = Collector {
            shape,
            version: None,
            current: Current::Other,
            partial: Vec::new(),
            train: Default::default(),
            test: Default::default(),
            names: Vec::new(),
            preamble: 0,
            others: Vec::new(),
        };
        // The images, their labels and the archive's other files (tar headers, a readme).
        let limit = MAX_BYTES + (MAX_BYTES >> 4);
        Cifar {
            stream: GzipStream::new(TarStream::new(collector), limit, quote(source)),
            source: source.to_string(),
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.push(bytes)
    }

    /// The archive has ended: its dataset, with the class names its own file gives.
    pub fn finish(self) -> Result<Dataset> {
        let tar = self.stream.finish()?;
        if !tar.ended() {
            return Err(Error::Format(format!(
                "{} is cut short: its last file is incomplete",
                quote(&self.source)
            )));
        }
        let c = tar.sink;
        let Some(version) = c.version else {
            return Err(not_cifar(&c.others));
        };
        let classes = version.classes();
        let names: Vec<String> = String::from_utf8_lossy(&c.names)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let names = if names.len() == classes {
            names
        } else {
            numbered(classes)
        };
        let (train, test) = (c.train, c.test);
        if train.1.is_empty() || test.1.is_empty() {
            return Err(Error::Format(format!(
                "{} has no {} images: is the archive complete?",
                quote(&self.source),
                if train.1.is_empty() {
                    "training"
                } else {
                    "test"
                }
            )));
        }
        Dataset::new(
            version.name(),
            &self.source,
            names,
            Examples::new(train.0, train.1, c.shape, classes)?,
            Examples::new(test.0, test.1, c.shape, classes)?,
            TestSplit::Official,
        )
    }
}
