//! The GPU itself: an adapter chosen on this machine (Vulkan, Metal or DirectX natively; the
//! browser's WebGPU in wasm), its device and queue, the kernels compiled once each, and the
//! means to read results back.
//!
//! The device's errors (a validation error, exhausted GPU memory) are caught by its handler
//! and become an [`Error::Gpu`] at the next check (natively, wgpu would otherwise panic; on the
//! web it would only warn): natively at once, on the web when the browser reports them, by the
//! next read.

use super::kernel::{uniform_bytes, Access, Kernel, Launch, Shader};
use crate::error::{Error, Result};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::ops::Range;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// What the page and the CLI say about the adapter.
#[derive(Clone, Debug, Serialize)]
pub struct AdapterInfo {
    /// The driver's name for it: "NVIDIA GeForce RTX 3060", "llvmpipe (LLVM 15.0.6, 256 bits)".
    pub name: String,
    /// Vulkan, Metal, Dx12, BrowserWebGpu.
    pub backend: String,
    /// A software rasteriser on the CPU (lavapipe, SwiftShader, WARP): it computes the right
    /// answers, far more slowly than the CPU path.
    pub software: bool,
}

/// The two GEMM kernels of gemm.wgsl: tiled in workgroup memory (GPUs), or each invocation
/// reading straight from the buffers (software adapters, four times faster on lavapipe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmKernel {
    Tiled,
    Direct,
}

/// A GPU device ready to run the kernels.
pub struct Gpu {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: AdapterInfo,
    gemm: GemmKernel,
    /// The largest storage buffer one binding may hold, in bytes.
    max_binding: u64,
    pipelines: RefCell<HashMap<(&'static str, &'static str), wgpu::ComputePipeline>>,
    /// By shader: its bindings are the same for each of its entry points.
    layouts: RefCell<HashMap<&'static str, wgpu::PipelineLayout>>,
    /// Stand-ins for the bindings a kernel does not use: distinct, so that no buffer is bound
    /// twice in one dispatch.
    spare: [wgpu::Buffer; 4],
    /// The first error the device reported and nobody has seen yet.
    error: Arc<Mutex<Option<String>>>,
}

/// One kernel launch, recorded once and replayed step after step: its pipeline, its bindings
/// and its arguments (a uniform buffer, rewritten when they change: Adam's step size).
pub struct Dispatch {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    uniform: wgpu::Buffer,
    groups: (u32, u32, u32),
}

/// Workgroups for `n` invocations of a 256-wide kernel: a grid at most 65,535 wide, which the
/// kernels read back as one line (`common.wgsl`).
pub(crate) fn line_groups(n: usize) -> (u32, u32, u32) {
    let groups = n.div_ceil(256).max(1);
    let x = groups.min(65_535);
    (x as u32, groups.div_ceil(x) as u32, 1)
}

