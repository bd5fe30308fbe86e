//! An image-classification dataset: its images' shape, its classes, a training and a test split
//! held as bytes (60,000 MNIST images are 47 MB as u8, 188 MB as f32, converted to floats a
//! batch at a time), and where it came from.

use crate::error::{quote, Error, Result};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// The sides an image may have, in pixels: small enough to train in a tab, large enough for two
/// 2×2 poolings to leave something.
pub const SIDES: RangeInclusive<usize> = 8..=64;
/// Labels are bytes.
pub const MAX_CLASSES: usize = 256;
/// The most image bytes a dataset holds, both splits together: EMNIST's largest set (by class,
/// 814,255 images of 28×28, 638 MB) fits; wasm's 4 GB address space keeps room to train.
pub const MAX_BYTES: usize = 768 << 20;
/// The share of each class held out for testing when a dataset comes without a test set: a
/// seventh, as MNIST's 10,000 of 70,000.
pub const TEST_SHARE: f64 = 1.0 / 7.0;

/// An image's shape as the network takes it: channels × height × width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl ImageShape {
    /// A shape the playground trains on: 1 channel (gray) or 3 (RGB), each side in [`SIDES`].
    pub fn new(channels: usize, height: usize, width: usize) -> Result<Self> {
        if channels != 1 && channels != 3 {
            return Err(Error::Invalid(format!(
                "images with {channels} channels: a dataset's images are gray (1 channel) or colour (3)"
            )));
        }
        for (side, name) in [(height, "high"), (width, "wide")] {
            if !SIDES.contains(&side) {
                return Err(Error::Invalid(format!(
                    "images {side} pixels {name}: each side must be {} to {} pixels",
                    SIDES.start(),
                    SIDES.end()
                )));
            }
        }
        Ok(ImageShape {
            channels,
            height,
            width,
        })
    }

    /// From a model's `[C, H, W]` input.
    pub fn from_dims([channels, height, width]: [usize; 3]) -> Result<Self> {
        Self::new(channels, height, width)
    }

    pub fn dims(&self) -> [usize; 3] {
        [self.channels, self.height, self.width]
    }

    /// Bytes (values) in one image.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Never: a shape has at least one channel of 8×8.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// "1×28×28".
    pub fn text(&self) -> String {
        format!("{}×{}×{}", self.channels, self.height, self.width)
    }
}

/// Labelled images of one shape: a training or a test split. Images are C×H×W bytes, one after
/// another.
#[derive(Clone, Debug)]
pub struct Examples {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    pub shape: ImageShape,
    /// Labels are below this.
    pub classes: usize,
}

impl Examples {
    /// No examples yet: [`Examples::extend`] adds them as they arrive.
    pub fn empty(shape: ImageShape, classes: usize) -> Self {
        Examples {
            images: Vec::new(),
            labels: Vec::new(),
            shape,
            classes,
        }
    }

    pub fn new(
        images: Vec<u8>,
        labels: Vec<u8>,
        shape: ImageShape,
        classes: usize,
    ) -> Result<Self> {
        let mut e = Examples::empty(shape, classes);
        e.check(&images, &labels)?;
        e.images = images;
        e.labels = labels;
        Ok(e)
    }

    /// Makes room for `count` more examples at once, so that a dataset arriving in pieces does
    /// not grow by doubling: wasm memory never shrinks, and MNIST's 47 MB would hold about twice
    /// that for good. Never more than [`MAX_BYTES`] are reserved, whatever a header claims.
    pub fn reserve(&mut self, count: usize) {
        let count = count.min(MAX_BYTES.saturating_sub(self.images.len()) / self.shape.len());
        self.images.reserve_exact(count * self.shape.len());
        self.labels.reserve_exact(count);
    }

