//! A tar archive read as its bytes arrive (the page reads a `.tar.gz` a piece at a time, through
//! [`crate::io::inflate::GzipStream`]): each header block is read with the `tar` crate, and each
//! file's bytes are handed to a [`TarSink`] as they come, so no file is ever held whole.

use crate::error::{Error, Result};
use crate::io::inflate::io_error;
use std::io::Write;

const BLOCK: usize = 512;
/// The longest name a GNU long-name entry may give.
const MAX_NAME: u64 = 4096;

/// What is done with an archive's files.
pub trait TarSink {
    /// A file named `path` of `size` bytes begins; its bytes come next through [`TarSink::data`].
    fn file(&mut self, path: &str, size: u64) -> Result<()>;
    /// The next bytes of the current file.
    fn data(&mut self, bytes: &[u8]) -> Result<()>;
}

enum State {
    /// Filling a header block.
    Header,
    /// A file's bytes, then the padding to the next block.
    Body {
        left: u64,
        padding: usize,
        to_sink: bool,
        long_name: bool,
    },
    /// The end-of-archive blocks: what follows is ignored.
    Ended,
}

pub struct TarStream<S> {
    pub sink: S,
    block: Vec<u8>,
    state: State,
    /// A GNU long name for the next file, as it arrives.
    long_name: Vec<u8>,
    next_name: Option<String>,
}

impl<S: TarSink> TarStream<S> {
    pub fn new(sink: S) -> Self {
        TarStream {
            sink,
            block: Vec::with_capacity(BLOCK),
            state: State::Header,
            long_name: Vec::new(),
            next_name: None,
        }
    }

    /// Reads the next bytes of the archive.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Ended => return Ok(()),
                State::Header => {
                    let take = (BLOCK - self.block.len()).min(bytes.len());
                    self.block.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if self.block.len() == BLOCK {
                        self.header()?;
                        self.block.clear();
                    }
                }
                State::Body {
                    left,
                    padding,
                    to_sink,
                    long_name,
                } => {
                    if *left > 0 {
                        let take = (*left).min(bytes.len() as u64) as usize;
                        if *to_sink {
                            self.sink.data(&bytes[..take])?;
                        } else if *long_name {
                            self.long_name.extend_from_slice(&bytes[..take]);
                        }
                        *left -= take as u64;
                        bytes = &bytes[take..];
                    } else {
                        let take = (*padding).min(bytes.len());
                        *padding -= take;
                        bytes = &bytes[take..];
                    }
                    if let State::Body {
                        left: 0,
                        padding: 0,
                        long_name,
                        ..
                    } = self.state
                    {
                        if long_name {
                            let name = std::mem::take(&mut self.long_name);
                            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                            self.next_name = Some(String::from_utf8_lossy(&name[..end]).into());
                        }
                        self.state = State::Header;
                    }
                }
            }
        }
        Ok(())
    }

    fn header(&mut self) -> Result<()> {
        if self.block.iter().all(|&b| b == 0) {
            self.state = State::Ended;
            return Ok(());
        }
        let header = tar::Header::from_byte_slice(&self.block);
        // The checksum: the header's bytes summed with its own field read as spaces.
        let sum: u32 = (self.block.iter().enumerate())
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    b as u32
                }
            })
            .sum();
        if header.cksum().ok() != Some(sum) {
            return Err(Error::Format(
                "not a tar archive, or a damaged one (a header's checksum is wrong)".into(),
            ));
        }
        let size = header
            .entry_size()
            .map_err(|_| Error::Format("a tar header's size is unreadable".into()))?;
        let padding = ((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64) as usize;
        let kind = header.entry_type();
        let long_name = kind.is_gnu_longname();
        if long_name && size > MAX_NAME {
            return Err(Error::Format(format!(
                "a tar entry's name is {size} bytes long; at most {MAX_NAME} are read"
            )));
        }
        let to_sink = kind.is_file() || kind.is_contiguous();
        if to_sink {
            let path = match self.next_name.take() {
                Some(name) => name,
                None => String::from_utf8_lossy(&header.path_bytes()).into_owned(),
            };
            self.sink.file(&path, size)?;
        } else if !long_name {
            self.next_name = None;
        }
        self.state = State::Body {
            left: size,
            padding,
            to_sink,
            long_name,
        };
        if size == 0 && padding == 0 {
            self.state = State::Header;
        }
        Ok(())
    }

    /// Whether the archive's end was read.
    pub fn ended(&self) -> bool {
        match self.state {
            State::Ended => true,
            State::Header => self.block.is_empty(),
            State::Body { .. } => false,
        }
    }
}

impl<S: TarSink> Write for TarStream<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf).map_err(io_error)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Files(Vec<(String, Vec<u8>)>);

    impl TarSink for Files {
        fn file(&mut self, path: &str, size: u64) -> Result<()> {
            self.0
                .push((path.to_string(), Vec::with_capacity(size as usize)));
            Ok(())
        }
        fn data(&mut self, bytes: &[u8]) -> Result<()> {
            self.0.last_mut().unwrap().1.extend_from_slice(bytes);
            Ok(())
        }
    }

    fn archive() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, path, data).unwrap();
        };
        add("d/a.txt", b"hello");
        add(&format!("d/{}/long.bin", "x".repeat(150)), &[7; 1000]);
        add("d/empty", b"");
        b.into_inner().unwrap()
    }

    #[test]
    fn files_arrive_whole_however_the_archive_is_cut() {
        let tar = archive();
        for piece in [1, 7, 512, 100_000] {
            let mut s = TarStream::new(Files::default());
            tar.chunks(piece).for_each(|c| s.push(c).unwrap());
            assert!(s.ended());
            let files = &s.sink.0;
            assert_eq!(files.len(), 3);
            assert_eq!(files[0], ("d/a.txt".into(), b"hello".to_vec()));
            assert!(files[1].0.ends_with("/long.bin") && files[1].0.len() > 150);
            assert_eq!(files[1].1, vec![7; 1000]);
            assert_eq!(files[2].1, b"");
        }
    }

    #[test]
    fn what_is_not_a_tar_is_refused() {
        let mut s = TarStream::new(Files::default());
        let e = s.push(&[b'x'; 1024]).unwrap_err().to_string();
        assert!(e.contains("not a tar archive"), "{e}");
        let mut tar = archive();
        tar[100] ^= 1;
        let e = TarStream::new(Files::default()).push(&tar).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
    }
}
