//! Every option of the command line given what a hostile or careless user would give it — zero,
//! negative, huge, NaN, empty, absurd files — must end in one clean `error:` line or a normal
//! run: never a panic, an abort, or a signal. (Values that are valid and slow, such as 10,000
//! epochs, are left out: they are not mistakes.)

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cnn-playground");

/// Runs the CLI; returns (exit code, stderr). A run killed by a signal (an abort) has no code.
fn run(args: &[String]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tiny MNIST (128 training and 64 test images of noise) in the four IDX files, so that a
/// value accepted makes a run of a moment; one per test, as tests run side by side.
fn tiny_mnist(test: &str) -> String {
    let idx = |dims: &[u32], len: usize| {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
        v.extend((0..len).map(|i| (i * 37 % 10) as u8));
        v
    };
    for (name, dims) in [
        ("train-images-idx3-ubyte", &[128, 28, 28][..]),
        ("train-labels-idx1-ubyte", &[128][..]),
        ("t10k-images-idx3-ubyte", &[64, 28, 28][..]),
        ("t10k-labels-idx1-ubyte", &[64][..]),
    ] {
        let len = dims.iter().product::<u32>() as usize;
        file(&format!("{test}/mnist/{name}"), &idx(dims, len));
    }
    let ready = file(&format!("{test}/mnist/.ready"), b"");
    let dir = std::path::Path::new(&ready).parent().unwrap();
    dir.to_string_lossy().into_owned()
}

fn file(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("cnn-playground-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

/// Numbers a careless or hostile user types.
const NUMBERS: [&str; 9] = [
    "0",
    "-1",
    "NaN",
    "inf",
    "1e400",
    "",
    "18446744073709551616",
    "9007199254740993",
    "0x10",
];

/// The run ended cleanly: success, or exit 1 with one `error:` line.
fn assert_clean(args: &[String]) {
    let (code, stderr) = run(args);
    let shown = args.join(" ");
    assert!(code.is_some(), "{shown}: killed by a signal: {stderr}");
    assert!(!stderr.contains("panicked"), "{shown}: panicked: {stderr}");
    if code != Some(0) {
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{shown}: {stderr}");
        assert_eq!(code, Some(1), "{shown}: {stderr}");
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_train_option_with_hostile_values() {
    // One step of one epoch on a tiny dataset, so that a value accepted is a short run.
    let data = tiny_mnist("train");
    let base = ["train", "--epochs", "1", "--limit", "64", "--data", &data];
    for option in [
        "epochs",
        "batch",
        "lr",
        "seed",
        "momentum",
        "weight-decay",
        "shift",
        "limit",
    ] {
        for value in NUMBERS.iter().chain(&["4097", "10001", "1e38"]) {
            // Valid and slow, not mistakes: the whole training set, 4,097 epochs.
            if (option == "limit" && *value == "9007199254740993")
                || (option == "epochs" && *value == "4097")
            {
                continue;
            }
            let mut a = args(&base);
            if option == "momentum" {
                a.extend(args(&["--optimizer", "sgd"]));
            }
            a.extend(args(&[&format!("--{option}"), value]));
            assert_clean(&a);
        }
    }
    for (option, value) in [
        ("recipe", "magic"),
        ("optimizer", "rmsprop"),
        ("schedule", "wiggly"),
        ("data", "/nonexistent"),
        ("out", "/nonexistent/folder/model.safetensors"),
        ("out", "/"),
        ("arch", "/nonexistent.json"),
    ] {
        let mut a = args(&base);
        a.extend(args(&[&format!("--{option}"), value]));
        assert_clean(&a);
    }
}

#[test]
fn absurd_architectures_are_refused_before_memory_is_taken() {
    let data = tiny_mnist("arch");
    let relu = r#"{"type": "relu"}"#;
    let deep = format!(
        r#"{{"input": [1, 28, 28], "layers": [{}]}}"#,
        vec![relu; 300_000].join(",")
    );
    let specs = [
        // A huge input before a flatten.
        r#"{"input": [1, 1048576, 1048576], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}"#.to_string(),
        // A huge padding, natively and as wasm32 would wrap it.
        r#"{"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 9223372036854775808}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]}"#.to_string(),
        r#"{"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 4294967295}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]}"#.to_string(),
        // 65,536 classes.
        r#"{"input": [1, 2, 2], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 65536}]}"#.to_string(),
        // Negative, NaN, nested nonsense.
        r#"{"input": [-1, 28, 28], "layers": []}"#.to_string(),
        r#"{"input": [1, 28, 28], "layers": [{"type": "dropout", "p": NaN}]}"#.to_string(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        deep,
    ];
    for (i, spec) in specs.iter().enumerate() {
        let path = file(&format!("arch{i}.json"), spec.as_bytes());
        assert_clean(&args(&[
            "train", "--epochs", "1", "--data", &data, "--arch", &path,
        ]));
    }
}

#[test]
fn eval_bench_filter_and_serve_with_hostile_values() {
    let data = tiny_mnist("others");
    let mut eval_files = vec![
        file("empty.safetensors", b""),
        file("text.safetensors", b"not a model"),
        // A header claiming 2^64 − 1 bytes, and one claiming a huge architecture.
        file("huge-header.safetensors", &u64::MAX.to_le_bytes()),
    ];
    let arch = r#"{"input":[1,1048576,1048576],"layers":[{"type":"flatten"},{"type":"linear","out_features":10}]}"#;
    let header = format!(
        r#"{{"__metadata__":{{"architecture":{}}}}}"#,
        serde_json::to_string(arch).unwrap()
    );
    let mut crafted = (header.len() as u64).to_le_bytes().to_vec();
    crafted.extend(header.as_bytes());
    eval_files.push(file("crafted.safetensors", &crafted));
    for weights in &eval_files {
        assert_clean(&args(&["eval", "--weights", weights, "--data", &data]));
    }
    assert_clean(&args(&[
        "eval",
        "--weights",
        "/nonexistent",
        "--data",
        &data,
    ]));
    let pytorch = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed_cnn_init.safetensors"
    );
    assert_clean(&args(&[
        "eval",
        "--weights",
        pytorch,
        "--data",
        &data,
        "--predictions",
        "/nonexistent/p.txt",
    ]));

    for option in ["runs", "steps", "batch"] {
        for value in NUMBERS.iter().chain(&["4097", "100001"]) {
            // A short run but for the option tried.
            let mut a = args(&["bench"]);
            for (name, short) in [("runs", "1"), ("steps", "1"), ("batch", "4")] {
                a.extend(args(&[
                    &format!("--{name}"),
                    if name == option { value } else { short },
                ]));
            }
            assert_clean(&a);
        }
    }

    let png = file(
        "in.png",
        &[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'],
    );
    let kernels = [
        r#"{"kernel": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "divsor": 9}"#,
        r#"{"kernel": []}"#,
        r#"{"kernel": [[1e400]]}"#,
        r#"{"kernel": [[1]], "divisor": 0}"#,
        r#"{"kernel": [[1]], "offset": NaN}"#,
    ];
    for (i, k) in kernels.iter().enumerate() {
        let (code, stderr) = filter(&format!("kernel{i}"), k, &png);
        assert_eq!(code, Some(1), "{k}: {stderr}");
    }
    for port in ["-1", "65536", "NaN", ""] {
        assert_clean(&args(&["serve", "--port", port]));
    }
    assert_clean(&args(&["serve", "--root", "/nonexistent", "--port", "0"]));
}

#[test]
fn images_of_no_pixels_are_refused() {
    // Training on 4 images of 0×28 pixels used to panic when shifting them.
    let dir = file("empty-images/.keep", b"");
    let dir = std::path::Path::new(&dir).parent().unwrap().to_path_buf();
    let idx = |dims: &[u32]| {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
        v.extend(vec![
            1;
            dims[1..].iter().product::<u32>() as usize
                * (dims.len() > 1) as usize
        ]);
        v
    };
    for (name, dims) in [
        ("train-images-idx3-ubyte", &[4, 0, 28][..]),
        ("t10k-images-idx3-ubyte", &[4, 0, 28][..]),
    ] {
        std::fs::write(dir.join(name), idx(dims)).unwrap();
    }
    for name in ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"] {
        std::fs::write(dir.join(name), [0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]).unwrap();
    }
    let (code, stderr) = run(&args(&[
        "train",
        "--shift",
        "2",
        "--data",
        dir.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("images 0 pixels high: each side must be 8 to 64 pixels"),
        "{stderr}"
    );
}

/// `filter` with the kernel JSON `kernel` (saved as NAME.json) on the file `input`.
fn filter(name: &str, kernel: &str, input: &str) -> (Option<i32>, String) {
    let path = file(&format!("{name}.json"), kernel.as_bytes());
    let a = args(&[
        "filter",
        "--kernel",
        &path,
        "--input",
        input,
        "--output",
        "/tmp/never.png",
    ]);
    let (code, stderr) = run(&a);
    assert!(!stderr.contains("panicked"), "{kernel}: {stderr}");
    (code, stderr)
}

#[test]
fn a_kernel_with_a_typo_is_refused_not_ignored() {
    let png = file("typo.png", b"\x89PNG\r\n\x1a\n");
    let kernel = r#"{"kernel": [[1, 1, 1], [1, 1, 1], [1, 1, 1]], "divsor": 9}"#;
    let (code, stderr) = filter("typo", kernel, &png);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unknown field `divsor`"), "{stderr}");
}

#[test]
fn a_failed_write_leaves_the_old_file_whole() {
    // A run that fails leaves the file in place untouched; a successful one replaces it whole,
    // leaving nothing half-written beside it.
    let data = tiny_mnist("write");
    let out = file("model.safetensors", b"the previous model");
    let train = |more: &[&str]| {
        let mut a = args(&["train", "--epochs", "1", "--data", &data, "--out", &out]);
        a.extend(args(more));
        run(&a)
    };
    let (code, _) = train(&["--lr", "-1"]);
    assert_eq!(code, Some(1));
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous model");
    let (code, stderr) = train(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(cnn_playground::io::checkpoint::load(&bytes).is_ok());
    let folder = std::path::Path::new(&out).parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "no partial files left behind");
}
