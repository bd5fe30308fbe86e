//! One error type for the whole core: every failure a user can cause (a wrong shape, a corrupt
//! file, a bad argument) becomes an `Error` with a message a person can act on.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// Tensor shapes that cannot work together (names the shapes).
    Shape(String),
    /// A file or buffer that is not what it claims to be (IDX, safetensors, PNG, JSON).
    Format(String),
    /// A value outside what is allowed (a stride of 0, an unknown filter name).
    Invalid(String),
    /// Training diverged: a NaN or infinite loss.
    Diverged(String),
    /// The peer computing part of a batch (the page's second worker) failed; this side did not.
    Peer(String),
    /// The GPU is missing, refused, or failed (names the adapter and what to do).
    Gpu(String),
    /// A file that cannot be used as it was meant to be: the message says what the file is,
    /// what was expected and what to do; the detail keeps the parser's own words for those who
    /// want them.
    File {
        message: String,
        detail: String,
    },
    Io(std::io::Error),
}

impl Error {
    /// The message without the kind's prefix ("shape mismatch: "…), to go inside another.
    pub fn reason(&self) -> String {
        match self {
            Error::Shape(m)
            | Error::Format(m)
            | Error::Invalid(m)
            | Error::Diverged(m)
            | Error::Peer(m)
            | Error::Gpu(m) => m.clone(),
            other => other.to_string(),
        }
    }

    /// What kind of failure it is, in a word the page switches on: shape, format, invalid,
    /// diverged, peer, gpu, file, io.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Shape(_) => "shape",
            Error::Format(_) => "format",
            Error::Invalid(_) => "invalid",
            Error::Diverged(_) => "diverged",
            Error::Peer(_) => "peer",
            Error::Gpu(_) => "gpu",
            Error::File { .. } => "file",
            Error::Io(_) => "io",
        }
    }

    /// The technical detail behind a plain message, where there is one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::File { detail, .. } if !detail.is_empty() => Some(detail),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape(m) => write!(f, "shape mismatch: {m}"),
            Error::Format(m) => write!(f, "bad format: {m}"),
            Error::Invalid(m) => write!(f, "invalid: {m}"),
            Error::Diverged(m) => write!(f, "training diverged: {m}"),
            Error::Peer(m) => write!(f, "the second worker failed: {m}"),
            Error::Gpu(m) => write!(f, "GPU: {m}"),
            Error::File { message, .. } => write!(f, "{message}"),
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// `shape_err!("weight {:?} vs input {:?}", w, x)` builds an `Error::Shape`.
#[macro_export]
macro_rules! shape_err {
    ($($arg:tt)*) => { $crate::error::Error::Shape(format!($($arg)*)) };
}
