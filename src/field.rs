//! A setting as the page learns it: its name, the range it must lie in, its default and a line of
//! help. Each is written once, in the core, beside the struct it belongs to; the same [`Field`]
//! checks a value (so the refusal names the range the page shows) and describes it to the page,
//! which builds its inputs from it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A whole number.
    Count,
    /// A real number.
    Number,
    /// A whole number, or two for a height and a width ([`Size2`]); the range is each one's.
    Size,
    /// True or false; `value` 1 or 0.
    Flag,
    /// One of `choices`, by name; `value` the default's index.
    Choice,
}

/// A size PyTorch takes as one number or two: `3` for 3×3, `[3, 5]` for 3 high and 5 wide.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Size2 {
    Square(usize),
    Rect([usize; 2]),
}

impl Size2 {
    /// [height, width].
    pub fn sides(self) -> [usize; 2] {
        match self {
            Size2::Square(k) => [k, k],
            Size2::Rect(hw) => hw,
        }
    }
}

/// One setting of a layer or of a training run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
    /// The smallest value allowed, itself excluded when `min_open`.
    pub min: f64,
    pub min_open: bool,
    /// The largest, itself excluded when `max_open`; none when only the network's sizes bound it.
    pub max: Option<f64>,
    pub max_open: bool,
    /// The value a new layer or form starts with; for an optional field, its default too.
    pub value: f64,
    /// Whether it must be given (PyTorch has no default for it).
    pub required: bool,
    /// The default in words, where it is not a fixed number ("the kernel size").
    pub default_is: Option<&'static str>,
    /// A choice's names, as the JSON spells them.
    pub choices: &'static [&'static str],
    pub help: &'static str,
}

impl Field {
    /// A whole number from `min` to `max`, required; the page starts it at `value`.
    pub const fn count(name: &'static str, min: usize, max: Option<usize>, value: usize) -> Self {
        Field {
            name,
            kind: FieldKind::Count,
            min: min as f64,
            min_open: false,
            max: match max {
                Some(m) => Some(m as f64),
                None => None,
            },
            max_open: false,
            value: value as f64,
            required: true,
            default_is: None,
            choices: &[],
            help: "",
        }
    }

    /// A size (one whole number or two) with each from `min` to `max`, required.
    pub const fn size(name: &'static str, min: usize, max: Option<usize>, value: usize) -> Self {
        let mut f = Self::count(name, min, max, value);
        f.kind = FieldKind::Size;
        f
    }

    /// A yes-or-no setting, optional, defaulting to `value`.
    pub const fn flag(name: &'static str, value: bool) -> Self {
        let mut f = Self::count(name, 0, Some(1), value as usize);
        f.kind = FieldKind::Flag;
        f.required = false;
        f
    }

    /// One of `choices`, optional, defaulting to the first.
    pub const fn choice(name: &'static str, choices: &'static [&'static str]) -> Self {
        let mut f = Self::count(name, 0, Some(choices.len() - 1), 0);
        f.kind = FieldKind::Choice;
        f.required = false;
        f.choices = choices;
        f
    }

    /// A real number in [`min`, `max`], required; the page starts it at `value`.
    pub const fn number(name: &'static str, min: f64, max: Option<f64>, value: f64) -> Self {
        Field {
            name,
            kind: FieldKind::Number,
            min,
            min_open: false,
            max,
            max_open: false,
            value,
            required: true,
            default_is: None,
            choices: &[],
            help: "",
        }
    }

    /// Optional: `value` is its default.
    pub const fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Excludes the bounds themselves: (min, …) and (…, max).
    pub const fn above_min(mut self) -> Self {
        self.min_open = true;
        self
    }

    pub const fn below_max(mut self) -> Self {
        self.max_open = true;
        self
    }

    /// Optional, its default following from other fields: `value` only starts the page's input.
    pub const fn default_is(mut self, words: &'static str) -> Self {
        self.required = false;
        self.default_is = Some(words);
        self
    }

    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }

    /// The default of a count field, for serde.
    pub fn default_count(&self) -> usize {
        self.value as usize
    }

    /// The default of a flag, for serde.
    pub fn default_flag(&self) -> bool {
        self.value != 0.0
    }

    /// The default of a number field, for serde.
    pub fn default_number(&self) -> f32 {
        self.value as f32
    }

    /// `v` if it is in range, or a refusal that says the range.
    pub fn check_count(&self, v: usize) -> Result<usize> {
        // Every bound is below 2^53, so a value that rounds on the way to f64 is out of range.
        self.check(v, v as f64)
    }

    pub fn check_count_u64(&self, v: u64) -> Result<u64> {
        self.check(v, v as f64)
    }

    pub fn check_number(&self, v: f32) -> Result<f32> {
        self.check(v, v as f64)
    }

    /// `v` as the page sends it (a JavaScript number), checked: a count must be whole.
    pub fn check_value(&self, v: f64) -> Result<f64> {
        self.check(v, v)
    }

    /// `v`, whose value is `as_f64`, if that is in range; the refusal shows `v` as it was given.
    fn check<T: std::fmt::Display>(&self, v: T, as_f64: f64) -> Result<T> {
        if self.contains(as_f64) {
            Ok(v)
        } else {
            Err(self.refusal(&v.to_string()))
        }
    }

