//! `cnn-playground bench`: the speed of the core on this machine — training images/s at batch 64,
//! batch-1 inference latency, the tutorial's mean filter on a 1133×1700×3 photo — as medians of
//! repeated runs. A benchmark, not a test: it prints figures and asserts nothing.

use crate::cli::DeviceKind;
use crate::output;
use cnn_playground::data::builtin::MNIST;
use cnn_playground::data::Examples;
use cnn_playground::image::{filters::Filter, Image};
use cnn_playground::nn::{Mode, Model, ModelSpec};
use cnn_playground::ops::conv::{conv2d_backward, conv2d_forward, Conv2dGeometry};
use cnn_playground::ops::kernels::Conv3x3;
use cnn_playground::ops::{winograd, Kernels};
use cnn_playground::rng::Rng;
use cnn_playground::train::threads::ThreadPeer;
use cnn_playground::train::{Peer, TrainConfig, Trainer};
use ndarray::ArrayD;
use serde::Serialize;
use std::time::Instant;

/// `bench`'s options.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Timed runs; each figure is their median (1–1000)
    #[arg(long, value_name = "N", default_value_t = 5)]
    runs: usize,
    /// Training steps in a run (1–100000)
    #[arg(long, value_name = "N", default_value_t = 20)]
    steps: usize,
    /// Images per training step (1–4096)
    #[arg(long, value_name = "N", default_value_t = 64)]
    batch: usize,
    /// Write the figures here as JSON too
    #[arg(long, value_name = "OUT.json")]
    json: Option<String>,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceKind,
    /// Also train on N threads, each computing a share of every batch (1–256)
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
}

#[derive(Serialize)]
struct Report {
    /// The GEMM kernel the figures are for: "fused" (AVX2 + FMA) or "strict".
    gemm: &'static str,
    train_images_per_s: f64,
    /// With the strict kernel, taking turns with the fused runs (when those are the default).
    train_strict_images_per_s: Option<f64>,
    /// Training on `--threads` threads (a share of each batch per thread), when more than 1.
    train_threads: usize,
    train_threads_images_per_s: Option<f64>,
    train_gflops: f64,
    infer_batch1_ms: f64,
    infer_gflops: f64,
    mean_filter_1133x1700_ms: f64,
    forward_mflop_per_image: f64,
    /// The tutorial's 3×3 convolutions by either path (with the fused kernel only: the strict
    /// path is im2col).
    convolutions: Vec<ConvTimes>,
    runs: usize,
}

/// One convolution's medians, ms per batch, by im2col + GEMM and by Winograd F(2×2, 3×3).
#[derive(Serialize)]
struct ConvTimes {
    layer: &'static str,
    /// The path the rule in `ops::winograd` takes for it.
    runs: &'static str,
    im2col_forward_ms: f64,
    winograd_forward_ms: f64,
    /// Backward as training runs it: the weight gradient, and the input gradient but for conv1.
    im2col_backward_ms: f64,
    winograd_backward_ms: f64,
}

/// The ms one call of `f` takes, ten calls timed together.
fn ms_per_call(mut f: impl FnMut()) -> f64 {
    const CALLS: usize = 10;
    let t = Instant::now();
    for _ in 0..CALLS {
        f();
    }
    t.elapsed().as_secs_f64() * 1e3 / CALLS as f64
}

