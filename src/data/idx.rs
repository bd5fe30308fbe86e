//! The IDX format MNIST ships in: a magic number (two zero bytes, a type code, the number of
//! dimensions), each dimension as a big-endian u32, then the values.

use super::dataset::{numbered, Dataset, Examples, ImageShape, TestSplit, MAX_BYTES, TEST_SHARE};
use crate::error::{quote, Error, Result};
use crate::io::inflate::{gunzip, is_gzip};

/// The type code of unsigned bytes, the only one MNIST uses.
const UBYTE: u8 = 0x08;

#[derive(Debug, Clone, PartialEq)]
pub struct Idx {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Reads an IDX header: the dimensions and the header's length in bytes. Enough to stream the
/// values that follow (the page loads MNIST as it arrives).
pub fn parse_header(bytes: &[u8]) -> Result<(Vec<usize>, usize)> {
    let bad = |why: String| Err(Error::Format(format!("IDX: {why}")));
    let Some(&[0, 0, kind, ndim]) = bytes.get(..4) else {
        return bad(format!(
            "not an IDX file (magic number {:02x?})",
            &bytes[..bytes.len().min(4)]
        ));
    };
    if kind != UBYTE {
        return bad(format!(
            "element type 0x{kind:02x} is not supported (only unsigned bytes, 0x08)"
        ));
    }
    if ndim == 0 || ndim > 4 {
        return bad(format!("{ndim} dimensions; expected 1 to 4"));
    }
    let header = 4 + 4 * ndim as usize;
    let Some(dim_bytes) = bytes.get(4..header) else {
        return bad(format!(
            "truncated header: {} bytes, expected {header}",
            bytes.len()
        ));
    };
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes(b.try_into().unwrap()) as usize)
        .collect();
    if dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .is_none()
    {
        return bad(format!("dimensions {dims:?} are too large"));
    }
    Ok((dims, header))
}

