//! Session tests over a scripted in-memory transport.

extern crate std;

use std::borrow::ToOwned;
use std::string::String;
use std::vec::Vec;

use embedded_io_async::{ErrorType, Read, Write};
use routeros_core::Error;

use crate::error::{AppError, TlsFailure};
use crate::monitor::{session, Event, Flow, Observer, Progress, SessionEnd};
use crate::settings::{RouterSettings, TlsSettings, TlsVerify, PLAIN_PORT};

/// Encodes a sentence (words shorter than 128 bytes).
fn sentence(words: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in words {
        assert!(w.len() < 0x80);
        out.push(w.len() as u8);
        out.extend_from_slice(w.as_bytes());
    }
    out.push(0);
    out
}

/// What the mock router does after the traffic rows it was given.
#[derive(Clone, Copy)]
enum AfterStream {
    /// Closes the connection.
    Close,
    /// Ends the stream with a `no such item` trap.
    Trap,
    /// Sends nothing more until cancelled (reading further fails the test).
    StayOpen,
}

/// A scripted router: answers each command the client writes, by path and `.tag`, from the
/// rows it was given; hands replies out seven bytes at a time (sentences arrive split);
/// reports end of stream once it has closed and everything was read.
struct MockRouter {
    refuse_login: bool,
    stream: Vec<Vec<u8>>,
    /// What follows the stream rows.
    after_stream: AfterStream,
    pending: Vec<u8>,
    out: std::collections::VecDeque<u8>,
    closed: bool,
    written: Vec<u8>,
}

impl MockRouter {
    fn new(stream: Vec<Vec<u8>>) -> Self {
        Self {
            refuse_login: false,
            stream,
            after_stream: AfterStream::Close,
            pending: Vec::new(),
            out: Default::default(),
            closed: false,
            written: Vec::new(),
        }
    }

    fn reply(&mut self, words: &[&str]) {
        self.out.extend(sentence(words));
    }

    /// Splits complete sentences off `pending` (short words only) and answers them.
    fn handle(&mut self) {
        loop {
            let mut words = Vec::new();
            let mut i = 0;
            let complete = loop {
                match self.pending.get(i) {
                    None => break false,
                    Some(0) => break true,
                    Some(&len) => {
                        let len = usize::from(len);
                        assert!(len < 0x80, "the mock reads short words only");
                        match self.pending.get(i + 1..i + 1 + len) {
                            Some(w) => words.push(String::from_utf8_lossy(w).into_owned()),
                            None => break false,
                        }
                        i += 1 + len;
                    }
                }
            };
            if !complete {
                return;
            }
            self.pending.drain(..=i);
            self.answer(&words);
        }
    }

    fn answer(&mut self, words: &[String]) {
        let tag = words
            .iter()
            .find_map(|w| w.strip_prefix(".tag="))
            .unwrap_or_default();
        let tag_word = std::format!(".tag={tag}");
        let t = tag_word.as_str();
        match words[0].as_str() {
            "/login" if self.refuse_login => {
                self.reply(&["!trap", "=message=invalid user name or password (6)", t]);
                self.reply(&["!done", t]);
            }
            "/login" => self.reply(&["!done", t]),
            "/system/resource/print" => {
                self.reply(&[
                    "!re",
                    "=uptime=1d2h",
                    "=version=7.16 (stable)",
                    "=board-name=RB4011iGS+",
                    "=cpu-load=7",
                    "=total-memory=1073741824",
                    t,
                ]);
                self.reply(&["!done", t]);
            }
            "/system/identity/print" => {
                self.reply(&["!re", "=name=core-router", t]);
                self.reply(&["!done", t]);
            }
            "/interface/monitor-traffic" => {
                for row in std::mem::take(&mut self.stream) {
                    let mut row = row;
                    row.pop();
                    row.push(tag_word.len() as u8);
                    row.extend_from_slice(tag_word.as_bytes());
                    row.push(0);
                    self.out.extend(row);
                }
                match self.after_stream {
                    AfterStream::Close => self.closed = true,
                    AfterStream::Trap => {
                        self.reply(&["!trap", "=category=0", "=message=no such item", t]);
                        self.reply(&["!done", t]);
                    }
                    AfterStream::StayOpen => {}
                }
            }
            "/cancel" => {
                let target = words
                    .iter()
                    .find_map(|w| w.strip_prefix("=tag="))
                    .unwrap_or_default()
                    .to_owned();
                let target_word = std::format!(".tag={target}");
                self.reply(&["!trap", "=category=2", "=message=interrupted", &target_word]);
                self.reply(&["!done", t]);
                self.reply(&["!done", &target_word]);
            }
            "/quit" => {
                self.reply(&["!fatal", "session terminated on request"]);
                self.closed = true;
            }
            other => panic!("the mock router does not know {other}"),
        }
    }

