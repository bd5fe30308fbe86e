//! Structure-aware inputs for the pickle readers: a pickle split into its opcodes and mutated a
//! whole opcode at a time (so a mutation makes another pickle, not noise the machine refuses at
//! its first byte), pickles generated from pieces that real and hostile files are made of (rebuild
//! calls nested and made their own argument, containers shared through the memo, module trees,
//! escapes in names), and PyTorch's zip around them with checksums that hold (so the zip's CRC
//! check does not refuse every mutant).
#![allow(dead_code)]

use cnn_playground::io::zip;

/// Real pickles to start from: PyTorch's whole module and state_dict (data.pkl), Paddle's; read
/// once.
pub fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(read_seeds)
}

fn read_seeds() -> Vec<Vec<u8>> {
    let pkl = |file: &[u8]| -> Vec<u8> {
        let entries = zip::entries(file).expect("a fixture reads");
        entries
            .iter()
            .find(|e| e.name.ends_with("data.pkl"))
            .expect("data.pkl")
            .data
            .to_vec()
    };
    vec![
        pkl(include_bytes!("../../../tests/fixtures/interop/tutorial_module.pt")),
        pkl(include_bytes!("../../../tests/fixtures/interop/tutorial_state.pt")),
        include_bytes!("../../../tests/fixtures/interop/tutorial.pdparams")[..4096].to_vec(),
    ]
}

/// How long an opcode's argument is.
enum Arg {
    None,
    Fixed(usize),
    /// A length of n bytes, then that many bytes.
    Sized(usize),
    /// Lines ending in '\n'.
    Lines(usize),
}

fn arg(op: u8) -> Option<Arg> {
    Some(match op {
        b'(' | b't' | b')' | b']' | b'l' | b'a' | b'e' | b'}' | b'd' | b's' | b'u' | b'N' | b'R'
        | b'b' | b'Q' | b'0' | b'1' | b'2' | b'.' | b'o' | 0x81 | 0x85..=0x89 | 0x8f..=0x94
        | 0x97 | 0x98 => Arg::None,
        b'K' | b'h' | b'q' | 0x80 => Arg::Fixed(1),
        b'M' => Arg::Fixed(2),
        b'J' | b'j' | b'r' => Arg::Fixed(4),
        b'G' | 0x95 => Arg::Fixed(8),
        b'C' | b'U' | 0x8c | 0x8a => Arg::Sized(1),
        b'X' | b'B' | b'T' | 0x8b => Arg::Sized(4),
        0x8d | 0x8e | 0x96 => Arg::Sized(8),
        b'c' => Arg::Lines(2),
        b'I' | b'L' | b'F' | b'S' | b'V' | b'P' | b'g' | b'p' => Arg::Lines(1),
        _ => return None,
    })
}

/// The pickle's opcodes, each with its argument; what cannot be split is one last piece.
pub fn split(pickle: &[u8]) -> Vec<Vec<u8>> {
    let mut ops = Vec::new();
    let mut at = 0;
    while at < pickle.len() {
        let len = match arg(pickle[at]) {
            Some(Arg::None) => Some(1),
            Some(Arg::Fixed(n)) => Some(1 + n),
            Some(Arg::Sized(n)) => pickle.get(at + 1..at + 1 + n).map(|b| {
                let size = b.iter().rev().fold(0u64, |a, &x| (a << 8) | x as u64);
                1 + n + size.min(pickle.len() as u64) as usize
            }),
            Some(Arg::Lines(n)) => {
                let mut end = at + 1;
                for _ in 0..n {
                    end += pickle[end.min(pickle.len())..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(pickle.len(), |p| p + 1);
                }
                Some(end - at)
            }
            None => None,
        };
        let end = len.map_or(pickle.len(), |l| (at + l).min(pickle.len()));
        ops.push(pickle[at..end].to_vec());
        at = end;
    }
    ops
}

/// Bytes read one at a time from the fuzzer's input (zeros once it runs out).
pub struct Choices<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Choices { data, at: 0 }
    }

    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    pub fn below(&mut self, n: usize) -> usize {
        let v = u16::from_le_bytes([self.byte(), self.byte()]) as usize;
        v % n.max(1)
    }

    pub fn done(&self) -> bool {
        self.at >= self.data.len()
    }
}

const NAMES: &[&str] = &[
    "weight",
    "bias",
    "_modules",
    "_parameters",
    "_buffers",
    "_non_persistent_buffers_set",
    "storage",
    "cpu",
    "0",
    "1",
    "conv1",
    "conv2",
    "fc1",
    "fc2",
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "running_mean",
    "conv1.weight",
    "fc1.bias",
    "\u{1b}[31m\nerror: forged",
    "latin1",
    "f4",
    "<",
];

