//! PyTorch's `torch.save` files, read without PyTorch and without running their pickles
//! ([`super::pickle`]): a `state_dict`, a checkpoint dict holding one, or a whole module as the
//! tutorial saves it (`torch.save(model, path)`); the zip format (PyTorch ≥ 1.6) and the legacy
//! one; float32, float64, float16 and bfloat16, little-endian.
//!
//! A whole module carries its layers' settings but not its `forward`, so its architecture is
//! known only where the forward is: an `nn.Sequential` (its children in order), a module whose
//! children are named as this playground names layers (its PyTorch export), and the tutorial's
//! `CNN` (conv1, conv2, fc1, fc2, with ReLU and 2×2 max pooling in its forward). Any other module
//! gives its tensors by name, as a state_dict does.

use super::pickle::{self, Id, Object, Pickle, Work};
use super::tensors::{too_many, DType, Format, RawTensor, TensorFile, MAX_TENSORS};
use super::zip;
use crate::data::builtin::MNIST;
use crate::error::{ident, quote, Error, Result};
use crate::field::FieldKind;
use crate::nn::plan::MAX_LAYERS;
use crate::nn::{LayerSpec, ModelSpec};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How deep a module tree may nest: real ones are a few levels; a hostile one may be thousands.
const MAX_DEPTH: usize = 64;
/// How many rebuild calls may wrap a tensor: a parameter wraps one tensor once.
const MAX_WRAPS: usize = 4;
/// The legacy format's first pickle: this number.
const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

fn bad(message: impl Into<String>) -> Error {
    Error::Format(message.into())
}

/// The tensors of a `torch.save` file, zip or legacy, and the architecture where the file's
/// module tree says it.
pub fn read(bytes: &[u8], legacy: bool) -> Result<TensorFile<'_>> {
    let (pickle, storages) = if legacy {
        read_legacy(bytes)?
    } else {
        read_zip(bytes)?
    };
    Reader {
        work: Work::for_pickle(&pickle),
        pickle: &pickle,
        storages,
        tensor_dicts: RefCell::new(HashMap::new()),
        visits: Cell::new(0),
    }
    .file()
}

/// A storage's bytes, by key.
type Storages<'a> = HashMap<String, &'a [u8]>;

fn read_zip(bytes: &[u8]) -> Result<(Pickle, Storages<'_>)> {
    let entries = zip::entries(bytes)?;
    let data = entries
        .iter()
        .find(|e| e.name.ends_with("data.pkl") && e.name.matches('/').count() == 1)
        .ok_or_else(|| bad("the archive has no data.pkl: it is not a torch.save file"))?;
    let prefix = &data.name[..data.name.len() - "data.pkl".len()];
    if let Some(order) = entries
        .iter()
        .find(|e| e.name == format!("{prefix}byteorder"))
    {
        if order.data != b"little" {
            return Err(bad(
                "the file was saved on a big-endian machine, which is not read here",
            ));
        }
    }
    let pickle = pickle::read(data.data, 0)?;
    let folder = format!("{prefix}data/");
    let storages = entries
        .iter()
        .filter_map(|e| Some((e.name.strip_prefix(&folder)?.to_string(), e.data)))
        .collect();
    Ok((pickle, storages))
}

/// The legacy format: pickles of the magic number, the protocol version and the system's
/// description, then the object, then the storages' keys; then each storage as its element count
/// (8 bytes) and its elements.
fn read_legacy(bytes: &[u8]) -> Result<(Pickle, Storages<'_>)> {
    let magic = pickle::read(bytes, 0)?;
    if magic.get(magic.root) != &Object::BigInt(MAGIC.to_vec()) {
        return Err(bad("the file does not open with PyTorch's magic number"));
    }
    let version = pickle::read(bytes, magic.end)?;
    let info = pickle::read(bytes, version.end)?;
    if let Some(little) = info.lookup(info.root, "little_endian") {
        if info.get(little) != &Object::Bool(true) {
            return Err(bad(
                "the file was saved on a big-endian machine, which is not read here",
            ));
        }
    }
    let main = pickle::read(bytes, info.end)?;
    let keys = pickle::read(bytes, main.end)?;
    // Each storage's element size is in the object's persistent ids: find them first.
    let sizes = storage_types(&main)?;
    // A key is made into a name for each storage: a file listing one long key many times would
    // make it many times over.
    let work = Work::for_pickle(&keys);
    let mut at = keys.end;
    let mut storages = HashMap::new();
    for &k in keys
        .items(keys.root)
        .ok_or_else(|| bad("the storage list is not a list"))?
    {
        let key = keys
            .str(k)
            .ok_or_else(|| bad("a storage key is not text"))?;
        work.spend(key.len())?;
        let size = sizes.get(key).copied().ok_or_else(|| {
            bad(format!(
                "storage {} is listed but no tensor uses it",
                quote(key)
            ))
        })?;
        let count = bytes
            .get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| {
                bad(format!(
                    "the file is cut short before storage {}",
                    quote(key)
                ))
            })?;
        let len = count
            .checked_mul(size as u64)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= bytes.len() - at - 8)
            .ok_or_else(|| {
                bad(format!(
                    "the file is cut short: storage {} needs {count} values, more than the file holds",
                    quote(key)
                ))
            })?;
        storages.insert(key.to_string(), &bytes[at + 8..at + 8 + len]);
        at += 8 + len;
    }
    Ok((main, storages))
}