    fn written_text(&self) -> String {
        String::from_utf8_lossy(&self.written).into_owned()
    }
}

impl ErrorType for MockRouter {
    type Error = core::convert::Infallible;
}

impl Read for MockRouter {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(7).min(self.out.len());
        if n == 0 {
            // With the stream open the real router would send more later; the tests make
            // the mock close instead, so a read never waits.
            assert!(
                self.closed,
                "the client waits for a reply the mock will never send"
            );
            return Ok(0);
        }
        for (slot, byte) in buf.iter_mut().zip(self.out.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

impl Write for MockRouter {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.written.extend_from_slice(buf);
        self.pending.extend_from_slice(buf);
        self.handle();
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[derive(Default)]
struct Recorder {
    lines: Vec<String>,
    stop_after_samples: Option<u32>,
}

impl Observer for Recorder {
    fn event(&mut self, event: &Event<'_>) -> Flow {
        let line = match event {
            Event::LoggedIn => "logged-in".into(),
            Event::Reconnected { failures } => std::format!("reconnected {failures}"),
            Event::Resource(r) => std::format!(
                "resource {} {} {:?} {:?}",
                r.version,
                r.board_name,
                r.cpu_load,
                r.total_memory
            ),
            Event::Identity(i) => std::format!("identity {}", i.name),
            Event::Sample {
                total,
                interface,
                sample,
            } => {
                let line = std::format!(
                    "sample {total} {interface} {} {}",
                    sample.rx_bits_per_second,
                    sample.tx_bits_per_second
                );
                if self.stop_after_samples == Some(*total) {
                    self.lines.push(line);
                    return Flow::Stop;
                }
                line
            }
            other => std::format!("{other:?}"),
        };
        self.lines.push(line);
        Flow::Continue
    }
}

fn settings(max_samples: Option<u32>) -> RouterSettings<'static> {
    RouterSettings {
        address: crate::settings::parse_ipv4("192.0.2.1").unwrap(),
        port: PLAIN_PORT,
        username: "admin",
        password: "s3cret",
        interface: "ether1",
        tls: None,
        max_samples,
    }
}

/// A traffic row (the mock adds the stream's tag).
fn row(rx: &str, tx: &str) -> Vec<u8> {
    sentence(&[
        "!re",
        "=name=ether1",
        &std::format!("=rx-bits-per-second={rx}"),
        &std::format!("=tx-bits-per-second={tx}"),
        "=rx-packets-per-second=10",
    ])
}

fn run_session(
    router: &mut MockRouter,
    max_samples: Option<u32>,
    observer: &mut Recorder,
    progress: &mut Progress,
) -> Result<SessionEnd, AppError> {
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 256]);
    let settings = settings(max_samples);
    futures_executor::block_on(session(
        &mut *router,
        &mut rx,
        &mut tx,
        &settings,
        observer,
        progress,
    ))
}

#[test]
fn session_reports_status_and_samples_then_cancels_at_the_limit() {
    let mut router = MockRouter::new(std::vec![
        row("1000", "250"),
        row("2000", "500"),
        row("3000", "750"),
    ]);
    router.after_stream = AfterStream::StayOpen;
    let mut observer = Recorder::default();
    let mut progress = Progress::default();
    let result = run_session(&mut router, Some(2), &mut observer, &mut progress);
    assert_eq!(result, Ok(SessionEnd::Stopped));
    assert_eq!(
        observer.lines,
        [
            "logged-in",
            "resource 7.16 (stable) RB4011iGS+ Some(7) Some(1073741824)",
            "identity core-router",
            "sample 1 ether1 1000 250",
            "sample 2 ether1 2000 500",
        ]
    );
    assert_eq!(progress.samples, 2);
    let written = router.written_text();
    assert!(written.contains("/interface/monitor-traffic"));
    assert!(written.contains("=interface=ether1"));
    assert!(written.contains("=interval=1"));
    assert!(written.contains("/cancel"));
    assert!(written.contains("/quit"));
}

#[test]
fn observer_can_stop_the_stream() {
    let mut router = MockRouter::new(std::vec![row("1", "2"), row("3", "4")]);
    router.after_stream = AfterStream::StayOpen;
    let mut observer = Recorder {
        stop_after_samples: Some(1),
        ..Default::default()
    };
    let result = run_session(&mut router, None, &mut observer, &mut Progress::default());
    assert_eq!(result, Ok(SessionEnd::Stopped));
    assert_eq!(observer.lines.last().unwrap(), "sample 1 ether1 1 2");
    let written = router.written_text();
    assert!(written.contains("/cancel"));
    assert!(!written.contains("/quit"));
}

