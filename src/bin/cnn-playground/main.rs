//! The command line: the same core as the page, from a terminal.
//!
//! ```text
//! cnn-playground train --epochs 5 --out model.safetensors
//! cnn-playground eval --weights model.safetensors
//! cnn-playground export --weights model.pt --format onnx --out model.onnx
//! cnn-playground filter --kernel mean --input cells.png --output mean.png
//! cnn-playground serve [--root dist] [--port 8080]
//! cnn-playground <command> --help
//! ```
//!
//! Native only: wasm-pack builds every target of the crate, and this one is an empty `main`
//! there.

#[cfg(not(target_arch = "wasm32"))]
mod bench;
#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod export;
#[cfg(not(target_arch = "wasm32"))]
mod filter;
#[cfg(not(target_arch = "wasm32"))]
mod output;
#[cfg(not(target_arch = "wasm32"))]
mod progress;
#[cfg(not(target_arch = "wasm32"))]
mod serve;
#[cfg(not(target_arch = "wasm32"))]
mod train;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use cli::{Cli, Command};
    use std::process::ExitCode;
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let Cli { command, strict } = cli;
    let kernels = if strict {
        cnn_playground::ops::Kernels::STRICT
    } else {
        cnn_playground::ops::Kernels::FASTEST
    };
    let result = match command {
        Command::Train(a) => train::train(&a, kernels),
        Command::Eval(a) => train::eval(&a, kernels),
        Command::Export(a) => export::run(&a),
        Command::Bench(a) => bench::run(&a, kernels),
        Command::Filter(a) => filter::run(&a),
        Command::Serve(a) => serve::serve(a.root.as_ref(), &a.host, a.port),
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

#[cfg(target_arch = "wasm32")]
fn main() {}
