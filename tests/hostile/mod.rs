//! A hostile corpus: model files made to bring the readers down, one or more per class of attack
//! found so far (the `.pt`, `.pdparams`, zip and safetensors readers under a hostile sweep):
//! rebuild calls nested tens of thousands deep or made their own argument (the stack), one
//! container shared by every key or one module listed a quarter of a million times (quadratic
//! walks), pickles of cheap opcodes (memory per byte of file), shapes of a million dimensions
//! and names made of terminal escapes, newlines and a megabyte of text (messages), a weight
//! changed in transit (the zip's checksum). Each must be refused in under a second and 256 MB,
//! with one line that names no control character: [`check`] says whether a refusal is that.
//! Used natively (`hostile_files.rs`, in-process and through the CLI) and in the browser
//! (`hostile_wasm.rs`, through the page's `Session`).
#![allow(dead_code)]

use cnn_playground::io::zip;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// One hostile file, made when asked (a test holds one at a time), and what its refusal must say.
pub struct Case {
    pub name: &'static str,
    pub make: fn() -> Vec<u8>,
    pub says: &'static str,
}

/// The most a refusal may take.
pub const MEMORY: usize = 256 << 20;
/// The longest a refusal may take, in seconds.
pub const SECONDS: f64 = 1.0;

/// The corpus; `large` adds a 100 MB pickle of cheap opcodes (natively: the browser's test keeps
/// to the 24 MB one).
pub fn corpus(large: bool) -> Vec<Case> {
    let mut cases = vec![
        Case {
            name: "nested_parameters.pt",
            make: || torch_zip(&nested_parameters(60_000), &[]),
            says: "wrapped in parameters more than",
        },
        Case {
            name: "cyclic_parameter.pt",
            make: || torch_zip(&cyclic_parameter("_rebuild_parameter"), &[]),
            says: "wrapped in parameters more than",
        },
        Case {
            name: "cyclic_parameter_with_state.pt",
            make: || torch_zip(&cyclic_parameter("_rebuild_parameter_with_state"), &[]),
            says: "wrapped in parameters more than",
        },
        Case {
            name: "shared_dict.pt",
            make: || torch_zip(&shared_dict(150_000), &[]),
            says: "holds more than 1000 tensors",
        },
        Case {
            name: "shared_module.pt",
            make: || torch_zip(&shared_module(250_000), &[("archive/data/0", &[0; 4])]),
            says: "holds more than 1000 modules",
        },
        Case {
            name: "cheap_opcodes.pdparams",
            make: || cheap_opcodes(b'N', 24 << 20),
            says: "builds more objects than a model file",
        },
        Case {
            name: "cheap_marks.pdparams",
            make: || cheap_opcodes(b'(', 24 << 20),
            says: "builds more objects than a model file",
        },
        Case {
            name: "long_shape.pt",
            make: || torch_zip(&long_shape(1 << 20), &[("archive/data/0", &[0; 4])]),
            says: "is not a tensor the playground can read",
        },
        Case {
            name: "long_shape.safetensors",
            make: || safetensors("conv1.weight", &format!("[{}1]", "1,".repeat(99_999))),
            says: "1×1×1×1×1×1×1×1×… (100000 dimensions), but the network needs 16×1×3×3",
        },
        Case {
            name: "long_header.safetensors",
            make: || safetensors("conv1.weight", &format!("[{}0]", "0,".repeat(12 << 20))),
            says: "header is 24 MB, more than any model's",
        },
        Case {
            name: "escape_in_zip_name.pt",
            make: || {
                compressed(&torch_zip(
                    b"\x80\x02}.",
                    &[("archive/\x1b[2J\nerror: forged", b"x")],
                ))
            },
            says: "'archive/\\u{1b}[2J\\nerror: forged' in the zip archive is compressed",
        },
        Case {
            name: "escape_in_global.pdparams",
            make: || escape_in_global(),
            says: "'os\\n\\u{1b}[31merror: forged.system'",
        },
        Case {
            name: "escape_in_key.pt",
            make: || {
                torch_zip(
                    &key_of_no_tensor("w\r\nerror: forged\u{1b}[0m\u{202e}"),
                    &[],
                )
            },
            says: "'w\\r\\nerror: forged\\u{1b}[0m\\u{202e}' is not a tensor",
        },
        Case {
            name: "escape_in_name.safetensors",
            make: || safetensors("\u{1b}]0;owned\u{7}\nerror: forged", "[1]"),
            says: "it has no 'conv1.weight'",
        },
        Case {
            // Found by fuzzing: the safetensors parser's own words quote the name as written.
            name: "escape_in_parser_words.safetensors",
            make: || safetensors("w\u{7f}\u{1b}[2J\nerror: forged", "[2]"),
            says: "This safetensors file is damaged",
        },
        Case {
            name: "long_key.pt",
            make: || torch_zip(&key_of_no_tensor(&"k".repeat(1 << 20)), &[]),
            says: "…' (1048576 characters) is not a tensor",
        },
        Case {
            name: "flipped_weight.pt",
            make: || flipped_weight(),
            says: "does not match its checksum (CRC-32)",
        },
    ];
    if large {
        cases.push(Case {
            name: "cheap_opcodes_100mb.pdparams",
            make: || cheap_opcodes(b'N', 100 << 20),
            says: "builds more objects than a model file",
        });
    }
    cases
}