#[test]
fn refused_login_is_an_auth_error() {
    let mut router = MockRouter::new(Vec::new());
    router.refuse_login = true;
    let result = run_session(
        &mut router,
        None,
        &mut Recorder::default(),
        &mut Progress::default(),
    );
    match result {
        Err(AppError::Router(Error::AuthFailed(m))) => {
            assert_eq!(m.as_str(), "invalid user name or password (6)")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!router.written_text().contains("/system"));
}

#[test]
fn a_router_that_goes_away_mid_stream_is_an_error_and_progress_is_kept() {
    let mut router = MockRouter::new(std::vec![row("5", "6")]);
    let mut observer = Recorder::default();
    let mut progress = Progress {
        samples: 10,
        failures: 3,
    };
    let result = run_session(&mut router, None, &mut observer, &mut progress);
    assert_eq!(result, Err(AppError::Router(Error::Closed)));
    assert_eq!(observer.lines[0], "reconnected 3");
    assert_eq!(observer.lines.last().unwrap(), "sample 11 ether1 5 6");
    assert_eq!((progress.samples, progress.failures), (11, 0));
}

#[test]
fn a_trap_on_the_stream_ends_the_session() {
    let mut router = MockRouter::new(Vec::new());
    router.after_stream = AfterStream::Trap;
    let result = run_session(
        &mut router,
        None,
        &mut Recorder::default(),
        &mut Progress::default(),
    );
    match result {
        Err(AppError::Router(Error::Trap(t))) => assert_eq!(t.message.as_str(), "no such item"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn rows_without_rates_are_skipped() {
    let mut router = MockRouter::new(std::vec![sentence(&["!re", "=name=ether1"]), row("7", "8")]);
    let mut observer = Recorder::default();
    let _ = run_session(&mut router, None, &mut observer, &mut Progress::default());
    assert_eq!(observer.lines.last().unwrap(), "sample 1 ether1 7 8");
}

#[test]
fn debug_output_never_shows_the_password() {
    let mut s = settings(None);
    s.tls = Some(TlsSettings::new(
        "router.lab",
        TlsVerify::CaCertificate(&[0x30, 0x82]),
    ));
    let text = std::format!("{s:?}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("<redacted>"));
    assert!(text.contains("CaCertificate(2 bytes)"));
    assert!(text.contains("MbedTls"), "{text}");
    let mut fp = [0u8; 32];
    fp[0] = 0xAB;
    let text = std::format!("{:?}", TlsVerify::PinnedFingerprint(fp));
    assert!(
        text.starts_with("PinnedFingerprint(sha256 AB:00:"),
        "{text}"
    );
}

#[test]
fn fingerprint_mismatch_names_what_the_router_sent() {
    let mut seen = [0u8; 32];
    seen[31] = 0x5C;
    let text = std::format!(
        "{}",
        AppError::Tls(TlsFailure::FingerprintMismatch { seen })
    );
    assert!(
        text.starts_with(
            "TLS handshake failed: router certificate not trusted: its SHA-256 fingerprint 00:00:"
        ),
        "{text}"
    );
    assert!(text.contains(":5C is not the pinned one"), "{text}");
}

#[cfg(feature = "embedded-tls")]
#[test]
fn tls_errors_are_sorted_for_a_clear_message() {
    use embedded_tls::TlsError;
    let not_trusted = TlsFailure::from(&TlsError::InvalidCertificate);
    assert!(matches!(not_trusted, TlsFailure::CertificateNotTrusted(_)));
    let text = std::format!("{}", AppError::Tls(not_trusted));
    assert!(text.contains("router certificate not trusted"), "{text}");
    assert!(matches!(
        TlsFailure::from(&TlsError::InvalidSignature),
        TlsFailure::BadSignature(_)
    ));
    assert!(matches!(
        TlsFailure::from(&TlsError::IoError),
        TlsFailure::Other(_)
    ));
    assert!(!TlsVerify::InsecureSkipVerificationForLabRoutersOnly.verifies());
    assert!(TlsVerify::PinnedSelfSigned(&[]).verifies());
    // A TLS 1.2 router refuses a TLS 1.3-only ClientHello with protocol_version.
    let old_router = TlsFailure::from(&TlsError::HandshakeAborted(
        embedded_tls::alert::AlertLevel::Fatal,
        embedded_tls::alert::AlertDescription::ProtocolVersion,
    ));
    assert!(matches!(old_router, TlsFailure::RouterWithoutTls13(_)));
    let text = std::format!("{old_router}");
    assert!(text.contains("does not speak TLS 1.3"), "{text}");
}
