//! The model as ONNX (opset 17): each layer as ONNX's operators, the weights as initializers, the
//! batch dimension left free, so ONNX Runtime, TensorRT or OpenVINO can run what was trained here.
//! The protobuf is written by hand: a handful of ONNX's messages, each field by its number in
//! `onnx.proto`.
//!
//! Input `input` (N, C, H, W) float32; output `logits` (N, classes). The metadata says the
//! architecture (the playground's spec) and, when the model's story knows them, the dataset it
//! was trained on (`dataset`) and its class names in the order of the outputs (`classes`, a JSON
//! array). Dropout is the identity at inference and writes no node; GELU and adaptive average pooling, which opset 17 lacks, are
//! written as the operators they are made of.

use crate::error::{Error, Result};
use crate::nn::spec::LayerSpec;
use crate::nn::Model;
use crate::train::history::TrainedOn;

pub const OPSET: i64 = 17;
/// ONNX's IR version for opset 17.
const IR_VERSION: i64 = 8;
const FLOAT: i64 = 1;
const INT64: i64 = 7;

/// A protobuf message being written.
#[derive(Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint(((field as u64) << 3) | wire as u64);
    }

    fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.key(field, 0);
        self.varint(v as u64);
        self
    }

    fn float(&mut self, field: u32, v: f32) -> &mut Self {
        self.key(field, 5);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn bytes(&mut self, field: u32, b: &[u8]) -> &mut Self {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }

    fn text(&mut self, field: u32, s: &str) -> &mut Self {
        self.bytes(field, s.as_bytes())
    }

    fn message(&mut self, field: u32, m: &Message) -> &mut Self {
        self.bytes(field, &m.0)
    }
}

/// An operator's attribute.
enum Attr {
    Int(i64),
    Ints(Vec<i64>),
    Float(f32),
}

/// The graph as it is built: nodes, initializers, and the name of the latest value.
struct Graph {
    nodes: Vec<Message>,
    initializers: Vec<Message>,
    value: String,
    count: usize,
    constants: Vec<String>,
}

impl Graph {
    /// A node `op(inputs) → output`; returns the output's name.
    fn node(&mut self, op: &str, inputs: &[&str], output: &str, attrs: &[(&str, Attr)]) -> String {
        let mut n = Message::default();
        for i in inputs {
            n.text(1, i);
        }
        n.text(2, output).text(3, output).text(4, op);
        for (name, attr) in attrs {
            let mut a = Message::default();
            a.text(1, name);
            match attr {
                Attr::Float(f) => a.float(2, *f).int(20, 1),
                Attr::Int(i) => a.int(3, *i).int(20, 2),
                Attr::Ints(v) => {
                    for &i in v {
                        a.int(8, i);
                    }
                    a.int(20, 7)
                }
            };
            n.message(5, &a);
        }
        self.nodes.push(n);
        output.to_string()
    }

    /// A node on the latest value, named after the layer (with a step number inside a layer
    /// written as several nodes).
    fn then(&mut self, op: &str, extra: &[&str], name: &str, attrs: &[(&str, Attr)]) {
        let input = self.value.clone();
        let inputs: Vec<&str> = std::iter::once(input.as_str())
            .chain(extra.iter().copied())
            .collect();
        self.value = self.node(op, &inputs, name, attrs);
    }

    fn tensor(&mut self, name: &str, dims: &[usize], data_type: i64, raw: Vec<u8>) -> String {
        let mut t = Message::default();
        for &d in dims {
            t.int(1, d as i64);
        }
        t.int(2, data_type).text(8, name).bytes(9, &raw);
        self.initializers.push(t);
        name.to_string()
    }

    fn floats(
        &mut self,
        name: &str,
        dims: &[usize],
        values: impl IntoIterator<Item = f32>,
    ) -> String {
        let raw = values.into_iter().flat_map(f32::to_le_bytes).collect();
        self.tensor(name, dims, FLOAT, raw)
    }

    /// A scalar constant, shared by name.
    fn constant(&mut self, value: f32) -> String {
        let name = format!("const_{value}");
        if !self.constants.contains(&name) {
            self.constants.push(name.clone());
            self.floats(&name, &[], [value]);
        }
        name
    }

    fn fresh(&mut self, layer: &str) -> String {
        self.count += 1;
        format!("{layer}/{}", self.count)
    }
}

