//! The transcript corpus (`tests/vectors/*.txt`, format in `tests/vectors/README.md`) run
//! through the length codec, the decoder (whole, one byte at a time, split at every point)
//! and both clients over a scripted transport that plays the router: it checks each
//! sentence the client writes and releases the router's replies only once the sentence they
//! answer was written.
//!
//! Every failure of every vector is collected and printed together, so one run shows the
//! whole picture.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use routeros_core::mux::Mux;
use routeros_core::proto::Value;
use routeros_core::wire::{
    decode_length, encode_length, prefix_len, Decoder, LengthPrefix, SentenceEncoder, WireError,
};
use routeros_core::{Client, Error};
use routeros_test_support::Script;

// ---------------------------------------------------------------------------------------------
// The corpus format.

/// A word of a vector: literal bytes, optionally followed by the value of a variable.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    bytes: Vec<u8>,
    var: Option<String>,
}

impl Word {
    fn resolve(&self, vars: &HashMap<String, Vec<u8>>) -> Result<Vec<u8>, String> {
        let mut out = self.bytes.clone();
        if let Some(var) = &self.var {
            let value = vars
                .get(var)
                .ok_or_else(|| format!("variable ${var} used before a `sent` line bound it"))?;
            out.extend_from_slice(value);
        }
        Ok(out)
    }
}

/// Which client an outcome line is for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Both,
    Client,
    Mux,
}

#[derive(Debug, Clone)]
enum Outcome {
    Ok,
    Row(Vec<(Vec<u8>, Vec<u8>)>),
    Get(Vec<u8>, Option<Vec<u8>>),
    Done(Option<Vec<u8>>),
    Trap {
        category: Option<u8>,
        message: Option<Vec<u8>>,
        more: Option<u16>,
    },
    Fatal(Vec<u8>),
    Error(String),
}

#[derive(Debug, Clone)]
enum Line {
    Wire(Vec<u8>),
    Recv(Vec<Word>),
    Sent(Vec<Word>),
    Login(Vec<u8>, Vec<u8>),
    Call { words: Vec<Vec<u8>>, stream: bool },
    Cancel,
    Finish,
    Outcome(Who, Outcome),
}

#[derive(Debug, Clone)]
enum Decoded {
    Sentence(Vec<Vec<u8>>),
    Error(WireError),
}

#[derive(Debug, Clone, Default)]
struct Vector {
    file: String,
    name: String,
    line: usize,
    rx: Option<usize>,
    lengths: Vec<(u32, Vec<u8>)>,
    rejects: Vec<Vec<u8>>,
    decoded: Vec<Decoded>,
    decoded_nothing: bool,
    lines: Vec<Line>,
}

impl Vector {
    fn id(&self) -> String {
        format!("{}:{} [{}]", self.file, self.line, self.name)
    }

    fn rx(&self) -> usize {
        self.rx.unwrap_or(4096)
    }

    fn is_conversation(&self) -> bool {
        self.lines
            .iter()
            .any(|l| matches!(l, Line::Login(..) | Line::Call { .. }))
    }

    /// The router's bytes with variables numbered in order of first use: what the decoder
    /// tests are fed.
    fn router_bytes(&self) -> (Vec<u8>, Vec<Vec<Vec<u8>>>) {
        let mut vars = HashMap::new();
        let mut bytes = Vec::new();
        let mut sentences = Vec::new();
        for line in &self.lines {
            match line {
                Line::Wire(raw) => bytes.extend_from_slice(raw),
                Line::Recv(words) => {
                    let words: Vec<Vec<u8>> = words
                        .iter()
                        .map(|w| {
                            if let Some(var) = &w.var {
                                let n = vars.len() + 1;
                                vars.entry(var.clone())
                                    .or_insert_with(|| n.to_string().into_bytes());
                            }
                            w.resolve(&vars).unwrap()
                        })
                        .collect();
                    bytes.extend_from_slice(&encode_sentence(&words));
                    sentences.push(words);
                }
                _ => {}
            }
        }
        (bytes, sentences)
    }
}

/// Splits a line into words: spaces separate, double quotes group, escapes as documented.
fn tokens(line: &str) -> Result<Vec<Word>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut bytes = Vec::new();
        let mut var = None;
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => quoted = !quoted,
                ' ' if !quoted => break,
                '\\' => match chars.next() {
                    Some('\\') => bytes.push(b'\\'),
                    Some('"') => bytes.push(b'"'),
                    Some('s') => bytes.push(b' '),
                    Some('x') => {
                        let hex: String = chars.by_ref().take(2).collect();
                        let b = u8::from_str_radix(&hex, 16)
                            .map_err(|_| format!("bad \\x escape `{hex}`"))?;
                        bytes.push(b);
                    }
                    Some('r') => {
                        let count: String =
                            std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_digit())).collect();
                        let count: usize = count.parse().map_err(|_| "bad \\r count")?;
                        if chars.next() != Some('(') {
                            return Err("\\rN must be followed by (".into());
                        }
                        let text: String =
                            std::iter::from_fn(|| chars.next_if(|&c| c != ')')).collect();
                        chars.next();
                        bytes.extend(text.as_bytes().repeat(count));
                    }
                    other => return Err(format!("unknown escape \\{other:?}")),
                },
                '$' => {
                    let name: String =
                        std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_alphanumeric()))
                            .collect();
                    if name.is_empty() {
                        return Err("`$` without a variable name".into());
                    }
                    var = Some(name);
                }
                c => {
                    let mut utf8 = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
            }
        }
        if quoted {
            return Err("unclosed quote".into());
        }
        out.push(Word { bytes, var });
    }
}

