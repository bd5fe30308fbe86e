//! Every dataset format the playground reads, from the fixtures `scripts/data_fixtures.py`
//! writes (tests/fixtures/data/): the readers that take bytes run natively and in the browser
//! (the page's worker calls the same), the folder and file-system ones natively. Each pixel is
//! checked against `pixel()`, the script's own rule; each hostile variant must be refused or
//! skipped in words.

use cnn_playground::data::cifar::Cifar;
use cnn_playground::data::idx::read_set;
use cnn_playground::data::{Dataset, Examples, TestSplit};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The value of one pixel, as `scripts/data_fixtures.py` draws it.
fn pixel(label: usize, index: usize, channel: usize, y: usize, x: usize) -> u8 {
    ((label * 80 + channel * 40 + ((y + index) / (label + 1) % 2) * 100 + x * 3) % 256) as u8
}

/// Whether example `at` of `split` is image `index` of class `label` as the script drew it.
fn drawn(split: &Examples, at: usize, label: usize, index: usize) -> bool {
    drawn_as(split, at, label, label, index)
}

/// Whether example `at` of `split`, labelled `label`, is image `index` drawn as class `drawn`.
fn drawn_as(split: &Examples, at: usize, label: usize, drawn: usize, index: usize) -> bool {
    let s = split.shape;
    let image = split.image(at);
    split.labels[at] as usize == label
        && (0..s.channels).all(|c| {
            (0..s.height).all(|y| {
                (0..s.width).all(|x| {
                    image[(c * s.height + y) * s.width + x] == pixel(drawn, index, c, y, x)
                })
            })
        })
}

macro_rules! fixture {
    ($path:literal) => {
        (
            $path.rsplit('/').next().unwrap().to_string(),
            include_bytes!(concat!("fixtures/data/", $path)).to_vec(),
        )
    };
}

fn cifar(name: &str, bytes: &[u8], piece: usize) -> cnn_playground::error::Result<Dataset> {
    let mut c = Cifar::new(name);
    for chunk in bytes.chunks(piece) {
        c.push(chunk)?;
    }
    c.finish()
}

#[test]
fn an_idx_set_reads_gzipped_and_plain_files_alike() {
    let files = [
        fixture!("idx/train-images-idx3-ubyte.gz"),
        fixture!("idx/train-labels-idx1-ubyte.gz"),
        fixture!("idx/t10k-images-idx3-ubyte"),
        fixture!("idx/t10k-labels-idx1-ubyte"),
    ];
    let d = read_set("idx", "fixtures", &files, 0).unwrap();
    assert_eq!(d.shape().dims(), [1, 10, 12], "rows, then columns");
    assert_eq!(
        (d.train.len(), d.test.len(), d.classes.clone()),
        (30, 9, vec!["0".into(), "1".into(), "2".into()])
    );
    assert_eq!(d.split, TestSplit::Official);
    assert!((0..30).all(|i| drawn(&d.train, i, i % 3, i)));
    assert!((0..9).all(|i| drawn(&d.test, i, i % 3, i)));
    // Without the test files, a seeded seventh of each class is held out.
    let d = read_set("idx", "fixtures", &files[..2], 0).unwrap();
    assert_eq!((d.train.len(), d.test.len()), (27, 3));
    assert!(d.about().test_note().contains("not an official test set"));
}