/// Parses an IDX file of unsigned bytes. A wrong magic number, an unsupported type, or a file
/// shorter or longer than its header says is an error naming what is wrong.
pub fn parse(bytes: &[u8]) -> Result<Idx> {
    let (dims, header) = parse_header(bytes)?;
    let len: usize = dims.iter().product();
    let body = bytes.len() - header;
    if body < len {
        return Err(Error::Format(format!(
            "IDX: truncated: dimensions {dims:?} need {len} bytes of data, the file has {body}"
        )));
    }
    if body > len {
        return Err(Error::Format(format!(
            "IDX: {} bytes more than dimensions {dims:?} account for",
            body - len
        )));
    }
    Ok(Idx {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// What an IDX file of a set holds, told by its name as the sets are published:
/// `train-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte`, `emnist-letters-test-images-idx3-ubyte`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    TrainImages,
    TrainLabels,
    TestImages,
    TestLabels,
}

fn role(name: &str) -> Option<Role> {
    let name = name.rsplit(['/', '\\']).next()?.to_ascii_lowercase();
    if !name.contains("-ubyte") {
        return None;
    }
    let test = name.contains("t10k") || name.contains("test");
    let train = name.contains("train");
    match (
        train,
        test,
        name.contains("images"),
        name.contains("labels"),
    ) {
        (true, false, true, false) => Some(Role::TrainImages),
        (true, false, false, true) => Some(Role::TrainLabels),
        (false, true, true, false) => Some(Role::TestImages),
        (false, true, false, true) => Some(Role::TestLabels),
        _ => None,
    }
}

/// Whether a file's name marks it as part of an IDX set.
pub fn is_idx_name(name: &str) -> bool {
    role(name).is_some()
}

/// A dataset from the files of an IDX set, gzipped or not: images and labels of a training set
/// and, when given, of a test set (else a seeded split, [`Dataset::split`], takes one). Class
/// names come from EMNIST's `*-mapping.txt` or KMNIST's `*_classmap.csv` when present, else
/// numbers. EMNIST's images are stored transposed and are read as torchvision reads them.
pub fn read_set(
    name: &str,
    source: &str,
    files: &[(String, Vec<u8>)],
    seed: u64,
) -> Result<Dataset> {
    let find = |r: Role| files.iter().find(|(n, _)| role(n) == Some(r));
    let (Some(images), Some(labels)) = (find(Role::TrainImages), find(Role::TrainLabels)) else {
        return Err(Error::Invalid(
            "an IDX set needs at least its training images and labels (files named like \
             train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz)"
                .into(),
        ));
    };
    let test = match (find(Role::TestImages), find(Role::TestLabels)) {
        (Some(i), Some(l)) => Some((i, l)),
        (None, None) => None,
        _ => {
            return Err(Error::Invalid(
                "the IDX set has test images without test labels, or labels without images".into(),
            ))
        }
    };
    let transposed = files
        .iter()
        .any(|(n, _)| n.to_ascii_lowercase().contains("emnist"));
    let train = pair(images, labels, transposed)?;
    let test = test.map(|(i, l)| pair(i, l, transposed)).transpose()?;
    if let Some(t) = &test {
        if t.0 != train.0 {
            return Err(crate::shape_err!(
                "the training images are {} but the test images {}",
                train.0.text(),
                t.0.text()
            ));
        }
    }
    let highest = train.2.iter().chain(test.iter().flat_map(|t| &t.2)).max();
    let classes = highest.map_or(0, |&h| h as usize + 1);
    let names = class_names(files, classes).unwrap_or_else(|| numbered(classes));
    let (mut train, mut test) = (train, test);
    // Classes no image has (EMNIST's letters are labelled 1 to 26) are left out, the labels
    // above them moved down, and the reader told.
    let mut used = vec![false; classes];
    (train.2.iter().chain(test.iter().flat_map(|t| &t.2))).for_each(|&l| used[l as usize] = true);
    let kept: Vec<usize> = (0..classes).filter(|&c| used[c]).collect();
    let mut skipped = Vec::new();
    if kept.len() < classes {
        let mut new_label = vec![0u8; classes];
        kept.iter()
            .enumerate()
            .for_each(|(n, &c)| new_label[c] = n as u8);
        for labels in std::iter::once(&mut train.2).chain(test.iter_mut().map(|t| &mut t.2)) {
            labels.iter_mut().for_each(|l| *l = new_label[*l as usize]);
        }
        let unused: Vec<String> = (0..classes)
            .filter(|&c| !used[c])
            .map(|c| c.to_string())
            .collect();
        skipped.push(format!(
            "label{} {}, which no image has: the classes are renumbered from 0",
            if unused.len() == 1 { "" } else { "s" },
            unused.join(", ")
        ));
    }
    let names: Vec<String> = kept.iter().map(|&c| names[c].clone()).collect();
    let classes = names.len();
    let train_set = Examples::new(train.1, train.2, train.0, classes)?;
    let (train_set, test_set, split) = match test {
        Some((shape, images, labels)) => (
            train_set,
            Examples::new(images, labels, shape, classes)?,
            TestSplit::Official,
        ),
        None => Dataset::split(&train_set, TEST_SHARE, seed),
    };
    let mut dataset = Dataset::new(name, source, names, train_set, test_set, split)?;
    dataset.skipped = skipped;
    Ok(dataset)
}

/// One file pair: the images' shape, the images (C×H×W each) and the labels.
fn pair(
    (image_name, images): &(String, Vec<u8>),
    (label_name, labels): &(String, Vec<u8>),
    transposed: bool,
) -> Result<(ImageShape, Vec<u8>, Vec<u8>)> {
    let open = |name: &str, bytes: &[u8]| -> Result<Idx> {
        let tag = |e: Error| Error::Format(format!("{}: {e}", quote(name)));
        let inflated;
        let bytes = if is_gzip(bytes) {
            inflated = gunzip(bytes, MAX_BYTES + 64, &quote(name))?;
            &inflated[..]
        } else {
            bytes
        };
        parse(bytes).map_err(tag)
    };
    let images = open(image_name, images)?;
    let labels = open(label_name, labels)?;
    let shape = match images.dims[..] {
        [_, rows, cols] => ImageShape::new(1, rows, cols),
        _ => Err(Error::Format(format!(
            "{}: images must have 3 dimensions (count, rows, columns), not {:?}",
            quote(image_name),
            images.dims
        ))),
    }?;
    if labels.dims != [images.dims[0]] {
        return Err(Error::Format(format!(
            "{} holds {} images but {} holds labels of shape {:?}",
            quote(image_name),
            images.dims[0],
            quote(label_name),
            labels.dims
        )));
    }
    let mut pixels = images.data;
    if transposed {
        let (h, w) = (shape.height, shape.width);
        let mut t = vec![0; h * w];
        for image in pixels.chunks_exact_mut(h * w) {
            for (i, p) in t.iter_mut().enumerate() {
                *p = image[(i % w) * h + i / w];
            }
            image.copy_from_slice(&t);
        }
    }
    Ok((shape, pixels, labels.data))
}

/// Names from EMNIST's mapping (`label code` per line, the code a character's) or KMNIST's class
/// map (`index,codepoint,char` after a heading line), at least `classes` of them.
fn class_names(files: &[(String, Vec<u8>)], classes: usize) -> Option<Vec<String>> {
    let (name, bytes) = files.iter().find(|(n, _)| {
        let n = n.to_ascii_lowercase();
        n.ends_with("mapping.txt") || n.ends_with("classmap.csv")
    })?;
    if bytes.len() > 64 << 10 {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut names = vec![None; classes];
    for line in text.lines() {
        let fields: Vec<&str> = line.split([' ', ',']).map(str::trim).collect();
        let (index, name) = if name.ends_with(".csv") {
            (
                fields.first()?.parse::<usize>().ok(),
                fields.get(2).map(|s| s.to_string()),
            )
        } else {
            let code = fields.get(1).and_then(|c| c.parse::<u32>().ok());
            (
                fields.first()?.parse::<usize>().ok(),
                code.and_then(char::from_u32).map(String::from),
            )
        };
        if let (Some(i), Some(n)) = (index, name) {
            if i < classes && !n.trim().is_empty() {
                names[i] = Some(n);
            }
        }
    }
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| Some(n.unwrap_or_else(|| i.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, UBYTE, dims.len() as u8];
        dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
        v.extend(data);
        v
    }

    #[test]
    fn reads_dimensions_and_values() {
        let idx = parse(&file(&[2, 3], &[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!(idx.dims, [2, 3]);
        assert_eq!(idx.data, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn refuses_corrupt_files_with_a_reason() {
        let msg = |b: &[u8]| parse(b).unwrap_err().to_string();
        assert!(msg(b"\x89PNG").contains("not an IDX file"));
        assert!(msg(&[]).contains("not an IDX file"));
        assert!(msg(&[0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]).contains("not supported"));
        assert!(msg(&[0, 0, 8, 2, 0, 0]).contains("truncated header"));
        assert!(msg(&file(&[2, 3], &[1, 2, 3])).contains("truncated"));
        assert!(msg(&file(&[1], &[1, 2])).contains("1 bytes more"));
        assert!(
            msg(&file(&[u32::MAX, u32::MAX, u32::MAX], &[])).contains("too large")
                || msg(&file(&[u32::MAX, u32::MAX, u32::MAX], &[])).contains("truncated")
        );
    }
}