/// A dimension of a graph's input or output: a size, or a name for one left free.
enum Dim {
    Fixed(usize),
    Free(&'static str),
}

fn value_info(name: &str, dims: &[Dim]) -> Message {
    let mut shape = Message::default();
    for d in dims {
        let mut dim = Message::default();
        match d {
            Dim::Fixed(v) => dim.int(1, *v as i64),
            Dim::Free(param) => dim.text(2, param),
        };
        shape.message(1, &dim);
    }
    let mut tensor = Message::default();
    tensor.int(1, FLOAT).message(2, &shape);
    let mut ty = Message::default();
    ty.message(1, &tensor);
    let mut v = Message::default();
    v.text(1, name).message(2, &ty);
    v
}

/// The model as an ONNX file.
pub fn export(model: &Model, data: Option<&TrainedOn>) -> Result<Vec<u8>> {
    let spec = model.spec();
    let tensors = model.named_tensors();
    let mut g = Graph {
        nodes: vec![],
        initializers: vec![],
        value: "input".into(),
        count: 0,
        constants: vec![],
    };
    let weight = |g: &mut Graph, name: &str| -> Option<String> {
        let (n, t) = tensors.iter().find(|(n, _)| n == name)?;
        Some(g.floats(n, t.shape(), t.iter().copied()))
    };
    let mut shape = spec.input.to_vec();
    for (layer, info) in spec.layers.iter().zip(model.layers()) {
        let name = info.name.as_str();
        let pair = |v: usize| Attr::Ints(vec![v as i64; 2]);
        let pads = |p: usize| Attr::Ints(vec![p as i64; 4]);
        match layer {
            LayerSpec::Conv2d(c) => {
                let [kh, kw] = c.kernel_size.sides();
                let w = weight(&mut g, &format!("{name}.weight")).expect("a conv has weights");
                let mut inputs = vec![w];
                inputs.extend(weight(&mut g, &format!("{name}.bias")));
                let extra: Vec<&str> = inputs.iter().map(String::as_str).collect();
                g.then(
                    "Conv",
                    &extra,
                    name,
                    &[
                        ("kernel_shape", Attr::Ints(vec![kh as i64, kw as i64])),
                        ("strides", pair(c.stride)),
                        ("pads", pads(c.padding)),
                        ("dilations", pair(c.dilation)),
                        ("group", Attr::Int(c.groups as i64)),
                    ],
                );
            }
            LayerSpec::Linear(_) => {
                let w =
                    weight(&mut g, &format!("{name}.weight")).expect("a linear layer has weights");
                let mut inputs = vec![w];
                inputs.extend(weight(&mut g, &format!("{name}.bias")));
                let extra: Vec<&str> = inputs.iter().map(String::as_str).collect();
                g.then("Gemm", &extra, name, &[("transB", Attr::Int(1))]);
            }
            LayerSpec::BatchNorm2d(b) => {
                let inputs: Vec<String> = ["weight", "bias", "running_mean", "running_var"]
                    .iter()
                    .map(|t| weight(&mut g, &format!("{name}.{t}")).expect("batch norm's tensors"))
                    .collect();
                let extra: Vec<&str> = inputs.iter().map(String::as_str).collect();
                g.then(
                    "BatchNormalization",
                    &extra,
                    name,
                    &[("epsilon", Attr::Float(b.eps))],
                );
            }
            LayerSpec::Relu(_) => g.then("Relu", &[], name, &[]),
            LayerSpec::Sigmoid(_) => g.then("Sigmoid", &[], name, &[]),
            LayerSpec::Tanh(_) => g.then("Tanh", &[], name, &[]),
            LayerSpec::LeakyRelu(l) => g.then(
                "LeakyRelu",
                &[],
                name,
                &[("alpha", Attr::Float(l.negative_slope))],
            ),
            LayerSpec::Gelu(gelu) => gelu_nodes(
                &mut g,
                name,
                gelu.approximate == crate::nn::gelu::Approximate::Tanh,
            ),
            LayerSpec::MaxPool2d(p) => g.then(
                "MaxPool",
                &[],
                name,
                &[
                    ("kernel_shape", pair(p.kernel_size)),
                    ("strides", pair(p.stride.unwrap_or(p.kernel_size))),
                    ("pads", pads(p.padding)),
                ],
            ),
            LayerSpec::AvgPool2d(p) => g.then(
                "AveragePool",
                &[],
                name,
                &[
                    ("kernel_shape", pair(p.kernel_size)),
                    ("strides", pair(p.stride.unwrap_or(p.kernel_size))),
                    ("pads", pads(p.padding)),
                    ("count_include_pad", Attr::Int(1)),
                ],
            ),
            LayerSpec::AdaptiveAvgPool2d(p) => adaptive_nodes(&mut g, name, &shape, p.output_size),
            LayerSpec::Flatten(_) => g.then("Flatten", &[], name, &[("axis", Attr::Int(1))]),
            // The identity at inference.
            LayerSpec::Dropout(_) => {}
        }
        shape.clone_from(&info.output_shape);
    }
    let last = g.value.clone();
    g.node("Identity", &[&last], "logits", &[]);

    let mut graph = Message::default();
    for n in &g.nodes {
        graph.message(1, n);
    }
    graph.text(2, "cnn-playground");
    for t in &g.initializers {
        graph.message(5, t);
    }
    let input: Vec<Dim> = std::iter::once(Dim::Free("batch"))
        .chain(spec.input.iter().map(|&d| Dim::Fixed(d)))
        .collect();
    graph.message(11, &value_info("input", &input));
    graph.message(
        12,
        &value_info("logits", &[Dim::Free("batch"), Dim::Fixed(model.classes())]),
    );

    let mut opset = Message::default();
    opset.text(1, "").int(2, OPSET);
    let mut m = Message::default();
    m.int(1, IR_VERSION)
        .text(2, "cnn-playground")
        .text(3, env!("CARGO_PKG_VERSION"))
        .message(7, &graph)
        .message(8, &opset);
    let mut metadata = vec![("architecture", spec.to_json())];
    if let Some(d) = data {
        metadata.push(("dataset", d.name.clone()));
        let names = serde_json::to_string(&d.classes).expect("names serialise");
        metadata.push(("classes", names));
    }
    for (key, value) in metadata {
        let mut entry = Message::default();
        entry.text(1, key).text(2, &value);
        m.message(14, &entry);
    }
    if m.0.len() > u32::MAX as usize {
        return Err(Error::Invalid(
            "the model is too large for one ONNX file".into(),
        ));
    }
    Ok(m.0)
}

/// GELU from Erf (exact) or Tanh (approximate): x · ½(1 + erf(x/√2)), or
/// x · ½(1 + tanh(√(2/π)(x + 0.044715x³))).
fn gelu_nodes(g: &mut Graph, name: &str, tanh: bool) {
    let x = g.value.clone();
    let inner = if tanh {
        let cube = g.fresh(name);
        g.node("Mul", &[&x, &x], &cube, &[]);
        let cube2 = g.fresh(name);
        g.node("Mul", &[&cube, &x], &cube2, &[]);
        let k = g.constant(0.044715);
        let scaled = g.fresh(name);
        g.node("Mul", &[&cube2, &k], &scaled, &[]);
        let sum = g.fresh(name);
        g.node("Add", &[&x, &scaled], &sum, &[]);
        let s = g.constant((2.0 / std::f32::consts::PI).sqrt());
        let arg = g.fresh(name);
        g.node("Mul", &[&sum, &s], &arg, &[]);
        let t = g.fresh(name);
        g.node("Tanh", &[&arg], &t, &[])
    } else {
        let root2 = g.constant(std::f32::consts::SQRT_2);
        let arg = g.fresh(name);
        g.node("Div", &[&x, &root2], &arg, &[]);
        let e = g.fresh(name);
        g.node("Erf", &[&arg], &e, &[])
    };
    let one = g.constant(1.0);
    let plus = g.fresh(name);
    g.node("Add", &[&inner, &one], &plus, &[]);
    let times = g.fresh(name);
    g.node("Mul", &[&x, &plus], &times, &[]);
    let half = g.constant(0.5);
    g.value = g.node("Mul", &[&times, &half], name, &[]);
}

/// Adaptive average pooling as a matrix product: each output cell averages its window of the
/// H·W inputs (PyTorch's windows: from ⌊i·H/o⌋ to ⌈(i+1)·H/o⌉).
fn adaptive_nodes(g: &mut Graph, name: &str, input: &[usize], out: usize) {
    let (c, h, w) = (input[0], input[1], input[2]);
    let window = |i: usize, n: usize| (i * n / out, ((i + 1) * n).div_ceil(out));
    let mut matrix = vec![0.0f32; h * w * out * out];
    for oy in 0..out {
        for ox in 0..out {
            let ((y0, y1), (x0, x1)) = (window(oy, h), window(ox, w));
            let area = ((y1 - y0) * (x1 - x0)) as f32;
            for y in y0..y1 {
                for x in x0..x1 {
                    matrix[(y * w + x) * out * out + oy * out + ox] = 1.0 / area;
                }
            }
        }
    }
    let shape = |g: &mut Graph, tag: &str, dims: &[i64]| {
        let raw = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
        g.tensor(&format!("{name}.{tag}"), &[dims.len()], INT64, raw)
    };
    let rows = shape(g, "rows", &[0, c as i64, (h * w) as i64]);
    let grid = shape(g, "grid", &[0, c as i64, out as i64, out as i64]);
    let m = g.floats(&format!("{name}.windows"), &[h * w, out * out], matrix);
    let flat = g.fresh(name);
    let x = g.value.clone();
    g.node("Reshape", &[&x, &rows], &flat, &[]);
    let pooled = g.fresh(name);
    g.node("MatMul", &[&flat, &m], &pooled, &[]);
    g.value = g.node("Reshape", &[&pooled, &grid], name, &[]);
}