#[test]
fn emnist_is_read_as_torchvision_reads_it() {
    let files = [
        fixture!("emnist/emnist-letters-train-images-idx3-ubyte.gz"),
        fixture!("emnist/emnist-letters-train-labels-idx1-ubyte.gz"),
        fixture!("emnist/emnist-letters-mapping.txt"),
    ];
    let d = read_set("emnist", "fixtures", &files, 0).unwrap();
    // Labels 1–3 named by the mapping; class 0 has no images and is left out, in words.
    assert_eq!(d.classes, ["A", "B", "C"]);
    assert!(
        d.skipped[0].contains("label 0, which no image has"),
        "{:?}",
        d.skipped
    );
    // Transposed back: the first training image (of the shuffled split's order) is upright.
    let all = Examples::new(
        [d.train.images.clone(), d.test.images.clone()].concat(),
        [d.train.labels.clone(), d.test.labels.clone()].concat(),
        d.shape(),
        3,
    )
    .unwrap();
    assert_eq!(d.shape().dims(), [1, 10, 12]);
    let upright = (0..all.len())
        .filter(|&i| (0..21).any(|k| drawn_as(&all, i, k % 3, 1 + k % 3, k)))
        .count();
    assert_eq!(upright, 21);
}

#[test]
fn cifar_archives_stream_in_any_pieces() {
    let (name, bytes) = fixture!("cifar-10-binary.tar.gz");
    for piece in [1, 333, 1 << 20] {
        let d = cifar(&name, &bytes, piece).unwrap();
        assert_eq!(
            (d.name.as_str(), d.shape().dims()),
            ("CIFAR-10", [3, 32, 32])
        );
        assert_eq!(d.classes[0], "airplane");
        assert_eq!(d.classes[9], "truck");
        assert_eq!((d.train.len(), d.test.len()), (20, 10));
        // Batch b holds labels (2b + i) % 10, each image drawn with its index in its batch.
        for b in 1..=5 {
            for i in 0..4 {
                assert!(
                    drawn(&d.train, (b - 1) * 4 + i, (b * 2 + i) % 10, i),
                    "batch {b}, {i}"
                );
            }
        }
        assert!((0..10).all(|i| drawn(&d.test, i, i, i)));
    }
    let (name, bytes) = fixture!("cifar-100-binary.tar.gz");
    let d = cifar(&name, &bytes, 4096).unwrap();
    assert_eq!(
        (d.name.as_str(), d.classes.len(), d.classes[42].as_str()),
        ("CIFAR-100", 100, "fine42")
    );
    assert_eq!((d.train.len(), d.test.len()), (100, 7));
    assert!(
        (0..100).all(|i| drawn(&d.train, i, i, i)),
        "the fine labels are used"
    );
}

#[test]
fn bad_cifar_archives_are_refused_in_words() {
    let cases = [
        (
            fixture!("hostile/not-cifar.tar.gz"),
            "its first files are 'photos/notes.txt'",
        ),
        (fixture!("hostile/cifar-bad-label.tar.gz"), "label is 12"),
        (
            fixture!("hostile/cifar-ragged.tar.gz"),
            "not a whole number of 3073-byte records",
        ),
        (fixture!("hostile/cifar-cut.tar.gz"), "cut short"),
        (fixture!("hostile/plain.tar.gz"), "not a readable gzip file"),
        (
            fixture!("idx/train-images-idx3-ubyte.gz"),
            "not a tar archive",
        ),
    ];
    for ((name, bytes), says) in cases {
        let e = cifar(&name, &bytes, 1000).unwrap_err().to_string();
        assert!(e.contains(says), "{name}: {e}");
    }
}

#[test]
fn an_idx_set_with_splits_of_two_shapes_is_refused() {
    let files = [
        fixture!("hostile/idx-mismatch/train-images-idx3-ubyte"),
        fixture!("hostile/idx-mismatch/train-labels-idx1-ubyte"),
        fixture!("hostile/idx-mismatch/t10k-images-idx3-ubyte"),
        fixture!("hostile/idx-mismatch/t10k-labels-idx1-ubyte"),
    ];
    let e = read_set("m", "fixtures", &files, 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the training images are 1×10×12 but the test images 1×12×10"),
        "{e}"
    );
    let e = read_set("m", "fixtures", &files[2..], 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("needs at least its training images and labels"),
        "{e}"
    );
}