    fn check(&self, images: &[u8], labels: &[u8]) -> Result<()> {
        if labels.len().checked_mul(self.shape.len()) != Some(images.len()) {
            return Err(crate::shape_err!(
                "{} image bytes for {} labels of {}",
                images.len(),
                labels.len(),
                self.shape.text()
            ));
        }
        if self.images.len() + images.len() > MAX_BYTES {
            return Err(too_large(self.images.len() + images.len()));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= self.classes) {
            return Err(Error::Format(format!(
                "label {bad} is out of range: there are {} classes (0 to {})",
                self.classes,
                self.classes - 1
            )));
        }
        Ok(())
    }

    /// Appends examples: `images` holds `labels.len()` images of this shape.
    pub fn extend(&mut self, images: &[u8], labels: &[u8]) -> Result<()> {
        self.check(images, labels)?;
        self.images.extend_from_slice(images);
        self.labels.extend_from_slice(labels);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.shape.len();
        &self.images[i * size..(i + 1) * size]
    }

    /// The first `n` examples (for short runs and tests).
    pub fn take(&self, n: usize) -> Examples {
        self.select(&(0..n.min(self.len())).collect::<Vec<_>>())
    }

    /// The examples `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Examples {
        let mut out = Examples::empty(self.shape, self.classes);
        self.gather_bytes(indices, &mut out.images, &mut out.labels);
        out
    }

    /// Examples of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        self.labels.iter().for_each(|&l| counts[l as usize] += 1);
        counts
    }

    /// Writes the examples `indices` as floats in [0, 1] (`ToTensor()`'s scaling) into `x`
    /// (N,C,H,W) and their labels into `y`, reusing both buffers.
    pub fn gather(&self, indices: &[usize], x: &mut Vec<f32>, y: &mut Vec<u8>) {
        x.clear();
        y.clear();
        for &i in indices {
            x.extend(self.image(i).iter().map(|&p| p as f32 / 255.0));
            y.push(self.labels[i]);
        }
    }

    /// Writes the examples `indices` as they are stored (bytes) into `x`, their labels into `y`.
    pub fn gather_bytes(&self, indices: &[usize], x: &mut Vec<u8>, y: &mut Vec<u8>) {
        x.clear();
        y.clear();
        for &i in indices {
            x.extend_from_slice(self.image(i));
            y.push(self.labels[i]);
        }
    }
}

fn too_large(bytes: usize) -> Error {
    Error::Invalid(format!(
        "the dataset's images come to {} MB; at most {} MB are held",
        bytes >> 20,
        MAX_BYTES >> 20
    ))
}

/// How the test split was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TestSplit {
    /// The test set the dataset's authors published.
    #[default]
    Official,
    /// Drawn from the images by [`Dataset::split`]: the same share of each class, by a seeded
    /// shuffle.
    Seeded { seed: u64, of: usize },
}

/// What a dataset is, in the form the page, the CLI and a model file's metadata share. A
/// network is fitted to its name, shape and classes; the rest is its story.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct About {
    /// "MNIST", "CIFAR-10", or a folder's name.
    pub name: String,
    /// Where it came from: "built in", or the file or folder it was read from.
    #[serde(default)]
    pub source: String,
    pub shape: ImageShape,
    pub classes: Vec<String>,
    #[serde(default)]
    pub train: usize,
    #[serde(default)]
    pub test: usize,
    #[serde(default)]
    pub split: TestSplit,
    /// What was left out while reading (non-images, unreadable files), in words; empty if none.
    #[serde(default)]
    pub skipped: Vec<String>,
}

impl About {
    /// Checks what a network is fitted to: an allowed shape and 2 to [`MAX_CLASSES`] classes.
    pub fn check(&self) -> Result<()> {
        ImageShape::from_dims(self.shape.dims())?;
        let n = self.classes.len();
        if !(2..=MAX_CLASSES).contains(&n) {
            return Err(Error::Invalid(format!(
                "{n} classes: a dataset needs 2 to {MAX_CLASSES}"
            )));
        }
        Ok(())
    }

    /// How the test set was made, in a phrase for wherever accuracy is reported: empty for an
    /// official test set.
    pub fn test_note(&self) -> String {
        match self.split {
            TestSplit::Official => String::new(),
            TestSplit::Seeded { seed, of } => format!(
                "test set: a seeded split (seed {seed}) of {} of the {of} images, the same share of each class; not an official test set",
                self.test
            ),
        }
    }
}