    /// False for NaN, and for a count that is not whole.
    fn contains(&self, v: f64) -> bool {
        let above = if self.min_open {
            v > self.min
        } else {
            v >= self.min
        };
        let below = match self.max {
            None => v.is_finite(),
            Some(max) if self.max_open => v < max,
            Some(max) => v <= max,
        };
        above && below && (self.kind == FieldKind::Number || v.fract() == 0.0)
    }

    fn refusal(&self, got: &str) -> Error {
        Error::Invalid(format!("{} must be {}, got {got}", self.name, self.range()))
    }

    /// The range in words: "a whole number from 1 to 1024", "at least 0 and below 1", "above 0".
    pub fn range(&self) -> String {
        let n = |v: f64| format!("{v}");
        let low = if self.min_open {
            format!("above {}", n(self.min))
        } else {
            format!("at least {}", n(self.min))
        };
        let words = match self.max {
            Some(max) if !self.min_open && !self.max_open => {
                format!("from {} to {}", n(self.min), n(max))
            }
            Some(max) if self.max_open => format!("{low} and below {}", n(max)),
            Some(max) => format!("{low} and at most {}", n(max)),
            None => low,
        };
        match (self.kind, words.starts_with("from")) {
            (FieldKind::Choice, _) => format!("one of {}", self.choices.join(", ")),
            (FieldKind::Count | FieldKind::Size | FieldKind::Flag, true) => {
                format!("a whole number {words}")
            }
            (FieldKind::Count | FieldKind::Size | FieldKind::Flag, false) => {
                format!("a whole number, {words}")
            }
            (FieldKind::Number, _) => words,
        }
    }
}

/// What a spec's field takes when it is left out: its [`Field`]'s default, in the field's type.
pub trait FromField: Sized {
    fn from_field(field: &Field) -> Self;
}

impl FromField for usize {
    fn from_field(field: &Field) -> Self {
        field.default_count()
    }
}

impl FromField for bool {
    fn from_field(field: &Field) -> Self {
        field.default_flag()
    }
}

impl FromField for f32 {
    fn from_field(field: &Field) -> Self {
        field.default_number()
    }
}

impl FromField for Size2 {
    fn from_field(field: &Field) -> Self {
        Size2::Square(field.default_count())
    }
}

/// A default that follows from other fields ([`Field::default_is`]: a pool's stride is its
/// kernel size) is none of its own.
impl FromField for Option<usize> {
    fn from_field(_: &Field) -> Self {
        None
    }
}

/// `value` as given, else `field`'s default where it may be left out; refused where it may not.
pub fn given_or_default<T: FromField>(
    value: Option<T>,
    field: &Field,
) -> std::result::Result<T, String> {
    match value {
        Some(v) => Ok(v),
        None if !field.required => Ok(T::from_field(field)),
        None => Err(format!("missing field `{}`", field.name)),
    }
}

/// Declares a layer's spec from its fields, each written once — `CONST => name: type =
/// constructor(args).modifiers()` — as the [`Field`] constant (its name, the field's, with its
/// range, default and help), the struct's field, and what the field takes when a file or the
/// page leaves it out (the constant's default, where it is not required). `FIELDS` lists them
/// in order for the spec's `About`. Unknown fields are refused: a misspelt one must not pass as
/// its default.
macro_rules! layer_spec {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $konst:ident => $field:ident : $ty:ty =
                    $ctor:ident ( $($arg:expr),* $(,)? ) $( . $m:ident ( $($marg:expr),* ) )* ;
            )*
        }
    ) => {
        $(
            $(#[$fmeta])*
            const $konst: $crate::field::Field =
                $crate::field::Field::$ctor(stringify!($field), $($arg),*) $( . $m ( $($marg),* ) )*;
        )*

        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "Given")]
        pub struct $name {
            $( pub $field: $ty, )*
        }

        /// The fields as a file or the page gives them, each perhaps left out.
        #[derive(Default, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Given {
            $( #[serde(default)] $field: Option<$ty>, )*
        }

        impl TryFrom<Given> for $name {
            type Error = String;
            fn try_from(given: Given) -> std::result::Result<Self, String> {
                Ok($name {
                    $( $field: $crate::field::given_or_default(given.$field, &$konst)?, )*
                })
            }
        }

        /// The fields in order, for the spec's `About`.
        const FIELDS: &[$crate::field::Field] = &[$($konst),*];
    };
}

pub(crate) use layer_spec;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_range_the_page_shows() {
        let f = Field::count("out_channels", 1, Some(1024), 16);
        assert_eq!(f.check_count(16).unwrap(), 16);
        let why = f.check_count(0).unwrap_err().to_string();
        assert!(
            why.ends_with("out_channels must be a whole number from 1 to 1024, got 0"),
            "{why}"
        );
        assert!(f.check_value(2.5).is_err());
        assert!(f.check_count(usize::MAX).is_err());
        let p = Field::number("p", 0.0, Some(1.0), 0.5).below_max();
        assert!(p.check_number(0.0).is_ok());
        assert!(p.check_number(1.0).is_err());
        assert!(p.check_number(f32::NAN).is_err());
        assert_eq!(p.range(), "at least 0 and below 1");
        let lr = Field::number("lr", 0.0, None, 1e-3).above_min();
        assert!(lr.check_number(f32::INFINITY).is_err());
        assert_eq!(lr.range(), "above 0");
    }
}
