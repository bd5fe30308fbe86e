//! A tiny `--name value` argument parser: every option a command does not know, and every
//! value that does not parse, is a one-line error naming it.

use std::collections::HashMap;
use std::str::FromStr;

pub struct Args {
    values: HashMap<String, String>,
}

impl Args {
    /// Parses `--name value` pairs; `known` lists the names the command takes.
    pub fn parse(raw: &[String], known: &[&str]) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut it = raw.iter();
        while let Some(arg) = it.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument '{arg}'"))?;
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                    (name.to_string(), v.clone())
                }
            };
            if !known.contains(&name.as_str()) {
                return Err(format!(
                    "unknown option --{name} (this command takes: --{})",
                    known.join(", --")
                ));
            }
            values.insert(name, value);
        }
        Ok(Args { values })
    }

    pub fn get<T: FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.values
            .get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("--{name}: cannot read '{v}'"))
            })
            .transpose()
    }

    pub fn get_or<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        Ok(self.get(name)?.unwrap_or(default))
    }

    pub fn require<T: FromStr>(&self, name: &str) -> Result<T, String> {
        self.get(name)?
            .ok_or_else(|| format!("--{name} is required"))
    }
}
