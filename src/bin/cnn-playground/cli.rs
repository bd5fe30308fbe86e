//! The commands and their options (clap), and clap's errors as the CLI's own: one line that
//! names the option and what was wrong with it.

use crate::{bench, export, filter, serve, train};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// A convolutional neural network in Rust: the in-browser playground's core, from a terminal.
#[derive(Parser)]
#[command(name = "cnn-playground", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Multiply, then add, in every matrix product: bit for bit the page's SIMD build, instead
    /// of the fused multiply-adds of x86-64 with AVX2 and FMA (faster; their last bits differ)
    #[arg(long, global = true, env = "CNN_PLAYGROUND_STRICT")]
    pub strict: bool,
}

const AFTER_HELP: &str = "`cnn-playground <command> --help` says what each command takes.";

#[derive(Subcommand)]
pub enum Command {
    /// Train on a dataset (MNIST unless --data says another): a line per epoch with the
    /// training loss, the test accuracy and images/s
    #[command(
        long_about = "Train on a dataset (MNIST unless --data says another): a line per epoch \
with the training loss, the test accuracy and images/s; on the GPU (wgpu: Vulkan, Metal, \
DirectX) when built with --features gpu. The network's input and last layer are made to fit \
the data."
    )]
    Train(train::TrainArgs),
    /// Test accuracy, overall and per class, of a model file: safetensors, PyTorch's .pt/.pth
    /// (read without running its pickle) or Paddle's .pdparams
    Eval(train::EvalArgs),
    /// A model for another framework: ONNX (opset 17), a PyTorch project folder (model.py,
    /// train.py for torchrun, the weights), Paddle's .pdparams, safetensors
    Export(export::ExportArgs),
    /// Training images/s (with --threads N also on N threads), batch-1 latency and the mean
    /// filter's time on this machine; on the GPU with --device gpu
    Bench(bench::BenchArgs),
    /// Apply a 3×3 filter per channel (zero padding) to a PNG: the filter lab's filters
    Filter(filter::FilterArgs),
    /// Serve the built site (scripts/build-site.sh) with the headers wasm threads need, on
    /// loopback unless --host says otherwise
    Serve(serve::ServeArgs),
}

/// Where the steps run.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceKind {
    /// The CPU core
    Cpu,
    /// The GPU path (wgpu), in a binary built with --features gpu
    Gpu,
}

/// The error for `--device gpu` in a binary without the GPU path.
#[cfg(not(feature = "gpu"))]
pub const NO_GPU: &str =
    "this binary was built without the GPU path: cargo build --release --features gpu";

/// `--data`'s help, for every command that reads a dataset.
pub const DATA_HELP: &str = "The dataset: mnist or fashion-mnist (built in), a folder of IDX \
files (*-ubyte[.gz]: KMNIST, EMNIST, Fashion-MNIST as published), CIFAR-10's or CIFAR-100's \
binary .tar.gz, or a folder or .zip of class folders (root/<class>/<image>.png|jpg|webp, \
optionally under train/ and test/; images fitted by centre crop and area averaging to their own \
size if they share one of 8–64 px, else 32×32). Without a test set, a seeded seventh of each \
class is held out.";

/// The command line, or the exit code after help, the version or an error was printed.
pub fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            eprintln!("error: {}", cnn_playground::error::printable(&one_line(&e)));
            ExitCode::FAILURE
        }
    })
}

/// clap's error in the CLI's words: `--epochs: cannot read 'many'`, `unknown option --colour
/// (this command takes: …)`, `--weights is required`, `unknown command 'fly'`.
fn one_line(e: &clap::Error) -> String {
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(s)) => s.join(", "),
        _ => String::new(),
    };
    // "--epochs <N>" → "--epochs"
    let arg = text(ContextKind::InvalidArg)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let value = text(ContextKind::InvalidValue);
    match e.kind() {
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} needs a value"),
        ErrorKind::InvalidValue => {
            let valid = text(ContextKind::ValidValue);
            format!("{arg}: '{value}' is not one of {valid}")
        }
        ErrorKind::ValueValidation => format!("{arg}: cannot read '{value}'"),
        ErrorKind::UnknownArgument => {
            let takes = subcommand_options(std::env::args().nth(1).as_deref());
            format!("unknown option {arg} (this command takes: {takes})")
        }
        ErrorKind::MissingRequiredArgument => format!("{arg} is required"),
        ErrorKind::InvalidSubcommand => {
            let names: Vec<String> = Cli::command()
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let asked = text(ContextKind::InvalidSubcommand);
            format!("unknown command '{asked}' (commands: {})", names.join(", "))
        }
        // Anything else as clap says it, on its first line.
        _ => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        }
    }
}

/// The options of command `name`: "--epochs, --batch, …".
fn subcommand_options(name: Option<&str>) -> String {
    let cli = Cli::command();
    let Some(command) = name.and_then(|n| cli.find_subcommand(n)) else {
        return String::new();
    };
    command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|&l| l != "help" && l != "strict")
        .map(|l| format!("--{l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_commands_are_well_formed() {
        Cli::command().debug_assert();
    }
}
