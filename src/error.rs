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

/// The most characters of a file's string a message shows: names are short; a longer one is
/// cut, with a count of the rest.
const QUOTED: usize = 64;
/// The most characters of a message: a file cannot make one the size of the file.
const MESSAGE: usize = 2000;

/// A string taken from a file (a name, a key, a class), as a message shows it: in quotes, on one
/// line, with what a terminal or a page would act on escaped (control characters, line and
/// paragraph separators, bidirectional overrides) and a long one cut: `'conv1.weight'`,
/// `'a\u{1b}[31m'`, `'xxxx…' (1,000,000 characters)`.
pub fn quote(s: &str) -> String {
    let count = s.chars().count();
    let shown: String = s.chars().take(QUOTED).collect();
    let mut out = String::with_capacity(shown.len() + 2);
    out.push('\'');
    escape(&shown, &mut out, true);
    if count > QUOTED {
        out.push_str(&format!("…' ({count} characters)"));
    } else {
        out.push('\'');
    }
    out
}

/// A name from a file that a message shows bare when it is an identifier (`Conv2d`, `CNN`), and
/// as [`quote`] does otherwise.
pub fn ident(s: &str) -> String {
    if !s.is_empty()
        && s.len() <= QUOTED
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A whole message made safe to print on one line or show in a page, whatever went into it:
/// what [`quote`] escapes is escaped, and it is cut at [`MESSAGE`] characters.
pub fn printable(message: &str) -> String {
    let count = message.chars().count();
    let shown: String = message.chars().take(MESSAGE).collect();
    let mut out = String::with_capacity(shown.len());
    escape(&shown, &mut out, false);
    if count > MESSAGE {
        out.push_str(&format!("… ({} more characters)", count - MESSAGE));
    }
    out
}

fn escape(s: &str, out: &mut String, quoted: bool) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' | '\'' if quoted => {
                out.push('\\');
                out.push(c);
            }
            // Controls, and the format characters that move or hide text: separators,
            // zero-width marks, bidirectional embeddings, overrides and isolates, the BOM.
            c if c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
                    | '\u{2060}'..='\u{2069}' | '\u{feff}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// `shape_err!("weight {:?} vs input {:?}", w, x)` builds an `Error::Shape`.
#[macro_export]
macro_rules! shape_err {
    ($($arg:tt)*) => { $crate::error::Error::Shape(format!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_strings_are_quoted_on_one_line_and_cut() {
        assert_eq!(quote("conv1.weight"), "'conv1.weight'");
        assert_eq!(ident("Conv2d"), "Conv2d");
        assert_eq!(ident("Conv 2d"), "'Conv 2d'");
        assert_eq!(
            quote("a\n\u{1b}[31merror: \u{202e}x'\\"),
            "'a\\n\\u{1b}[31merror: \\u{202e}x\\'\\\\'"
        );
        let long = "x".repeat(1_000_000);
        assert_eq!(
            quote(&long),
            format!("'{}…' (1000000 characters)", "x".repeat(64))
        );
        let m = printable(&format!("line\n{long}"));
        assert!(
            m.starts_with("line\\nxxx") && m.ends_with("(998005 more characters)"),
            "{m}"
        );
        assert!(!m.chars().any(char::is_control));
    }
}
