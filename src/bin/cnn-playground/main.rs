//! The command line: the same core as the page, from a terminal.
//!
//! ```text
//! cnn-playground train --epochs 5 --out model.safetensors
//! cnn-playground eval --weights model.safetensors
//! cnn-playground export --weights model.pt --format onnx --out model.onnx
//! cnn-playground filter --kernel mean --input cells.png --output mean.png
//! cnn-playground serve [--root dist] [--port 8080]
//! ```

mod args;
mod bench;
mod export;
mod filter;
mod output;
mod progress;
// Not in the wasm32 build of the tests (wasm-pack compiles this binary too): tokio is native only.
#[cfg(not(target_arch = "wasm32"))]
mod serve;
mod train;

use args::Args;
use std::process::ExitCode;

const USAGE: &str = "usage: cnn-playground <command> [options]

commands:
  train  [--epochs 5] [--batch 64] [--lr 0.001] [--seed 0] [--out model.safetensors]
         [--recipe tutorial|fast|improved] [--optimizer adam|sgd] [--momentum 0.9] [--weight-decay 0]
         [--schedule constant|cosine|one_cycle] [--shift PIXELS] [--label-smoothing 0.1]
         [--arch ARCH.json] [--limit N] [--data DATA] [--device cpu|gpu] [--threads N]
         train on a dataset (MNIST unless --data says another); a line per epoch with train
         loss, test accuracy and images/s; on the GPU (wgpu: Vulkan, Metal, DirectX) when built
         with --features gpu. The network's input and last layer are made to fit the data.
  eval   --weights FILE [--predictions OUT] [--data DATA]
         test accuracy, overall and per class, of a model file: safetensors, PyTorch's .pt/.pth
         (torch.save of a module or a state_dict, read without running its pickle) or Paddle's
         .pdparams

  DATA is mnist or fashion-mnist (built in), a folder of IDX files (*-ubyte[.gz]: KMNIST,
  EMNIST, Fashion-MNIST as published), CIFAR-10's or CIFAR-100's binary .tar.gz, or a folder
  or .zip of class folders (root/<class>/<image>.png|jpg|webp, optionally under train/ and
  test/; images fitted by centre crop and area averaging to their own size if they share one
  of 8–64 px, else 32×32). Without a test set, a seeded seventh of each class is held out.
  export --weights FILE --format onnx|pytorch|pdparams|safetensors --out PATH [--data DATA]
         the model for another framework: ONNX (opset 17), a PyTorch project folder (model.py,
         train.py for torchrun, the weights; with --data, the dataset as train.py reads it),
         Paddle's .pdparams
  bench  [--runs 5] [--steps 20] [--batch 64] [--json OUT.json] [--device cpu|gpu] [--threads N]
         training images/s (with --threads N also on N threads), batch-1 latency and the mean
         filter's time on this machine; on the GPU, training at the batch and at 512, and
         batch-1 latency
  filter --kernel NAME|FILE.json --input IN.png --output OUT.png
         apply a 3×3 filter per channel (zero padding): mean (the tutorial's), gaussian, edges,
         sharpen, sobel-x, sobel-y, emboss, or a JSON kernel {\"kernel\": [[..]], \"divisor\": 1, \"offset\": 0}
  serve  [--root dist] [--host 127.0.0.1] [--port 8080]
         serve the built site (scripts/build-site.sh) with the headers wasm threads need, on
         loopback unless --host says otherwise

On x86-64 with AVX2 and FMA the matrix products fuse multiply-adds (faster; their last bits
differ from the page's); CNN_PLAYGROUND_STRICT=1 asks for the strict kernel, bit for bit the
page's SIMD build's.";

fn main() -> ExitCode {
    if std::env::var_os("CNN_PLAYGROUND_STRICT").is_some_and(|v| !v.is_empty() && v != "0") {
        cnn_playground::ops::gemm::set_strict(true);
    }
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "train" => Args::parse(rest, train::TRAIN_OPTIONS).and_then(|a| train::train(&a)),
        "eval" => {
            Args::parse(rest, &["weights", "predictions", "data"]).and_then(|a| train::eval(&a))
        }
        "export" => {
            Args::parse(rest, &["weights", "format", "out", "data"]).and_then(|a| export::run(&a))
        }
        "bench" => Args::parse(
            rest,
            &["runs", "steps", "batch", "json", "device", "threads"],
        )
        .and_then(|a| bench::run(&a)),
        "filter" => Args::parse(rest, &["kernel", "input", "output"]).and_then(|a| filter::run(&a)),
        #[cfg(not(target_arch = "wasm32"))]
        "serve" => Args::parse(rest, &["root", "host", "port"]).and_then(|a| {
            let root: String = a.get_or("root", "dist".into())?;
            let host: String = a.get_or("host", "127.0.0.1".into())?;
            serve::serve(root.as_ref(), &host, a.get_or("port", 8080)?)
        }),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            let other = cnn_playground::error::printable(other);
            eprintln!("error: unknown command '{other}'\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line, whatever a file or an argument put in it.
            eprintln!("error: {}", cnn_playground::error::printable(&message));
            ExitCode::FAILURE
        }
    }
}