/// Each storage key's element size, from the persistent ids that name them (many may name one
/// key: each look at a key is counted against the pickle's size).
fn storage_types(p: &Pickle) -> Result<HashMap<&str, usize>> {
    let work = Work::for_pickle(p);
    let mut types = HashMap::new();
    for o in &p.objects {
        let Object::Persistent(pid) = o else {
            continue;
        };
        let Some(items) = p.items(*pid) else {
            continue;
        };
        let (Some("storage"), Some(class), Some(key)) = (
            items.first().and_then(|&i| p.str(i)),
            items.get(1).and_then(|&i| p.global(i)),
            items.get(2).and_then(|&i| p.str(i)),
        ) else {
            continue;
        };
        work.spend(key.len())?;
        types.insert(key, storage_dtype(class).size());
    }
    Ok(types)
}

/// A storage class's element type: `torch.FloatStorage`.
fn storage_dtype((module, name): (&str, &str)) -> DType {
    if module != "torch" {
        return DType::Other("an unknown type");
    }
    match name {
        "FloatStorage" => DType::F32,
        "DoubleStorage" => DType::F64,
        "HalfStorage" => DType::F16,
        "BFloat16Storage" => DType::BF16,
        "LongStorage" => DType::I64,
        "IntStorage" => DType::I32,
        "ShortStorage" => DType::Other("int16"),
        "CharStorage" => DType::Other("int8"),
        "ByteStorage" => DType::Other("uint8"),
        "BoolStorage" => DType::Other("bool"),
        _ => DType::Other("an unknown type"),
    }
}

struct Reader<'p, 'a> {
    pickle: &'p Pickle,
    storages: Storages<'a>,
    /// What the walks below may still do: each module visit, item looked at and byte of a name
    /// made is counted, so that a file sharing its containers many times over is refused, not
    /// walked for minutes.
    work: Work,
    /// Whether a dict holds only tensors, once found: a checkpoint may list one dict many times.
    tensor_dicts: RefCell<HashMap<Id, bool>>,
    /// Modules walked so far: a tree visits each once, but a pickle can list one module many
    /// times over.
    visits: Cell<usize>,
}

/// A module of the pickled tree: its class's name and its `__dict__`.
struct Module {
    class: String,
    state: Id,
}

