//! A folder (or a .zip) of class folders, torchvision's `ImageFolder` layout:
//! `root/<class>/<image>`, or `root/train/<class>/<image>` and `root/test/<class>/<image>`.
//! [`plan`] reads the layout from the files' paths alone; the images, decoded by whoever can
//! (the browser in the page, the `image` crate natively), are then given to a [`FolderReader`],
//! which fits each to the dataset's size ([`crate::image::resize::fit`]) as it comes.

use super::dataset::{
    Dataset, Examples, ImageShape, TestSplit, MAX_BYTES, MAX_CLASSES, SIDES, TEST_SHARE,
};
use crate::error::{quote, Error, Result};
use crate::image::resize::fit;
use crate::image::Image;

/// The most images read from a folder: decoding more would take the page minutes.
pub const MAX_IMAGES: usize = 50_000;
/// The side images are made when they do not share one of at most [`SIDES`]'s end.
pub const DEFAULT_SIDE: usize = 32;
/// The files taken as images, by extension.
pub const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "webp"];

/// One image file of the plan: its index among the paths given, its class and split.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub path: usize,
    /// Its path, for messages.
    pub name: String,
    pub class: u8,
    pub test: bool,
}

/// The layout found: the classes (sorted by name, as torchvision numbers them), each image's
/// class and split, and what was left out.
#[derive(Clone, Debug)]
pub struct Plan {
    pub name: String,
    pub classes: Vec<String>,
    pub images: Vec<Planned>,
    /// Whether the folder has its own `train/` and `test/`.
    pub own_split: bool,
    pub skipped: Vec<String>,
}

/// A zip's dataset name: its file name without `.zip`.
pub fn zip_name(file: &str) -> &str {
    file.trim_end_matches(".zip").trim_end_matches(".ZIP")
}

fn is_image(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    ext.is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// A path's parts, or None when it plays tricks (`..`, an absolute path, a drive, control
/// characters) or is hidden or the Mac's (`.DS_Store`, `__MACOSX/`).
fn parts(path: &str) -> std::result::Result<Vec<&str>, &'static str> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let tricky = path.starts_with(['/', '\\'])
        || path.chars().any(char::is_control)
        || parts
            .iter()
            .any(|p| *p == ".." || *p == "." || p.contains(':'));
    if tricky {
        return Err("trick");
    }
    if parts.iter().any(|p| p.starts_with('.') || *p == "__MACOSX") {
        return Err("hidden");
    }
    Ok(parts)
}

fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Finds the classes of a folder from its files' paths (relative to where it was chosen, or a
/// zip's names). `name` names the dataset.
pub fn plan(name: &str, paths: &[&str]) -> Result<Plan> {
    let (mut tricks, mut others) = (0, 0);
    let mut images: Vec<(usize, Vec<&str>)> = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        match parts(path) {
            Err("trick") => tricks += 1,
            Err(_) => {}
            Ok(p) if is_image(path) && p.len() >= 2 => images.push((i, p)),
            Ok(_) => others += 1,
        }
    }
    if images.is_empty() {
        return Err(Error::Invalid(format!(
            "no class folders found: {} files, none an image in a folder. A dataset folder \
             holds one folder of images (.png, .jpg, .webp) per class",
            paths.len()
        )));
    }
    if images.len() > MAX_IMAGES {
        return Err(Error::Invalid(format!(
            "the folder holds {} images; at most {} are read from a folder: choose fewer",
            images.len(),
            MAX_IMAGES
        )));
    }
    // The root: the deepest folder shared by every image under which the layout holds.
    let shared = images.first().map_or(0, |(_, first)| {
        let dirs = &first[..first.len() - 1];
        (0..dirs.len())
            .take_while(|&k| {
                images
                    .iter()
                    .all(|(_, p)| p.len() > k + 1 && p[k] == dirs[k])
            })
            .count()
    });
    let is_split = |s: &str| ["train", "test"].contains(&s.to_ascii_lowercase().as_str());
    let layout = (0..=shared).rev().find_map(|root| {
        let split = images
            .iter()
            .all(|(_, p)| p.len() == root + 3 && is_split(p[root]));
        let flat = images.iter().all(|(_, p)| p.len() == root + 2);
        (split || flat).then_some((root, split))
    });
    let Some((root, own_split)) = layout else {
        return Err(Error::Invalid(
            "no class folders found: a dataset folder holds one folder of images per class \
             (root/<class>/<image>.png), or train/ and test/ each holding them"
                .into(),
        ));
    };
    let class_of = |p: &[&str]| p[root + own_split as usize].to_string();
    let mut classes: Vec<String> = images.iter().map(|(_, p)| class_of(p)).collect();
    classes.sort();
    classes.dedup();
    if classes.len() > MAX_CLASSES {
        return Err(Error::Invalid(format!(
            "{} class folders; at most {MAX_CLASSES} classes",
            classes.len()
        )));
    }
    if classes.len() < 2 {
        return Err(Error::Invalid(format!(
            "one class folder ({}): a dataset needs at least two classes, a folder of images for each",
            classes.first().map_or("none".into(), |c| quote(c))
        )));
    }
    let planned = images
        .iter()
        .map(|(i, p)| Planned {
            path: *i,
            name: paths[*i].to_string(),
            class: classes.binary_search(&class_of(p)).expect("listed") as u8,
            test: own_split && p[root].eq_ignore_ascii_case("test"),
        })
        .collect();
    let mut skipped = Vec::new();
    if others > 0 {
        skipped.push(counted(
            others,
            "file that is not an image in a class folder",
            "files that are not images in class folders",
        ));
    }
    if tricks > 0 {
        skipped.push(counted(
            tricks,
            "file with a name that reaches outside the folder",
            "files with names that reach outside the folder",
        ));
    }
    let name = match root {
        0 => name.to_string(),
        _ => images[0].1[root - 1].to_string(),
    };
    Ok(Plan {
        name,
        classes,
        images: planned,
        own_split,
        skipped,
    })
}

