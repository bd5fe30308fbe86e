//! Classes the user teaches by drawing ("Teach it"): 2 to 10 named classes, a few drawings of
//! each, prepared by the page as MNIST's digits are (so they have MNIST's shape). A seeded share
//! of each class's drawings is held out to test on; every other drawing is learnt in each of its
//! shifts by up to [`SHIFT`] pixels, so a handful of drawings makes a training set.

use super::augment::shift_by;
use super::builtin::MNIST;
use super::dataset::{Dataset, Examples, TEST_SHARE};
use crate::error::{Error, Result};

/// What a drawn dataset is called, in every panel and in the browser's storage.
pub const NAME: &str = "Your drawings";
pub const MAX_CLASSES: usize = 10;
/// Drawings of each class at least: two to learn from, one to test on.
pub const MIN_PER_CLASS: usize = 3;
/// Drawings in all at most (each becomes 25 training images).
pub const MAX_DRAWINGS: usize = 2_000;
/// Each training drawing is learnt at every shift of up to this many pixels in each direction.
pub const SHIFT: isize = 2;

/// A dataset named `name` of drawings: `images` holds one MNIST-shaped image (bytes) per label
/// of `labels`, each below `classes.len()`.
pub fn dataset(
    name: &str,
    classes: Vec<String>,
    images: &[u8],
    labels: &[u8],
    seed: u64,
) -> Result<Dataset> {
    let shape = MNIST.shape();
    if !(2..=MAX_CLASSES).contains(&classes.len()) {
        return Err(Error::Invalid(format!(
            "{} classes: name 2 to {MAX_CLASSES} to teach",
            classes.len()
        )));
    }
    if labels.len() > MAX_DRAWINGS {
        return Err(Error::Invalid(format!(
            "{} drawings: at most {MAX_DRAWINGS} are learnt",
            labels.len()
        )));
    }
    let drawings = Examples::new(images.to_vec(), labels.to_vec(), shape, classes.len())?;
    let counts = drawings.class_counts();
    let few: Vec<String> = (classes.iter().zip(&counts))
        .filter(|(_, &k)| k < MIN_PER_CLASS)
        .map(|(c, k)| format!("“{}” has {k}", c.trim()))
        .collect();
    if !few.is_empty() {
        return Err(Error::Invalid(format!(
            "draw at least {MIN_PER_CLASS} of each class (two to learn from, one to test on): {}",
            few.join(", ")
        )));
    }
    let (learnt, test, split) = Dataset::split(&drawings, TEST_SHARE, seed);
    let mut train = Examples::empty(shape, classes.len());
    train.reserve(learnt.len() * shifts().count());
    let mut moved = Vec::with_capacity(shape.len());
    for i in 0..learnt.len() {
        for (dy, dx) in shifts() {
            moved.clear();
            moved.extend_from_slice(learnt.image(i));
            shift_by(&mut moved, shape, dy, dx);
            train.extend(&moved, &learnt.labels[i..=i])?;
        }
    }
    let source = format!(
        "{} drawings made in the page, prepared as MNIST's digits; each drawing learnt from is \
         shifted by up to {SHIFT} pixels into {} training images",
        drawings.len(),
        shifts().count()
    );
    let classes = classes.into_iter().map(|c| c.trim().to_string()).collect();
    Dataset::new(name, source, classes, train, test, split)
}

/// Every shift (rows, columns) of up to [`SHIFT`] pixels, the unshifted first.
fn shifts() -> impl Iterator<Item = (isize, isize)> {
    let span = -SHIFT..=SHIFT;
    std::iter::once((0, 0)).chain(
        span.clone()
            .flat_map(move |dy| span.clone().map(move |dx| (dy, dx)))
            .filter(|&s| s != (0, 0)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        ["circle", "cross", "line", "wave"][..n]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// `per` drawings of each of `classes`: a dot, each drawing of a class 6 pixels or more from
    /// the others, so no shift of one is another.
    fn drawings(classes: usize, per: usize) -> (Vec<u8>, Vec<u8>) {
        let (mut images, mut labels) = (Vec::new(), Vec::new());
        for k in 0..per {
            for c in 0..classes {
                let mut image = vec![0u8; 784];
                image[(3 + 6 * (k % 4)) * 28 + 3 + 6 * (k / 4) + c] = 200;
                images.extend(image);
                labels.push(c as u8);
            }
        }
        (images, labels)
    }

    #[test]
    fn drawings_become_a_shifted_training_set_and_an_unshifted_test_set() {
        let (images, labels) = drawings(3, 8);
        let d = dataset("Your drawings", names(3), &images, &labels, 0).unwrap();
        assert_eq!(d.test.len(), 3, "one of each class's 8 held out");
        assert_eq!(d.train.len(), 3 * 7 * 25);
        assert_eq!(d.train.class_counts(), [175; 3]);
        for t in 0..d.test.len() {
            let held = d.test.image(t);
            assert!(images.chunks(784).any(|i| i == held), "tested as drawn");
            assert!(
                (0..d.train.len())
                    .filter(|&i| d.train.labels[i] == d.test.labels[t])
                    .all(|i| d.train.image(i) != held),
                "a held-out drawing is never learnt, shifted or not"
            );
        }
        // Each learnt drawing comes as itself, then its 24 shifts, each keeping all its ink.
        let first = d.train.image(0);
        let ink = |image: &[u8]| image.iter().map(|&v| v as u32).sum::<u32>();
        assert!(images.chunks(784).any(|i| i == first));
        assert!((1..25).all(|i| ink(d.train.image(i)) == 200 && d.train.image(i) != first));
        assert!(d.about().test_note().contains("seeded split"));
    }

    #[test]
    fn too_few_drawings_or_classes_are_refused_in_words() {
        let (images, labels) = drawings(3, 2);
        let e = dataset("d", names(3), &images, &labels, 0).unwrap_err();
        assert!(e.to_string().contains("at least 3 of each"), "{e}");
        assert!(e.to_string().contains("“circle” has 2"), "{e}");
        let (images, labels) = drawings(1, 5);
        let e = dataset("d", names(1), &images, &labels, 0).unwrap_err();
        assert!(e.to_string().contains("name 2 to 10"), "{e}");
        let (images, labels) = drawings(2, 4);
        let twins = vec!["o".to_string(), " o".to_string()];
        let e = dataset("d", twins, &images, &labels, 0).unwrap_err();
        assert!(e.to_string().contains("two classes are named"), "{e}");
        let e = dataset("d", names(2), &images[1..], &labels, 0).unwrap_err();
        assert!(e.to_string().contains("image bytes"), "{e}");
        let mut bad = labels.clone();
        bad[0] = 2;
        let e = dataset("d", names(2), &images, &bad, 0).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
    }
}
