//! Datasets as the page's worker reads them: a [`DatasetReader`] takes the user's files (an IDX
//! set, CIFAR's tar.gz a piece at a time, a folder's or a zip's images decoded by the browser),
//! or a dataset kept in the browser, and [`Session::use_dataset`] swaps the finished dataset in
//! whole. Until then the dataset in use stays, so a file that fails loses nothing.

use super::session::{fitted_model, Session};
use super::{from_js, invalid, js_err, to_js};
use crate::data::builtin::{Builtin, SPLIT_SEED};
use crate::data::cifar::Cifar;
use crate::data::folder::{plan, FolderReader};
use crate::data::idx::is_idx_name;
use crate::data::{stored, About, Dataset};
use crate::error::Error;
use crate::image::Image;
use crate::io::zip;
use wasm_bindgen::prelude::*;

/// The largest image file taken out of a zip.
const MAX_IMAGE_FILE: usize = 64 << 20;

enum Source {
    /// IDX files (or a built-in dataset's), gathered until `finish`.
    Files {
        builtin: Option<&'static Builtin>,
        files: Vec<(String, Vec<u8>)>,
    },
    Cifar(Box<Cifar>),
    /// A folder's images, decoded by the page; from a zip, the page asks for each image's bytes.
    Folder {
        reader: FolderReader,
        zip: Option<Vec<u8>>,
    },
    Ready(Dataset),
    Done,
}

/// A dataset being read. Which kind to make for a set of files: [`dataset_kind`].
#[wasm_bindgen]
pub struct DatasetReader {
    name: String,
    source: Source,
}

/// What a set of files is, by their names: "cifar" (one .tar.gz or .tgz), "zip" (one .zip of
/// class folders), "idx" (any named as an IDX set's), "stored" (one .safetensors, a dataset the
/// page kept), or "folder" (images in class folders).
#[wasm_bindgen]
pub fn dataset_kind(names: Vec<String>) -> String {
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let one = |ext: &[&str]| lower.len() == 1 && ext.iter().any(|e| lower[0].ends_with(e));
    if one(&[".tar.gz", ".tgz"]) {
        "cifar"
    } else if one(&[".zip"]) {
        "zip"
    } else if one(&[".safetensors"]) {
        "stored"
    } else if names.iter().any(|n| is_idx_name(n)) {
        "idx"
    } else {
        "folder"
    }
    .into()
}

#[wasm_bindgen]
impl DatasetReader {
    /// An IDX set, its files given by [`DatasetReader::add_file`].
    pub fn idx(name: &str) -> DatasetReader {
        Self::with(
            name,
            Source::Files {
                builtin: None,
                files: Vec::new(),
            },
        )
    }

    /// A built-in dataset (`key`: see `builtin_datasets`), its files given in its order.
    pub fn builtin(key: &str) -> Result<DatasetReader, JsValue> {
        let b =
            Builtin::named(key).ok_or_else(|| invalid(format!("no built-in dataset '{key}'")))?;
        Ok(Self::with(
            b.name,
            Source::Files {
                builtin: Some(b),
                files: Vec::new(),
            },
        ))
    }

    /// CIFAR-10 or -100's binary tar.gz, its bytes given by [`DatasetReader::push`] as they are
    /// read.
    pub fn cifar(name: &str) -> DatasetReader {
        Self::with(name, Source::Cifar(Box::new(Cifar::new(name))))
    }

    /// A folder of class folders: `paths` are its files' paths (as the browser gives them,
    /// `root/class/image.png`); `width` and `height` the size to make its images, 0 for their
    /// own (see `data::folder`). The images to decode: [`DatasetReader::images`].
    pub fn folder(
        name: &str,
        paths: Vec<String>,
        width: u32,
        height: u32,
    ) -> Result<DatasetReader, JsValue> {
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let plan = plan(name, &refs).map_err(js_err)?;
        let reader = FolderReader::new(plan, size(width, height)).map_err(js_err)?;
        Ok(Self::with(name, Source::Folder { reader, zip: None }))
    }

    /// A zip of class folders: its members are listed now; each image's bytes are had from
    /// [`DatasetReader::image_file`] for the page to decode.
    pub fn zip(
        name: &str,
        bytes: Vec<u8>,
        width: u32,
        height: u32,
    ) -> Result<DatasetReader, JsValue> {
        let names: Vec<String> = zip::members(&bytes)
            .map_err(js_err)?
            .into_iter()
            .map(|m| m.name)
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let stem = crate::data::folder::zip_name(name);
        let plan = plan(stem, &refs).map_err(js_err)?;
        let reader = FolderReader::new(plan, size(width, height)).map_err(js_err)?;
        Ok(Self::with(
            stem,
            Source::Folder {
                reader,
                zip: Some(bytes),
            },
        ))
    }