fn literal(words: Vec<Word>) -> Result<Vec<Vec<u8>>, String> {
    words
        .into_iter()
        .map(|w| match w.var {
            None => Ok(w.bytes),
            Some(v) => Err(format!("variable ${v} not allowed here")),
        })
        .collect()
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    text.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).map_err(|_| format!("bad hex byte `{h}`")))
        .collect()
}

fn number(text: &str) -> Result<u64, String> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => text.parse(),
    }
    .map_err(|_| format!("bad number `{text}`"))
}

/// `NAME=VALUE` (value may be empty) split at the first `=`.
fn pair(word: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let eq = word
        .iter()
        .position(|&b| b == b'=')
        .ok_or_else(|| format!("`{}` is not NAME=VALUE", String::from_utf8_lossy(word)))?;
    Ok((word[..eq].to_vec(), word[eq + 1..].to_vec()))
}

fn outcome(keyword: &str, rest: &str) -> Result<Option<Outcome>, String> {
    let words = || literal(tokens(rest)?);
    Ok(Some(match keyword {
        "ok" => Outcome::Ok,
        "row" => Outcome::Row(words()?.iter().map(|w| pair(w)).collect::<Result<_, _>>()?),
        "get" => {
            let w = words()?;
            let [w] = &w[..] else {
                return Err("get takes one NAME=VALUE or NAME".into());
            };
            match w.iter().position(|&b| b == b'=') {
                Some(eq) => Outcome::Get(w[..eq].to_vec(), Some(w[eq + 1..].to_vec())),
                None => Outcome::Get(w.clone(), None),
            }
        }
        "done" => {
            let mut ret = None;
            for w in words()? {
                let (k, v) = pair(&w)?;
                if k != b"ret" {
                    return Err("done takes only ret=V".into());
                }
                ret = Some(v);
            }
            Outcome::Done(ret)
        }
        "trap" => {
            let (mut category, mut message, mut more) = (None, None, None);
            for w in words()? {
                let (k, v) = pair(&w)?;
                let v_str = String::from_utf8_lossy(&v).into_owned();
                match &k[..] {
                    b"category" => category = Some(number(&v_str)? as u8),
                    b"message" => message = Some(v),
                    b"more" => more = Some(number(&v_str)? as u16),
                    _ => return Err(format!("unknown trap part `{v_str}`")),
                }
            }
            Outcome::Trap {
                category,
                message,
                more,
            }
        }
        "fatal" => Outcome::Fatal(rest.trim().as_bytes().to_vec()),
        "error" => Outcome::Error(rest.trim().to_string()),
        _ => return Ok(None),
    }))
}

fn parse_file(file: &str, text: &str) -> Result<Vec<Vector>, String> {
    let mut vectors: Vec<Vector> = Vec::new();
    let mut has_source = false;
    for (index, raw) in text.lines().enumerate() {
        let at = |e: String| format!("{file}:{}: {e}", index + 1);
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            has_source |= comment.trim_start().starts_with("source:");
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if !has_source {
                return Err(at("a vector before any `# source:` line".into()));
            }
            if vectors.iter().any(|v| v.name == name) {
                return Err(at(format!("duplicate vector name `{name}`")));
            }
            vectors.push(Vector {
                file: file.to_string(),
                name: name.to_string(),
                line: index + 1,
                ..Vector::default()
            });
            continue;
        }
        let vector = vectors
            .last_mut()
            .ok_or_else(|| at("a line outside any vector".into()))?;
        let (who, line) = if let Some(rest) = line.strip_prefix("client:") {
            (Who::Client, rest.trim_start())
        } else if let Some(rest) = line.strip_prefix("mux:") {
            (Who::Mux, rest.trim_start())
        } else {
            (Who::Both, line)
        };
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        let parsed: Result<(), String> = (|| {
            match keyword {
                "length" => {
                    let (n, bytes) = rest.split_once(' ').ok_or("length N HEX...")?;
                    let n = u32::try_from(number(n)?).map_err(|_| "length over u32")?;
                    vector.lengths.push((n, hex(bytes)?));
                }
                "length-reject" => vector.rejects.push(hex(rest)?),
                "rx" => vector.rx = Some(number(rest)? as usize),
                "wire" => vector.lines.push(Line::Wire(hex(rest)?)),
                "recv" => vector.lines.push(Line::Recv(tokens(rest)?)),
                "sent" => vector.lines.push(Line::Sent(tokens(rest)?)),
                "decoded" => vector
                    .decoded
                    .push(Decoded::Sentence(literal(tokens(rest)?)?)),
                "decoded-nothing" => vector.decoded_nothing = true,
                "decoded-error" => vector.decoded.push(Decoded::Error(match rest.trim() {
                    "SentenceTooLarge" => WireError::SentenceTooLarge,
                    "TooLargeToSkip" => WireError::TooLargeToSkip,
                    other => {
                        let b = other
                            .strip_prefix("ControlByte(0x")
                            .and_then(|r| r.strip_suffix(')'))
                            .ok_or_else(|| format!("unknown decoder error `{other}`"))?;
                        WireError::ControlByte(
                            u8::from_str_radix(b, 16).map_err(|_| "bad control byte")?,
                        )
                    }
                })),
                "login" => {
                    let w = literal(tokens(rest)?)?;
                    let [user, password] = &w[..] else {
                        return Err("login USER PASSWORD".into());
                    };
                    vector
                        .lines
                        .push(Line::Login(user.clone(), password.clone()));
                }
                "call" | "stream" => vector.lines.push(Line::Call {
                    words: literal(tokens(rest)?)?,
                    stream: keyword == "stream",
                }),
                "cancel" => vector.lines.push(Line::Cancel),
                "finish" => vector.lines.push(Line::Finish),
                _ => match outcome(keyword, rest)? {
                    Some(o) => vector.lines.push(Line::Outcome(who, o)),
                    None => return Err(format!("unknown line `{keyword}`")),
                },
            }
            Ok(())
        })();
        parsed.map_err(at)?;
    }
    if vectors.is_empty() {
        return Err(format!("{file}: no vectors"));
    }
    Ok(vectors)
}

