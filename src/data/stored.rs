//! A dataset as one file: safetensors of its images and labels (`train_images` (N,C,H,W) and
//! `train_labels` (N), `test_…` the same, all u8) with what it is ([`About`]) as JSON in the
//! metadata. The page keeps a dataset the user chose so, in the browser, and it reads in Python
//! with `safetensors.numpy.load_file`.

use super::dataset::{About, Dataset, Examples};
use crate::error::{Error, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;

/// The metadata key of the dataset's [`About`].
const ABOUT: &str = "cnn_playground_dataset";
/// The largest header read: four tensors and an [`About`] of at most 256 class names.
const MAX_HEADER: u64 = 1 << 20;

/// The dataset as a safetensors file.
pub fn save(d: &Dataset) -> Vec<u8> {
    save_splits(&d.about(), &d.train, &d.test)
}

/// The dataset `about` says, its splits `train` and `test`, as a safetensors file; nothing is
/// copied but into the file.
pub fn save_splits(about: &About, train: &Examples, test: &Examples) -> Vec<u8> {
    let [c, h, w] = about.shape.dims();
    let views: Vec<(String, TensorView)> = [("train", train), ("test", test)]
        .into_iter()
        .flat_map(|(name, split)| {
            let n = split.len();
            [
                (
                    format!("{name}_images"),
                    TensorView::new(Dtype::U8, vec![n, c, h, w], &split.images),
                ),
                (
                    format!("{name}_labels"),
                    TensorView::new(Dtype::U8, vec![n], &split.labels),
                ),
            ]
        })
        .map(|(name, view)| (name, view.expect("sizes agree")))
        .collect();
    let about = serde_json::to_string(about).expect("an About serialises");
    let metadata = HashMap::from([(ABOUT.to_string(), about)]);
    safetensors::serialize(views, Some(metadata)).expect("a dataset serialises")
}

/// A dataset from a file [`save`] wrote; every size and label is checked as a fresh read checks
/// them.
pub fn load(bytes: &[u8]) -> Result<Dataset> {
    let bad = |why: String| Error::Format(format!("the stored dataset is damaged: {why}"));
    let header = bytes
        .get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8")));
    if header > MAX_HEADER {
        return Err(bad(format!("its header claims {header} bytes")));
    }
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
    let about = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(ABOUT))
        .ok_or_else(|| bad("it does not say what it is".into()))?;
    let about: About = serde_json::from_str(about).map_err(|e| bad(e.to_string()))?;
    about.check()?;
    let file = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
    let split = |name: &str| -> Result<Examples> {
        let get = |part: &str| {
            let t = file
                .tensor(&format!("{name}_{part}"))
                .map_err(|e| bad(e.to_string()))?;
            if t.dtype() != Dtype::U8 {
                return Err(bad(format!("{name}_{part} is not bytes")));
            }
            Ok(t)
        };
        let (images, labels) = (get("images")?, get("labels")?);
        let n = labels.shape().first().copied().unwrap_or(0);
        let dims = [
            n,
            about.shape.channels,
            about.shape.height,
            about.shape.width,
        ];
        if images.shape() != dims || labels.shape() != [n] {
            return Err(bad(format!("{name}'s images are {:?}", images.shape())));
        }
        Examples::new(
            images.data().to_vec(),
            labels.data().to_vec(),
            about.shape,
            about.classes.len(),
        )
    };
    let (train, test) = (split("train")?, split("test")?);
    let mut d = Dataset::new(
        about.name,
        about.source,
        about.classes,
        train,
        test,
        about.split,
    )?;
    d.skipped = about.skipped;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ImageShape, TestSplit};

    #[test]
    fn what_is_saved_loads_the_same_and_damage_is_refused() {
        let shape = ImageShape::new(3, 8, 9).unwrap();
        let images: Vec<u8> = (0..5 * shape.len()).map(|i| (i % 251) as u8).collect();
        let all = Examples::new(images, vec![0, 1, 2, 0, 1], shape, 3).unwrap();
        let (train, test, split) = Dataset::split(&all, 0.4, 1);
        let names = vec!["a".into(), "b".into(), "c".into()];
        let mut d = Dataset::new("mine", "drawn", names, train, test, split).unwrap();
        d.skipped = vec!["1 file".into()];
        let bytes = save(&d);
        let back = load(&bytes).unwrap();
        assert_eq!(back.about(), d.about());
        assert_eq!(
            (back.train.images, back.test.labels),
            (d.train.images, d.test.labels)
        );
        assert!(matches!(back.split, TestSplit::Seeded { seed: 1, of: 5 }));
        let mut cut = bytes.clone();
        cut.truncate(bytes.len() - 3);
        assert!(load(&cut).unwrap_err().to_string().contains("damaged"));
        assert!(load(b"nonsense").is_err());
    }
}