    /// Classes the user drew ("Teach it", `data::drawn`): `images` holds one drawing per label,
    /// prepared as MNIST's digits are (its shape, bytes).
    pub fn drawn(
        name: &str,
        classes: Vec<String>,
        images: &[u8],
        labels: &[u8],
    ) -> Result<DatasetReader, JsValue> {
        let d = crate::data::drawn::dataset(name, classes, images, labels, SPLIT_SEED)
            .map_err(js_err)?;
        Ok(Self::with(name, Source::Ready(d)))
    }

    /// A dataset the page kept in the browser ([`Session::dataset_file`]).
    pub fn stored(bytes: &[u8]) -> Result<DatasetReader, JsValue> {
        let d = stored::load(bytes).map_err(js_err)?;
        Ok(Self::with(&d.name.clone(), Source::Ready(d)))
    }

    fn with(name: &str, source: Source) -> Self {
        DatasetReader {
            name: name.to_string(),
            source,
        }
    }

    /// One file of an IDX set (or a built-in dataset's), gzipped or not.
    pub fn add_file(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), JsValue> {
        match &mut self.source {
            Source::Files { files, .. } => {
                files.push((name.to_string(), bytes));
                Ok(())
            }
            _ => Err(invalid("this reader takes no files")),
        }
    }

    /// The next piece of a CIFAR archive.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), JsValue> {
        match &mut self.source {
            Source::Cifar(c) => c.push(bytes).map_err(js_err),
            _ => Err(invalid("this reader takes no archive")),
        }
    }

    /// A folder's images to decode, as indices into the paths given (for a zip, into its
    /// members), in the order [`DatasetReader::add_image`] numbers them.
    pub fn images(&self) -> Vec<u32> {
        match &self.source {
            Source::Folder { reader, .. } => {
                reader.plan().images.iter().map(|p| p.path as u32).collect()
            }
            _ => Vec::new(),
        }
    }

    /// What was left out while planning, in words.
    pub fn skipped(&self) -> Vec<String> {
        match &self.source {
            Source::Folder { reader, .. } => reader.plan().skipped.clone(),
            _ => Vec::new(),
        }
    }

    /// The bytes of a zip's image `index` (of [`DatasetReader::images`]), inflated and checked.
    pub fn image_file(&self, index: u32) -> Result<Vec<u8>, JsValue> {
        let Source::Folder {
            reader,
            zip: Some(bytes),
        } = &self.source
        else {
            return Err(invalid("this reader holds no zip"));
        };
        let planned = reader
            .plan()
            .images
            .get(index as usize)
            .ok_or_else(|| invalid(format!("no image {index}")))?;
        let members = zip::members(bytes).map_err(js_err)?;
        let member = &members[planned.path];
        Ok(member
            .contents(MAX_IMAGE_FILE)
            .map_err(js_err)?
            .into_owned())
    }

    /// Image `index` decoded by the browser: `rgba` holds `width×height` pixels of 4 bytes.
    pub fn add_image(
        &mut self,
        index: u32,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
    ) -> Result<(), JsValue> {
        let Source::Folder { reader, .. } = &mut self.source else {
            return Err(invalid("this reader takes no images"));
        };
        let image = Image::new(width as usize, height as usize, 4, rgba);
        reader.add(index as usize, image).map_err(js_err)
    }

    /// Image `index` could not be decoded (`why`, in the browser's words): it is left out and
    /// counted.
    pub fn skip_image(&mut self, index: u32, why: &str) -> Result<(), JsValue> {
        let Source::Folder { reader, .. } = &mut self.source else {
            return Err(invalid("this reader takes no images"));
        };
        let name = reader
            .plan()
            .images
            .get(index as usize)
            .map(|p| p.name.as_str());
        let why = Error::Format(format!(
            "{}: {why}",
            crate::error::quote(name.unwrap_or("?"))
        ));
        reader.add(index as usize, Err(why)).map_err(js_err)
    }

    /// Reads what was given into a dataset, checked whole: what it is, as [`About`]. The
    /// dataset waits here for [`Session::use_dataset`].
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let dataset = match std::mem::replace(&mut self.source, Source::Done) {
            Source::Files {
                builtin: Some(b),
                files,
            } => b.read(files.into_iter().map(|(_, bytes)| bytes).collect()),
            Source::Files {
                builtin: None,
                files,
            } => crate::data::idx::read_set(&self.name, &self.name, &files, SPLIT_SEED),
            Source::Cifar(c) => c.finish(),
            Source::Folder { reader, .. } => reader.finish(&self.name, SPLIT_SEED),
            Source::Ready(d) => Ok(d),
            Source::Done => return Err(invalid("the reader has finished already")),
        };
        let dataset = dataset.map_err(js_err)?;
        let about = to_js(&dataset.about())?;
        self.source = Source::Ready(dataset);
        Ok(about)
    }
}