/// The images of a plan as they are decoded. Until the size is known, each is kept at its own
/// size if that is at most 64 px a side and every image so far shares it; the first that does
/// not fit makes the size the default (32×32) and the kept ones are fitted to it.
pub struct FolderReader {
    plan: Plan,
    size: Option<(usize, usize)>,
    /// Each image kept, RGB, with its label and split.
    kept: Vec<(Vec<u8>, u8, bool)>,
    /// The size of every image kept while they share one.
    own: Option<(usize, usize)>,
    colour: bool,
    unreadable: usize,
    first_unreadable: Option<String>,
    bytes: usize,
}

impl FolderReader {
    /// `size` (width, height) fits every image to it; None: the images' own size when they
    /// share one within the limits, else the default.
    pub fn new(plan: Plan, size: Option<(usize, usize)>) -> Result<Self> {
        if let Some((w, h)) = size {
            ImageShape::new(3, h, w)?;
        }
        Ok(FolderReader {
            kept: Vec::with_capacity(plan.images.len()),
            plan,
            size,
            own: None,
            colour: false,
            unreadable: 0,
            first_unreadable: None,
            bytes: 0,
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan's image `index` decoded, or why it could not be: it is skipped and counted.
    pub fn add(&mut self, index: usize, image: Result<Image>) -> Result<()> {
        let planned = self.plan.images.get(index).cloned().ok_or_else(|| {
            Error::Invalid(format!(
                "no image {index} in a plan of {}",
                self.plan.images.len()
            ))
        })?;
        let image = match image {
            Ok(image) => image,
            Err(e) => {
                self.unreadable += 1;
                self.first_unreadable.get_or_insert(e.reason());
                return Ok(());
            }
        };
        let rgb = to_rgb(&image);
        self.colour |= rgb.1;
        let rgb = rgb.0;
        let (w, h) = (rgb.width, rgb.height);
        let fitted = match self.size {
            Some((tw, th)) => fit(&rgb, tw, th),
            None if self.own.is_none_or(|own| own == (w, h))
                && SIDES.contains(&w)
                && SIDES.contains(&h) =>
            {
                self.own = Some((w, h));
                rgb
            }
            None => {
                self.settle((DEFAULT_SIDE, DEFAULT_SIDE));
                fit(&rgb, DEFAULT_SIDE, DEFAULT_SIDE)
            }
        };
        self.bytes += fitted.pixels.len();
        if self.bytes > MAX_BYTES {
            return Err(Error::Invalid(format!(
                "the folder's images come to more than {} MB at this size: choose a smaller size or fewer images",
                MAX_BYTES >> 20
            )));
        }
        self.kept.push((fitted.pixels, planned.class, planned.test));
        Ok(())
    }

    /// The size is `size` from now on: images kept at their own size are fitted to it.
    fn settle(&mut self, size: (usize, usize)) {
        if let Some((w, h)) = self.own.take() {
            for (pixels, _, _) in &mut self.kept {
                let img = Image::new(w, h, 3, std::mem::take(pixels)).expect("kept as RGB");
                *pixels = fit(&img, size.0, size.1).pixels;
            }
            self.bytes = self.kept.len() * size.0 * size.1 * 3;
        }
        self.size = Some(size);
    }

    /// The dataset: gray if no image had colour, its test split the folder's own or seeded.
    pub fn finish(self, source: &str, seed: u64) -> Result<Dataset> {
        let (w, h) = self.size.or(self.own).ok_or_else(|| {
            Error::Invalid(match &self.first_unreadable {
                Some(why) => format!("none of the folder's images could be read ({why})"),
                None => "the folder has no images".into(),
            })
        })?;
        let channels = if self.colour { 3 } else { 1 };
        let shape = ImageShape::new(channels, h, w)?;
        let classes = self.plan.classes.len();
        let mut train = Examples::empty(shape, classes);
        let mut test = Examples::empty(shape, classes);
        for (pixels, label, is_test) in self.kept {
            let planes = chw(&pixels, w * h, channels);
            let split = if is_test { &mut test } else { &mut train };
            split.extend(&planes, &[label])?;
        }
        let mut skipped = self.plan.skipped;
        if self.unreadable > 0 {
            skipped.push(format!(
                "{} (the first: {})",
                counted(
                    self.unreadable,
                    "file that could not be read as an image",
                    "files that could not be read as images"
                ),
                self.first_unreadable.unwrap_or_default()
            ));
        }
        let (train, test, split) = if self.plan.own_split {
            (train, test, TestSplit::Official)
        } else {
            Dataset::split(&train, TEST_SHARE, seed)
        };
        let mut d = Dataset::new(
            self.plan.name,
            source,
            self.plan.classes,
            train,
            test,
            split,
        )?;
        d.skipped = skipped;
        Ok(d)
    }
}

/// An image as RGB (alpha dropped, as PIL's `convert('RGB')`), and whether it has colour.
fn to_rgb(image: &Image) -> (Image, bool) {
    let c = image.channels;
    let mut colour = false;
    let mut pixels = Vec::with_capacity(image.width * image.height * 3);
    for px in image.pixels.chunks_exact(c) {
        let rgb = if c >= 3 {
            [px[0], px[1], px[2]]
        } else {
            [px[0]; 3]
        };
        colour |= rgb[0] != rgb[1] || rgb[1] != rgb[2];
        pixels.extend_from_slice(&rgb);
    }
    let rgb = Image {
        width: image.width,
        height: image.height,
        channels: 3,
        pixels,
    };
    (rgb, colour)
}

/// Interleaved RGB pixels as `channels` planes (the first only, for gray).
fn chw(rgb: &[u8], len: usize, channels: usize) -> Vec<u8> {
    (0..channels)
        .flat_map(|c| (0..len).map(move |i| rgb[i * 3 + c]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_found_under_any_root_and_tricks_are_left_out() {
        let paths = [
            "photos/pets/dog/1.png",
            "photos/pets/cat/2.JPG",
            "photos/pets/cat/notes.txt",
            "photos/pets/.DS_Store",
            "photos/pets/../../etc/passwd.png",
            "__MACOSX/photos/pets/cat/._2.JPG",
        ];
        let p = plan("upload", &paths).unwrap();
        assert_eq!(
            (p.name.as_str(), p.classes.clone()),
            ("pets", vec!["cat".into(), "dog".into()])
        );
        let found: Vec<_> = p.images.iter().map(|i| (i.path, i.class)).collect();
        assert_eq!(found, [(0, 1), (1, 0)]);
        assert!(!p.own_split);
        assert_eq!(p.skipped.len(), 2, "{:?}", p.skipped);
        let split = plan("x", &["train/a/1.png", "Test/a/2.png", "train/b/3.webp"]).unwrap();
        assert!(split.own_split);
        assert_eq!(
            split.images.iter().map(|i| i.test).collect::<Vec<_>>(),
            [false, true, false]
        );
    }

    #[test]
    fn too_many_images_or_too_few_classes_are_refused_before_any_is_read() {
        let paths: Vec<String> = (0..=200_000)
            .map(|i| format!("d/c{}/{i}.png", i % 2))
            .collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let e = plan("d", &refs).unwrap_err().to_string();
        assert!(e.contains("200001 images; at most 50000"), "{e}");
        let e = plan("d", &["cats/1.png", "cats/2.png"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("one class folder ('cats')"), "{e}");
        let e = plan("d", &["1.png", "2.png"]).unwrap_err().to_string();
        assert!(e.contains("no class folders"), "{e}");
    }

    #[test]
    fn images_keep_their_shared_size_until_one_differs() {
        let p = plan(
            "d",
            &[
                "a/1.png", "b/2.png", "a/3.png", "b/4.png", "a/5.png", "b/6.png",
            ],
        )
        .unwrap();
        let gray = |w, h, v| Ok(Image::new(w, h, 1, vec![v; w * h]).unwrap());
        let mut r = FolderReader::new(p.clone(), None).unwrap();
        for i in 0..6 {
            r.add(i, gray(12, 10, i as u8 * 10)).unwrap();
        }
        let d = r.finish("here", 0).unwrap();
        assert_eq!(d.shape().dims(), [1, 10, 12]);
        let mut r = FolderReader::new(p, None).unwrap();
        r.add(0, gray(12, 10, 0)).unwrap();
        r.add(1, Err(Error::Format("broken".into()))).unwrap();
        r.add(2, Ok(Image::new(100, 80, 3, vec![9; 24_000]).unwrap()))
            .unwrap();
        for i in 3..6 {
            r.add(i, gray(12, 10, 1)).unwrap();
        }
        let d = r.finish("here", 0).unwrap();
        assert_eq!(
            d.shape().dims(),
            [1, DEFAULT_SIDE, DEFAULT_SIDE],
            "no colour seen"
        );
        assert_eq!(d.train.len() + d.test.len(), 5);
        assert!(
            d.skipped[0].contains("1 file that could not be read as an image"),
            "{:?}",
            d.skipped
        );
    }
}