impl<'a> Reader<'_, 'a> {
    fn file(&self) -> Result<TensorFile<'a>> {
        let p = self.pickle;
        let mut tensors = BTreeMap::new();
        if let Some(module) = self.module(p.root)? {
            self.collect(&module, "", 0, &mut tensors)?;
            let (spec, described_as, renames) = self.architecture(&module)?;
            let tensors = match renames {
                Some(renames) => tensors
                    .into_iter()
                    .map(|(k, v)| (rename(&renames, &k), v))
                    .collect(),
                None => tensors,
            };
            return Ok(TensorFile {
                format: Format::Torch,
                tensors,
                spec,
                described_as: Some(described_as),
            });
        }
        let dict = self.state_dict(p.root)?.ok_or_else(|| {
            bad("the file holds no model: neither a module, nor a state_dict of tensors, nor a dict holding one")
        })?;
        let items = p.dict(dict).expect("a dict");
        if items.len() > MAX_TENSORS {
            return Err(too_many("tensors"));
        }
        for &(k, v) in items {
            let name = p
                .str(k)
                .ok_or_else(|| bad("a state_dict key is not text"))?;
            self.work.spend(name.len())?;
            tensors.insert(name.to_string(), self.tensor(v, name)?);
        }
        Ok(TensorFile {
            format: Format::Torch,
            tensors,
            spec: None,
            described_as: None,
        })
    }

    /// A state_dict: a dict whose values are tensors; or, in a checkpoint dict
    /// (`{'model_state_dict': …, 'epoch': 5}`), the one such dict among its values.
    fn state_dict(&self, id: Id) -> Result<Option<Id>> {
        let p = self.pickle;
        let Some(items) = p.dict(id) else {
            return Ok(None);
        };
        if self.holds_tensors(id)? {
            return Ok(Some(id));
        }
        let mut inner = HashSet::new();
        for &(_, v) in items {
            if self.holds_tensors(v)? {
                inner.insert(v);
            }
        }
        Ok((inner.len() == 1).then(|| *inner.iter().next().expect("one")))
    }

    /// Whether `id` is a dict of tensors and nothing else, each dict looked at once.
    fn holds_tensors(&self, id: Id) -> Result<bool> {
        let p = self.pickle;
        self.work.spend(1)?;
        let Some(items) = p.dict(id) else {
            return Ok(false);
        };
        if let Some(&known) = self.tensor_dicts.borrow().get(&id) {
            return Ok(known);
        }
        self.work.spend(items.len())?;
        let all = !items.is_empty() && items.iter().all(|&(_, v)| self.is_tensor(v));
        self.tensor_dicts.borrow_mut().insert(id, all);
        Ok(all)
    }

    fn is_tensor(&self, id: Id) -> bool {
        let p = self.pickle;
        matches!(p.get(id), Object::Call { callable, .. }
            if p.global(*callable)
                .is_some_and(|(m, n)| m == "torch._utils" && n.starts_with("_rebuild_")))
    }

    /// The tensor `id` rebuilds (a parameter's data included).
    fn tensor(&self, id: Id, name: &str) -> Result<RawTensor<'a>> {
        let p = self.pickle;
        let not = || {
            bad(format!(
                "{} is not a tensor the playground can read",
                quote(name)
            ))
        };
        // A parameter is a call wrapping its tensor's: followed a few times, never recursively
        // (a file can nest them thousands deep, or make one its own argument).
        let mut id = id;
        for _ in 0..=MAX_WRAPS {
            let Object::Call { callable, args, .. } = p.get(id) else {
                return Err(not());
            };
            let args = p.items(*args).ok_or_else(not)?;
            match p.global(*callable) {
                Some(("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state")) => {
                    id = *args.first().ok_or_else(not)?
                }
                Some(("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor")) => {
                    let [storage, offset, size, stride, ..] = args else {
                        return Err(not());
                    };
                    let (dtype, data) = self.storage(*storage, name)?;
                    let offset = p
                        .int(*offset)
                        .and_then(|v| usize::try_from(v).ok())
                        .ok_or_else(not)?;
                    let shape = p.sizes(*size).ok_or_else(not)?;
                    let strides = p.sizes(*stride).ok_or_else(not)?;
                    if shape.len() != strides.len() {
                        return Err(not());
                    }
                    return Ok(RawTensor {
                        dtype,
                        shape,
                        strides,
                        offset,
                        data: Cow::Borrowed(data),
                    });
                }
                _ => return Err(not()),
            }
        }
        Err(bad(format!(
            "{} is wrapped in parameters more than {MAX_WRAPS} deep, which PyTorch never writes",
            quote(name)
        )))
    }

    /// A storage by its persistent id: `('storage', torch.FloatStorage, key, location, numel)`.
    fn storage(&self, id: Id, name: &str) -> Result<(DType, &'a [u8])> {
        let p = self.pickle;
        let not = || {
            bad(format!(
                "{} refers to a storage the file does not describe",
                quote(name)
            ))
        };
        let Object::Persistent(pid) = p.get(id) else {
            return Err(not());
        };
        let items = p.items(*pid).ok_or_else(not)?;
        if items.len() < 5 || p.str(items[0]) != Some("storage") {
            return Err(not());
        }
        let dtype = storage_dtype(p.global(items[1]).ok_or_else(not)?);
        let key = p.str(items[2]).ok_or_else(not)?;
        self.work.spend(key.len())?;
        let data = self.storages.get(key).copied().ok_or_else(|| {
            bad(format!(
                "{}: its storage {} is missing from the file",
                quote(name),
                quote(key)
            ))
        })?;
        // The legacy format's view of part of a storage: (key, offset, size) in elements.
        if let Some(view) = items.get(5).and_then(|&v| p.items(v)) {
            let (Some(start), Some(len)) = (
                view.get(1).and_then(|&i| p.int(i)),
                view.get(2).and_then(|&i| p.int(i)),
            ) else {
                return Err(not());
            };
            let size = dtype.size() as i64;
            let bytes = |n: i64| n.checked_mul(size).and_then(|b| usize::try_from(b).ok());
            let slice = bytes(start)
                .zip(bytes(len))
                .and_then(|(s, l)| data.get(s..s.checked_add(l)?))
                .ok_or_else(|| {
                    bad(format!(
                        "{}: its storage view lies outside the storage",
                        quote(name)
                    ))
                })?;
            return Ok((dtype, slice));
        }
        Ok((dtype, data))
    }

    /// The value under `key` in the dict `id`, the look counted.
    fn lookup(&self, id: Id, key: &str) -> Result<Option<Id>> {
        self.work
            .spend(1 + self.pickle.dict(id).map_or(0, <[_]>::len))?;
        Ok(self.pickle.lookup(id, key))
    }

    /// The module `id` is: an instance of a class (NEWOBJ, or a legacy file's class by
    /// persistent id) whose state has `_modules`.
    fn module(&self, id: Id) -> Result<Option<Module>> {
        let p = self.pickle;
        let Object::Call {
            callable,
            state: Some(state),
            ..
        } = p.get(id)
        else {
            return Ok(None);
        };
        let class = match p.get(*callable) {
            Object::Persistent(pid) => p.items(*pid).and_then(|i| p.global(*i.get(1)?)),
            _ => p.global(*callable),
        };
        let Some((module, name)) = class else {
            return Ok(None);
        };
        self.work.spend(module.len() + name.len())?;
        let class = format!("{module}.{name}");
        Ok(self.lookup(*state, "_modules")?.map(|_| Module {
            class,
            state: *state,
        }))
    }

    /// The module's children, in order, with their names.
    fn children(&self, m: &Module) -> Result<Vec<(String, Module)>> {
        let p = self.pickle;
        let modules = self
            .lookup(m.state, "_modules")?
            .expect("a module has _modules");
        let items = p
            .dict(modules)
            .ok_or_else(|| bad("a module's _modules is not a dict"))?;
        self.work.spend(items.len())?;
        let mut children = Vec::new();
        for &(k, v) in items {
            if p.get(v) == &Object::None {
                continue;
            }
            let name = p.str(k).ok_or_else(|| bad("a module name is not text"))?;
            self.work.spend(name.len())?;
            let child = self
                .module(v)?
                .ok_or_else(|| bad(format!("{} is not a module", quote(name))))?;
            children.push((name.to_string(), child));
        }
        Ok(children)
    }

    /// The module tree's state_dict: parameters and persistent buffers, named as PyTorch names
    /// them.
    fn collect(
        &self,
        m: &Module,
        prefix: &str,
        depth: usize,
        out: &mut BTreeMap<String, RawTensor<'a>>,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(bad(format!(
                "the module tree nests deeper than {MAX_DEPTH} levels"
            )));
        }
        self.visits.set(self.visits.get() + 1);
        if self.visits.get() > MAX_TENSORS {
            return Err(too_many("modules"));
        }
        let p = self.pickle;
        let transient: HashSet<&str> = match self
            .lookup(m.state, "_non_persistent_buffers_set")?
            .map(|s| p.get(s))
        {
            Some(Object::Set(items)) => {
                self.work.spend(items.len())?;
                items.iter().filter_map(|&i| p.str(i)).collect()
            }
            _ => HashSet::new(),
        };
        for group in ["_parameters", "_buffers"] {
            let Some(items) = self.lookup(m.state, group)?.and_then(|d| p.dict(d)) else {
                continue;
            };
            self.work.spend(items.len())?;
            for &(k, v) in items {
                let key = p
                    .str(k)
                    .ok_or_else(|| bad("a parameter name is not text"))?;
                if p.get(v) == &Object::None || transient.contains(key) {
                    continue;
                }
                self.work.spend(prefix.len() + key.len())?;
                let name = format!("{prefix}{key}");
                let t = self.tensor(v, &name)?;
                out.insert(name, t);
                if out.len() > MAX_TENSORS {
                    return Err(too_many("tensors"));
                }
            }
        }
        for (name, child) in self.children(m)? {
            self.work.spend(prefix.len() + name.len())?;
            self.collect(&child, &format!("{prefix}{name}."), depth + 1, out)?;
        }
        Ok(())
    }

    /// What the module tree says of the architecture: the spec where the forward is known, the
    /// tree's name for messages, and how its tensor names map onto the spec's layer names.
    #[allow(clippy::type_complexity)]
    fn architecture(
        &self,
        root: &Module,
    ) -> Result<(Option<ModelSpec>, String, Option<HashMap<String, String>>)> {
        let class = short(&root.class);
        let described = format!("a whole {} module", ident(class));
        let children = self.children(root)?;
        if root.class == "torch.nn.modules.container.Sequential" {
            let spec = self.sequence(&children)?;
            let names = crate::nn::plan::Plan::new(&spec)
                .map_err(|e| {
                    bad(format!(
                        "the Sequential cannot be built here: {}",
                        e.reason()
                    ))
                })?
                .layers
                .into_iter()
                .map(|l| l.name);
            let renames = children.iter().map(|(n, _)| n.clone()).zip(names).collect();
            return Ok((Some(spec), described, Some(renames)));
        }
        let names: Vec<&str> = children.iter().map(|(n, _)| n.as_str()).collect();
        if names == ["conv1", "conv2", "fc1", "fc2"] {
            let layer = |i: usize| self.layer(&children[i].0, &children[i].1);
            let mut spec = ModelSpec::tutorial();
            for (at, child) in [(0, 0), (3, 1), (7, 2), (9, 3)] {
                spec.layers[at] = layer(child)?;
            }
            spec.input[0] = self.int_attr(&children[0].1, "in_channels")?.unwrap_or(1);
            return Ok((
                Some(spec),
                format!(
                    "the tutorial's {} module (conv1, conv2, fc1, fc2)",
                    ident(class)
                ),
                None,
            ));
        }
        // A module written by this playground's PyTorch export: its children are its layers in
        // order, named as the playground names them.
        if let Ok(spec) = self.sequence(&children) {
            if crate::nn::plan::Plan::new(&spec).is_ok_and(|plan| {
                plan.layers
                    .iter()
                    .map(|l| l.name.as_str())
                    .eq(names.iter().copied())
            }) {
                return Ok((Some(spec), described, None));
            }
        }
        Ok((None, described, None))
    }

    /// The spec of layers applied in order; the input is MNIST's size (a module does not record
    /// its input's; `checkpoint::load_onto` tries the size in use first) with the first layer's
    /// channels.
    fn sequence(&self, children: &[(String, Module)]) -> Result<ModelSpec> {
        if children.len() > MAX_LAYERS {
            return Err(bad(format!(
                "the module has {} layers; a network here has at most {MAX_LAYERS}",
                children.len()
            )));
        }
        let layers = children
            .iter()
            .map(|(n, m)| self.layer(n, m))
            .collect::<Result<Vec<_>>>()?;
        let channels = match children.first() {
            Some((_, m)) => self.int_attr(m, "in_channels")?,
            None => None,
        };
        let [_, height, width] = MNIST.shape;
        Ok(ModelSpec {
            input: [channels.unwrap_or(1), height, width],
            layers,
        })
    }

    fn int_attr(&self, m: &Module, name: &str) -> Result<Option<usize>> {
        let p = self.pickle;
        Ok(self
            .lookup(m.state, name)?
            .and_then(|i| p.int(i))
            .and_then(|v| usize::try_from(v).ok()))
    }

    /// A layer's spec from its module's settings: each field of the playground's layer type of
    /// the same class name, read from the attribute of the same name (the fields carry PyTorch's
    /// names); a setting the playground's layer lacks must be at PyTorch's default.
    fn layer(&self, name: &str, m: &Module) -> Result<LayerSpec> {
        let p = self.pickle;
        let class = short(&m.class);
        let unknown = || {
            bad(format!(
                "{} is a {}, a layer the playground does not have",
                quote(name),
                ident(class)
            ))
        };
        if !m.class.starts_with("torch.nn.modules.") {
            return Err(unknown());
        }
        let (tag, about) = LayerSpec::types()
            .into_iter()
            .find(|(_, a)| a.label == class)
            .ok_or_else(unknown)?;
        for (attr, default) in FIXED {
            let Some((c, attr)) = attr.split_once('.') else {
                continue;
            };
            if c != class {
                continue;
            }
            if let Some(v) = self.lookup(m.state, attr)? {
                let value = self.json(v)?.unwrap_or(serde_json::Value::Null);
                if value != serde_json::from_str::<serde_json::Value>(default).expect("valid JSON")
                {
                    return Err(bad(format!(
                        "{} has {attr}={}; the playground's {class} has only {attr}={default}",
                        quote(name),
                        quote(&value.to_string())
                    )));
                }
            }
        }
        let mut json = serde_json::Map::new();
        json.insert("type".into(), tag.into());
        for f in about.fields {
            let value = match self.lookup(m.state, f.name)? {
                Some(v) => self.json(v)?.ok_or_else(|| {
                    bad(format!(
                        "{}.{} is not a value the playground reads",
                        quote(name),
                        f.name
                    ))
                })?,
                // `bias=False` shows as a missing parameter.
                None if f.kind == FieldKind::Flag => {
                    let bias = match self.lookup(m.state, "_parameters")? {
                        Some(d) => self.lookup(d, f.name)?,
                        None => None,
                    };
                    serde_json::Value::Bool(bias.is_some_and(|b| p.get(b) != &Object::None))
                }
                None => continue,
            };
            // PyTorch keeps sizes as pairs; the playground's counts are one number.
            let value = match (f.kind, value) {
                (FieldKind::Count, serde_json::Value::Array(pair))
                    if pair.len() == 2 && pair[0] == pair[1] =>
                {
                    pair[0].clone()
                }
                (FieldKind::Size, serde_json::Value::Array(pair))
                    if pair.len() == 2 && pair[0] == pair[1] =>
                {
                    pair[0].clone()
                }
                (_, v) => v,
            };
            json.insert(f.name.into(), value);
        }
        serde_json::from_value(json.into()).map_err(|e| {
            bad(format!(
                "{} ({class}) has settings the playground cannot take: {}",
                quote(name),
                quote(&e.to_string())
            ))
        })
    }

    /// A plain value as JSON: numbers, text, flags, and tuples of them.
    fn json(&self, id: Id) -> Result<Option<serde_json::Value>> {
        let p = self.pickle;
        Ok(match p.get(id) {
            Object::None => Some(serde_json::Value::Null),
            Object::Str(s) => {
                self.work.spend(s.len())?;
                Some(s.clone().into())
            }
            Object::Tuple(items) | Object::List(items) => {
                self.work.spend(items.len())?;
                items
                    .iter()
                    .map(|&i| number(p.get(i)))
                    .collect::<Option<Vec<_>>>()
                    .map(Into::into)
            }
            other => number(other),
        })
    }
}

