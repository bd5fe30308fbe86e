//! A safe reader of Python pickles, for the files PyTorch's `torch.save` and Paddle's
//! `paddle.save` write. Python's own `pickle.load` (and so `torch.load` without
//! `weights_only=True`) runs whatever a file asks it to call; this one calls nothing. It runs the
//! pickle machine's opcodes over plain values and keeps a call (`REDUCE`) as data: the function
//! named and its arguments, for the format's reader to interpret. A call of a function it does not
//! know is refused by name.
//!
//! Everything it builds lives in one arena ([`Pickle::objects`]), so that a list or dict filled
//! after it was memoised is the same object everywhere it is referenced. What it allocates is
//! counted as it goes: a byte of pickle can make an object of some 60 bytes, so the objects, the
//! stack and the memo together may take [`MEMORY_PER_BYTE`] times the pickle's size and never
//! more than [`MAX_MEMORY`] (a model of 10,000 tensors takes about 10 MB), and a file that asks
//! for more is refused before it gets it. The memo is a map, so a huge memo index costs
//! nothing; nothing here recurses, so nesting cannot overflow the stack; and the readers that
//! walk the result bound their depth and, with [`Work`], their work.

use crate::error::{quote, Error, Result};
use std::collections::HashMap;

/// What the machine's objects, stack and memo may take per byte of pickle: real files take up to
/// some 30 (an object of 64 bytes for every two or three bytes), a pickle of nothing but cheap
/// opcodes 80 or more.
pub const MEMORY_PER_BYTE: usize = 64;
/// What they may take whatever the file's size: a model of 10,000 tensors takes about 10 MB.
pub const MAX_MEMORY: usize = 32 << 20;
/// What an id costs where it is kept (the stack, a container, the memo's slot).
const ID: usize = std::mem::size_of::<Id>();

/// An object's place in [`Pickle::objects`].
pub type Id = usize;

#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    None,
    Bool(bool),
    Int(i64),
    /// An integer too wide for i64, as LONG1/LONG4 store it: little-endian two's complement.
    BigInt(Vec<u8>),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    /// A dict or an `OrderedDict`, its items in order.
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    /// A reference to a Python object by name: `torch._utils._rebuild_tensor_v2`.
    Global {
        module: String,
        name: String,
    },
    /// A known function called with `args` (a tuple), or an instance of `class` made with `args`
    /// (NEWOBJ), kept unevaluated; `state` is what BUILD gave it (a module's `__dict__`).
    Call {
        callable: Id,
        args: Id,
        state: Option<Id>,
    },
    /// A persistent id: a reference the format resolves itself (PyTorch's storages).
    Persistent(Id),
}

