//! The command line as a user meets it: every mistake (a bad option, a corrupt file, a file that
//! does not fit) exits non-zero with one line that starts with "error:" — never a panic.

use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cnn-playground"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("cnn-playground-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn assert_clean_error(args: &[&str], needle: &str) {
    let (ok, _, stderr) = run(args);
    assert!(!ok, "{args:?} should fail");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{args:?} panicked: {stderr}"
    );
    assert!(
        lines.first().is_some_and(|l| l.starts_with("error: ")),
        "{args:?}: {stderr}"
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: expected '{needle}' in: {stderr}"
    );
}

#[test]
fn every_command_says_what_it_takes() {
    for command in ["train", "eval", "export", "bench", "filter", "serve"] {
        let (ok, stdout, _) = run(&[command, "--help"]);
        assert!(ok, "{command} --help");
        assert!(
            stdout.contains(&format!("Usage: cnn-playground {command}")),
            "{command}: {stdout}"
        );
    }
    let (ok, stdout, _) = run(&["--help"]);
    assert!(ok && stdout.contains("serve"), "{stdout}");
}

#[test]
fn bad_arguments_are_one_line_errors() {
    assert_clean_error(
        &["train", "--epochs", "many"],
        "--epochs: cannot read 'many'",
    );
    assert_clean_error(&["train", "--colour", "blue"], "unknown option --colour");
    assert_clean_error(&["train", "--epochs"], "--epochs needs a value");
    assert_clean_error(&["train", "--recipe", "magic"], "--recipe");
    assert_clean_error(
        &["train", "--batch", "0", "--limit", "10"],
        "batch_size must be a whole number from 1 to 4096",
    );
    assert_clean_error(&["eval"], "--weights is required");
    assert_clean_error(&["fly"], "unknown command 'fly'");
    assert_clean_error(
        &["train", "--device", "tpu"],
        "--device: 'tpu' is not one of cpu, gpu",
    );
}

#[test]
fn corrupt_files_are_one_line_errors() {
    let dir = std::env::temp_dir().join(format!("cnn-playground-cli-idx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in cnn_playground::data::builtin::MNIST.files {
        std::fs::write(dir.join(name), b"\x00\x00\x08\x03\x00\x00\x00\x05").unwrap();
    }
    assert_clean_error(
        &["train", "--data", dir.to_str().unwrap()],
        "truncated header",
    );
    assert_clean_error(&["train", "--data", "/nonexistent"], "/nonexistent");
    let junk = tmp("junk.safetensors", b"this is not a checkpoint");
    assert_clean_error(
        &["eval", "--weights", &junk],
        "This is a text file, not a model.",
    );
    let kernel = tmp("bad.json", br#"{"kernel": [[1, 2], [3, 4]]}"#);
    let png = tmp("not.png", b"GIF89a");
    assert_clean_error(
        &[
            "filter",
            "--kernel",
            &kernel,
            "--input",
            &png,
            "--output",
            "/tmp/x.png",
        ],
        "odd size",
    );
    assert_clean_error(
        &[
            "filter",
            "--kernel",
            "mean",
            "--input",
            &png,
            "--output",
            "/tmp/x.png",
        ],
        "not a readable PNG",
    );
    assert_clean_error(
        &[
            "filter",
            "--kernel",
            "blur9",
            "--input",
            &png,
            "--output",
            "/tmp/x.png",
        ],
        "unknown filter 'blur9'",
    );
}

#[test]
fn eval_reads_a_pytorch_state_dict_and_filter_writes_a_png() {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed_cnn_init.safetensors"
    );
    let predictions =
        std::env::temp_dir().join(format!("cnn-playground-preds-{}.txt", std::process::id()));
    let (ok, stdout, stderr) = run(&[
        "eval",
        "--weights",
        fixtures,
        "--predictions",
        predictions.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("test accuracy: "))
        .expect(&stdout);
    assert!(lines[at].ends_with("/10000)"), "{stdout}");
    // Then each class's accuracy, by name.
    assert_eq!(lines.len(), at + 11, "{stdout}");
    assert!(lines[at + 1].trim_start().starts_with("0: "), "{stdout}");
    let lines = std::fs::read_to_string(&predictions).unwrap();
    assert_eq!(lines.lines().count(), 10_000);
    assert!(lines
        .lines()
        .all(|l| l.len() == 1 && l.as_bytes()[0].is_ascii_digit()));

    // A 2×2 RGB PNG through the mean filter keeps its size.
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, 2, 2);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .unwrap()
            .write_image_data(&[90; 12])
            .unwrap();
    }
    let input = tmp("in.png", &png);
    let output =
        std::env::temp_dir().join(format!("cnn-playground-out-{}.png", std::process::id()));
    let (ok, _, stderr) = run(&[
        "filter",
        "--kernel",
        "mean",
        "--input",
        &input,
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&output).unwrap(),
    ));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (2, 2));
}

