//! What an adapter says of itself: `ADAPTER --capabilities` (adapter protocol version 2).
//!
//! An adapter of version 1 knows no such flag. Whatever it does with it (an error, nothing,
//! an empty parse of the empty stdin it gets) is read as "version 1": parse mode, lacking
//! nothing. An adapter that does answer with `"protocol"` of 2 or more is held to its answer:
//! an unknown mode or capability is an error, so a typo cannot silently skip cases.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssewire_conformance::Capability;

use crate::process::spawn;

/// A mode of the adapter protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `ADAPTER [--chunk-size N]`: events and retries as JSON lines.
    Parse,
    /// `ADAPTER --count`: one totals line.
    Count,
    /// `ADAPTER --encode`: JSON items in, `text/event-stream` out.
    Encode,
}

/// An adapter's description of itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The protocol version it speaks: 1 when it did not answer `--capabilities`.
    pub protocol: u32,
    /// Its name for reports, if it gave one.
    pub name: Option<String>,
    /// The library it wraps, as its registry spells it.
    pub library: Option<String>,
    /// The library's version, as installed.
    pub version: Option<String>,
    /// `Rust`, `JavaScript`, `Python`, `Go`, ...
    pub language: Option<String>,
    /// The modes it implements.
    pub modes: Vec<Mode>,
    /// What its library cannot express; cases that need it are not applicable.
    #[serde(serialize_with = "names")]
    pub lacks: Vec<Capability>,
    /// Why, per lacked capability, in plain words.
    pub why: BTreeMap<String, String>,
}

fn names<S: serde::Serializer>(lacks: &[Capability], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(lacks.iter().map(|c| c.name()))
}

impl Default for Capabilities {
    /// Version 1: parse mode, lacking nothing.
    fn default() -> Self {
        Capabilities {
            protocol: 1,
            name: None,
            library: None,
            version: None,
            language: None,
            modes: vec![Mode::Parse],
            lacks: Vec::new(),
            why: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    protocol: u32,
    name: Option<String>,
    library: Option<String>,
    version: Option<String>,
    language: Option<String>,
    #[serde(default)]
    modes: Option<Vec<String>>,
    #[serde(default)]
    lacks: Vec<String>,
    #[serde(default)]
    why: BTreeMap<String, String>,
}

impl Capabilities {
    /// Reads an answer to `--capabilities`: the first line of `stdout` that is a JSON object
    /// with a `"protocol"` key. `Ok(None)` when there is none (a version 1 adapter).
    ///
    /// # Errors
    /// An answer of version 2 or more that names an unknown mode or capability.
    ///
    /// ```
    /// use sse_conformance::capabilities::{Capabilities, Mode};
    /// let line = br#"{"protocol":2,"modes":["encode"],"lacks":["retry"],"why":{"retry":"no callback"}}"#;
    /// let caps = Capabilities::from_answer(line).unwrap().unwrap();
    /// assert_eq!(caps.modes, [Mode::Encode]);
    /// assert_eq!(caps.lacks[0].name(), "retry");
    /// assert!(Capabilities::from_answer(b"").unwrap().is_none());
    /// assert!(Capabilities::from_answer(br#"{"protocol":2,"lacks":["colour"]}"#).is_err());
    /// ```
    pub fn from_answer(stdout: &[u8]) -> Result<Option<Capabilities>, String> {
        let text = String::from_utf8_lossy(stdout);
        let Some(answer) = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Answer>(line.trim()).ok())
            .next()
        else {
            return Ok(None);
        };
        if answer.protocol < 2 {
            return Ok(None);
        }
        let modes = match answer.modes {
            None => vec![Mode::Parse],
            Some(modes) => modes
                .iter()
                .map(|m| {
                    serde_json::from_value(serde_json::Value::String(m.clone())).map_err(|_| {
                        format!("unknown mode {m:?} in --capabilities (parse, count, encode)")
                    })
                })
                .collect::<Result<Vec<Mode>, String>>()?,
        };
        if modes.is_empty() {
            return Err("--capabilities lists no mode".into());
        }
        let lacks = answer
            .lacks
            .iter()
            .map(|name| {
                Capability::from_name(name).ok_or_else(|| {
                    let known: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                    format!(
                        "unknown capability {name:?} in \"lacks\" (the protocol's: {})",
                        known.join(", ")
                    )
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Some(Capabilities {
            protocol: answer.protocol,
            name: answer.name,
            library: answer.library,
            version: answer.version,
            language: answer.language,
            modes,
            lacks,
            why: answer.why,
        }))
    }

    /// Asks `command --capabilities` (empty stdin, `timeout`). An adapter that does not answer
    /// is of version 1: [`Capabilities::default`].
    ///
    /// # Errors
    /// When the command cannot be started, or answers with unknown names.
    pub fn query(command: &str, timeout: Duration) -> Result<Capabilities, String> {
        let finished = spawn(command, &["--capabilities".to_owned()], b"", timeout)
            .map_err(|e| format!("cannot start the adapter: {e}"))?;
        if finished.timed_out || finished.code != Some(0) {
            return Ok(Capabilities::default());
        }
        Ok(Capabilities::from_answer(&finished.stdout)
            .map_err(|e| format!("{e}\n  command: {command}"))?
            .unwrap_or_default())
    }

    /// Whether the adapter implements `mode`.
    pub fn has(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// One line for reports: what it is and what it lacks.
    pub fn describe(&self) -> String {
        let mut text = format!("protocol {}", self.protocol);
        if let Some(library) = &self.library {
            text.push_str(&format!(", {library}"));
            if let Some(version) = &self.version {
                text.push_str(&format!(" {version}"));
            }
        }
        if let Some(language) = &self.language {
            text.push_str(&format!(" ({language})"));
        }
        for lack in &self.lacks {
            let why = self.why.get(lack.name()).map_or("", String::as_str);
            text.push_str(&format!("; lacks {lack}"));
            if !why.is_empty() {
                text.push_str(&format!(": {why}"));
            }
        }
        text
    }
}
