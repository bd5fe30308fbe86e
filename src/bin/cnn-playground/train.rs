//! `cnn-playground train` and `eval`: the tutorial's training run from a terminal.

use crate::cli::{DeviceKind, DATA_HELP};
use crate::output;
use crate::progress::Progress;
use cnn_playground::data::{local, Dataset, Examples};
use cnn_playground::io::checkpoint;
use cnn_playground::nn::{Model, ModelSpec};
use cnn_playground::ops::Kernels;
use cnn_playground::optim::{OptimizerSpec, LR};
use cnn_playground::train::threads::ThreadPeer;
use cnn_playground::train::{
    evaluate, History, Peer, Recipe, Schedule, StepStats, TrainConfig, Trainer,
};
use std::time::Instant;

/// `train`'s options: any left out takes the recipe's value.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// The recipe: a network and its training settings (tutorial, fast, improved)
    #[arg(long, value_name = "NAME", default_value = "tutorial")]
    recipe: String,
    /// Passes over the training set [default: the recipe's]
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Images per step [default: the recipe's]
    #[arg(long, value_name = "N")]
    batch: Option<usize>,
    /// Learning rate [default: the recipe's; 0.01 for SGD]
    #[arg(long)]
    lr: Option<f32>,
    /// The seed of the initial weights, the shuffles and the augmentation [default: the recipe's]
    #[arg(long)]
    seed: Option<u64>,
    /// Where to save the model (safetensors, with how it was trained)
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    #[arg(long, value_name = "DATA", default_value = "mnist", long_help = DATA_HELP)]
    data: String,
    /// adam or sgd [default: the recipe's]
    #[arg(long, value_name = "NAME")]
    optimizer: Option<String>,
    /// SGD's momentum
    #[arg(long, default_value_t = 0.9)]
    momentum: f32,
    /// L2 weight decay
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f32,
    /// The learning rate's schedule: constant, cosine or one_cycle [default: the recipe's]
    #[arg(long, value_name = "NAME")]
    schedule: Option<String>,
    /// Shift each training image by up to this many pixels [default: the recipe's]
    #[arg(long, value_name = "PIXELS")]
    shift: Option<usize>,
    /// Label smoothing, 0–1 [default: the recipe's]
    #[arg(long)]
    label_smoothing: Option<f32>,
    /// The network as the page's architecture JSON, instead of the recipe's
    #[arg(long, value_name = "ARCH.json")]
    arch: Option<String>,
    /// Train on the first N training images only
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceKind,
    /// CPU threads, each computing a share of every batch
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
}

/// `eval`'s options.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The model file: safetensors, .pt/.pth or .pdparams
    #[arg(long, value_name = "FILE")]
    weights: String,
    /// Write each test image's predicted class, one per line, here
    #[arg(long, value_name = "OUT")]
    predictions: Option<String>,
    #[arg(long, value_name = "DATA", default_value = "mnist", long_help = DATA_HELP)]
    data: String,
}

/// The most threads `--threads` takes.
const MAX_THREADS: usize = 256;

/// The dataset `--data` names (a built-in one, a folder, a CIFAR .tar.gz or a zip; MNIST if
/// none), told to the user: what it is, its splits, and anything left out.
fn load_data(what: &str) -> Result<Dataset, String> {
    let data = local::load(what).map_err(|e| e.reason())?;
    println!(
        "data: {} ({}): {} training and {} test images of {}, {} classes",
        data.name,
        data.source,
        data.train.len(),
        data.test.len(),
        data.shape().text(),
        data.classes.len()
    );
    let about = data.about();
    for note in about
        .skipped
        .iter()
        .map(|s| format!("left out: {s}"))
        .chain(Some(about.test_note()).filter(|n| !n.is_empty()))
    {
        println!("  {note}");
    }
    Ok(data)
}