/// Whether `message` (and `detail`) is a refusal as [`Case::says`] it must be: one line, no
/// control character or text-moving mark, no longer than a message can be.
pub fn check(case: &Case, message: &str, detail: &str) -> Result<(), String> {
    for text in [message, detail] {
        if let Some(c) = text
            .chars()
            .find(|&c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}'))
        {
            return Err(format!("{}: {:?} in {text:?}", case.name, c));
        }
        if text.chars().count() > 2100 {
            return Err(format!("{}: {} characters", case.name, text.len()));
        }
    }
    if !message.contains(case.says) {
        return Err(format!(
            "{}: {message:?} does not say {:?}",
            case.name, case.says
        ));
    }
    Ok(())
}

/// A pickle as a `.pt` holds it: inside a zip with PyTorch's layout, with `files` beside it.
fn torch_zip(pickle: &[u8], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    entries.push(("archive/data.pkl".into(), pickle.to_vec()));
    entries.push(("archive/byteorder".into(), b"little".to_vec()));
    zip::write(&entries)
}

/// The zip with its first entry marked compressed (deflate), as the directory says it.
fn compressed(zip: &[u8]) -> Vec<u8> {
    let mut zip = zip.to_vec();
    let central = zip
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("a central directory");
    zip[central + 10] = 8;
    zip
}

/// BINUNICODE.
fn text(s: &str) -> Vec<u8> {
    let mut out = vec![b'X'];
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    out
}

/// A valid float tensor of one element in storage '0': `_rebuild_tensor_v2(storage, 0, shape,
/// (1,)…)` with the shape given as pickle bytes.
fn tensor(shape: &[u8]) -> Vec<u8> {
    let mut t = b"ctorch._utils\n_rebuild_tensor_v2\n((".to_vec();
    t.extend(text("storage"));
    t.extend_from_slice(b"ctorch\nFloatStorage\n");
    t.extend(text("0"));
    t.extend(text("cpu"));
    t.extend_from_slice(b"K\x01tQK\x00");
    t.extend_from_slice(shape);
    t.extend_from_slice(b"K\x01\x85\x89tR");
    t
}

/// `{'weight': _rebuild_parameter(_rebuild_parameter(…(None)…))}`, `depth` calls deep.
fn nested_parameters(depth: usize) -> Vec<u8> {
    let mut p = b"\x80\x02}".to_vec();
    p.extend(text("weight"));
    p.extend_from_slice(b"ctorch._utils\n_rebuild_parameter\nq\x00");
    for _ in 1..depth {
        p.extend_from_slice(b"h\x00");
    }
    p.push(b'N');
    for _ in 0..depth {
        p.extend_from_slice(b"\x85R");
    }
    p.extend_from_slice(b"s.");
    p
}

/// `{'weight': p}` where p is a `function` instance made by NEWOBJ whose arguments, a list, hold
/// p itself.
fn cyclic_parameter(function: &str) -> Vec<u8> {
    let mut p = b"\x80\x02}".to_vec();
    p.extend(text("weight"));
    p.extend_from_slice(format!("ctorch._utils\n{function}\n").as_bytes());
    p.extend_from_slice(b"]q\x01\x81q\x02h\x01h\x02a0s.");
    p
}

/// `{'k': D, 'k': D, …}`, `n` keys, where D is one dict of `n` entries (all named 'k') of one
/// rebuild call: every value of the root is the same large dict of tensors.
fn shared_dict(n: usize) -> Vec<u8> {
    let mut p = b"\x80\x02}".to_vec();
    p.extend(text("k"));
    p.extend_from_slice(b"q\x01}q\x02ctorch._utils\n_rebuild_tensor_v2\n)Rq\x030(");
    for _ in 0..n {
        p.extend_from_slice(b"h\x01h\x03");
    }
    p.extend_from_slice(b"us(");
    for _ in 0..n {
        p.extend_from_slice(b"h\x01h\x02");
    }
    p.extend_from_slice(b"u.");
    p
}