/// The functions a pickle may call: kept as [`Object::Call`] for the format reader. Anything else
/// called is refused; classes may still be named (a user's own module class), as NEWOBJ makes an
/// instance without running any of its code.
const CALLABLE: &[(&str, &str)] = &[
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("collections", "OrderedDict"),
    ("builtins", "tuple"),
    ("builtins", "list"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("__builtin__", "set"),
    ("_codecs", "encode"),
    ("copyreg", "_reconstructor"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "dtype"),
];

/// A module whose classes may be called: PyTorch's layers are made by
/// `copyreg._reconstructor` or NEWOBJ, never run.
fn callable(module: &str, name: &str) -> bool {
    CALLABLE.contains(&(module, name)) || module.starts_with("torch.nn.modules.")
}

/// The most dimensions a tensor of a file may have (PyTorch's own limit is 64; the playground's
/// tensors have at most 4).
pub const MAX_DIMS: usize = 16;

/// One pickle, read: its objects and the one it stands for.
#[derive(Debug)]
pub struct Pickle {
    pub objects: Vec<Object>,
    pub root: Id,
    /// Where the pickle ended in the input (the next one starts there, in PyTorch's legacy files).
    pub end: usize,
    /// Its size in bytes.
    pub size: usize,
}

/// The work a reader may do walking a pickle's objects, in steps (an item looked at, a byte of a
/// name made), bounded by the pickle's size: a file can share one container among many places
/// (a module listed a million times, a key a megabyte long used for every tensor), and a walk
/// that followed each would take time and memory quadratic in the file's size.
pub struct Work(std::cell::Cell<usize>);

impl Work {
    /// Steps per byte of pickle: a real file's walk takes a few per byte.
    const PER_BYTE: usize = 16;

    pub fn for_pickle(p: &Pickle) -> Self {
        Work(std::cell::Cell::new(
            p.size
                .saturating_mul(Self::PER_BYTE)
                .saturating_add(1 << 20),
        ))
    }

    /// Takes `steps` from what is left, or refuses the file.
    pub fn spend(&self, steps: usize) -> Result<()> {
        let left = self.0.get().checked_sub(steps).ok_or_else(|| {
            bad("the file refers to the same objects over and over, far more than a model file does")
        })?;
        self.0.set(left);
        Ok(())
    }
}

impl Pickle {
    pub fn get(&self, id: Id) -> &Object {
        &self.objects[id]
    }

    /// The string `id` is, if it is one.
    pub fn str(&self, id: Id) -> Option<&str> {
        match self.get(id) {
            Object::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self, id: Id) -> Option<i64> {
        match self.get(id) {
            Object::Int(i) => Some(*i),
            Object::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    /// The items of a tuple or list.
    pub fn items(&self, id: Id) -> Option<&[Id]> {
        match self.get(id) {
            Object::Tuple(v) | Object::List(v) => Some(v),
            _ => None,
        }
    }

    /// A tuple or list of sizes (non-negative integers): a shape, strides; of at most
    /// [`MAX_DIMS`], the most a tensor has.
    pub fn sizes(&self, id: Id) -> Option<Vec<usize>> {
        let items = self.items(id)?;
        if items.len() > MAX_DIMS {
            return None;
        }
        items
            .iter()
            .map(|&i| self.int(i).and_then(|v| usize::try_from(v).ok()))
            .collect()
    }

    /// The items of a dict, an `OrderedDict` among them.
    pub fn dict(&self, id: Id) -> Option<&[(Id, Id)]> {
        match self.get(id) {
            Object::Dict(items) => Some(items),
            _ => None,
        }
    }

    /// The value under string key `key` in dict `id`.
    pub fn lookup(&self, id: Id, key: &str) -> Option<Id> {
        self.dict(id)?
            .iter()
            .find(|(k, _)| self.str(*k) == Some(key))
            .map(|(_, v)| *v)
    }

    /// The module and name of a global, borrowed: a file's names can be long, and a reader
    /// that asks for one per tensor must not copy it each time.
    pub fn global(&self, id: Id) -> Option<(&str, &str)> {
        match self.get(id) {
            Object::Global { module, name } => Some((module, name)),
            _ => None,
        }
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::Format(message.into())
}

/// Reads the pickle that starts at `start` in `bytes`.
pub fn read(bytes: &[u8], start: usize) -> Result<Pickle> {
    let size = bytes.len().saturating_sub(start);
    Machine {
        input: bytes,
        at: start,
        start,
        objects: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        memory: allowance(size),
    }
    .run()
}

/// What the machine may allocate for a pickle of `size` bytes.
fn allowance(size: usize) -> usize {
    MAX_MEMORY.min(size.saturating_mul(MEMORY_PER_BYTE).saturating_add(1 << 20))
}

struct Machine<'a> {
    input: &'a [u8],
    at: usize,
    start: usize,
    objects: Vec<Object>,
    stack: Vec<Id>,
    /// Where each open MARK left the stack.
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
    /// What the objects, the stack and the memo may still take, in bytes.
    memory: usize,
}

impl Machine<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.input.len())
            .ok_or_else(|| {
                bad(format!(
                    "the pickle is cut short: {n} bytes wanted at byte {}, {} remain",
                    self.at,
                    self.input.len().saturating_sub(self.at)
                ))
            })?;
        let s = &self.input[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn le(&mut self, n: usize) -> Result<u64> {
        let b = self.take(n)?;
        Ok(b.iter().rev().fold(0u64, |a, &x| (a << 8) | x as u64))
    }

    /// A length read as `n` bytes, checked against what the file still holds before anything is
    /// allocated for it.
    fn len(&mut self, n: usize) -> Result<usize> {
        let len = self.le(n)?;
        let left = (self.input.len() - self.at) as u64;
        if len > left {
            return Err(bad(format!(
                "the pickle is cut short: an item of {len} bytes at byte {}, {left} remain",
                self.at
            )));
        }
        Ok(len as usize)
    }

    fn line(&mut self) -> Result<String> {
        let rest = &self.input[self.at..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("the pickle is cut short inside a name"))?;
        let s = std::str::from_utf8(&rest[..n])
            .map_err(|_| bad("a name in the pickle is not text"))?
            .to_string();
        self.at += n + 1;
        Ok(s)
    }

    fn text(&mut self, n: usize) -> Result<String> {
        let len = self.len(n)?;
        let b = self.take(len)?;
        String::from_utf8(b.to_vec()).map_err(|_| bad("a string in the pickle is not UTF-8"))
    }

    /// Counts `bytes` more against what the pickle may take, refusing it before it takes them.
    fn charge(&mut self, bytes: usize) -> Result<()> {
        self.memory = self.memory.checked_sub(bytes).ok_or_else(|| {
            let size = self.input.len() - self.start;
            bad(format!(
                "the pickle builds more objects than a model file of its size has ({} MB by \
                 byte {} of {size}, the most it may take): it was refused there",
                allowance(size) >> 20,
                self.at - self.start,
            ))
        })?;
        Ok(())
    }

    fn alloc(&mut self, o: Object) -> Result<Id> {
        let payload = match &o {
            Object::Str(s) => s.len(),
            Object::Bytes(b) | Object::BigInt(b) => b.len(),
            Object::Global { module, name } => module.len() + name.len(),
            Object::Tuple(v) | Object::List(v) | Object::Set(v) => v.len() * ID,
            Object::Dict(v) => v.len() * 2 * ID,
            _ => 0,
        };
        self.charge(std::mem::size_of::<Object>() + payload)?;
        self.objects.push(o);
        Ok(self.objects.len() - 1)
    }

    fn push(&mut self, o: Object) -> Result<()> {
        let id = self.alloc(o)?;
        self.push_id(id)
    }

    /// Pushes an object already made (a memo's, a duplicate).
    fn push_id(&mut self, id: Id) -> Result<()> {
        self.charge(ID)?;
        self.stack.push(id);
        Ok(())
    }

    fn pop(&mut self) -> Result<Id> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(bad("the pickle takes from an empty stack"));
        }
        Ok(self.stack.pop().expect("checked"))
    }

    fn top(&self) -> Result<Id> {
        self.stack
            .last()
            .copied()
            .ok_or_else(|| bad("the pickle reads an empty stack"))
    }

    /// The items pushed since the last MARK, which is closed.
    fn pop_mark(&mut self) -> Result<Vec<Id>> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| bad("the pickle closes a MARK it never opened"))?;
        Ok(self.stack.split_off(mark))
    }

    fn global(&mut self, module: String, name: String) -> Result<()> {
        self.push(Object::Global { module, name })
    }

    /// REDUCE: a call of a known function, evaluated where it only builds a container.
    fn reduce(&mut self, callable_id: Id, args: Id) -> Result<Object> {
        let Object::Global { module, name } = &self.objects[callable_id] else {
            return Err(bad(
                "the pickle calls something that is not a named function",
            ));
        };
        let called = || quote(&format!("{module}.{name}"));
        if !callable(module, name) {
            return Err(bad(format!(
                "the pickle calls {}, which a model file has no need of; it was not run",
                called()
            )));
        }
        let Object::Tuple(a) = &self.objects[args] else {
            return Err(bad(format!(
                "{} is called without an argument tuple",
                called()
            )));
        };
        let first = a.first().map(|&i| &self.objects[i]);
        let items = || match first {
            None => Ok(vec![]),
            Some(Object::Tuple(v) | Object::List(v) | Object::Set(v)) => Ok(v.clone()),
            _ => Err(bad(format!("{} is given what it cannot take", called()))),
        };
        Ok(match (module.as_str(), name.as_str()) {
            ("builtins", "tuple") => Object::Tuple(items()?),
            ("builtins", "list") => Object::List(items()?),
            (_, "set" | "frozenset") => Object::Set(items()?),
            ("collections", "OrderedDict") => {
                let mut items_ = Vec::new();
                for pair in items()? {
                    match &self.objects[pair] {
                        Object::Tuple(kv) | Object::List(kv) if kv.len() == 2 => {
                            items_.push((kv[0], kv[1]))
                        }
                        _ => return Err(bad("an OrderedDict is given what is not a pair")),
                    }
                }
                Object::Dict(items_)
            }
            // Protocol 1's way of making an instance of a class without running it.
            ("copyreg", "_reconstructor") => Object::Call {
                callable: *a
                    .first()
                    .ok_or_else(|| bad("_reconstructor without a class"))?,
                args,
                state: None,
            },
            ("_codecs", "encode") => {
                // How protocol 2 stores bytes: the text of their latin-1 code points.
                match (first, a.get(1).map(|&i| &self.objects[i])) {
                    (Some(Object::Str(s)), Some(Object::Str(enc))) if enc == "latin1" => {
                        let bytes: Option<Vec<u8>> =
                            s.chars().map(|c| u8::try_from(c as u32).ok()).collect();
                        Object::Bytes(bytes.ok_or_else(|| bad("latin-1 bytes out of range"))?)
                    }
                    _ => return Err(bad("_codecs.encode is called with what it cannot take")),
                }
            }
            _ => Object::Call {
                callable: callable_id,
                args,
                state: None,
            },
        })
    }

    fn run(mut self) -> Result<Pickle> {
        loop {
            let op = self.u8()?;
            match op {
                0x80 => {
                    let proto = self.u8()?;
                    if proto > 5 {
                        return Err(bad(format!("pickle protocol {proto} is newer than 5")));
                    }
                }
                0x95 => {
                    self.le(8)?; // FRAME: a length for buffered readers
                }
                b'.' => {
                    let root = self.pop()?;
                    return Ok(Pickle {
                        objects: self.objects,
                        root,
                        end: self.at,
                        size: self.at - self.start,
                    });
                }
                b'(' => {
                    self.charge(ID)?;
                    self.marks.push(self.stack.len());
                }
                b')' => self.push(Object::Tuple(vec![]))?,
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Object::Tuple(items))?;
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Object::Tuple(items))?;
                }
                b']' => self.push(Object::List(vec![]))?,
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Object::List(items))?;
                }
                b'a' => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    self.extend(list, vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let list = self.top()?;
                    self.extend(list, items)?;
                }
                b'}' => self.push(Object::Dict(vec![]))?,
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(items)?;
                    self.push(Object::Dict(pairs))?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let dict = self.top()?;
                    self.set_items(dict, vec![(k, v)])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let dict = self.top()?;
                    self.set_items(dict, pairs(items)?)?;
                }
                0x8f => self.push(Object::Set(vec![]))?,
                0x90 => {
                    let items = self.pop_mark()?;
                    let set = self.top()?;
                    self.charge(items.len() * ID)?;
                    match &mut self.objects[set] {
                        Object::Set(v) => v.extend(items),
                        _ => return Err(bad("the pickle adds items to what is not a set")),
                    }
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    self.push(Object::Set(items))?;
                }
                b'N' => self.push(Object::None)?,
                0x88 => self.push(Object::Bool(true))?,
                0x89 => self.push(Object::Bool(false))?,
                b'J' => {
                    let v = self.le(4)? as u32 as i32;
                    self.push(Object::Int(v as i64))?;
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(Object::Int(v as i64))?;
                }
                b'M' => {
                    let v = self.le(2)?;
                    self.push(Object::Int(v as i64))?;
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        self.u8()? as usize
                    } else {
                        self.len(4)?
                    };
                    let b = self.take(n)?.to_vec();
                    self.push(long(b))?;
                }
                b'G' => {
                    let b = self.take(8)?;
                    let v = f64::from_be_bytes(b.try_into().expect("8 bytes"));
                    self.push(Object::Float(v))?;
                }
                b'X' | 0x8c | 0x8d => {
                    let n = match op {
                        b'X' => 4,
                        0x8c => 1,
                        _ => 8,
                    };
                    let s = self.text(n)?;
                    self.push(Object::Str(s))?;
                }
                // Protocol 2's str (Python 2's byte strings, latin-1 here as Python 3 reads them).
                b'T' | b'U' => {
                    let n = self.len(if op == b'T' { 4 } else { 1 })?;
                    let s = self.take(n)?.iter().map(|&b| b as char).collect();
                    self.push(Object::Str(s))?;
                }
                b'C' | b'B' | 0x8e | 0x96 => {
                    let n = match op {
                        b'C' => 1,
                        b'B' => 4,
                        _ => 8,
                    };
                    let n = self.len(n)?;
                    let b = self.take(n)?.to_vec();
                    self.push(Object::Bytes(b))?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.global(module, name)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (&self.objects[module], &self.objects[name]) {
                        (Object::Str(m), Object::Str(n)) => {
                            let (m, n) = (m.clone(), n.clone());
                            self.global(m, n)?;
                        }
                        _ => return Err(bad("STACK_GLOBAL is given what is not a name")),
                    }
                }
                b'R' => {
                    let args = self.pop()?;
                    let f = self.pop()?;
                    // A call that builds a container copies what it is given: counted as it is
                    // made, so calling one again and again on a large list is refused.
                    let o = self.reduce(f, args)?;
                    self.push(o)?;
                }
                0x81 | 0x92 => {
                    if op == 0x92 {
                        self.pop()?; // NEWOBJ_EX's keyword arguments
                    }
                    let args = self.pop()?;
                    let class = self.pop()?;
                    self.push(Object::Call {
                        callable: class,
                        args,
                        state: None,
                    })?;
                }
                b'b' => {
                    let state = self.pop()?;
                    let target = self.top()?;
                    match &mut self.objects[target] {
                        Object::Call { state: s, .. } => *s = Some(state),
                        // An OrderedDict's attributes (a state_dict's `_metadata`): not needed.
                        Object::Dict(_) => {}
                        _ => return Err(bad("the pickle sets the state of a plain value")),
                    }
                }
                b'Q' => {
                    let pid = self.pop()?;
                    self.push(Object::Persistent(pid))?;
                }
                b'h' | b'j' => {
                    let key = self.le(if op == b'h' { 1 } else { 4 })?;
                    let id = *self.memo.get(&key).ok_or_else(|| {
                        bad(format!("the pickle recalls memo {key}, never stored"))
                    })?;
                    self.push_id(id)?;
                }
                b'q' | b'r' => {
                    let key = self.le(if op == b'q' { 1 } else { 4 })?;
                    let top = self.top()?;
                    self.remember(key, top)?;
                }
                0x94 => {
                    let key = self.memo.len() as u64;
                    let top = self.top()?;
                    self.remember(key, top)?;
                }
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self.top()?;
                    self.push_id(top)?;
                }
                other => {
                    return Err(bad(format!(
                        "the pickle uses opcode 0x{other:02x} at byte {}, which model files do not",
                        self.at - 1
                    )))
                }
            }
        }
    }

    /// A memo slot: a map entry, counted at what a hash map keeps per entry.
    fn remember(&mut self, key: u64, id: Id) -> Result<()> {
        self.charge(4 * ID)?;
        self.memo.insert(key, id);
        Ok(())
    }

    fn extend(&mut self, list: Id, items: Vec<Id>) -> Result<()> {
        self.charge(items.len() * ID)?;
        match &mut self.objects[list] {
            Object::List(v) => {
                v.extend(items);
                Ok(())
            }
            _ => Err(bad("the pickle appends to what is not a list")),
        }
    }

    fn set_items(&mut self, dict: Id, items: Vec<(Id, Id)>) -> Result<()> {
        self.charge(items.len() * 2 * ID)?;
        match &mut self.objects[dict] {
            // A key set twice keeps the last value, as in Python.
            Object::Dict(v) => {
                v.extend(items);
                Ok(())
            }
            _ => Err(bad("the pickle sets items of what is not a dict")),
        }
    }
}