const GLOBALS: &[(&str, &str)] = &[
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("collections", "OrderedDict"),
    ("torch", "FloatStorage"),
    ("torch", "HalfStorage"),
    ("torch.nn.modules.conv", "Conv2d"),
    ("torch.nn.modules.linear", "Linear"),
    ("torch.nn.modules.pooling", "MaxPool2d"),
    ("torch.nn.modules.activation", "ReLU"),
    ("torch.nn.modules.container", "Sequential"),
    ("__main__", "CNN"),
    ("builtins", "list"),
    ("builtins", "set"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("copyreg", "_reconstructor"),
    ("posix", "system"),
];

const SIMPLE: &[u8] = b"(t)]}sua e2010N\x88\x89RbQ\x81\x85\x86\x87\x8f\x90\x91\x94l.d";

/// One piece of a generated pickle.
fn piece(c: &mut Choices, out: &mut Vec<u8>) {
    match c.byte() % 12 {
        0..=3 => out.push(SIMPLE[c.below(SIMPLE.len())]),
        4 => out.extend_from_slice(&[b'h', c.byte() % 8]),
        5 => out.extend_from_slice(&[b'q', c.byte() % 8]),
        6 => out.extend_from_slice(&[b'K', c.byte()]),
        7 => {
            let name = NAMES[c.below(NAMES.len())];
            out.push(b'X');
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
        }
        8 => {
            let (module, name) = GLOBALS[c.below(GLOBALS.len())];
            out.extend_from_slice(format!("c{module}\n{name}\n").as_bytes());
        }
        9 => {
            let n = c.byte() % 16;
            out.extend_from_slice(&[b'C', n]);
            out.extend(std::iter::repeat_n(0u8, n as usize));
        }
        // A valid tensor of one float in storage '0'.
        10 => out.extend_from_slice(
            b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQK\x00K\x01\x85K\x01\x85\x89tR",
        ),
        // The last pieces again, many times: nesting and sharing at scale.
        _ => {
            let back = 1 + c.below(8);
            let times = 1 + c.below(2000);
            let from = out.len().saturating_sub(back * 4);
            let tail = out[from..].to_vec();
            for _ in 0..times {
                if out.len() > 1 << 20 {
                    break;
                }
                out.extend_from_slice(&tail);
            }
        }
    }
}

/// A pickle made of pieces chosen by `c`.
pub fn generate(c: &mut Choices) -> Vec<u8> {
    let mut out = vec![0x80, 2];
    while !c.done() && out.len() < 1 << 20 {
        piece(c, &mut out);
    }
    out.push(b'.');
    out
}

/// `pickle` changed a whole opcode at a time, `c` choosing how: an opcode dropped, repeated,
/// moved, replaced by another's, or a generated piece put in.
pub fn mutate(pickle: &[u8], c: &mut Choices) -> Vec<u8> {
    let mut ops = split(pickle);
    let rounds = 1 + c.below(8);
    for _ in 0..rounds {
        if ops.is_empty() {
            break;
        }
        let i = c.below(ops.len());
        match c.byte() % 5 {
            0 => {
                ops.remove(i);
            }
            1 => {
                let op = ops[i].clone();
                for _ in 0..1 + c.below(64) {
                    ops.insert(i, op.clone());
                }
            }
            2 => {
                let j = c.below(ops.len());
                ops.swap(i, j);
            }
            3 => {
                let j = c.below(ops.len());
                ops[i] = ops[j].clone();
            }
            _ => {
                let mut p = Vec::new();
                piece(c, &mut p);
                ops.insert(i, p);
            }
        }
    }
    ops.concat()
}

/// A pickle as a `.pt` holds it, with storage '0' (four bytes) beside it; the checksums hold.
pub fn torch_zip(pickle: &[u8]) -> Vec<u8> {
    zip::write(&[
        ("archive/data.pkl".into(), pickle.to_vec()),
        ("archive/byteorder".into(), b"little".to_vec()),
        ("archive/data/0".into(), vec![0; 4]),
    ])
}

/// A refusal as it must be: one line, no control character.
pub fn check_message(e: &cnn_playground::Error) {
    for text in [e.to_string(), e.detail().unwrap_or("").to_string()] {
        let shown = cnn_playground::error::printable(&text);
        assert_eq!(shown, text, "a message with a control character or too long");
    }
}