/// A `Sequential` whose `_modules` list one Linear module `n` times under `n` names.
fn shared_module(n: usize) -> Vec<u8> {
    let module = |class: &str| -> Vec<u8> {
        let mut m = format!("c{class}\n)").into_bytes();
        m.extend_from_slice(b"\x81}(");
        m.extend(text("_modules"));
        m
    };
    let mut p = b"\x80\x02".to_vec();
    p.extend(module("torch.nn.modules.container\nSequential"));
    p.push(b'}');
    // The child, memoised, then taken off the stack.
    p.extend(module("torch.nn.modules.linear\nLinear"));
    p.push(b'}');
    p.extend(text("_parameters"));
    p.push(b'}');
    p.extend(text("weight"));
    p.extend(tensor(b"K\x01\x85"));
    p.extend_from_slice(b"subq\x010(");
    for i in 0..n {
        let name = format!("m{i}");
        p.push(0x8c);
        p.push(name.len() as u8);
        p.extend_from_slice(name.as_bytes());
        p.extend_from_slice(b"h\x01");
    }
    p.extend_from_slice(b"uub.");
    p
}

/// A pickle that is `size` bytes of one opcode that makes something (None, a MARK).
fn cheap_opcodes(op: u8, size: usize) -> Vec<u8> {
    let mut p = b"\x80\x02".to_vec();
    p.resize(size - 1, op);
    p.push(b'.');
    p
}

/// `{'weight': tensor}` whose shape has `n` dimensions of 1.
fn long_shape(n: usize) -> Vec<u8> {
    let mut shape = b"(K\x01q\x09".to_vec();
    for _ in 1..n {
        shape.extend_from_slice(b"h\x09");
    }
    shape.push(b't');
    let mut p = b"\x80\x02}".to_vec();
    p.extend(text("weight"));
    p.extend(tensor(&shape));
    p.extend_from_slice(b"s.");
    p
}

/// A safetensors file of one float32 tensor `name` with the JSON `shape`.
fn safetensors(name: &str, shape: &str) -> Vec<u8> {
    let header = format!(
        "{{{}: {{\"dtype\": \"F32\", \"shape\": {shape}, \"data_offsets\": [0, 4]}}}}",
        serde_json::to_string(name).expect("a string")
    );
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&[0; 4]);
    out
}

/// A `.pdparams` that calls a function whose module's name holds a newline and an escape.
fn escape_in_global() -> Vec<u8> {
    let mut p = b"\x80\x04".to_vec();
    p.extend(text("os\n\u{1b}[31merror: forged"));
    p.extend(text("system"));
    p.push(0x93);
    p.extend(text("echo"));
    p.extend_from_slice(b"\x85R.");
    p
}

/// A state_dict whose one key is `key`, its value a rebuild call of no tensor.
fn key_of_no_tensor(key: &str) -> Vec<u8> {
    let mut p = b"\x80\x02}".to_vec();
    p.extend(text(key));
    p.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\n)Rs.");
    p
}

/// PyTorch's own file of the tutorial's state_dict with one byte of a weight changed, as a
/// download damaged in transit.
fn flipped_weight() -> Vec<u8> {
    let mut bytes = include_bytes!("../fixtures/interop/tutorial_state.pt").to_vec();
    let entries = zip::entries(&bytes).expect("PyTorch's file reads");
    let storage = entries
        .iter()
        .find(|e| e.name.ends_with("data/0"))
        .expect("a storage");
    let at = storage.data.as_ptr() as usize - bytes.as_ptr() as usize + 5;
    drop(entries);
    bytes[at] ^= 0x10;
    bytes
}

/// The system allocator, keeping each thread's bytes in use and their peak, to measure what a
/// refusal takes.
pub struct Peak;

thread_local! {
    static IN_USE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grow(by: isize) {
    IN_USE.with(|u| {
        u.set(u.get() + by);
        PEAK.with(|p| p.set(p.get().max(u.get())));
    });
}

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size as isize - layout.size() as isize);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grow(-(layout.size() as isize));
        System.dealloc(ptr, layout)
    }
}

/// What `f` returns, and the most memory this thread held at once while it ran, beyond what it
/// held before.
pub fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = IN_USE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, (PEAK.with(Cell::get) - start).max(0) as usize)
}