fn pairs(items: Vec<Id>) -> Result<Vec<(Id, Id)>> {
    if !items.len().is_multiple_of(2) {
        return Err(bad("a dict in the pickle has a key without a value"));
    }
    Ok(items.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

/// LONG1/LONG4's little-endian two's complement, as an i64 where it fits.
fn long(b: Vec<u8>) -> Object {
    if b.len() > 8 {
        return Object::BigInt(b);
    }
    let negative = b.last().is_some_and(|&x| x & 0x80 != 0);
    let mut v: i64 = if negative { -1 } else { 0 };
    for &x in b.iter().rev() {
        v = (v << 8) | x as i64;
    }
    Object::Int(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dict_of_python_values() {
        // pickle.dumps({'a': [1, -2, 3.5], 'b': (True, None, b'xy')}, protocol=2)
        let p = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00eX\x01\x00\x00\x00bq\x03\x88NC\x02xyq\x04\x87q\x05u.";
        let pickle = read(p, 0).unwrap();
        let values = |key: &str| -> Vec<&Object> {
            let id = pickle.lookup(pickle.root, key).unwrap();
            pickle
                .items(id)
                .unwrap()
                .iter()
                .map(|&i| pickle.get(i))
                .collect()
        };
        assert_eq!(
            values("a"),
            [&Object::Int(1), &Object::Int(-2), &Object::Float(3.5)]
        );
        assert_eq!(
            values("b"),
            [
                &Object::Bool(true),
                &Object::None,
                &Object::Bytes(b"xy".to_vec())
            ]
        );
        assert_eq!(pickle.end, p.len());
    }

    #[test]
    fn calls_nothing_it_does_not_know() {
        // The classic: cos\nsystem\n(S'echo owned'\ntR.
        let e = read(b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00echo\x85R.", 0).unwrap_err();
        assert!(e.to_string().contains("posix.system"), "{e}");
        let e = read(b"\x80\x02cbuiltins\neval\nX\x01\x00\x00\x001\x85R.", 0).unwrap_err();
        assert!(e.to_string().contains("builtins.eval"), "{e}");
    }

    #[test]
    fn refuses_what_does_not_add_up() {
        for (bytes, says) in [
            (&b"\x80\x02X\xff\xff\xff\x7fab."[..], "cut short"),
            (b"\x80\x02j\xff\xff\xff\xff.", "memo 4294967295"),
            (b"\x80\x02r\xff\xff\xff\xff.", "empty stack"),
            (b"\x80\x02(((((((((((((((((.", "empty stack"),
            (b"\x80\x02K\x01", "cut short"),
            (b"\x80\x02}K\x01s.", "empty stack"),
            (b"\x80\x02K\x00K\x01K\x02s.", "not a dict"),
            (b"\x80\x02Ifoo\n.", "opcode 0x49"),
        ] {
            let e = read(bytes, 0).unwrap_err().to_string();
            assert!(e.contains(says), "{bytes:?}: {e}");
        }
    }

    #[test]
    fn reads_wide_integers() {
        assert_eq!(long(vec![0xff]), Object::Int(-1));
        assert_eq!(long(vec![0x00, 0x80, 0x00]), Object::Int(0x8000));
        assert_eq!(long(vec![]), Object::Int(0));
        assert!(matches!(long(vec![1; 10]), Object::BigInt(_)));
    }
}