/// The PyTorch project in `dir`: its model.py and train.py are Python that parses.
fn assert_project_parses(dir: &str) {
    let compiled = Command::new("python3")
        .args(["-m", "py_compile"])
        .args(["model.py", "train.py"].map(|f| format!("{dir}/{f}")))
        .output()
        .expect("python3 runs (scripts/setup.sh installs it)");
    assert!(
        compiled.status.success(),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
}

#[test]
fn export_writes_each_format_and_python_that_parses() {
    let dir = std::env::temp_dir().join(format!("cnn-playground-export-{}", std::process::id()));
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    std::fs::create_dir_all(&dir).unwrap();
    for (weights, format, name) in [
        ("tutorial_module.pt", "onnx", "tutorial.onnx"),
        ("improved.pt", "pytorch", "improved"),
        ("sequential.pt", "pytorch", "sequential"),
        ("tutorial_state_legacy.pt", "pdparams", "tutorial.pdparams"),
        ("tutorial.pdparams", "safetensors", "tutorial.safetensors"),
    ] {
        let weights = format!("tests/fixtures/interop/{weights}");
        let (ok, stdout, stderr) = run(&[
            "export",
            "--weights",
            &weights,
            "--format",
            format,
            "--out",
            &out(name),
        ]);
        assert!(ok, "{weights} → {format}: {stderr}");
        assert!(
            stdout.starts_with(&format!("wrote {}", out(name))),
            "{stdout}"
        );
    }
    // ONNX: a ModelProto, opset 17 (run against ONNX Runtime by tests/e2e/onnx.test.mjs).
    let onnx = std::fs::read(out("tutorial.onnx")).unwrap();
    assert!(onnx.windows(14).any(|w| w == b"cnn-playground"));
    // The PyTorch project: Python that parses, the playground's layer names, the recipe.
    for project in ["improved", "sequential"] {
        assert_project_parses(&out(project));
    }
    let model = std::fs::read_to_string(out("improved/model.py")).unwrap();
    assert!(model.contains("self.bn1 = nn.BatchNorm2d(16)"), "{model}");
    assert!(
        model.contains("self.pool1 = nn.MaxPool2d(kernel_size=2)"),
        "{model}"
    );
    let sequential = std::fs::read_to_string(out("sequential/model.py")).unwrap();
    assert!(
        sequential.contains("nn.GELU(approximate='tanh')"),
        "{sequential}"
    );
    assert!(
        sequential.contains("nn.Conv2d(1, 8, (3, 5), padding=1, bias=False)"),
        "{sequential}"
    );
    let train = std::fs::read_to_string(out("improved/train.py")).unwrap();
    assert!(train.contains("DistributedDataParallel"));
    // The .pdparams written reads back (its values: tests/interop.rs).
    let (ok, _, stderr) = run(&[
        "export",
        "--weights",
        &out("tutorial.pdparams"),
        "--format",
        "safetensors",
        "--out",
        &out("again.safetensors"),
    ]);
    assert!(ok, "{stderr}");
    assert_clean_error(
        &[
            "export",
            "--weights",
            "tests/fixtures/interop/improved.pt",
            "--format",
            "keras",
            "--out",
            &out("x"),
        ],
        "--format: 'keras' is not one of safetensors, onnx, pytorch, pdparams",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_model_trained_on_a_folder_exports_its_input_and_class_names() {
    let dir = std::env::temp_dir().join(format!("cnn-playground-shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (ok, _, stderr) = run(&[
        "train",
        "--data",
        "tests/fixtures/data/shapes",
        "--epochs",
        "1",
        "--out",
        &out("shapes.safetensors"),
    ]);
    assert!(ok, "{stderr}");
    for (format, name) in [("onnx", "shapes.onnx"), ("pytorch", "project")] {
        let (ok, _, stderr) = run(&[
            "export",
            "--weights",
            &out("shapes.safetensors"),
            "--format",
            format,
            "--out",
            &out(name),
        ]);
        assert!(ok, "{format}: {stderr}");
    }
    // With --data the project holds the dataset as the playground keeps one; ONNX takes none.
    let (ok, _, stderr) = run(&[
        "export",
        "--weights",
        &out("shapes.safetensors"),
        "--format",
        "pytorch",
        "--out",
        &out("with-data"),
        "--data",
        "tests/fixtures/data/shapes",
    ]);
    assert!(ok, "{stderr}");
    let stored = std::fs::read(out("with-data/dataset.safetensors")).unwrap();
    let dataset = cnn_playground::data::stored::load(&stored).unwrap();
    assert_eq!(dataset.classes, ["circle", "cross", "line"]);
    assert_clean_error(
        &[
            "export",
            "--weights",
            &out("shapes.safetensors"),
            "--format",
            "onnx",
            "--out",
            &out("x.onnx"),
            "--data",
            "tests/fixtures/data/shapes",
        ],
        "--data goes with --format pytorch",
    );
    // ONNX's metadata names the dataset and its classes in the order of the outputs.
    let onnx = std::fs::read(out("shapes.onnx")).unwrap();
    let has = |text: &str| onnx.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(has("classes") && has(r#"["circle","cross","line"]"#) && has("dataset"));
    // The PyTorch project: the input shape, the dataset and the classes; train.py reads a folder.
    let model = std::fs::read_to_string(out("project/model.py")).unwrap();
    assert!(model.contains("INPUT_SHAPE = (3, 16, 16)"), "{model}");
    assert!(model.contains(r#"DATASET = "shapes""#), "{model}");
    assert!(
        model.contains(r#"CLASSES = ["circle","cross","line"]"#),
        "{model}"
    );
    assert!(model.contains("self.fc2 = nn.Linear(128, 3)"), "{model}");
    let train = std::fs::read_to_string(out("project/train.py")).unwrap();
    assert!(train.contains("datasets.ImageFolder"), "{train}");
    assert_project_parses(&out("project"));
    // Its weights alone, as train.py writes them (no architecture named), are read as the
    // tutorial's network fitted to the data.
    let bytes = std::fs::read(out("shapes.safetensors")).unwrap();
    let loaded = cnn_playground::io::checkpoint::load(&bytes).unwrap();
    let tensors = loaded.model.named_tensors();
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(name, t)| {
            let le = t.iter().flat_map(|v| v.to_le_bytes()).collect();
            (name.clone(), le, t.shape().to_vec())
        })
        .collect();
    let views = bytes.iter().map(|(name, data, shape)| {
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data);
        (name.clone(), view.unwrap())
    });
    let plain = safetensors::serialize(views, None).unwrap();
    std::fs::write(out("plain.safetensors"), plain).unwrap();
    let (ok, stdout, stderr) = run(&[
        "eval",
        "--weights",
        &out("plain.safetensors"),
        "--data",
        "tests/fixtures/data/shapes",
    ]);
    assert!(ok && stdout.contains("test accuracy"), "{stdout}{stderr}");
}
