//! The IDX format MNIST ships in: a magic number (two zero bytes, a type code, the number of
//! dimensions), each dimension as a big-endian u32, then the values.

use crate::error::{Error, Result};

/// The type code of unsigned bytes, the only one MNIST uses.
const UBYTE: u8 = 0x08;

#[derive(Debug, Clone, PartialEq)]
pub struct Idx {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Reads an IDX header: the dimensions and the header's length in bytes. Enough to stream the
/// values that follow (the page loads MNIST as it arrives).
pub fn parse_header(bytes: &[u8]) -> Result<(Vec<usize>, usize)> {
    let bad = |why: String| Err(Error::Format(format!("IDX: {why}")));
    let Some(&[0, 0, kind, ndim]) = bytes.get(..4) else {
        return bad(format!(
            "not an IDX file (magic number {:02x?})",
            &bytes[..bytes.len().min(4)]
        ));
    };
    if kind != UBYTE {
        return bad(format!(
            "element type 0x{kind:02x} is not supported (only unsigned bytes, 0x08)"
        ));
    }
    if ndim == 0 || ndim > 4 {
        return bad(format!("{ndim} dimensions; expected 1 to 4"));
    }
    let header = 4 + 4 * ndim as usize;
    let Some(dim_bytes) = bytes.get(4..header) else {
        return bad(format!(
            "truncated header: {} bytes, expected {header}",
            bytes.len()
        ));
    };
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes(b.try_into().unwrap()) as usize)
        .collect();
    if dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .is_none()
    {
        return bad(format!("dimensions {dims:?} are too large"));
    }
    Ok((dims, header))
}

/// Parses an IDX file of unsigned bytes. A wrong magic number, an unsupported type, or a file
/// shorter or longer than its header says is an error naming what is wrong.
pub fn parse(bytes: &[u8]) -> Result<Idx> {
    let (dims, header) = parse_header(bytes)?;
    let len: usize = dims.iter().product();
    let body = bytes.len() - header;
    if body < len {
        return Err(Error::Format(format!(
            "IDX: truncated: dimensions {dims:?} need {len} bytes of data, the file has {body}"
        )));
    }
    if body > len {
        return Err(Error::Format(format!(
            "IDX: {} bytes more than dimensions {dims:?} account for",
            body - len
        )));
    }
    Ok(Idx {
        dims,
        data: bytes[header..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, UBYTE, dims.len() as u8];
        dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
        v.extend(data);
        v
    }

    #[test]
    fn reads_dimensions_and_values() {
        let idx = parse(&file(&[2, 3], &[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!(idx.dims, [2, 3]);
        assert_eq!(idx.data, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn refuses_corrupt_files_with_a_reason() {
        let msg = |b: &[u8]| parse(b).unwrap_err().to_string();
        assert!(msg(b"\x89PNG").contains("not an IDX file"));
        assert!(msg(&[]).contains("not an IDX file"));
        assert!(msg(&[0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]).contains("not supported"));
        assert!(msg(&[0, 0, 8, 2, 0, 0]).contains("truncated header"));
        assert!(msg(&file(&[2, 3], &[1, 2, 3])).contains("truncated"));
        assert!(msg(&file(&[1], &[1, 2])).contains("1 bytes more"));
        assert!(
            msg(&file(&[u32::MAX, u32::MAX, u32::MAX], &[])).contains("too large")
                || msg(&file(&[u32::MAX, u32::MAX, u32::MAX], &[])).contains("truncated")
        );
    }
}