fn size(width: u32, height: u32) -> Option<(usize, usize)> {
    (width > 0 && height > 0).then_some((width as usize, height as usize))
}

#[wasm_bindgen]
impl Session {
    /// Trains on the dataset `reader` finished from now on. The model stays when it fits the
    /// data; otherwise a new one of the same architecture, fitted to it, replaces it (seeded with
    /// `seed`). True when the model was replaced. The run starts over, unless this is the dataset
    /// the session was made for (its name, shape and classes), arriving.
    pub fn use_dataset(&mut self, reader: &mut DatasetReader, seed: u32) -> Result<bool, JsValue> {
        let dataset = reader.take()?;
        let arriving = self.expects(&dataset.about());
        let replaced = match arriving {
            // The replica, if any, goes on: the network and its input are as they were.
            true => {
                self.about = dataset.about();
                false
            }
            false => self.take_data(dataset.about(), seed)?,
        };
        if arriving {
            let len = dataset.train.len();
            self.hold(dataset);
            self.trainer.set_train_len(len);
            self.epoch.extend_to(len);
        } else {
            self.hold(dataset);
            self.restart_epoch()?;
        }
        Ok(replaced)
    }

    /// Trains on a dataset that will arrive example by example (`add_examples`), as MNIST
    /// streams in: `data` says what it is ([`About`]). Returns as [`Session::use_dataset`].
    pub fn expect_dataset(&mut self, data: JsValue, seed: u32) -> Result<bool, JsValue> {
        let about: About = from_js(data, "dataset")?;
        about.check().map_err(js_err)?;
        let replaced = self.take_data(about, seed)?;
        self.restart_epoch()?;
        Ok(replaced)
    }

    /// The dataset in use as one file, to keep in the browser ([`DatasetReader::stored`]).
    pub fn dataset_file(&self) -> Result<Vec<u8>, JsValue> {
        // The About as the dataset would say it, with the splits as held: written from where
        // they are, never copied (CIFAR-10 is 184 MB, and wasm memory does not shrink).
        let mut about = self.about.clone();
        about.train = self.train.data.len();
        about.test = self.test.data.len();
        Ok(stored::save_splits(
            &about,
            &self.train.data,
            &self.test.data,
        ))
    }
}

impl DatasetReader {
    /// The finished dataset, taken out of the reader.
    pub(super) fn take(&mut self) -> Result<Dataset, JsValue> {
        match std::mem::replace(&mut self.source, Source::Done) {
            Source::Ready(dataset) => Ok(dataset),
            other => {
                self.source = other;
                Err(invalid(
                    "the dataset is not read yet (finish the reader first)",
                ))
            }
        }
    }
}

impl Session {
    /// Holds `dataset`'s splits, whole, as the data in use (its [`About`] already is).
    pub(super) fn hold(&mut self, dataset: Dataset) {
        self.train.data = dataset.train;
        self.test.data = dataset.test;
        self.train.complete = true;
        self.test.complete = true;
    }

    /// Whether `about` is the dataset this session was made for, none of it loaded yet.
    fn expects(&self, about: &About) -> bool {
        let mine = &self.about;
        (mine.name == about.name && mine.shape == about.shape && mine.classes == about.classes)
            && self.train.data.is_empty()
            && self.test.data.is_empty()
    }

    /// Makes `about` the dataset, its splits empty; the model is kept if it fits, else replaced
    /// by one of its architecture fitted to the data. True when it was replaced.
    fn take_data(&mut self, about: About, seed: u32) -> Result<bool, JsValue> {
        let model = &self.trainer.model;
        let replaced = match model.misfit(&about.name, about.shape, about.classes.len()) {
            None => None,
            Some(_) => {
                let mut fresh = fitted_model(model.spec(), &about, seed)?;
                fresh.prove().map_err(js_err)?;
                Some(fresh)
            }
        };
        self.detach_replica();
        let was_replaced = replaced.is_some();
        if let Some(model) = replaced {
            self.replace_model(model, seed)?;
        }
        self.set_about(about);
        Ok(was_replaced)
    }
}