fn corpus() -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the corpus has its files");
    let mut all = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        all.extend(parse_file(&name, &text).unwrap_or_else(|e| panic!("{e}")));
    }
    all
}

// ---------------------------------------------------------------------------------------------
// An encoder written from the protocol description alone, to check the core's against.

fn encode_length_reference(len: usize, out: &mut Vec<u8>) {
    let be = (len as u32).to_be_bytes();
    match len {
        0..=0x7F => out.push(be[3]),
        0x80..=0x3FFF => out.extend_from_slice(&[be[2] | 0x80, be[3]]),
        0x4000..=0x1F_FFFF => out.extend_from_slice(&[be[1] | 0xC0, be[2], be[3]]),
        0x20_0000..=0x0FFF_FFFF => out.extend_from_slice(&[be[0] | 0xE0, be[1], be[2], be[3]]),
        _ => out.extend_from_slice(&[0xF0, be[0], be[1], be[2], be[3]]),
    }
}

fn encode_sentence(words: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in words {
        encode_length_reference(w.len(), &mut out);
        out.extend_from_slice(w);
    }
    out.push(0);
    out
}

// ---------------------------------------------------------------------------------------------
// Length codec and decoder.

fn check_lengths(v: &Vector, failures: &mut Vec<String>) {
    for (n, bytes) in &v.lengths {
        let mut out = [0u8; 5];
        match encode_length(*n, &mut out) {
            Ok(k) if out[..k] == bytes[..] => {}
            other => failures.push(format!(
                "{}: encode_length({n:#x}) gave {other:?} {:02X?}, want {bytes:02X?}",
                v.id(),
                &out
            )),
        }
        if prefix_len(*n) != bytes.len() {
            failures.push(format!("{}: prefix_len({n:#x}) != {}", v.id(), bytes.len()));
        }
        let want = Ok(LengthPrefix::Complete {
            len: *n,
            prefix: bytes.len(),
        });
        if decode_length(bytes) != want {
            failures.push(format!(
                "{}: decode_length({bytes:02X?}) = {:?}, want {want:?}",
                v.id(),
                decode_length(bytes)
            ));
        }
        for cut in 0..bytes.len() {
            if decode_length(&bytes[..cut]) != Ok(LengthPrefix::Partial) {
                failures.push(format!("{}: {:02X?} is not Partial", v.id(), &bytes[..cut]));
            }
        }
        let mut reference = Vec::new();
        encode_length_reference(*n as usize, &mut reference);
        if &reference != bytes {
            failures.push(format!(
                "{}: the vector {bytes:02X?} disagrees with the protocol description",
                v.id()
            ));
        }
    }
    for bytes in &v.rejects {
        let want = Err(WireError::ControlByte(bytes[0]));
        if decode_length(bytes) != want {
            failures.push(format!(
                "{}: decode_length({bytes:02X?}) = {:?}, want {want:?}",
                v.id(),
                decode_length(bytes)
            ));
        }
    }
}

/// Feeds `bytes` to a decoder of `rx` bytes in the pieces `cuts` delimits and returns what
/// came out, stopping after a sticky error.
fn decode_pieces(bytes: &[u8], rx: usize, cuts: &[usize]) -> Result<Vec<Decoded>, String> {
    let mut decoder = Decoder::new(vec![0u8; rx]);
    let mut out = Vec::new();
    let drain = |decoder: &mut Decoder<Vec<u8>>, out: &mut Vec<Decoded>| -> bool {
        loop {
            match decoder.next_sentence() {
                Ok(Some(s)) => out.push(Decoded::Sentence(s.words().map(<[u8]>::to_vec).collect())),
                Ok(None) => return true,
                Err(WireError::SentenceTooLarge) => {
                    out.push(Decoded::Error(WireError::SentenceTooLarge))
                }
                Err(e) => {
                    out.push(Decoded::Error(e));
                    return false;
                }
            }
        }
    };
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let mut piece = &bytes[start..end.max(start)];
        start = end.max(start);
        while !piece.is_empty() {
            let n = decoder.feed(piece);
            piece = &piece[n..];
            let before = out.len();
            if !drain(&mut decoder, &mut out) {
                return Ok(out);
            }
            if n == 0 && out.len() == before {
                return Err(format!(
                    "decoder stalled: no spare room and nothing to hand out ({} buffered)",
                    decoder.buffered()
                ));
            }
        }
    }
    Ok(out)
}

fn same(a: &[Decoded], b: &[Decoded]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Decoded::Sentence(x), Decoded::Sentence(y)) => x == y,
            (Decoded::Error(x), Decoded::Error(y)) => x == y,
            _ => false,
        })
}