/// Folders and zips, read from the file system with the `image` crate as the CLI reads them.
#[cfg(not(target_arch = "wasm32"))]
mod files {
    use super::*;
    use cnn_playground::data::local::load;

    fn path(p: &str) -> String {
        format!("{}/tests/fixtures/data/{p}", env!("CARGO_MANIFEST_DIR"))
    }

    /// Every example of both splits as (label, pixels), sorted.
    fn all(d: &Dataset) -> Vec<(u8, Vec<u8>)> {
        let mut v: Vec<_> = [&d.train, &d.test]
            .iter()
            .flat_map(|s| (0..s.len()).map(|i| (s.labels[i], s.image(i).to_vec())))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_folder_of_class_folders_and_its_zip_give_the_same_dataset() {
        let folder = load(&path("shapes")).unwrap();
        assert_eq!(folder.classes, ["circle", "cross", "line"]);
        assert_eq!(
            folder.shape().dims(),
            [3, 16, 16],
            "colour, at the images' own size"
        );
        // 7 PNGs a class, a JPEG in cross/ and a WebP in line/; circle/broken.png is skipped.
        assert_eq!(folder.train.len() + folder.test.len(), 23);
        assert!(matches!(folder.split, TestSplit::Seeded { of: 23, .. }));
        let skipped = folder.skipped.join("; ");
        assert!(
            skipped.contains("1 file that is not an image in a class folder"),
            "{skipped}"
        );
        assert!(
            skipped.contains("1 file that could not be read as an image"),
            "{skipped}"
        );
        // The PNGs are exact; the WebP is lossless.
        let png = |d: &Dataset, label, i| {
            [&d.train, &d.test]
                .iter()
                .any(|s| (0..s.len()).any(|k| drawn(s, k, label, i)))
        };
        assert!((0..7).all(|i| png(&folder, 0, i) && png(&folder, 2, i)));
        assert!(png(&folder, 2, 7), "the WebP");
        let zip = load(&path("shapes.zip")).unwrap();
        assert_eq!(all(&zip), all(&folder));
        assert_eq!(
            (zip.name.as_str(), zip.classes.clone()),
            ("shapes", folder.classes.clone())
        );
        let skipped = zip.skipped.join("; ");
        assert!(
            skipped.contains("1 file with a name that reaches outside the folder"),
            "{skipped}"
        );
    }

    #[test]
    fn a_folder_with_train_and_test_keeps_its_split_and_gray_stays_gray() {
        let d = load(&path("split")).unwrap();
        assert_eq!(d.shape().dims(), [1, 12, 20]);
        assert_eq!(
            (d.train.len(), d.test.len(), d.split.clone()),
            (10, 4, TestSplit::Official)
        );
        assert!(drawn(&d.test, 0, 0, 0));
    }

    #[test]
    fn mixed_sizes_and_modes_become_one_shape() {
        let d = load(&path("hostile/mixed")).unwrap();
        assert_eq!(d.shape().dims(), [3, 32, 32]);
        assert_eq!(d.train.len() + d.test.len(), 4);
    }

    #[test]
    fn bad_folders_and_zips_are_refused_or_skipped_in_words() {
        let e = load(&path("hostile/one-class")).unwrap_err().to_string();
        assert!(e.contains("one class folder ('cats')"), "{e}");
        let bomb = load(&path("hostile/bomb.zip")).unwrap();
        let skipped = bomb.skipped.join("; ");
        assert!(
            skipped.contains("'bomb/a/big.png' in the zip archive is 256 MB once inflated"),
            "{skipped}"
        );
        let liar = load(&path("hostile/liar.zip")).unwrap();
        let skipped = liar.skipped.join("; ");
        assert!(
            skipped.contains("inflates to 101 or more bytes, but the archive says 100"),
            "{skipped}"
        );
        let e = load(&path("nowhere")).unwrap_err().to_string();
        assert!(e.contains("nowhere"), "{e}");
        let e = load(&path("idx/t10k-labels-idx1-ubyte"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a dataset here"), "{e}");
    }

    #[test]
    fn the_built_in_datasets_are_found_by_name() {
        let mnist = load("mnist").unwrap();
        assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
        assert_eq!(
            mnist.shape().dims(),
            cnn_playground::data::builtin::MNIST.shape
        );
    }
}

/// The page's worker's side: a reader of the user's files, swapped into a session whole; a
/// reader that fails leaves the session's dataset and model as they were.
#[cfg(target_arch = "wasm32")]
mod page {
    use cnn_playground::wasm::dataset::{dataset_kind, DatasetReader};
    use cnn_playground::wasm::session::Session;
    use wasm_bindgen::JsValue;

    /// The class probabilities `predict` resolves to.
    async fn predict(s: &mut Session, pixels: &[f32]) -> Vec<f32> {
        let promise = s.predict(pixels).unwrap();
        let resolved = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
        js_sys::Float32Array::from(resolved).to_vec()
    }

    fn reader_of(name: &str, bytes: &[u8]) -> DatasetReader {
        let mut r = DatasetReader::cifar(name);
        for piece in bytes.chunks(1000) {
            r.push(piece).unwrap();
        }
        r
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn a_cifar_archive_becomes_the_sessions_dataset_and_the_model_is_fitted_to_it() {
        let (name, bytes) = fixture!("cifar-10-binary.tar.gz");
        assert_eq!(dataset_kind(vec![name.clone()]), "cifar");
        let mut s = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
        let mut r = reader_of(&name, &bytes);
        r.finish().unwrap();
        assert!(
            s.use_dataset(&mut r, 1).unwrap(),
            "MNIST's network cannot take 3×32×32"
        );
        assert_eq!((s.examples("train"), s.examples("test")), (20, 10));
        assert_eq!(s.test_image(0).unwrap().len(), 3 * 32 * 32);
        let p = predict(&mut s, &vec![0.5; 3 * 32 * 32]).await;
        assert_eq!(p.len(), 10);
        // Kept as one file, read back as the same dataset.
        let file = s.dataset_file().unwrap();
        let mut again = DatasetReader::stored(&file).unwrap();
        again.finish().unwrap();
        assert!(
            !s.use_dataset(&mut again, 1).unwrap(),
            "the model fits: it stays"
        );
        assert_eq!(s.examples("train"), 20);
    }

    /// The built-in datasets' gzip files inflated as they stream in, in pieces of any size, to
    /// the bytes the CLI reads; a damaged or cut file is refused in words.
    #[wasm_bindgen_test::wasm_bindgen_test]
    fn gzip_files_inflate_in_pieces_as_the_cli_reads_them() {
        use cnn_playground::io::inflate::gunzip;
        use cnn_playground::wasm::inflate::Gunzip;
        let (name, bytes) = fixture!("idx/train-images-idx3-ubyte.gz");
        let whole = gunzip(&bytes, 1 << 20, &name).unwrap();
        let message = |e: JsValue| js_sys::Error::from(e).message().as_string().unwrap();
        for piece in [1, 7, 1000, bytes.len()] {
            let mut g = Gunzip::new(&name);
            let mut out = Vec::new();
            for p in bytes.chunks(piece) {
                out.extend(g.push(p).unwrap());
            }
            out.extend(g.finish().unwrap());
            assert_eq!(out, whole, "pieces of {piece}");
            assert!(message(g.push(&[0]).unwrap_err()).contains("already ended"));
        }
        let mut cut = Gunzip::new(&name);
        cut.push(&bytes[..bytes.len() / 2]).unwrap();
        assert!(message(cut.finish().unwrap_err()).contains("cut short"));
        let mut damaged = Gunzip::new("x.gz");
        let refused = damaged.push(b"\x1f\x8b\x08\x00not deflate at all, not at all");
        let refused = refused.and_then(|_| damaged.finish());
        assert!(message(refused.unwrap_err()).starts_with("x.gz"));
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn a_reader_that_fails_changes_nothing() {
        let mut s = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
        let params = s.num_params();
        let (name, bytes) = fixture!("hostile/not-cifar.tar.gz");
        let mut r = DatasetReader::cifar(&name);
        let failed = bytes.chunks(1000).map(|p| r.push(p)).find(|r| r.is_err());
        assert!(failed.is_some() || r.finish().is_err());
        assert!(
            s.use_dataset(&mut r, 0).is_err(),
            "an unfinished reader is refused"
        );
        assert_eq!((s.num_params(), s.examples("train")), (params, 0));
        // A folder of one class is refused before any image is read.
        let one = vec!["cats/1.png".to_string(), "cats/2.png".to_string()];
        assert!(DatasetReader::folder("x", one, 0, 0).is_err());
        // Images the browser decoded: a folder of two classes, one image it could not.
        let paths = ["a/1.png", "a/2.png", "b/3.png", "b/4.png", "b/5.png"];
        let mut f = DatasetReader::folder("x", paths.map(String::from).to_vec(), 0, 0).unwrap();
        assert_eq!(f.images(), [0, 1, 2, 3, 4]);
        for i in 0..4 {
            f.add_image(i, vec![(i * 40) as u8; 12 * 10 * 4], 12, 10)
                .unwrap();
        }
        f.skip_image(4, "not an image the browser can decode")
            .unwrap();
        assert!(f.add_image(9, vec![0; 4], 1, 1).is_err(), "no image 9");
        let about = f.finish().unwrap();
        let skipped = js_sys::Reflect::get(&about, &"skipped".into()).unwrap();
        assert!(format!("{skipped:?}").contains("'b/5.png': not an image the browser can decode"));
        s.use_dataset(&mut f, 0).unwrap();
        assert_eq!(s.examples("train") + s.examples("test"), 4);
    }

    /// A drawing of `shape` (0: a ring, 1: a cross, 2: a line) as the page prepares one: white
    /// ink on black, 28×28 bytes; `k` moves and sizes it a little.
    fn drawing(shape: usize, k: usize) -> Vec<u8> {
        let (cx, cy) = (14.0 + (k % 3) as f32 - 1.0, 14.0 + (k % 4) as f32 - 1.5);
        let r = 7.0 + (k % 5) as f32 * 0.5;
        let mut image = vec![0u8; 784];
        for y in 0..28 {
            for x in 0..28 {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let ink = match shape {
                    0 => ((dx * dx + dy * dy).sqrt() - r).abs() < 1.5,
                    1 => (dx.abs() - dy.abs()).abs() < 1.5 && dx.abs() < r,
                    _ => dy.abs() < 1.5 && dx.abs() < r,
                };
                if ink {
                    image[y * 28 + x] = 255;
                }
            }
        }
        image
    }

    fn drawings(per: usize) -> (Vec<u8>, Vec<u8>) {
        let (mut images, mut labels) = (Vec::new(), Vec::new());
        for k in 0..per {
            for c in 0..3 {
                images.extend(drawing(c, k));
                labels.push(c as u8);
            }
        }
        (images, labels)
    }

    fn classes() -> Vec<String> {
        ["circle", "cross", "line"].map(String::from).to_vec()
    }

    fn best(p: &[f32]) -> usize {
        (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap()
    }

    fn to_input(image: &[u8]) -> Vec<f32> {
        image.iter().map(|&v| v as f32 / 255.0).collect()
    }

    /// Trains a few epochs of the drawings.
    fn train_epochs(s: &mut Session, epochs: usize) {
        for _ in 0..epochs {
            // The CPU's steps are done when train returns.
            let _done = s.train(100).unwrap();
            s.report().unwrap();
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn classes_drawn_in_the_page_are_learnt_from_scratch_or_by_fine_tuning() {
        let (images, labels) = drawings(8);
        for fine_tune in [false, true] {
            let mut s = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
            let before = s.param("conv1.weight").unwrap().data();
            let mut r = DatasetReader::drawn("Your drawings", classes(), &images, &labels).unwrap();
            let taken = s.teach(&mut r, fine_tune, 3).unwrap();
            assert_eq!((s.examples("train"), s.examples("test")), (3 * 7 * 25, 3));
            assert_eq!(predict(&mut s, &to_input(&drawing(0, 0))).await.len(), 3);
            let kept = s.param("conv1.weight").unwrap().data() == before;
            match fine_tune {
                true => assert_eq!(
                    (taken, kept),
                    (vec!["conv1".into(), "conv2".into(), "fc1".into()], true)
                ),
                false => assert!(taken.is_empty() && !kept),
            }
            let story = format!("{:?}", s.history().unwrap());
            assert_eq!(
                story.contains("a model trained on") || story.contains("an untrained model"),
                fine_tune,
                "{story}"
            );
            train_epochs(&mut s, 12);
            for t in 0..3 {
                let image = to_input(&s.test_image(t).unwrap());
                let p = predict(&mut s, &image).await;
                assert_eq!(
                    best(&p),
                    s.test_label(t).unwrap() as usize,
                    "held-out drawing {t}, fine-tuned: {fine_tune}"
                );
            }
            // New drawings, at places and sizes it has not seen.
            for c in 0..3 {
                let p = predict(&mut s, &to_input(&drawing(c, 11))).await;
                assert_eq!(
                    best(&p),
                    c,
                    "a new drawing of class {c}, fine-tuned: {fine_tune}"
                );
            }
        }
        let mut s = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
        let (few, few_labels) = drawings(2);
        let refused = DatasetReader::drawn("d", classes(), &few, &few_labels);
        assert!(refused.is_err(), "two of each: none to test on");
        let mut r = DatasetReader::drawn("d", classes(), &images, &labels).unwrap();
        r.finish().unwrap();
        s.teach(&mut r, false, 0).unwrap();
        assert!(s.teach(&mut r, false, 0).is_err(), "a reader is used once");
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn a_correction_changes_the_models_mind_about_that_drawing() {
        let (images, labels) = drawings(8);
        let mut s = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
        let mut r = DatasetReader::drawn("Your drawings", classes(), &images, &labels).unwrap();
        s.teach(&mut r, false, 1).unwrap();
        train_epochs(&mut s, 4);
        let odd = to_input(&drawing(0, 13));
        let said = best(&predict(&mut s, &odd).await);
        let truth = (said + 1) % 3;
        let steps_before = s.history().unwrap();
        let answer = s.correct(&odd, truth as u32).unwrap();
        let field = |name: &str| js_sys::Reflect::get(&answer, &name.into()).unwrap();
        assert_eq!(field("learnt").as_bool(), Some(true), "{answer:?}");
        assert_eq!(field("corrections").as_f64(), Some(1.0));
        assert_eq!(
            best(&predict(&mut s, &odd).await),
            truth,
            "the model's mind changed"
        );
        assert_eq!(s.corrections(), 1);
        let story = s.history().unwrap();
        let number = |h: &JsValue, f: &str| {
            js_sys::Reflect::get(h, &f.into())
                .unwrap()
                .as_f64()
                .unwrap()
        };
        assert_eq!(number(&story, "corrections"), 1.0);
        assert!(number(&story, "steps") > number(&steps_before, "steps"));
        // Refused in words: the wrong size, a class it does not have; nothing is added.
        assert!(s.correct(&odd[1..], 0).is_err());
        assert!(s.correct(&odd, 3).is_err());
        assert_eq!(s.corrections(), 1);
        // The run goes on afterwards, with its settings.
        train_epochs(&mut s, 1);
    }
}