/// A number or a flag as JSON.
fn number(o: &Object) -> Option<serde_json::Value> {
    match o {
        Object::Bool(b) => Some((*b).into()),
        Object::Int(i) => Some((*i).into()),
        Object::Float(f) => serde_json::Number::from_f64(*f).map(Into::into),
        _ => None,
    }
}

/// Settings of PyTorch's layers that the playground's have only at PyTorch's default:
/// `Class.attribute` and the default as JSON.
const FIXED: &[(&str, &str)] = &[
    ("Conv2d.padding_mode", "\"zeros\""),
    ("Conv2d.transposed", "false"),
    ("MaxPool2d.dilation", "1"),
    ("MaxPool2d.ceil_mode", "false"),
    ("MaxPool2d.return_indices", "false"),
    ("AvgPool2d.ceil_mode", "false"),
    ("AvgPool2d.count_include_pad", "true"),
    ("AvgPool2d.divisor_override", "null"),
    ("BatchNorm2d.affine", "true"),
    ("BatchNorm2d.track_running_stats", "true"),
    ("Flatten.start_dim", "1"),
    ("Flatten.end_dim", "-1"),
];

/// `Conv2d` of `torch.nn.modules.conv.Conv2d`.
fn short(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// `0.weight` → `conv1.weight`, by the first part of the name.
fn rename(renames: &HashMap<String, String>, name: &str) -> String {
    let (head, rest) = name.split_once('.').unwrap_or((name, ""));
    match renames.get(head) {
        Some(to) if !rest.is_empty() => format!("{to}.{rest}"),
        _ => name.to_string(),
    }
}
