//! Zip archives without compression, as PyTorch writes them (`torch.save` since 1.6 stores every
//! entry uncompressed) and as the PyTorch export is downloaded. Reading takes the central
//! directory at the end of the archive, checks every offset and size against the file before it
//! slices, and every entry's CRC-32 against its bytes (as PyTorch's reader does), so a weight
//! changed in transit is refused, not loaded.

use crate::error::{quote, Error, Result};

/// One stored file of an archive.
pub struct Entry<'a> {
    pub name: String,
    pub data: &'a [u8],
}

/// One file of an archive as it is kept there: stored, or compressed by deflate (as every zip
/// tool does by default).
pub struct Member<'a> {
    pub name: String,
    /// 0: stored; 8: deflate.
    method: u16,
    crc: u32,
    /// Its size once inflated.
    pub size: usize,
    raw: &'a [u8],
}

impl<'a> Member<'a> {
    /// The file's bytes, inflated if need be and checked against the archive's CRC-32. At most
    /// `limit` bytes are made: a member claiming more is refused before inflating.
    pub fn contents(&self, limit: usize) -> Result<std::borrow::Cow<'a, [u8]>> {
        let shown = || quote(&self.name);
        if self.size > limit {
            return Err(bad(format!(
                "{} in the zip archive is {} MB once inflated; at most {} MB are read",
                shown(),
                self.size >> 20,
                limit >> 20
            )));
        }
        let data = match self.method {
            0 => std::borrow::Cow::Borrowed(self.raw),
            _ => std::borrow::Cow::Owned(super::inflate::inflate(self.raw, self.size, &shown())?),
        };
        if data.len() != self.size || crc32fast::hash(&data) != self.crc {
            return Err(bad(format!(
                "the zip archive's entry {} does not match its checksum (CRC-32): the file \
                 was changed or damaged after it was written",
                shown()
            )));
        }
        Ok(data)
    }
}

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;

fn bad(message: impl Into<String>) -> Error {
    Error::Format(message.into())
}

fn u16_at(b: &[u8], at: usize) -> Result<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes(s.try_into().expect("2 bytes")))
        .ok_or_else(|| bad("the zip archive is cut short"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")))
        .ok_or_else(|| bad("the zip archive is cut short"))
}

/// The archive's entries, in the central directory's order, all stored as PyTorch stores them.
pub fn entries(bytes: &[u8]) -> Result<Vec<Entry<'_>>> {
    members(bytes)?
        .into_iter()
        .map(|m| {
            if m.method != 0 {
                return Err(bad(format!(
                    "{} in the zip archive is compressed; PyTorch's files store theirs as they \
                     are (was the file re-zipped?)",
                    quote(&m.name)
                )));
            }
            let data = m.raw;
            m.contents(usize::MAX)?;
            Ok(Entry { name: m.name, data })
        })
        .collect()
}