impl Gpu {
    /// The best adapter here: a discrete or integrated GPU before a software one, which is
    /// taken only when nothing else is present (its `software` flag says so).
    pub async fn new() -> Result<Gpu> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN
                | wgpu::Backends::METAL
                | wgpu::Backends::DX12
                | wgpu::Backends::BROWSER_WEBGPU,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("no GPU adapter is available here ({e})")))?;
        let raw = adapter.get_info();
        let software = raw.device_type == wgpu::DeviceType::Cpu;
        let info = AdapterInfo {
            // Browsers may keep the adapter's description to themselves.
            name: match (raw.name.is_empty(), software) {
                (false, _) => raw.name.clone(),
                (true, true) => "the browser's software adapter".into(),
                (true, false) => "the browser's GPU".into(),
            },
            backend: format!("{:?}", raw.backend),
            software,
        };
        let offered = adapter.limits();
        // WebGPU's default limits, which every adapter grants, with buffers as large as this one
        // allows (the batch is checked against them).
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: offered.max_storage_buffer_binding_size,
            max_buffer_size: offered.max_buffer_size,
            ..wgpu::Limits::default()
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("cnn-playground"),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("the GPU {} refused a device: {e}", info.name)))?;
        let error = Arc::new(Mutex::new(None));
        let slot = error.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut slot) = slot.lock() {
                slot.get_or_insert_with(|| e.to_string());
            }
        }));
        let spare = std::array::from_fn(|i| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(["spare0", "spare1", "spare2", "spare3"][i]),
                size: 16,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            })
        });
        Ok(Gpu {
            device,
            queue,
            gemm: match info.software {
                true => GemmKernel::Direct,
                false => GemmKernel::Tiled,
            },
            info,
            max_binding: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            pipelines: RefCell::default(),
            layouts: RefCell::default(),
            spare,
            error,
        })
    }

    /// [`Gpu::new`], waited for: natively nothing else needs the thread meanwhile.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn blocking() -> Result<Gpu> {
        pollster::block_on(Self::new())
    }

    pub fn info(&self) -> &AdapterInfo {
        &self.info
    }

    /// Chooses the GEMM kernel the programs built from now on record; [`Gpu::new`] picks the
    /// one that is faster on the adapter (tests try both).
    pub fn set_gemm(&mut self, kernel: GemmKernel) {
        self.gemm = kernel;
    }

    pub(crate) fn gemm_kernel(&self) -> &'static str {
        match self.gemm {
            GemmKernel::Tiled => "gemm",
            GemmKernel::Direct => "gemm_direct",
        }
    }

    /// The most floats one buffer may hold here.
    pub fn max_floats(&self) -> usize {
        (self.max_binding / 4) as usize
    }

    /// A zeroed buffer of `len` floats (or u32s), at least one.
    pub(crate) fn buffer(&self, label: &str, len: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: 4 * len.max(1) as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Writes `data` at float `offset` of `buffer` before the next submission runs.
    pub(crate) fn write(&self, buffer: &wgpu::Buffer, offset: usize, data: &[f32]) {
        self.queue
            .write_buffer(buffer, 4 * offset as u64, &bytes_of(data, f32::to_le_bytes));
    }

    pub(crate) fn write_u32(&self, buffer: &wgpu::Buffer, data: &[u32]) {
        self.queue
            .write_buffer(buffer, 0, &bytes_of(data, u32::to_le_bytes));
    }

    fn layout(&self, shader: &'static Shader) -> wgpu::PipelineLayout {
        let mut layouts = self.layouts.borrow_mut();
        layouts
            .entry(shader.name)
            .or_insert_with(|| {
                let uniform = wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                };
                let storage = shader.bindings.iter().enumerate().map(|(i, (_, access))| {
                    wgpu::BindGroupLayoutEntry {
                        binding: i as u32 + 1,
                        visibility: wgpu::ShaderStages::COMPUTE,
                        ty: wgpu::BindingType::Buffer {
                            ty: wgpu::BufferBindingType::Storage {
                                read_only: *access == Access::Read,
                            },
                            has_dynamic_offset: false,
                            min_binding_size: None,
                        },
                        count: None,
                    }
                });
                let entries: Vec<_> = std::iter::once(uniform).chain(storage).collect();
                let group =
                    self.device
                        .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                            label: None,
                            entries: &entries,
                        });
                self.device
                    .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                        label: None,
                        bind_group_layouts: &[Some(&group)],
                        immediate_size: 0,
                    })
            })
            .clone()
    }

    fn pipeline<L: Launch>(&self, kernel: Kernel<L>) -> wgpu::ComputePipeline {
        let shader = kernel.shader();
        let key = (shader.name, kernel.entry);
        if let Some(p) = self.pipelines.borrow().get(&key) {
            return p.clone();
        }
        let Shader { name, source, .. } = *shader;
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(
                    format!("{}\n{source}", include_str!("wgsl/common.wgsl")).into(),
                ),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.entry),
                layout: Some(&self.layout(shader)),
                module: &module,
                entry_point: Some(kernel.entry),
                compilation_options: Default::default(),
                cache: None,
            });
        self.pipelines.borrow_mut().insert(key, pipeline.clone());
        pipeline
    }

    /// Records a launch of `kernel` over `groups` workgroups with `args` and the storage
    /// `buffers` its file declares.
    pub(crate) fn dispatch<L: Launch>(
        &self,
        kernel: Kernel<L>,
        args: &L::Args,
        buffers: L::Buffers<'_>,
        groups: (u32, u32, u32),
    ) -> Dispatch {
        let uniform = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(kernel.entry),
                contents: &uniform_bytes(args),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            });
        let mut spare = self.spare.iter();
        let entries: Vec<_> = std::iter::once(&uniform)
            .chain(L::bindings(&buffers).into_iter().map(|b| match b {
                Some(b) => b,
                None => spare.next().expect("at most four unused bindings"),
            }))
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let pipeline = self.pipeline(kernel);
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.entry),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        Dispatch {
            pipeline,
            bind_group,
            uniform,
            groups,
        }
    }

    /// Replaces a recorded launch's arguments, from the next submission on.
    pub(crate) fn set_args<A: bytemuck::Pod>(&self, dispatch: &Dispatch, args: &A) {
        self.queue
            .write_buffer(&dispatch.uniform, 0, &uniform_bytes(args));
    }

    /// Records `dispatches` into one compute pass.
    pub(crate) fn record<'a>(
        encoder: &mut wgpu::CommandEncoder,
        dispatches: impl IntoIterator<Item = &'a Dispatch>,
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
        for d in dispatches {
            pass.set_pipeline(&d.pipeline);
            pass.set_bind_group(0, &d.bind_group, &[]);
            pass.dispatch_workgroups(d.groups.0, d.groups.1, d.groups.2);
        }
    }

    pub(crate) fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor::default())
    }

    /// The error the device reported since the last check, if any.
    pub(crate) fn check(&self) -> Result<()> {
        let reported = self.error.lock().ok().and_then(|mut e| e.take());
        match reported {
            Some(e) => Err(Error::Gpu(format!(
                "the GPU {} failed: {e}",
                self.info.name
            ))),
            None => Ok(()),
        }
    }

    /// The floats `range` of `buffer`, once the work submitted so far is done.
    pub(crate) fn read(
        self: &Rc<Self>,
        buffer: &wgpu::Buffer,
        range: Range<usize>,
    ) -> impl Future<Output = Result<Vec<f32>>> + 'static {
        let parts = self.read_back(self.encoder(), &[(buffer, range)]);
        async move { Ok(parts.await?.pop().expect("one part asked for")) }
    }

    /// Submits `encoder` with copies of `parts` (each a buffer and a range of floats in it)
    /// recorded at its end into one staging buffer, and reads that back: the values each part
    /// held when `encoder`'s work was done, whatever is submitted after (a prediction's
    /// outputs, say, before the next prediction overwrites them). One wait for all of them.
    pub(crate) fn read_back(
        self: &Rc<Self>,
        mut encoder: wgpu::CommandEncoder,
        parts: &[(&wgpu::Buffer, Range<usize>)],
    ) -> impl Future<Output = Result<Vec<Vec<f32>>>> + 'static {
        let lens: Vec<usize> = parts.iter().map(|(_, r)| r.len()).collect();
        let total: usize = lens.iter().sum();
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read back"),
            size: 4 * total.max(1) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut at = 0;
        for (buffer, range) in parts.iter().filter(|(_, r)| !r.is_empty()) {
            let (from, len) = (4 * range.start as u64, 4 * range.len() as u64);
            encoder.copy_buffer_to_buffer(buffer, from, &staging, 4 * at as u64, len);
            at += range.len();
        }
        self.queue.submit([encoder.finish()]);
        let (sender, receiver) = super::oneshot::channel();
        staging
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |r| sender.send(r));
        let gpu = self.clone();
        async move {
            #[cfg(not(target_arch = "wasm32"))]
            gpu.device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| Error::Gpu(format!("waiting for the GPU {}: {e}", gpu.info.name)))?;
            let mapped = receiver.await;
            gpu.check()?;
            let failed = |e: &dyn std::fmt::Display| {
                Error::Gpu(format!("reading from the GPU {}: {e}", gpu.info.name))
            };
            mapped.map_err(|e| failed(&e))?;
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| failed(&e))?;
            let mut values = view[..4 * total]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let out = lens
                .iter()
                .map(|&len| values.by_ref().take(len).collect())
                .collect();
            drop(view);
            staging.unmap();
            Ok(out)
        }
    }

    /// Submits `encoder`'s work; an error in recording it is reported here (natively).
    pub(crate) fn submit(&self, encoder: wgpu::CommandEncoder) -> Result<()> {
        self.queue.submit([encoder.finish()]);
        self.check()
    }
}

/// Little-endian bytes of `data`, as the GPU reads them.
fn bytes_of<T: Copy>(data: &[T], le: fn(T) -> [u8; 4]) -> Vec<u8> {
    data.iter().flat_map(|&v| le(v)).collect()
}