/// The tutorial's two convolutions at `batch`, each by both paths taking turns, medians of
/// `runs`, with `kernels`' rounding.
fn conv_paths(kernels: Kernels, batch: usize, runs: usize, rng: &mut Rng) -> Vec<ConvTimes> {
    let layers = [
        ("conv1 1→16 at 28×28", 1, 16, 28, false),
        ("conv2 16→32 at 14×14", 16, 32, 14, true),
    ];
    let mut random =
        |len: usize| -> Vec<f32> { (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect() };
    layers
        .into_iter()
        .map(|(layer, c, oc, side, input_grad)| {
            let g =
                Conv2dGeometry::new((c, side, side), (3, 3), 1, 1).expect("the tutorial's sizes");
            let (x, w) = (random(batch * g.in_len()), random(oc * g.patch_len()));
            let dy = random(batch * oc * g.out_len());
            let (mut y, mut dw, mut dx) =
                (vec![0.0; dy.len()], vec![0.0; w.len()], vec![0.0; x.len()]);
            let chosen = if winograd::runs(kernels, &g, oc) {
                "Winograd"
            } else {
                "im2col"
            };
            // [path][forward, backward][run]
            let mut times = [[vec![], vec![]], [vec![], vec![]]];
            for run in 0..=runs {
                for (conv3x3, times) in [Conv3x3::Im2col, Conv3x3::Winograd].into_iter().zip(&mut times) {
                    let k = Kernels { conv3x3, ..kernels };
                    let forward = ms_per_call(|| conv2d_forward(k, &x, batch, &g, &w, oc, None, &mut y));
                    let backward = ms_per_call(|| {
                        let dx = input_grad.then_some(&mut dx[..]);
                        conv2d_backward(k, &x, batch, &g, &w, oc, &dy, &mut dw, None, dx)
                    });
                    // The first round warms up.
                    if run > 0 {
                        times[0].push(forward);
                        times[1].push(backward);
                    }
                }
            }
            let [[im2col_forward_ms, im2col_backward_ms], [winograd_forward_ms, winograd_backward_ms]] =
                times.map(|t| t.map(median));
            ConvTimes {
                layer,
                runs: chosen,
                im2col_forward_ms,
                winograd_forward_ms,
                im2col_backward_ms,
                winograd_backward_ms,
            }
        })
        .collect()
}

/// The median images/s of `runs` runs of `steps` steps, each batch shared by `threads` threads.
fn threaded(
    trainer: &mut Trainer,
    data: &Examples,
    batch: &[usize],
    threads: usize,
    runs: usize,
    steps: usize,
) -> Result<f64, String> {
    let config = trainer.config().clone();
    std::thread::scope(|scope| {
        let mut peers: Vec<ThreadPeer> = (1..threads as u64)
            .map(|i| ThreadPeer::spawn(scope, &trainer.model, &config, data, i))
            .collect();
        let mut shared: Vec<&mut dyn Peer> = peers.iter_mut().map(|p| p as &mut dyn Peer).collect();
        let mut step = || {
            trainer
                .step_with_all(&mut shared, data, batch)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        for _ in 0..3 {
            step()?;
        }
        let rates: Vec<f64> = (0..runs)
            .map(|_| images_per_s(steps, batch.len(), &mut step))
            .collect::<Result<_, String>>()?;
        Ok(median(rates))
    })
}

/// Training images/s over `steps` calls of `step`, each a batch of `batch`.
fn images_per_s(
    steps: usize,
    batch: usize,
    mut step: impl FnMut() -> Result<(), String>,
) -> Result<f64, String> {
    let t = Instant::now();
    for _ in 0..steps {
        step()?;
    }
    Ok((steps * batch) as f64 / t.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

pub fn run(args: &BenchArgs, kernels: Kernels) -> Result<(), String> {
    let &BenchArgs {
        runs,
        steps,
        batch,
        threads,
        ..
    } = args;
    if !(1..=1000).contains(&runs) || !(1..=100_000).contains(&steps) {
        return Err("--runs must be 1–1000 and --steps 1–100000".into());
    }
    if !(1..=256).contains(&threads) {
        return Err(format!("--threads must be 1–256, got {threads}"));
    }
    // Checked before anything is allocated: the data below is 16 batches.
    if !(1..=4096).contains(&batch) {
        return Err(format!("--batch must be 1–4096, got {batch}"));
    }
    let mut rng = Rng::new(1);
    // Random pixels: the speed does not depend on what the images show.
    let n = batch * 16;
    let shape = MNIST.shape();
    let images: Vec<u8> = (0..n * shape.len()).map(|_| rng.below(256) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|_| rng.below(10) as u8).collect();
    let data = Examples::new(images, labels, shape, 10).map_err(|e| e.to_string())?;
    match args.device {
        DeviceKind::Cpu => {}
        #[cfg(feature = "gpu")]
        DeviceKind::Gpu => {
            let report = gpu::run(&data, runs, steps, batch)?;
            return write_json(args, &report);
        }
        #[cfg(not(feature = "gpu"))]
        DeviceKind::Gpu => return Err(crate::cli::NO_GPU.into()),
    }

    let spec = ModelSpec::tutorial();
    let model = Model::new(&spec, 0).map_err(|e| e.to_string())?;
    let flops = model.flops_per_image() as f64;
    let config = TrainConfig {
        batch_size: batch,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(model, config, n).map_err(|e| e.to_string())?;
    let batch_indices: Vec<usize> = (0..batch).collect();
    let train_step = |trainer: &mut Trainer| -> Result<(), String> {
        trainer
            .step(&data, &batch_indices)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    for _ in 0..3 {
        train_step(&mut trainer)?;
    }
    let fused = kernels.fused();
    let timed_run = |trainer: &mut Trainer, strict: bool| -> Result<f64, String> {
        let chosen = if strict { Kernels::STRICT } else { kernels };
        trainer.model.set_kernels(chosen);
        let rate = images_per_s(steps, batch, || train_step(trainer));
        trainer.model.set_kernels(kernels);
        rate
    };
    let (mut train, mut strict) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        train.push(timed_run(&mut trainer, !fused)?);
        if fused {
            strict.push(timed_run(&mut trainer, true)?);
        }
    }
    let parallel = (threads > 1)
        .then(|| threaded(&mut trainer, &data, &batch_indices, threads, runs, steps))
        .transpose()?;

    let mut model = trainer.model;
    let [c, h, w] = MNIST.shape;
    let x = ArrayD::from_shape_vec(
        vec![1, c, h, w],
        (0..c * h * w).map(|i| (i % 255) as f32 / 255.0).collect(),
    )
    .unwrap();
    let reps = 200;
    for _ in 0..20 {
        model.forward(&x, Mode::Eval).map_err(|e| e.to_string())?;
    }
    let infer: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                model.forward(&x, Mode::Eval).unwrap();
            }
            t.elapsed().as_secs_f64() * 1e3 / reps as f64
        })
        .collect();

    let photo: Vec<u8> = (0..1133 * 1700 * 3).map(|_| rng.below(256) as u8).collect();
    let photo = Image::new(1700, 1133, 3, photo).map_err(|e| e.to_string())?;
    let mean = Filter::named("mean").map_err(|e| e.to_string())?;
    let filter: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            mean.apply(&photo).unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();

    let convolutions = if fused {
        conv_paths(kernels, batch, runs, &mut rng)
    } else {
        Vec::new()
    };

    let (train, infer) = (median(train), median(infer));
    let report = Report {
        gemm: if fused { "fused" } else { "strict" },
        train_images_per_s: train,
        train_strict_images_per_s: (!strict.is_empty()).then(|| median(strict)),
        train_threads: threads,
        train_threads_images_per_s: parallel,
        train_gflops: train * 3.0 * flops / 1e9,
        infer_batch1_ms: infer,
        infer_gflops: flops / (infer * 1e-3) / 1e9,
        mean_filter_1133x1700_ms: median(filter),
        forward_mflop_per_image: flops / 1e6,
        convolutions,
        runs,
    };
    println!("native core, 1 thread, medians of {runs} runs (the tutorial's CNN, {:.3} MFLOP/image forward)", report.forward_mflop_per_image);
    println!(
        "  training, batch {batch:<3}        {:>8.0} images/s   {:>6.2} GFLOP/s   ({} GEMM kernel)",
        report.train_images_per_s, report.train_gflops, report.gemm
    );
    if let Some(strict) = report.train_strict_images_per_s {
        println!("  training, strict kernel   {strict:>8.0} images/s");
    }
    if let Some(parallel) = report.train_threads_images_per_s {
        println!("  training, {threads} threads        {parallel:>8.0} images/s");
    }
    println!(
        "  inference, batch 1        {:>8.3} ms         {:>6.2} GFLOP/s",
        report.infer_batch1_ms, report.infer_gflops
    );
    println!(
        "  mean filter 1133×1700×3   {:>8.1} ms",
        report.mean_filter_1133x1700_ms
    );
    if !report.convolutions.is_empty() {
        println!("  3×3 convolutions, batch {batch}, ms forward / backward (as training runs it)");
    }
    for c in &report.convolutions {
        println!(
            "    {:<22} im2col {:>6.2} / {:>6.2}   Winograd {:>6.2} / {:>6.2}   runs {}",
            c.layer,
            c.im2col_forward_ms,
            c.im2col_backward_ms,
            c.winograd_forward_ms,
            c.winograd_backward_ms,
            c.runs
        );
    }
    write_json(args, &report)
}

/// The report into `--json`'s file, when asked.
fn write_json(args: &BenchArgs, report: &impl Serialize) -> Result<(), String> {
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(report).expect("serialisable");
        output::write(path, json.as_bytes())?;
    }
    Ok(())
}

/// `bench --device gpu`: the GPU path's training images/s at the given batch and at 512, and
/// batch-1 inference latency (upload, forward, read back), each the median of `runs`; the same
/// figures in `--json`'s file.
#[cfg(feature = "gpu")]
mod gpu {
    use super::median;
    use cnn_playground::data::Examples;
    use cnn_playground::gpu::train::READ_EVERY;
    use cnn_playground::gpu::{AdapterInfo, Gpu, GpuModel, GpuTrainer};
    use cnn_playground::nn::{Model, ModelSpec};
    use cnn_playground::train::{TrainConfig, Trainer};
    use pollster::block_on;
    use serde::Serialize;
    use std::rc::Rc;
    use std::time::Instant;

    #[derive(Serialize)]
    pub struct Report {
        adapter: AdapterInfo,
        /// Medians at the batch asked for, then at 512.
        train: Vec<Training>,
        infer_batch1_ms: f64,
        runs: usize,
    }

    #[derive(Serialize)]
    struct Training {
        batch: usize,
        images_per_s: f64,
        runs_images_per_s: Vec<f64>,
    }

    pub fn run(data: &Examples, runs: usize, steps: usize, batch: usize) -> Result<Report, String> {
        let err = |e: cnn_playground::Error| e.to_string();
        let gpu = Rc::new(Gpu::blocking().map_err(err)?);
        let info = gpu.info().clone();
        let spec = ModelSpec::tutorial();
        println!(
            "GPU path on {} ({}{}), medians of {runs} runs (the tutorial's CNN)",
            info.name,
            info.backend,
            if info.software { ", software" } else { "" }
        );
        let mut train = Vec::new();
        for batch in [batch, 512] {
            let batch = batch.min(data.len());
            let config = TrainConfig {
                batch_size: batch,
                ..TrainConfig::default()
            };
            let model = Model::new(&spec, 0).map_err(err)?;
            let mut trainer = Trainer::new(model, config, data.len()).map_err(err)?;
            let mut on_gpu = GpuTrainer::new(gpu.clone(), &trainer).map_err(err)?;
            let indices: Vec<usize> = (0..batch).collect();
            let mut timed = |steps: usize| -> Result<f64, String> {
                let t = Instant::now();
                for step in 1..=steps {
                    on_gpu.step(&mut trainer, data, &indices).map_err(err)?;
                    // The steps are queued; reading their losses waits for them.
                    if step % READ_EVERY == 0 || step == steps {
                        block_on(on_gpu.drain(&trainer)).map_err(err)?;
                    }
                }
                Ok((steps * batch) as f64 / t.elapsed().as_secs_f64())
            };
            timed(2)?;
            let rates = (0..runs)
                .map(|_| timed(steps))
                .collect::<Result<Vec<_>, _>>()?;
            let images_per_s = median(rates.clone());
            println!("  training, batch {batch:<4}      {images_per_s:>8.0} images/s");
            train.push(Training {
                batch,
                images_per_s,
                runs_images_per_s: rates,
            });
        }
        let model = Model::new(&spec, 0).map_err(err)?;
        let mut on_gpu = GpuModel::new(gpu, &model).map_err(err)?;
        let x: Vec<f32> = (0..784).map(|i| (i % 255) as f32 / 255.0).collect();
        let reps = 50;
        let mut predict = || block_on(on_gpu.infer(&x, 1).map_err(err)?).map_err(err);
        for _ in 0..5 {
            predict()?;
        }
        let latency = (0..runs)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..reps {
                    predict()?;
                }
                Ok(t.elapsed().as_secs_f64() * 1e3 / reps as f64)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let infer_batch1_ms = median(latency);
        println!("  inference, batch 1         {infer_batch1_ms:>8.3} ms");
        Ok(Report {
            adapter: info,
            train,
            infer_batch1_ms,
            runs,
        })
    }
}
