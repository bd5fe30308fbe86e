//! The model as ONNX (opset 17): each layer as ONNX's operators (written by the layer's spec,
//! [`crate::nn::LayerConfig::onnx`]), the weights as initializers, the batch dimension left
//! free, so ONNX Runtime, TensorRT or OpenVINO can run what was trained here. The protobuf is
//! written by hand: a handful of ONNX's messages, each field by its number in `onnx.proto`.
//!
//! Input `input` (N, C, H, W) float32; output `logits` (N, classes). The metadata says the
//! architecture (the playground's spec) and, when the model's story knows them, the dataset it
//! was trained on (`dataset`) and its class names in the order of the outputs (`classes`, a JSON
//! array).

use crate::error::{Error, Result};
use crate::nn::Model;
use crate::train::history::TrainedOn;

pub const OPSET: i64 = 17;
/// ONNX's IR version for opset 17.
const IR_VERSION: i64 = 8;
const FLOAT: i64 = 1;
pub const INT64: i64 = 7;

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
pub enum Attr {
    Int(i64),
    Ints(Vec<i64>),
    Float(f32),
}

impl Attr {
    /// The same value for both spatial axes (kernel_shape, strides, dilations).
    pub fn pair(v: usize) -> Attr {
        Attr::Ints(vec![v as i64; 2])
    }

    /// The same padding at both ends of both spatial axes.
    pub fn pads(p: usize) -> Attr {
        Attr::Ints(vec![p as i64; 4])
    }
}

/// The graph as it is built: nodes, initializers, and the name of the latest value.
pub struct Graph {
    nodes: Vec<Message>,
    initializers: Vec<Message>,
    /// The latest value: the next layer's input.
    pub value: String,
    count: usize,
    constants: Vec<String>,
}

impl Graph {
    /// A node `op(inputs) → output`; returns the output's name.
    pub fn node(
        &mut self,
        op: &str,
        inputs: &[&str],
        output: &str,
        attrs: &[(&str, Attr)],
    ) -> String {
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
    pub fn then(&mut self, op: &str, extra: &[&str], name: &str, attrs: &[(&str, Attr)]) {
        let input = self.value.clone();
        let inputs: Vec<&str> = std::iter::once(input.as_str())
            .chain(extra.iter().copied())
            .collect();
        self.value = self.node(op, &inputs, name, attrs);
    }

    pub fn tensor(&mut self, name: &str, dims: &[usize], data_type: i64, raw: Vec<u8>) -> String {
        let mut t = Message::default();
        for &d in dims {
            t.int(1, d as i64);
        }
        t.int(2, data_type).text(8, name).bytes(9, &raw);
        self.initializers.push(t);
        name.to_string()
    }

    pub fn floats(
        &mut self,
        name: &str,
        dims: &[usize],
        values: impl IntoIterator<Item = f32>,
    ) -> String {
        let raw = values.into_iter().flat_map(f32::to_le_bytes).collect();
        self.tensor(name, dims, FLOAT, raw)
    }

    /// A scalar constant, shared by name.
    pub fn constant(&mut self, value: f32) -> String {
        let name = format!("const_{value}");
        if !self.constants.contains(&name) {
            self.constants.push(name.clone());
            self.floats(&name, &[], [value]);
        }
        name
    }

    pub fn fresh(&mut self, layer: &str) -> String {
        self.count += 1;
        format!("{layer}/{}", self.count)
    }
}

/// What a layer writes its nodes with ([`crate::nn::LayerConfig::onnx`]): the graph so far, the
/// layer's name, its per-sample input shape and the model's tensors.
pub struct Nodes<'a> {
    pub graph: &'a mut Graph,
    pub name: &'a str,
    pub input: &'a [usize],
    tensors: &'a [(String, &'a ndarray::ArrayD<f32>)],
}

impl Nodes<'_> {
    /// One node `op` on the layer's input, named after the layer, with those of the layer's
    /// tensors `locals` (`weight`, `bias`) it has as initializers after that input.
    pub fn op(&mut self, op: &str, locals: &[&str], attrs: &[(&str, Attr)]) {
        let mut extra = Vec::new();
        for local in locals {
            let name = format!("{}.{local}", self.name);
            if let Some((n, t)) = self.tensors.iter().find(|(n, _)| *n == name) {
                extra.push(self.graph.floats(n, t.shape(), t.iter().copied()));
            }
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        self.graph.then(op, &extra, self.name, attrs);
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
    let mut shape = spec.input.to_vec();
    for (layer, info) in spec.layers.iter().zip(model.layers()) {
        layer.onnx(&mut Nodes {
            graph: &mut g,
            name: &info.name,
            input: &shape,
            tensors: &tensors,
        });
        shape.clone_from(&info.sizes.output_shape);
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
