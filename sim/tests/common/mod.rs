//! A tiny blocking RouterOS API client for the tests, written here so that neither the
//! simulator's codec nor the project's client is trusted by them.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Anything a client can talk through: a TCP socket or a TLS stream over one.
pub trait Transport: Read + Write + Send {}
impl<T: Read + Write + Send> Transport for T {}

pub type Sentence = Vec<Vec<u8>>;

pub struct Client {
    s: Box<dyn Transport>,
    buf: Vec<u8>,
}

pub fn put_len(n: usize, out: &mut Vec<u8>) {
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x4000 {
        out.extend_from_slice(&(n as u16 | 0x8000).to_be_bytes());
    } else if n < 0x20_0000 {
        out.extend_from_slice(&(n as u32 | 0xC0_0000).to_be_bytes()[1..]);
    } else {
        out.extend_from_slice(&(n as u32 | 0xE000_0000).to_be_bytes());
    }
}

/// Takes one sentence from the front of `buf`, if it holds a whole one.
pub fn take_sentence(buf: &mut Vec<u8>) -> Option<Sentence> {
    let mut pos = 0;
    let mut words = Vec::new();
    loop {
        let b0 = *buf.get(pos)?;
        let (len, pre) = if b0 < 0x80 {
            (b0 as usize, 1)
        } else if b0 < 0xC0 {
            let b = buf.get(pos..pos + 2)?;
            ((u16::from_be_bytes([b[0], b[1]]) & 0x3FFF) as usize, 2)
        } else if b0 < 0xE0 {
            let b = buf.get(pos..pos + 3)?;
            (
                (u32::from_be_bytes([0, b[0], b[1], b[2]]) & 0x1F_FFFF) as usize,
                3,
            )
        } else if b0 < 0xF0 {
            let b = buf.get(pos..pos + 4)?;
            (
                (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x0FFF_FFFF) as usize,
                4,
            )
        } else {
            let b = buf.get(pos + 1..pos + 5)?;
            (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize, 5)
        };
        pos += pre;
        if len == 0 {
            buf.drain(..pos);
            return Some(words);
        }
        words.push(buf.get(pos..pos + len)?.to_vec());
        pos += len;
    }
}

pub fn text(s: &Sentence) -> Vec<String> {
    s.iter()
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

pub fn attr(s: &Sentence, name: &str) -> Option<String> {
    let prefix = format!("={name}=");
    text(s)
        .into_iter()
        .find_map(|w| w.strip_prefix(&prefix).map(str::to_string))
}

pub fn attr_s(s: &[String], name: &str) -> Option<String> {
    let prefix = format!("={name}=");
    s.iter()
        .find_map(|w| w.strip_prefix(&prefix).map(str::to_string))
}

pub fn tag_of(s: &Sentence) -> Option<String> {
    text(s)
        .into_iter()
        .find_map(|w| w.strip_prefix(".tag=").map(str::to_string))
}

impl Client {
    /// A client over a new TCP connection.
    pub fn connect(addr: SocketAddr) -> Client {
        Client::over(Box::new(tcp(addr)))
    }

    /// A client over an already connected transport.
    pub fn over(s: Box<dyn Transport>) -> Client {
        Client { s, buf: Vec::new() }
    }

    pub fn login(addr: SocketAddr) -> Client {
        let mut c = Client::connect(addr);
        c.log_in();
        c
    }

    /// Logs in as `admin` with an empty password.
    pub fn log_in(&mut self) {
        let c = self;
        c.send(&["/login", "=name=admin", "=password="]);
        assert_eq!(text(&c.read().unwrap()), ["!done"]);
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    pub fn send_bytes(&mut self, words: &[&[u8]]) {
        let mut out = Vec::new();
        for w in words {
            put_len(w.len(), &mut out);
            out.extend_from_slice(w);
        }
        out.push(0);
        self.send_raw(&out);
    }

    pub fn send(&mut self, words: &[&str]) {
        let w: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        self.send_bytes(&w);
    }

    /// The next sentence; `None` once the server closed the connection.
    pub fn read(&mut self) -> Option<Sentence> {
        loop {
            if let Some(s) = take_sentence(&mut self.buf) {
                return Some(s);
            }
            let mut chunk = [0u8; 65536];
            match self.s.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
                    ) =>
                {
                    return None
                }
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    /// Reads until EOF and returns the bytes that did not form a whole sentence.
    pub fn read_to_eof(&mut self) -> (Vec<Sentence>, Vec<u8>) {
        let mut got = Vec::new();
        while let Some(s) = self.read() {
            got.push(s);
        }
        (got, std::mem::take(&mut self.buf))
    }

    /// Sentences up to and including the `!done` that carries `tag` (or no tag).
    pub fn until_done(&mut self, tag: Option<&str>) -> Vec<Sentence> {
        let mut out = Vec::new();
        loop {
            let s = self.read().expect("connection closed early");
            let end = s[0] == b"!done" && tag_of(&s).as_deref() == tag;
            out.push(s);
            if end {
                return out;
            }
        }
    }

    pub fn talk(&mut self, words: &[&str]) -> Vec<Vec<String>> {
        self.send(words);
        self.until_done(None).iter().map(text).collect()
    }
}

/// A TCP connection with the tests' read timeout.
pub fn tcp(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}