/// A dataset: its classes, a training and a test split of the same shape, and its story.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub source: String,
    pub classes: Vec<String>,
    pub train: Examples,
    pub test: Examples,
    pub split: TestSplit,
    pub skipped: Vec<String>,
}

impl Dataset {
    /// Checks what every source must give: 2 to [`MAX_CLASSES`] named classes, each with
    /// training images, and splits of the same shape.
    pub fn new(
        name: impl Into<String>,
        source: impl Into<String>,
        classes: Vec<String>,
        train: Examples,
        test: Examples,
        split: TestSplit,
    ) -> Result<Self> {
        let d = Dataset {
            name: name.into(),
            source: source.into(),
            classes,
            train,
            test,
            split,
            skipped: Vec::new(),
        };
        d.check()?;
        Ok(d)
    }

    fn check(&self) -> Result<()> {
        let n = self.classes.len();
        if !(2..=MAX_CLASSES).contains(&n) {
            return Err(Error::Invalid(format!(
                "{n} classes: a dataset needs 2 to {MAX_CLASSES}"
            )));
        }
        if let Some(c) = self.classes.iter().position(|c| c.trim().is_empty()) {
            return Err(Error::Invalid(format!("class {c} has no name")));
        }
        for (i, c) in self.classes.iter().enumerate() {
            if self.classes[..i].iter().any(|d| d.trim() == c.trim()) {
                return Err(Error::Invalid(format!(
                    "two classes are named {}: each needs its own name",
                    quote(c.trim())
                )));
            }
        }
        for split in [&self.train, &self.test] {
            if split.classes != n {
                return Err(crate::shape_err!(
                    "a split of {} classes in a dataset of {n}",
                    split.classes
                ));
            }
        }
        if self.train.shape != self.test.shape {
            return Err(crate::shape_err!(
                "the training images are {} but the test images {}",
                self.train.shape.text(),
                self.test.shape.text()
            ));
        }
        let empty: Vec<_> = (self.train.class_counts().iter().enumerate())
            .filter(|(_, &k)| k == 0)
            .map(|(c, _)| quote(&self.classes[c]))
            .collect();
        if !empty.is_empty() {
            return Err(Error::Invalid(format!(
                "no training images of class {}: every class needs some",
                empty.join(", ")
            )));
        }
        if self.test.is_empty() {
            return Err(Error::Invalid(
                "no test images: with one image of a class, none can be held out to test on; \
                 give each class at least two"
                    .into(),
            ));
        }
        Ok(())
    }

    pub fn shape(&self) -> ImageShape {
        self.train.shape
    }

    pub fn about(&self) -> About {
        About {
            name: self.name.clone(),
            source: self.source.clone(),
            shape: self.shape(),
            classes: self.classes.clone(),
            train: self.train.len(),
            test: self.test.len(),
            split: self.split.clone(),
            skipped: self.skipped.clone(),
        }
    }

    /// Splits `all` into training and test sets, `test_share` of each class to the test set (at
    /// least one image of a class with two or more), chosen by a shuffle seeded with `seed`:
    /// the same images whenever the same set is split again.
    pub fn split(all: &Examples, test_share: f64, seed: u64) -> (Examples, Examples, TestSplit) {
        let mut by_class = vec![Vec::new(); all.classes];
        all.labels
            .iter()
            .enumerate()
            .for_each(|(i, &l)| by_class[l as usize].push(i));
        let mut rng = Rng::new(seed);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for mut members in by_class {
            rng.shuffle(&mut members);
            let n = members.len();
            let k = ((n as f64 * test_share).round() as usize).clamp((n >= 2) as usize, n / 2);
            test.extend_from_slice(&members[..k]);
            train.extend_from_slice(&members[k..]);
        }
        // Classes interleaved as they were, not one after another.
        train.sort_unstable();
        test.sort_unstable();
        let split = TestSplit::Seeded {
            seed,
            of: all.len(),
        };
        (all.select(&train), all.select(&test), split)
    }
}