/// Refuses a network that cannot learn `data`, in the core's words.
fn check_fit(model: &Model, data: &Dataset) -> Result<(), String> {
    match model.misfit(&data.name, data.shape(), data.classes.len()) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// A recipe by name (the tutorial's unless --recipe says another), with any option given
/// overriding it.
fn config(args: &TrainArgs) -> Result<(ModelSpec, TrainConfig), String> {
    let Recipe {
        mut spec,
        mut config,
        ..
    } = Recipe::named(&args.recipe).map_err(|e| format!("--recipe: {}", e.reason()))?;
    if let Some(path) = &args.arch {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        spec = ModelSpec::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
    }
    config.epochs = args.epochs.unwrap_or(config.epochs);
    config.batch_size = args.batch.unwrap_or(config.batch_size);
    config.seed = args.seed.unwrap_or(config.seed);
    config.shift = args.shift.unwrap_or(config.shift);
    config.label_smoothing = args.label_smoothing.unwrap_or(config.label_smoothing);
    let (lr, weight_decay) = (args.lr, args.weight_decay);
    config.optimizer = match args.optimizer.as_deref() {
        None | Some("adam") => match (&config.optimizer, lr) {
            (
                OptimizerSpec::Adam {
                    lr: base,
                    betas,
                    eps,
                    ..
                },
                lr,
            ) => OptimizerSpec::Adam {
                lr: lr.unwrap_or(*base),
                betas: *betas,
                eps: *eps,
                weight_decay,
            },
            (_, lr) => OptimizerSpec::adam(lr.unwrap_or(LR.default_number())),
        },
        Some("sgd") => OptimizerSpec::Sgd {
            lr: lr.unwrap_or(0.01),
            momentum: args.momentum,
            weight_decay,
            nesterov: false,
        },
        Some(other) => return Err(format!("--optimizer: '{other}' is not one of adam, sgd")),
    };
    if let Some(s) = &args.schedule {
        config.schedule = Schedule::named(s).map_err(|e| format!("--schedule: {}", e.reason()))?;
    }
    config.check().map_err(|e| e.reason())?;
    Ok((spec, config))
}

/// Where the steps run: the CPU core, or the GPU path (built with `--features gpu`).
enum Device {
    Cpu(Box<Trainer>),
    #[cfg(feature = "gpu")]
    Gpu(Box<(Trainer, cnn_playground::gpu::GpuTrainer)>),
}

impl Device {
    fn new(kind: DeviceKind, trainer: Trainer) -> Result<Device, String> {
        match kind {
            DeviceKind::Cpu => Ok(Device::Cpu(Box::new(trainer))),
            #[cfg(feature = "gpu")]
            DeviceKind::Gpu => {
                use cnn_playground::gpu::{Gpu, GpuTrainer};
                let gpu = Gpu::blocking().map_err(|e| e.to_string())?;
                let info = gpu.info();
                println!(
                    "on the GPU: {} ({}{})",
                    info.name,
                    info.backend,
                    if info.software {
                        ", a software adapter: expect it to be slower than the CPU"
                    } else {
                        ""
                    }
                );
                let on_gpu =
                    GpuTrainer::new(std::rc::Rc::new(gpu), &trainer).map_err(|e| e.to_string())?;
                Ok(Device::Gpu(Box::new((trainer, on_gpu))))
            }
            #[cfg(not(feature = "gpu"))]
            DeviceKind::Gpu => Err(crate::cli::NO_GPU.into()),
        }
    }

    fn trainer(&self) -> &Trainer {
        match self {
            Device::Cpu(t) => t,
            #[cfg(feature = "gpu")]
            Device::Gpu(t) => &t.0,
        }
    }

    fn run_epoch(
        &mut self,
        peers: &mut [&mut dyn Peer],
        data: &Examples,
        on_step: impl FnMut(&StepStats),
    ) -> Result<(), String> {
        match self {
            Device::Cpu(t) => t.run_epoch_with(peers, data, on_step),
            #[cfg(feature = "gpu")]
            Device::Gpu(t) => {
                let (trainer, on_gpu) = &mut **t;
                pollster::block_on(on_gpu.run_epoch(trainer, data, on_step))
            }
        }
        .map_err(|e| e.to_string())
    }

    /// The model, with the device's latest weights.
    fn model(&mut self) -> Result<&mut Model, String> {
        match self {
            Device::Cpu(t) => Ok(&mut t.model),
            #[cfg(feature = "gpu")]
            Device::Gpu(t) => {
                let (trainer, on_gpu) = &mut **t;
                pollster::block_on(on_gpu.download(trainer)).map_err(|e| e.to_string())?;
                Ok(&mut trainer.model)
            }
        }
    }
}

pub fn train(args: &TrainArgs, kernels: Kernels) -> Result<(), String> {
    let (spec, config) = config(args)?;
    let data = load_data(&args.data)?;
    let spec = spec.for_data(data.shape(), data.classes.len());
    let mut model = Model::new(&spec, config.seed).map_err(|e| e.to_string())?;
    model.set_kernels(kernels);
    check_fit(&model, &data)?;
    let train_set = match args.limit {
        Some(0) => return Err("--limit must be at least 1".into()),
        Some(n) => data.train.take(n),
        None => data.train.clone(),
    };
    println!(
        "training {} parameters on {} images, batch {}, {:?}, {} epochs",
        model.num_params(),
        train_set.len(),
        config.batch_size,
        config.optimizer,
        config.epochs
    );
    let threads = args.threads;
    if !(1..=MAX_THREADS).contains(&threads) {
        return Err(format!("--threads must be 1–{MAX_THREADS}, got {threads}"));
    }
    let epochs = config.epochs;
    // The file written at the end tells the page how this model was trained.
    let mut history = History::initialised(config.seed);
    history.start_run(config.clone());
    history.trained_on(&data.name, &data.classes);
    let trainer =
        Trainer::new(model, config.clone(), train_set.len()).map_err(|e| e.to_string())?;
    let mut device = Device::new(args.device, trainer)?;
    if threads > 1 && !matches!(device, Device::Cpu(_)) {
        return Err("--threads is for the CPU: the GPU runs a batch in one go".into());
    }
    std::thread::scope(|scope| {
        // Each thread computes a share of every batch with its own augmentation and dropout.
        let mut peers: Vec<ThreadPeer> = (1..threads as u64)
            .map(|i| {
                let model = &device.trainer().model;
                ThreadPeer::spawn(scope, model, &config, &train_set, config.seed ^ i)
            })
            .collect();
        if threads > 1 {
            println!("on {threads} threads, each computing a share of every batch");
        }
        for epoch in 1..=epochs {
            let steps = train_set
                .len()
                .div_ceil(device.trainer().config().batch_size);
            let mut progress = Progress::new(format!("epoch {epoch}/{epochs}"), steps);
            let (mut loss_sum, mut seen) = (0.0f64, 0usize);
            let start = Instant::now();
            let mut shared: Vec<&mut dyn Peer> =
                peers.iter_mut().map(|p| p as &mut dyn Peer).collect();
            device.run_epoch(&mut shared, &train_set, |stats| {
                loss_sum += stats.loss as f64 * stats.size as f64;
                seen += stats.size;
                history.record_step(stats, seen as f64 / train_set.len() as f64);
                progress.tick(&format!("loss {:.4}", loss_sum / seen as f64), seen);
            })?;
            let seconds = start.elapsed().as_secs_f64();
            history.add_seconds(seconds);
            history.end_epoch();
            progress.finish();
            let eval = evaluate(device.model()?, &data.test).map_err(|e| e.to_string())?;
            history.record_evaluation(eval.score());
            println!(
                "epoch {epoch}: train loss {:.4}, test accuracy {:.2}% ({}/{}), {:.0} images/s",
                loss_sum / seen as f64,
                100.0 * eval.accuracy(),
                eval.correct,
                eval.total,
                seen as f64 / seconds
            );
        }
        Ok::<(), String>(())
    })?;
    if let Some(path) = &args.out {
        output::write(path, &checkpoint::save(device.model()?, Some(&history)))?;
        println!("saved {path}");
    }
    Ok(())
}

pub fn eval(args: &EvalArgs, kernels: Kernels) -> Result<(), String> {
    let weights = &args.weights;
    let bytes = std::fs::read(weights).map_err(|e| format!("{weights}: {e}"))?;
    let data = load_data(&args.data)?;
    // A file that names no network is tried as the recipes' networks fitted to the data.
    let fitted = ModelSpec::tutorial().for_data(data.shape(), data.classes.len());
    let mut model = checkpoint::load_onto(&bytes, Some(&fitted))
        .map_err(|e| match e.detail() {
            Some(detail) => format!("{weights}: {e} (detail: {detail})"),
            None => format!("{weights}: {e}"),
        })?
        .model;
    model.set_kernels(kernels);
    check_fit(&model, &data)?;
    let result = evaluate(&mut model, &data.test).map_err(|e| e.to_string())?;
    if let Some(path) = &args.predictions {
        let text: String = result
            .predictions
            .iter()
            .map(|p| format!("{p}\n"))
            .collect();
        output::write(path, text.as_bytes())?;
    }
    println!(
        "test accuracy: {:.2}% ({}/{})",
        100.0 * result.accuracy(),
        result.correct,
        result.total
    );
    // Each class's share right, from the confusion matrix's rows.
    let k = result.classes;
    let width = data
        .classes
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    for (c, name) in data.classes.iter().enumerate() {
        let row = &result.confusion[c * k..(c + 1) * k];
        let total: u32 = row.iter().sum();
        if total > 0 {
            let share = 100.0 * row[c] as f64 / total as f64;
            println!("  {name:>width$}: {share:6.2}% ({}/{total})", row[c]);
        }
    }
    Ok(())
}