/// The archive's members, in the central directory's order, stored or deflated; their contents
/// are read by [`Member::contents`].
pub fn members(bytes: &[u8]) -> Result<Vec<Member<'_>>> {
    // The end record is the last 22 bytes, or further back by the length of a comment.
    let floor = bytes.len().saturating_sub(22 + 0xffff);
    let end = (floor..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(bytes, i).ok() == Some(END))
        .ok_or_else(|| {
            bad("the zip archive has no directory at its end: it is cut short or damaged")
        })?;
    let count = u16_at(bytes, end + 10)? as usize;
    let mut at = u32_at(bytes, end + 16)? as usize;
    if count == 0xffff || at == 0xffff_ffff {
        return Err(bad(
            "the zip archive is a ZIP64 one (over 4 GB), too large to read here",
        ));
    }
    let mut out = Vec::with_capacity(count.min(bytes.len() / 46));
    // The bytes the entries claim, together: entries that overlap could claim the file many
    // times over, and each is checked against its CRC.
    let mut claimed = 0usize;
    for _ in 0..count {
        if u32_at(bytes, at)? != CENTRAL {
            return Err(bad("the zip archive's directory is damaged"));
        }
        let method = u16_at(bytes, at + 10)?;
        let crc = u32_at(bytes, at + 16)?;
        let raw_size = u32_at(bytes, at + 20)? as usize;
        let size = u32_at(bytes, at + 24)? as usize;
        let name_len = u16_at(bytes, at + 28)? as usize;
        let extra_len = u16_at(bytes, at + 30)? as usize;
        let comment_len = u16_at(bytes, at + 32)? as usize;
        let local = u32_at(bytes, at + 42)? as usize;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| bad("the zip archive is cut short"))?;
        let name = String::from_utf8_lossy(name).into_owned();
        let shown = || quote(&name);
        at += 46 + name_len + extra_len + comment_len;
        if method != 0 && method != 8 {
            return Err(bad(format!(
                "{} in the zip archive is compressed by method {method}; only stored and \
                 deflated files are read",
                shown()
            )));
        }
        if u32_at(bytes, local)? != LOCAL {
            return Err(bad(format!(
                "the zip archive's entry {} is damaged",
                shown()
            )));
        }
        let start =
            local + 30 + u16_at(bytes, local + 26)? as usize + u16_at(bytes, local + 28)? as usize;
        let raw = start
            .checked_add(raw_size)
            .and_then(|e| bytes.get(start..e))
            .ok_or_else(|| {
                bad(format!(
                    "the zip archive is cut short: {} needs {raw_size} bytes at {start}, the file holds {}",
                    shown(),
                    bytes.len()
                ))
            })?;
        claimed = claimed
            .checked_add(raw_size)
            .filter(|&c| c <= bytes.len())
            .ok_or_else(|| bad("the zip archive's entries overlap, which no zip writer does"))?;
        if method == 0 && raw_size != size {
            return Err(bad(format!(
                "the zip archive's entry {} is damaged (two sizes for a stored file)",
                shown()
            )));
        }
        out.push(Member {
            name,
            method,
            crc,
            size,
            raw,
        });
    }
    Ok(out)
}

/// An archive of `files`, stored uncompressed.
pub fn write(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32fast::hash(data);
        let size = data.len() as u32;
        // Version 2.0, UTF-8 names, stored, no date.
        let common = |b: &mut Vec<u8>| {
            b.extend_from_slice(&20u16.to_le_bytes());
            b.extend_from_slice(&0x0800u16.to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&crc.to_le_bytes());
            b.extend_from_slice(&size.to_le_bytes());
            b.extend_from_slice(&size.to_le_bytes());
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&LOCAL.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        directory.extend_from_slice(&CENTRAL.to_le_bytes());
        directory.extend_from_slice(&20u16.to_le_bytes());
        common(&mut directory);
        // No comment, disk 0, no attributes, then where the entry starts.
        directory.extend_from_slice(&[0; 6]);
        directory.extend_from_slice(&0u32.to_le_bytes());
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&directory);
    out.extend_from_slice(&END.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_it_writes_it_reads() {
        let files = vec![
            ("a/model.py".to_string(), b"print(1)\n".to_vec()),
            ("a/empty".to_string(), vec![]),
        ];
        let zip = write(&files);
        let read = entries(&zip).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(
            (read[0].name.as_str(), read[0].data),
            ("a/model.py", &b"print(1)\n"[..])
        );
        assert_eq!(read[1].data, b"");
        // A byte changed in an entry: refused by its checksum.
        let mut flipped = zip.clone();
        let at = flipped.windows(5).position(|w| w == b"print").unwrap();
        flipped[at] ^= 1;
        let e = entries(&flipped).err().expect("refused").to_string();
        assert!(e.contains("'a/model.py'") && e.contains("CRC-32"), "{e}");
        // Cut anywhere, it is refused rather than misread.
        for cut in [0, 10, zip.len() / 2, zip.len() - 1] {
            assert!(entries(&zip[..cut]).is_err(), "cut at {cut}");
        }
    }
}
