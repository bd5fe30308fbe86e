//! What a file is, from its first bytes, so that a file given where a model was expected is
//! refused with a sentence a person understands ("This is a PNG image, not a model") rather than
//! a parser's complaint about a header.

/// The kinds of file people give by mistake, or hope will work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Empty,
    /// Looks like safetensors: an 8-byte header length, then a JSON object.
    Safetensors,
    /// `torch.save` since PyTorch 1.6: a zip archive holding `data.pkl`.
    TorchZip,
    /// `torch.save` before PyTorch 1.6: a pickle that opens with PyTorch's magic number.
    TorchLegacy,
    /// Another Python pickle, such as Paddle's `.pdparams`.
    Pickle,
    Zip,
    Gzip,
    /// HDF5, as Keras saves models (`.h5`).
    Hdf5,
    /// A NumPy array (`.npy`).
    Numpy,
    /// An IDX data file, like MNIST's.
    Idx,
    Image(&'static str),
    Pdf,
    Json,
    Text,
    Unknown,
}

/// Names the kind of `bytes`.
pub fn identify(bytes: &[u8]) -> Kind {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let head = &bytes[..bytes.len().min(4096)];
    if bytes.is_empty() {
        Kind::Empty
    } else if looks_like_safetensors(bytes) {
        // First: a damaged file's header length can begin with any bytes, a pickle's among them.
        Kind::Safetensors
    } else if starts(b"PK\x03\x04") {
        if head.windows(8).any(|w| w == b"data.pkl") {
            Kind::TorchZip
        } else {
            Kind::Zip
        }
    } else if bytes.len() >= 2 && bytes[0] == 0x80 && (2..=5).contains(&bytes[1]) {
        // PyTorch's legacy files open with LONG1 of its 10-byte magic number.
        if bytes.get(2..4) == Some(&[0x8a, 0x0a]) {
            Kind::TorchLegacy
        } else {
            Kind::Pickle
        }
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Kind::Image("PNG")
    } else if starts(b"\xff\xd8\xff") {
        Kind::Image("JPEG")
    } else if starts(b"GIF8") {
        Kind::Image("GIF")
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Kind::Image("WebP")
    } else if starts(b"\x89HDF\r\n\x1a\n") {
        Kind::Hdf5
    } else if starts(b"\x93NUMPY") {
        Kind::Numpy
    } else if starts(b"\x1f\x8b") {
        Kind::Gzip
    } else if starts(b"%PDF") {
        Kind::Pdf
    } else if bytes.len() >= 4 && starts(&[0, 0, 0x08]) && (1..=4).contains(&bytes[3]) {
        Kind::Idx
    } else if is_text(head) {
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{' | b'[') => Kind::Json,
            _ => Kind::Text,
        }
    } else {
        Kind::Unknown
    }
}

/// An 8-byte little-endian header length that fits the file, then `{`.
fn looks_like_safetensors(bytes: &[u8]) -> bool {
    bytes.len() > 8
        && bytes[8] == b'{'
        && u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) >= 2
}

/// UTF-8 without control characters but whitespace (a character cut at the end is allowed).
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).expect("valid up to here")
        }
        Err(_) => return false,
    };
    valid
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

impl Kind {
    /// "a text file", "a PNG image": what to call the file in a sentence.
    pub fn name(self) -> String {
        match self {
            Kind::Empty => "an empty file".into(),
            Kind::Safetensors => "a safetensors file".into(),
            Kind::TorchZip => "a PyTorch file saved with torch.save".into(),
            Kind::TorchLegacy => "a PyTorch file saved with torch.save (before PyTorch 1.6)".into(),
            Kind::Pickle => "a Python pickle (such as Paddle's .pdparams)".into(),
            Kind::Zip => "a zip archive".into(),
            Kind::Gzip => "a gzip-compressed file".into(),
            Kind::Hdf5 => "an HDF5 file (as Keras saves models)".into(),
            Kind::Numpy => "a NumPy array file (.npy)".into(),
            Kind::Idx => "an IDX data file, like MNIST's images and labels".into(),
            Kind::Image(format) => format!("a {format} image"),
            Kind::Pdf => "a PDF document".into(),
            Kind::Json => "a JSON text file".into(),
            Kind::Text => "a text file".into(),
            Kind::Unknown => "a file of a kind the playground does not know".into(),
        }
    }

    /// What the user can do instead, when there is more to say than how to save safetensors.
    pub fn advice(self) -> Option<&'static str> {
        match self {
            Kind::Gzip | Kind::Zip => Some("If a model is inside, unpack it first."),
            Kind::Image(_) => Some("To filter a photo, use the Filter lab at the top of the page."),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_people_give_by_mistake() {
        let mut header = 40u64.to_le_bytes().to_vec();
        header.extend_from_slice(b"{\"__metadata__\":{}}");
        // A header length whose low bytes read like a pickle's opening (0x0280 = 640).
        let mut pickle_like = 640u64.to_le_bytes().to_vec();
        pickle_like.extend_from_slice(b"{\"conv1.weight\"");
        let cases: [(&[u8], Kind); 15] = [
            (b"", Kind::Empty),
            (b"not a model at all, clearly", Kind::Text),
            (b"  {\"kernel\": [[1]]}", Kind::Json),
            ("caf\u{e9} \u{2014} notes\n".as_bytes(), Kind::Text),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Kind::Image("PNG")),
            (b"\xff\xd8\xff\xe0\0\x10JFIF", Kind::Image("JPEG")),
            (b"PK\x03\x04\x14\0\0\0\0\0archive/data.pkl", Kind::TorchZip),
            (b"PK\x03\x04\x14\0\0\0\0\0other.txt", Kind::Zip),
            (
                b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.",
                Kind::TorchLegacy,
            ),
            (b"\x80\x04\x95\x10\0\0\0\0\0\0\0}", Kind::Pickle),
            (b"\x00\x00\x08\x03\x00\x00\x27\x10", Kind::Idx),
            (b"\x1f\x8b\x08\x00", Kind::Gzip),
            (&header, Kind::Safetensors),
            (&pickle_like, Kind::Safetensors),
            (&[0, 159, 146, 150, 1, 2, 3, 0xff], Kind::Unknown),
        ];
        for (bytes, kind) in cases {
            assert_eq!(identify(bytes), kind, "{bytes:?}");
        }
    }
}