fn show(d: &[Decoded]) -> String {
    let mut s = String::new();
    for d in d {
        match d {
            Decoded::Sentence(words) => {
                let words: Vec<String> = words
                    .iter()
                    .map(|w| {
                        let t = String::from_utf8_lossy(w);
                        if t.len() > 40 {
                            let head: String = t.chars().take(40).collect();
                            format!("{head}...({} bytes)", w.len())
                        } else {
                            t.into_owned()
                        }
                    })
                    .collect();
                let _ = write!(s, "{words:?} ");
            }
            Decoded::Error(e) => {
                let _ = write!(s, "Err({e:?}) ");
            }
        }
    }
    s
}

fn check_decoder(v: &Vector, failures: &mut Vec<String>) {
    let (bytes, sentences) = v.router_bytes();
    if bytes.is_empty() {
        return;
    }
    // The core's encoder must produce what the reference encoder did.
    for words in &sentences {
        let mut buf = vec![0u8; bytes.len() + 16];
        let mut enc = SentenceEncoder::new(&mut buf);
        for w in words {
            enc.word(w).unwrap();
        }
        if enc.finish().unwrap() != encode_sentence(words) {
            failures.push(format!(
                "{}: SentenceEncoder disagrees with the reference",
                v.id()
            ));
        }
    }
    let has_raw = v.lines.iter().any(|l| matches!(l, Line::Wire(_)));
    let want: Vec<Decoded> = if v.decoded_nothing {
        Vec::new()
    } else if !v.decoded.is_empty() {
        v.decoded.clone()
    } else if has_raw {
        // Raw bytes without stated expectations: only whole-versus-split consistency.
        match decode_pieces(&bytes, v.rx(), &[]) {
            Ok(d) => d,
            Err(e) => return failures.push(format!("{}: {e}", v.id())),
        }
    } else {
        // As written, except that a sentence larger than the buffer is skipped.
        sentences
            .into_iter()
            .map(|words| {
                if encode_sentence(&words).len() > v.rx() {
                    Decoded::Error(WireError::SentenceTooLarge)
                } else {
                    Decoded::Sentence(words)
                }
            })
            .collect()
    };
    let mut ways: Vec<(String, Vec<usize>)> = vec![
        ("whole".into(), vec![]),
        ("byte by byte".into(), (1..bytes.len()).collect()),
    ];
    let splits: Vec<usize> = if bytes.len() <= 4096 {
        (1..bytes.len()).collect()
    } else {
        (1..64)
            .chain((64..bytes.len()).step_by(509))
            .chain(bytes.len().saturating_sub(64)..bytes.len())
            .collect()
    };
    for cut in splits {
        ways.push((format!("split at {cut}"), vec![cut]));
    }
    for (how, cuts) in ways {
        match decode_pieces(&bytes, v.rx(), &cuts) {
            Ok(got) if same(&got, &want) => {}
            Ok(got) => {
                failures.push(format!(
                    "{}: decoder ({how}, rx {}) gave {}want {}",
                    v.id(),
                    v.rx(),
                    show(&got),
                    show(&want)
                ));
                return;
            }
            Err(e) => {
                failures.push(format!("{}: decoder ({how}): {e}", v.id()));
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The scripted router.

/// How the transport behaves: bytes per read, bytes per write, and whether every other read
/// first answers `Pending`.
#[derive(Debug, Clone, Copy)]
struct Pace {
    read: usize,
    write: usize,
    pending: bool,
}

const PACES: [Pace; 4] = [
    Pace {
        read: usize::MAX,
        write: usize::MAX,
        pending: false,
    },
    Pace {
        read: 1,
        write: 1,
        pending: true,
    },
    Pace {
        read: 7,
        write: 3,
        pending: false,
    },
    Pace {
        read: 3,
        write: usize::MAX,
        pending: true,
    },
];

/// What the router sends: raw bytes, or a sentence whose variables are filled in when it is
/// released.
#[derive(Clone)]
enum Release {
    Raw(Vec<u8>),
    Sentence(Vec<Word>),
}

/// The router's side of a conversation: checks each sentence the client writes against the
/// script and answers with what the script releases after it.
struct Router {
    /// Sentences the client wrote, as words.
    sent: Vec<Vec<Vec<u8>>>,
    /// What the client must write, in order.
    expect: Vec<Vec<Word>>,
    /// `releases[k]`: sent once the client has written `k` sentences.
    releases: Vec<Vec<Release>>,
    vars: HashMap<String, Vec<u8>>,
    problems: Vec<String>,
}

impl Router {
    fn new(lines: &[Line]) -> Self {
        let mut expect = Vec::new();
        let mut releases = vec![Vec::new()];
        for line in lines {
            match line {
                Line::Sent(words) => {
                    expect.push(words.clone());
                    releases.push(Vec::new());
                }
                Line::Recv(words) => releases
                    .last_mut()
                    .unwrap()
                    .push(Release::Sentence(words.clone())),
                Line::Wire(raw) => releases.last_mut().unwrap().push(Release::Raw(raw.clone())),
                _ => {}
            }
        }
        Self {
            sent: Vec::new(),
            expect,
            releases,
            vars: HashMap::new(),
            problems: Vec::new(),
        }
    }

    /// The bytes released once the client has written `k` sentences.
    fn release(&mut self, k: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let Some(items) = self.releases.get(k).cloned() else {
            return out;
        };
        for item in items {
            match item {
                Release::Raw(raw) => out.extend(raw),
                Release::Sentence(words) => {
                    let mut resolved = Vec::new();
                    for w in &words {
                        match w.resolve(&self.vars) {
                            Ok(w) => resolved.push(w),
                            Err(e) => self.problems.push(e),
                        }
                    }
                    out.extend(encode_sentence(&resolved));
                }
            }
        }
        out
    }

    /// Checks one sentence the client wrote and answers it.
    fn answer(&mut self, words: &[Vec<u8>]) -> Vec<u8> {
        self.check_sent(words);
        self.sent.push(words.to_vec());
        self.release(self.sent.len())
    }

    fn check_sent(&mut self, words: &[Vec<u8>]) {
        let k = self.sent.len();
        let shown = || {
            words
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let Some(want) = self.expect.get(k).cloned() else {
            self.problems
                .push(format!("unexpected sentence #{}: {}", k + 1, shown()));
            return;
        };
        if want.len() != words.len() {
            self.problems.push(format!(
                "sentence #{} was `{}`: wrong word count",
                k + 1,
                shown()
            ));
            return;
        }
        for (w, got) in want.iter().zip(words) {
            match &w.var {
                Some(var) if got.starts_with(&w.bytes) => {
                    let value = got[w.bytes.len()..].to_vec();
                    match self.vars.get(var) {
                        Some(bound) if *bound != value => self.problems.push(format!(
                            "sentence #{}: ${var} was {:?}, now {:?}",
                            k + 1,
                            String::from_utf8_lossy(bound),
                            String::from_utf8_lossy(&value)
                        )),
                        _ => {
                            self.vars.insert(var.clone(), value);
                        }
                    }
                }
                None if *got == w.bytes => {}
                _ => {
                    self.problems
                        .push(format!("sentence #{} was `{}`", k + 1, shown()));
                    return;
                }
            }
        }
    }
}

/// A scripted link that plays `router` at `pace`; both clients' halves are clones of it.
fn connect(router: &Rc<RefCell<Router>>, pace: Pace) -> Script {
    let script = Script::pending();
    script.send_raw(&router.borrow_mut().release(0));
    script.read_chunk(pace.read);
    script.write_chunk(pace.write);
    if pace.pending {
        script.pend_every_other_read();
    }
    // Once the script has nothing more to say, the router closes the connection.
    script.close_after_answers(router.borrow().expect.len());
    let answering = router.clone();
    script.respond_raw(move |words| answering.borrow_mut().answer(words));
    script
}

// ---------------------------------------------------------------------------------------------
// Running a conversation.

/// One client action with the outcomes that follow it.
struct Step {
    action: Line,
    outcomes: Vec<Outcome>,
}

fn steps(v: &Vector, who: Who) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in &v.lines {
        match line {
            Line::Login(..) | Line::Call { .. } | Line::Cancel | Line::Finish => steps.push(Step {
                action: line.clone(),
                outcomes: Vec::new(),
            }),
            Line::Outcome(w, o) if *w == Who::Both || *w == who => {
                if let Some(step) = steps.last_mut() {
                    step.outcomes.push(o.clone());
                }
            }
            _ => {}
        }
    }
    steps
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Checks an error against an expected outcome.
fn check_error(e: &Error, want: Option<&Outcome>) -> Result<(), String> {
    let ok = match want {
        Some(Outcome::Trap {
            category,
            message,
            more,
        }) => match e {
            Error::Trap(t) => {
                category.is_none_or(|c| t.category.map(|k| k.code()) == Some(c))
                    && message
                        .as_ref()
                        .is_none_or(|m| t.message.as_bytes() == &m[..])
                    && more.is_none_or(|m| t.more == m)
            }
            _ => false,
        },
        Some(Outcome::Fatal(reason)) => {
            matches!(e, Error::Fatal(m) if m.as_bytes() == &reason[..])
        }
        Some(Outcome::Error(prefix)) => format!("{e:?}").starts_with(prefix.as_str()),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("got Err({e:?}), want {want:?}"))
    }
}

/// A row copied out: its attributes and the answers to the `get`s asked of it.
struct SeenRow {
    attributes: Vec<(Vec<u8>, Vec<u8>)>,
    gets: Vec<Option<Vec<u8>>>,
}

impl SeenRow {
    /// Copies a row (the client's or the mux's, given as its attributes and its `get`) and
    /// asks it for each of `gets`.
    fn copy<'v>(
        attributes: impl Iterator<Item = (Value<'v>, Value<'v>)>,
        get: impl Fn(&str) -> Option<Value<'v>>,
        gets: &[Vec<u8>],
    ) -> Self {
        Self {
            attributes: attributes
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
            gets: gets
                .iter()
                .map(|n| get(&text(n)).map(|v| v.as_bytes().to_vec()))
                .collect(),
        }
    }
}

/// Checks one item of a call's replies against the outcomes, consuming a `row` and its
/// `get`s or an error.
fn check_item(
    item: Option<Result<SeenRow, Error>>,
    outcomes: &[Outcome],
    at: &mut usize,
) -> Result<(), String> {
    let want = outcomes.get(*at);
    *at += 1;
    match item {
        Some(Ok(row)) => {
            let Some(Outcome::Row(attributes)) = want else {
                return Err(format!(
                    "got a row {:?}, want {want:?}",
                    row.attributes
                        .iter()
                        .map(|(k, v)| format!("{}={}", text(k), text(v)))
                        .collect::<Vec<_>>()
                ));
            };
            if row.attributes != *attributes {
                return Err(format!(
                    "row attributes {:?}, want {:?}",
                    row.attributes
                        .iter()
                        .map(|(k, v)| format!("{}={}", text(k), text(v)))
                        .collect::<Vec<_>>(),
                    attributes
                        .iter()
                        .map(|(k, v)| format!("{}={}", text(k), text(v)))
                        .collect::<Vec<_>>()
                ));
            }
            for got in row.gets {
                let Some(Outcome::Get(name, value)) = outcomes.get(*at) else {
                    unreachable!("gets are asked for the get lines that follow");
                };
                *at += 1;
                if got != *value {
                    return Err(format!(
                        "get({}) = {:?}, want {:?}",
                        text(name),
                        got.as_deref().map(text),
                        value.as_deref().map(text)
                    ));
                }
            }
            Ok(())
        }
        Some(Err(e)) => check_error(&e, want),
        None => match want {
            Some(Outcome::Done(_)) => Ok(()),
            _ => Err(format!("the call ended, want {want:?}")),
        },
    }
}

/// The `get` names that follow the row expected at `at`.
fn gets_after(outcomes: &[Outcome], at: usize) -> Vec<Vec<u8>> {
    outcomes[(at + 1).min(outcomes.len())..]
        .iter()
        .map_while(|o| match o {
            Outcome::Get(name, _) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn str_words(words: &[Vec<u8>]) -> Result<Vec<&str>, String> {
    words
        .iter()
        .map(|w| std::str::from_utf8(w).map_err(|_| "command words must be UTF-8".to_string()))
        .collect()
}

fn login_result(r: Result<(), Error>, outcomes: &[Outcome]) -> Result<(), String> {
    match (r, outcomes.first()) {
        (Ok(()), Some(Outcome::Ok)) => Ok(()),
        (Ok(()), want) => Err(format!("login succeeded, want {want:?}")),
        (Err(e), want) => check_error(&e, want).map_err(|m| format!("login: {m}")),
    }
}

/// Whether the call's replies must be read to the end before the next step, and whether the
/// `done` outcome carries a `ret` to check through `finish`.
fn done_ret(outcomes: &[Outcome]) -> Option<Vec<u8>> {
    outcomes.iter().find_map(|o| match o {
        Outcome::Done(ret) => ret.clone(),
        _ => None,
    })
}

async fn run_client(v: &Vector, pace: Pace) -> Result<(), String> {
    let router = Rc::new(RefCell::new(Router::new(&v.lines)));
    let script = connect(&router, pace);
    let mut client = Client::new(script.clone(), vec![0u8; v.rx()], vec![0u8; 1024]);
    let steps = steps(v, Who::Client);
    let mut i = 0;
    while i < steps.len() {
        let step = &steps[i];
        i += 1;
        match &step.action {
            Line::Login(user, password) => {
                let r = client.login(&text(user), &text(password)).await;
                login_result(r, &step.outcomes)?;
            }
            Line::Call { words, .. } => {
                let words = str_words(words)?;
                let mut response = match client.command(&words[..]).await {
                    Ok(r) => r,
                    Err(e) => {
                        check_error(&e, step.outcomes.first())?;
                        continue;
                    }
                };
                let outcomes = &step.outcomes;
                let mut at = 0;
                let mut ended = false;
                while at < outcomes.len() {
                    let gets = gets_after(outcomes, at);
                    let item = response.next().await.map(|r| {
                        r.map(|row| SeenRow::copy(row.attributes(), |n| row.get(n), &gets))
                    });
                    ended = item.is_none();
                    check_item(item, outcomes, &mut at)?;
                }
                let next = steps.get(i).map(|s| &s.action);
                match next {
                    Some(Line::Cancel) => {
                        i += 1;
                        let want = steps[i - 1].outcomes.first();
                        match response.cancel().await {
                            Ok(()) if matches!(want, Some(Outcome::Ok)) => {}
                            Ok(()) => return Err(format!("cancel succeeded, want {want:?}")),
                            Err(e) => check_error(&e, want).map_err(|m| format!("cancel: {m}"))?,
                        }
                    }
                    Some(Line::Finish) => {
                        i += 1;
                        let want = steps[i - 1].outcomes.first();
                        match response.finish().await {
                            Ok(done) => match want {
                                Some(Outcome::Done(ret))
                                    if ret.is_none()
                                        || done.ret().map(|r| r.as_bytes().to_vec()) == *ret => {}
                                _ => return Err(format!("finish gave {done:?}, want {want:?}")),
                            },
                            Err(e) => check_error(&e, want).map_err(|m| format!("finish: {m}"))?,
                        }
                    }
                    _ if ended => {
                        if let Some(ret) = done_ret(outcomes) {
                            let done = response.finish().await.map_err(|e| format!("{e:?}"))?;
                            let got = done.ret().map(|r| r.as_bytes().to_vec());
                            if got.as_deref() != Some(&ret[..]) {
                                return Err(format!(
                                    "ret {:?}, want {:?}",
                                    got.as_deref().map(text),
                                    text(&ret)
                                ));
                            }
                        }
                    }
                    _ => return Err("a call must end with `done`, `cancel` or `finish`".into()),
                }
            }
            Line::Cancel | Line::Finish => return Err("cancel/finish without a call".into()),
            _ => unreachable!(),
        }
    }
    finish_script(&router, &script)
}

/// After the conversation: everything the client should have written was written, nothing
/// else, and the script had no problems.
fn finish_script(router: &RefCell<Router>, script: &Script) -> Result<(), String> {
    if let Some(e) = script.malformed() {
        return Err(format!("script: the client wrote bad bytes: {e}"));
    }
    let router = router.borrow();
    if let Some(p) = router.problems.first() {
        return Err(format!("script: {p}"));
    }
    if router.sent.len() < router.expect.len() {
        return Err(format!(
            "the client wrote {} sentences, the script expects {}",
            router.sent.len(),
            router.expect.len()
        ));
    }
    Ok(())
}

const SLOTS: usize = 4;
const SLOT_BYTES: usize = 64 * 1024;

async fn run_mux(v: &Vector, pace: Pace) -> Result<(), String> {
    let router = Rc::new(RefCell::new(Router::new(&v.lines)));
    let script = connect(&router, pace);
    let mut rx = vec![0u8; v.rx()];
    let mut tx = vec![0u8; 1024];
    let mux: Box<Mux<'_, Script, Script, (), SLOTS, SLOT_BYTES>> =
        Box::new(Mux::new(script.clone(), script.clone(), &mut rx, &mut tx));
    let steps = steps(v, Who::Mux);
    let mut i = 0;
    while i < steps.len() {
        let step = &steps[i];
        i += 1;
        match &step.action {
            Line::Login(user, password) => {
                let r = mux.login(&text(user), &text(password)).await;
                login_result(r, &step.outcomes)?;
            }
            Line::Call { words, stream } => {
                let words = str_words(words)?;
                let outcomes = &step.outcomes;
                let next = steps.get(i).map(|s| &s.action);
                let end_want = steps.get(i).and_then(|s| s.outcomes.first());
                if *stream {
                    let mut handle = match mux.stream(&words[..]).await {
                        Ok(h) => h,
                        Err(e) => {
                            check_error(&e, outcomes.first())?;
                            continue;
                        }
                    };
                    let mut at = 0;
                    while at < outcomes.len() {
                        let gets = gets_after(outcomes, at);
                        let item = handle.next().await.map(|r| {
                            r.map(|row| SeenRow::copy(row.attributes(), |n| row.get(n), &gets))
                        });
                        check_item(item, outcomes, &mut at)?;
                    }
                    match next {
                        Some(Line::Cancel) => {
                            i += 1;
                            match handle.cancel().await {
                                Ok(_) if matches!(end_want, Some(Outcome::Ok)) => {}
                                Ok(end) => {
                                    return Err(format!("cancel gave {end:?}, want {end_want:?}"))
                                }
                                Err(e) => {
                                    check_error(&e, end_want).map_err(|m| format!("cancel: {m}"))?
                                }
                            }
                        }
                        Some(Line::Finish) => {
                            i += 1;
                            match handle.finish().await {
                                Ok(_) if matches!(end_want, Some(Outcome::Done(_))) => {}
                                Ok(end) => {
                                    return Err(format!("finish gave {end:?}, want {end_want:?}"))
                                }
                                Err(e) => {
                                    check_error(&e, end_want).map_err(|m| format!("finish: {m}"))?
                                }
                            }
                        }
                        _ => {}
                    }
                } else {
                    let mut handle = match mux.command(&words[..]).await {
                        Ok(h) => h,
                        Err(e) => {
                            check_error(&e, outcomes.first())?;
                            continue;
                        }
                    };
                    let mut at = 0;
                    while at < outcomes.len() {
                        let gets = gets_after(outcomes, at);
                        let item = handle.next().await.map(|r| {
                            r.map(|row| SeenRow::copy(row.attributes(), |n| row.get(n), &gets))
                        });
                        check_item(item, outcomes, &mut at)?;
                    }
                    let want_ret = done_ret(outcomes);
                    if matches!(next, Some(Line::Finish)) || want_ret.is_some() {
                        if matches!(next, Some(Line::Finish)) {
                            i += 1;
                        }
                        let want_ret = want_ret.or_else(|| match end_want {
                            Some(Outcome::Done(ret)) => ret.clone(),
                            _ => None,
                        });
                        match handle.finish().await {
                            Ok(done) => {
                                let got = done.ret().map(|r| r.as_bytes().to_vec());
                                if want_ret.is_some() && got != want_ret {
                                    return Err(format!(
                                        "ret {:?}, want {:?}",
                                        got.as_deref().map(text),
                                        want_ret.as_deref().map(text)
                                    ));
                                }
                            }
                            Err(e) => {
                                check_error(&e, end_want).map_err(|m| format!("finish: {m}"))?
                            }
                        }
                    }
                }
            }
            Line::Cancel | Line::Finish => return Err("cancel/finish without a call".into()),
            _ => unreachable!(),
        }
    }
    drop(mux);
    finish_script(&router, &script)
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn corpus_parses_and_covers_every_source() {
    let corpus = corpus();
    let files: std::collections::BTreeSet<_> = corpus.iter().map(|v| v.file.as_str()).collect();
    for needed in [
        "go-routeros.txt",
        "librouteros.txt",
        "node-routeros.txt",
        "socialwifi.txt",
        "evilfreelancer-php.txt",
        "mikrotik-manual.txt",
        "captures.txt",
        "regressions.txt",
    ] {
        assert!(files.contains(needed), "{needed} is in the corpus");
    }
    let conversations = corpus.iter().filter(|v| v.is_conversation()).count();
    let lengths: usize = corpus
        .iter()
        .map(|v| v.lengths.len() + v.rejects.len())
        .sum();
    assert!(conversations >= 30, "{conversations} conversations");
    assert!(lengths >= 40, "{lengths} length vectors");
}

#[test]
fn format_escapes() {
    let words = tokens(r#"a "b c" \x41\s\\ \r3(ab) .tag=$x"#).unwrap();
    let bytes: Vec<&[u8]> = words.iter().map(|w| &w.bytes[..]).collect();
    assert_eq!(bytes, [&b"a"[..], b"b c", b"A \\", b"ababab", b".tag="]);
    assert_eq!(words[4].var.as_deref(), Some("x"));
    assert!(tokens("\"open").is_err());
    assert!(parse_file("x.txt", "[no-source]\nrecv !done\n").is_err());
    assert!(parse_file("x.txt", "# source: here\n[v]\nbogus line\n").is_err());
}

#[test]
fn length_codec() {
    let mut failures = Vec::new();
    for v in corpus() {
        check_lengths(&v, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decoder_whole_byte_by_byte_and_at_every_split() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in corpus() {
        let before = failures.len();
        check_decoder(&v, &mut failures);
        checked += usize::from(!v.router_bytes().0.is_empty() && failures.len() == before);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "{checked} vectors decoded");
}

/// Runs every conversation on one client at every pace, each within a deadline.
fn conversations(which: Who) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    for v in corpus().iter().filter(|v| v.is_conversation()) {
        for pace in PACES {
            let run = async {
                match which {
                    Who::Mux => run_mux(v, pace).await,
                    _ => run_client(v, pace).await,
                }
            };
            let result = runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), run)
                    .await
                    .unwrap_or_else(|_| Err("hung (no result within 5 s)".into()))
            });
            ran += 1;
            if let Err(e) = result {
                failures.push(format!("{} {which:?} {pace:?}: {e}", v.id()));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran >= 120, "{ran} runs");
}

#[test]
fn conversations_through_the_client() {
    conversations(Who::Client);
}

#[test]
fn conversations_through_the_mux() {
    // The mux's slots live in the future's state: give it room.
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(|| conversations(Who::Mux))
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

// ---------------------------------------------------------------------------------------------
// Fuzzing seeds.

/// The seed inputs of the fuzz targets (`fuzz/`), made from the corpus: for each target, file
/// name and bytes, laid out as that target reads its input.
fn fuzz_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for v in corpus() {
        let name = format!("seed-{}-{}", v.file.trim_end_matches(".txt"), v.name);
        let (bytes, sentences) = v.router_bytes();
        if bytes.len() > 8192 {
            continue;
        }
        if !bytes.is_empty() {
            // decoder: buffer size, no chunk sizes (the target then tries its own), bytes.
            let rx = u8::try_from(v.rx().saturating_sub(5)).unwrap_or(u8::MAX);
            let mut seed = vec![rx, 0];
            seed.extend_from_slice(&bytes);
            seeds.push(("decoder", name.clone(), seed));
            // roundtrip: a length, then words (length byte, bytes; 0 between sentences).
            let mut seed = vec![0, 0, 0x40, 0x01];
            for words in &sentences {
                for w in words {
                    let w = &w[..w.len().min(0x3F)];
                    seed.push(w.len() as u8);
                    seed.extend_from_slice(w);
                }
                seed.push(0);
            }
            seeds.push(("roundtrip", name.clone(), seed));
        }
        for (&(n, ref prefix), i) in v.lengths.iter().zip(0..) {
            let mut seed = n.to_be_bytes().to_vec();
            seed.push(prefix.len() as u8);
            seed.extend_from_slice(prefix);
            seeds.push(("roundtrip", format!("{name}-{i}"), seed));
        }
        if v.is_conversation() {
            // client and mux: behaviour (plain), buffer size, operations, the router's bytes.
            let mut ops = Vec::new();
            let mut rows = 0u8;
            for line in &v.lines {
                match line {
                    Line::Login(..) => ops.push(0u8),
                    Line::Call { stream: false, .. } => ops.push(1),
                    Line::Call { stream: true, .. } => {
                        rows = 0;
                        ops.push(2);
                    }
                    Line::Outcome(_, Outcome::Row(_)) => rows = rows.saturating_add(1),
                    Line::Cancel => {
                        if let Some(op) = ops.last_mut() {
                            *op = 2 | (rows.min(31) << 3);
                        }
                    }
                    _ => {}
                }
            }
            let rx = u8::try_from(v.rx().saturating_sub(5) % 596).unwrap_or(u8::MAX);
            for (target, count) in [("client", 4), ("mux", 5)] {
                let mut seed = vec![0, 0, 0, 0, rx];
                let mut own = ops.clone();
                own.resize(count, 5);
                seed.extend_from_slice(&own[..count]);
                seed.extend_from_slice(&bytes);
                seeds.push((target, name.clone(), seed));
            }
        }
    }
    seeds
}

/// The committed seeds in `fuzz/seeds/` are the ones the corpus makes. Run with
/// `ROUTEROS_WRITE_SEEDS=1` to write them after changing the corpus.
#[test]
fn fuzz_seeds_match_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let seeds = fuzz_seeds();
    assert!(seeds.len() > 100, "{} seeds", seeds.len());
    let write = std::env::var_os("ROUTEROS_WRITE_SEEDS").is_some();
    let mut stale = Vec::new();
    for target in ["decoder", "roundtrip", "client", "mux"] {
        let dir = root.join(target);
        if write {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        let mut expected: Vec<String> = Vec::new();
        for (_, name, bytes) in seeds.iter().filter(|s| s.0 == target) {
            let path = dir.join(name);
            if write {
                std::fs::write(&path, bytes).unwrap();
            } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
                stale.push(path.display().to_string());
            }
            expected.push(name.clone());
        }
        let present = std::fs::read_dir(&dir)
            .map(|d| d.count())
            .unwrap_or_default();
        if present != expected.len() {
            stale.push(format!(
                "{}: {present} files, want {}",
                dir.display(),
                expected.len()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "fuzz seeds out of date (run with ROUTEROS_WRITE_SEEDS=1):\n{}",
        stale.join("\n")
    );
}