/// "0" to "9" and so on: the names of classes known only by number.
pub fn numbered(classes: usize) -> Vec<String> {
    (0..classes).map(|c| c.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(side: usize) -> ImageShape {
        ImageShape::new(1, side, side).unwrap()
    }

    #[test]
    fn shapes_outside_the_limits_are_refused_in_words() {
        let e = |c, h, w| ImageShape::new(c, h, w).unwrap_err().to_string();
        assert!(e(2, 28, 28).contains("gray (1 channel) or colour (3)"));
        assert!(e(1, 7, 28).contains("7 pixels high"));
        assert!(e(3, 32, 65).contains("65 pixels wide"));
        assert!(ImageShape::new(3, 64, 8).is_ok());
    }

    #[test]
    fn labels_and_sizes_are_checked_before_they_are_kept() {
        let mut e = Examples::empty(gray(8), 3);
        assert!(e
            .extend(&[0; 64], &[3])
            .unwrap_err()
            .to_string()
            .contains("label 3"));
        assert!(e.extend(&[0; 63], &[1]).is_err());
        e.extend(&[7; 128], &[2, 0]).unwrap();
        assert_eq!(
            (e.len(), e.image(1)[0], e.class_counts()),
            (2, 7, vec![1, 0, 1])
        );
        e.reserve(usize::MAX);
        assert!(e.images.capacity() <= MAX_BYTES);
        assert!(e
            .extend(&vec![0; MAX_BYTES], &vec![0; MAX_BYTES / 64])
            .is_err());
    }

    #[test]
    fn a_dataset_needs_two_named_classes_each_with_images() {
        let split = |labels: &[u8]| {
            Examples::new(vec![0; 64 * labels.len()], labels.to_vec(), gray(8), 3).unwrap()
        };
        let names = numbered(3);
        let make = |train, names: Vec<String>| {
            Dataset::new("t", "here", names, train, split(&[0]), TestSplit::Official)
        };
        assert!(make(split(&[0, 1, 2]), names.clone()).is_ok());
        let none = Examples::empty(gray(8), 3);
        let e = Dataset::new(
            "t",
            "",
            names.clone(),
            split(&[0, 1, 2]),
            none,
            TestSplit::Official,
        );
        assert!(e.unwrap_err().to_string().contains("no test images"));
        let e = make(split(&[0, 2]), names.clone()).unwrap_err().to_string();
        assert!(e.contains("no training images of class '1'"), "{e}");
        let e = make(split(&[0, 1, 2]), vec!["a".into(), " ".into(), "c".into()]);
        assert!(e.unwrap_err().to_string().contains("class 1 has no name"));
        let one = Examples::new(vec![0; 64], vec![0], gray(8), 1).unwrap();
        let e = Dataset::new("t", "", numbered(1), one.clone(), one, TestSplit::Official);
        assert!(e.unwrap_err().to_string().contains("1 classes"));
    }

    #[test]
    fn a_seeded_split_takes_the_same_share_of_each_class_every_time() {
        let labels: Vec<u8> = (0..700).map(|i| (i % 7 % 2) as u8).collect();
        let images: Vec<u8> = (0..700 * 64).map(|i| (i / 64 % 251) as u8).collect();
        let all = Examples::new(images, labels, gray(8), 2).unwrap();
        let (train, test, split) = Dataset::split(&all, 0.1, 3);
        assert_eq!(split, TestSplit::Seeded { seed: 3, of: 700 });
        assert_eq!((train.len(), test.len()), (630, 70));
        let counts = (all.class_counts(), test.class_counts());
        assert_eq!(counts, (vec![400, 300], vec![40, 30]));
        let (_, again, _) = Dataset::split(&all, 0.1, 3);
        assert_eq!(test.images, again.images);
        let (_, other, _) = Dataset::split(&all, 0.1, 4);
        assert_ne!(test.images, other.images);
    }
}
