//! Accepting connections, reading sentences, login, running commands, and the single writer
//! of each connection.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use md5::{Digest, Md5};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::codec::{parse_sentence, Parsed};
use crate::commands::{self, Outcome};
use crate::model::{Change, Db};
use crate::profile::{LoginMode, Profile};
use crate::reply::{fatal, Command, Reply, TagPosition};
use crate::streams;
use crate::writer::{out_queue, writer, Out, OutTx, CHUNK};
use crate::{ReplyOrder, SimConfig};

/// Largest sentence (in bytes) accepted before login.
const PRE_LOGIN_MAX_BYTES: usize = 16 * 1024;
/// Most sentences accepted before login.
const PRE_LOGIN_MAX_SENTENCES: usize = 10;

/// The plain `/ip/firewall/address-list/print` reply, encoded once.
pub(crate) struct Prebuilt {
    /// All `!re` sentences followed by `!done`.
    pub bytes: Arc<Vec<u8>>,
    /// Where each row starts; the last entry is where `!done` starts.
    pub starts: Vec<usize>,
}

/// State shared by all connections of one simulator.
pub(crate) struct Shared {
    pub config: SimConfig,
    /// The version profile with the override flags applied.
    pub profile: Profile,
    pub db: Mutex<Db>,
    pub changes: broadcast::Sender<Change>,
    pub address_list: OnceLock<Prebuilt>,
    pub accepted: AtomicUsize,
    /// Connections served now (bounded by `max_sessions`).
    pub sessions: AtomicUsize,
    /// Login attempts that carried credentials (plain password or MD5 response).
    pub logins: AtomicUsize,
    pub shutdown: watch::Sender<bool>,
    pub disconnect: watch::Sender<u64>,
    seed: AtomicU64,
}

impl Shared {
    /// State for a new simulator. The plain address-list reply is encoded here, once, so
    /// that no `print` pays for it.
    pub fn new(config: SimConfig) -> Arc<Shared> {
        let profile = Profile::new(config.ros, config.legacy_login, config.empty_replies);
        let db = Db::new(&config.faults, config.ros.full());
        let shared = Arc::new(Shared {
            config,
            profile,
            db: Mutex::new(db),
            changes: broadcast::channel(1024).0,
            address_list: OnceLock::new(),
            accepted: AtomicUsize::new(0),
            sessions: AtomicUsize::new(0),
            logins: AtomicUsize::new(0),
            shutdown: watch::channel(false).0,
            disconnect: watch::channel(0).0,
            seed: AtomicU64::new(1),
        });
        commands::address_list(&shared);
        shared
    }

    /// Locks the model (a poisoned lock is still used: the model stays consistent per call).
    pub fn db(&self) -> std::sync::MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sixteen unpredictable bytes for a login challenge.
    fn challenge(&self) -> [u8; 16] {
        let n = self.seed.fetch_add(1, Ordering::Relaxed);
        let mut out = [0u8; 16];
        for (i, half) in out.chunks_mut(8).enumerate() {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(n);
            h.write_usize(i);
            half.copy_from_slice(&h.finish().to_le_bytes());
        }
        out
    }
}

/// One served connection, counted against `max_sessions` until dropped.
struct Session(Arc<Shared>);

impl Session {
    /// Counts a new connection, unless `max_sessions` are served already.
    fn open(shared: &Arc<Shared>) -> Option<Session> {
        let max = shared.config.limits.max_sessions;
        shared
            .sessions
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Session(shared.clone()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.0.sessions.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Resolves once the shutdown flag is set.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Accepts connections until shutdown.
// Without the `tls` feature the acceptor type is uninhabited, so its branch is dead code.
#[cfg_attr(not(feature = "tls"), allow(unused_variables, unreachable_code))]
pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    acceptor: Option<crate::tls::Acceptor>,
) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((sock, _peer)) = r else {
                    // Out of descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = sock.set_nodelay(true);
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let Some(session) = Session::open(&shared) else {
                    // Over max-sessions: closed at once, without a reply (assumed).
                    drop(sock);
                    continue;
                };
                let shared = shared.clone();
                match &acceptor {
                    None => {
                        tokio::spawn(async move {
                            serve(sock, shared).await;
                            drop(session);
                        });
                    }
                    Some(acc) => {
                        let acc = acc.clone();
                        tokio::spawn(async move {
                            let _session = session;
                            if let Ok(Ok(tls)) =
                                tokio::time::timeout(Duration::from_secs(10), acc.accept(sock)).await
                            {
                                serve(tls, shared).await;
                            }
                        });
                    }
                }
            }
            _ = stopped(&mut shutdown) => break,
        }
    }
}

/// A command running in its own task (a stream, or a delayed reply), which `/cancel` can stop.
struct Running {
    id: u64,
    tag: Option<Vec<u8>>,
    handle: Option<JoinHandle<()>>,
}

/// The commands of one connection that run in their own tasks.
#[derive(Clone, Default)]
pub(crate) struct Registry {
    inner: Arc<Mutex<(u64, Vec<Running>)>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<Running>)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes the entry `id`; true if it was still there (so it was not cancelled).
    pub fn finish(&self, id: u64) -> bool {
        let mut g = self.lock();
        let before = g.1.len();
        g.1.retain(|r| r.id != id);
        g.1.len() != before
    }

    /// Spawns `body` as a cancellable command. When the body ends by itself, `last` (its
    /// final sentence) is sent, unless the command was cancelled meanwhile.
    pub fn spawn<F>(&self, tag: Option<Vec<u8>>, tx: OutTx, body: F)
    where
        F: std::future::Future<Output = Option<Vec<u8>>> + Send + 'static,
    {
        let mut g = self.lock();
        g.0 += 1;
        let id = g.0;
        let registry = self.clone();
        // The lock is held while spawning, so the task cannot finish before it is listed.
        let handle = tokio::spawn(async move {
            let last = body.await;
            if registry.finish(id) {
                if let Some(last) = last {
                    let _ = tx.send(Out::Data(last)).await;
                }
            }
        });
        g.1.push(Running {
            id,
            tag,
            handle: Some(handle),
        });
    }

    /// How many commands run now.
    fn running(&self) -> usize {
        self.lock().1.len()
    }

    fn take(&self, tag: Option<&[u8]>) -> Vec<Running> {
        let mut g = self.lock();
        let all = std::mem::take(&mut g.1);
        let (taken, kept): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|r| tag.is_none() || r.tag.as_deref() == tag);
        g.1 = kept;
        taken
    }

    fn abort_all(&self) {
        for r in self.take(None) {
            if let Some(h) = r.handle {
                h.abort();
            }
        }
    }
}

/// How the read loop goes on after a sentence.
enum Flow {
    Continue,
    /// Flush what is queued, then close.
    Close,
}

/// How a connection ended.
enum End {
    /// Write what is queued, then close.
    Graceful,
    /// Drop the socket now.
    Abort,
}

struct Conn {
    shared: Arc<Shared>,
    tx: OutTx,
    registry: Registry,
    logged_in: bool,
    challenge: Option<[u8; 16]>,
    pre_login: usize,
    commands: usize,
}

/// Serves one connection until it closes.
pub(crate) async fn serve<S>(stream: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, wr) = tokio::io::split(stream);
    let limits = shared.config.limits.clone();
    let (tx, rx) = out_queue(limits.max_queued_bytes);
    let writer = tokio::spawn(writer(wr, rx, shared.config.faults.fragment));
    let mut disconnect = shared.disconnect.subscribe();
    disconnect.borrow_and_update();
    let mut shutdown = shared.shutdown.subscribe();
    let mut conn = Conn {
        shared,
        tx,
        registry: Registry::default(),
        logged_in: false,
        challenge: None,
        pre_login: 0,
        commands: 0,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    // The kill signals also interrupt a command that waits for the writer (a client that does
    // not read), so `disconnect_all` always closes every connection.
    let login_deadline = tokio::time::Instant::now() + limits.login_timeout;
    let work = async {
        loop {
            // Before login the whole login must fit in the login timeout; after it, a silent
            // connection with nothing running may meet the idle timeout.
            let deadline = if !conn.logged_in {
                Some(login_deadline)
            } else if conn.registry.running() == 0 {
                limits.idle_timeout.map(|d| tokio::time::Instant::now() + d)
            } else {
                None
            };
            let read = rd.read_buf(&mut buf);
            let got = match deadline {
                Some(at) => match tokio::time::timeout_at(at, read).await {
                    Ok(r) => r,
                    Err(_) => return End::Abort,
                },
                None => read.await,
            };
            match got {
                Ok(0) | Err(_) => return End::Abort,
                Ok(_) => {}
            }
            if let Some(end) = conn.drain(&mut buf).await {
                return end;
            }
            // Give back the memory of a large sentence once it is handled.
            if buf.capacity() > 4 * CHUNK && buf.len() < CHUNK {
                buf.shrink_to(CHUNK);
            }
        }
    };
    let end = tokio::select! {
        end = work => end,
        _ = disconnect.changed() => End::Abort,
        _ = stopped(&mut shutdown) => End::Abort,
    };
    conn.registry.abort_all();
    match end {
        End::Graceful => {
            let _ = conn.tx.send(Out::Close).await;
            drop(conn);
            let _ = writer.await;
        }
        End::Abort => writer.abort(),
    }
}

/// MD5 login response: `00` and hex of `md5(0x00 ‖ password ‖ challenge)`.
pub(crate) fn md5_response(password: &[u8], challenge: &[u8]) -> String {
    let mut h = Md5::new();
    h.update([0u8]);
    h.update(password);
    h.update(challenge);
    format!("00{}", hex(&h.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Conn {
    async fn send(&self, bytes: Vec<u8>) {
        let _ = self.tx.send(Out::Data(bytes)).await;
    }

    /// Handles every whole sentence in `buf`, removing them. `Some` ends the connection.
    async fn drain(&mut self, buf: &mut Vec<u8>) -> Option<End> {
        let mut pos = 0;
        let result = loop {
            let (max, reason) = if self.logged_in {
                (self.shared.config.limits.max_sentence, "sentence too long")
            } else {
                (PRE_LOGIN_MAX_BYTES, "not logged in")
            };
            match parse_sentence(&buf[pos..], max) {
                Err(crate::codec::DecodeError::WordTooLong(_)) => {
                    self.send(fatal(reason)).await;
                    break Some(End::Graceful);
                }
                Err(_) => break Some(End::Abort),
                Ok(Parsed::Partial) => {
                    if buf.len() - pos > max {
                        self.send(fatal(reason)).await;
                        break Some(End::Graceful);
                    }
                    break None;
                }
                Ok(Parsed::Sentence { words, used }) => {
                    pos += used;
                    if words.is_empty() {
                        continue;
                    }
                    let mut cmd = Command::parse(words);
                    cmd.tag_position = self.shared.config.tag_position;
                    if let Flow::Close = self.handle(cmd).await {
                        break Some(End::Graceful);
                    }
                }
            }
        };
        buf.drain(..pos);
        result
    }

    async fn handle(&mut self, cmd: Command) -> Flow {
        if !self.logged_in {
            self.pre_login += 1;
            if self.pre_login > PRE_LOGIN_MAX_SENTENCES || cmd.wire_size > PRE_LOGIN_MAX_BYTES {
                self.send(fatal("not logged in")).await;
                return Flow::Close;
            }
            return match cmd.path.as_str() {
                "/login" => {
                    self.login(&cmd).await;
                    if self.logged_in && self.shared.config.faults.fatal_after_commands == Some(0) {
                        self.send(fatal("router is shutting down")).await;
                        return Flow::Close;
                    }
                    Flow::Continue
                }
                "/quit" => {
                    self.send(fatal("session terminated on request")).await;
                    Flow::Close
                }
                _ => {
                    let r = Reply::new(cmd.tag.clone());
                    let mut out = r.trap(None, "not logged in");
                    out.extend(r.done());
                    self.send(out).await;
                    Flow::Continue
                }
            };
        }

        let flow = match cmd.path.as_str() {
            "/quit" => {
                self.send(fatal("session terminated on request")).await;
                return Flow::Close;
            }
            "/login" => {
                self.login(&cmd).await;
                Flow::Continue
            }
            "/cancel" => {
                self.cancel(&cmd).await;
                Flow::Continue
            }
            _ => {
                let outcome = commands::exec(&self.shared, &cmd);
                self.run(cmd, outcome).await
            }
        };
        if let Flow::Close = flow {
            return Flow::Close;
        }
        self.commands += 1;
        if self.shared.config.faults.fatal_after_commands == Some(self.commands) {
            self.send(fatal("router is shutting down")).await;
            return Flow::Close;
        }
        Flow::Continue
    }

    async fn login(&mut self, cmd: &Command) {
        let cfg = &self.shared.config;
        let profile = self.shared.profile;
        let r = crate::commands::reply_of(cmd);
        let name = cmd.attr("name").unwrap_or(b"");
        let bare = cmd.attr("name").is_none() && cmd.attr("password").is_none();
        if profile.login == LoginMode::Plain && (bare || cmd.attr("response").is_some()) {
            // From 6.45.1 a bare `/login` still gets a challenge, but its MD5 response is
            // refused.
            if cmd.attr("response").is_some() {
                self.shared.logins.fetch_add(1, Ordering::SeqCst);
                self.challenge = None;
                let mut out = r.trap(None, profile.bad_login);
                out.extend(r.done());
                self.send(out).await;
            } else {
                let c = self.shared.challenge();
                self.challenge = Some(c);
                self.send(r.done_ret(hex(&c).as_bytes())).await;
            }
            return;
        }
        if profile.login == LoginMode::Md5Only {
            match cmd.attr("response") {
                None => {
                    let c = self.shared.challenge();
                    self.challenge = Some(c);
                    self.send(r.done_ret(hex(&c).as_bytes())).await;
                }
                Some(resp) => {
                    self.shared.logins.fetch_add(1, Ordering::SeqCst);
                    let ok = match self.challenge.take() {
                        Some(c) => {
                            name == cfg.username.as_bytes()
                                && resp.eq_ignore_ascii_case(
                                    md5_response(cfg.password.as_bytes(), &c).as_bytes(),
                                )
                        }
                        None => false,
                    };
                    if ok {
                        self.logged_in = true;
                        self.send(r.done()).await;
                    } else {
                        let mut out = r.trap(None, profile.bad_login);
                        out.extend(r.done());
                        self.send(out).await;
                    }
                }
            }
        } else {
            let password = cmd.attr("password").unwrap_or(b"");
            self.shared.logins.fetch_add(1, Ordering::SeqCst);
            if name == cfg.username.as_bytes() && password == cfg.password.as_bytes() {
                self.logged_in = true;
                self.send(r.done()).await;
            } else {
                let mut out = r.trap(None, profile.bad_login);
                out.extend(r.done());
                self.send(out).await;
            }
        }
    }

    /// `/cancel [=tag=X]`.
    ///
    /// Assumptions: `=.tag=X` is not a target (RouterOS ignores it, so the cancel stops every
    /// command, as clients that sent it found out); cancelling a tag that is not running
    /// answers `!trap =message=unknown command tag` then `!done`.
    async fn cancel(&mut self, cmd: &Command) {
        let r = crate::commands::reply_of(cmd);
        if let Some(bad) = cmd.unknown_attr(&["tag"]) {
            let mut out = r.trap(None, &format!("unknown parameter {bad}"));
            out.extend(r.done());
            self.send(out).await;
            return;
        }
        let target = cmd.attr("tag");
        let taken = self.registry.take(target);
        if target.is_some() && taken.is_empty() {
            let mut out = r.trap(None, "unknown command tag");
            out.extend(r.done());
            self.send(out).await;
            return;
        }
        let mut stopped = Vec::new();
        for mut t in taken {
            if let Some(h) = t.handle.take() {
                h.abort();
                let _ = h.await;
            }
            stopped.push(Reply::with_position(t.tag, cmd.tag_position));
        }
        let mut out = Vec::new();
        match self.shared.config.reply_order {
            ReplyOrder::Documented => {
                for s in &stopped {
                    out.extend(s.trap(Some(2), "interrupted"));
                }
                out.extend(r.done());
                for s in &stopped {
                    out.extend(s.done());
                }
            }
            ReplyOrder::CancelDoneFirst => {
                out.extend(r.done());
                for s in &stopped {
                    out.extend(s.trap(Some(2), "interrupted"));
                    out.extend(s.done());
                }
            }
            ReplyOrder::StreamDoneFirst => {
                for s in &stopped {
                    out.extend(s.trap(Some(2), "interrupted"));
                    out.extend(s.done());
                }
                out.extend(r.done());
            }
        }
        self.send(out).await;
    }

    /// Sends a command's outcome, applying the configured faults.
    async fn run(&mut self, cmd: Command, outcome: Outcome) -> Flow {
        let faults = self.shared.config.faults.clone();
        let background = match &outcome {
            Outcome::TaggedPrebuilt(_) | Outcome::Stream(_) => true,
            Outcome::Sentences { .. } => faults.delay_ms > 0,
            _ => false,
        };
        if background && self.registry.running() >= self.shared.config.limits.max_running {
            // Assumed wording: RouterOS publishes no limit on concurrent commands.
            let r = crate::commands::reply_of(&cmd);
            let mut out = r.trap(Some(4), "too many commands running");
            out.extend(r.done());
            self.send(out).await;
            return Flow::Continue;
        }
        match outcome {
            Outcome::Reboot => Flow::Close,
            Outcome::Prebuilt => {
                let p = commands::address_list(&self.shared);
                let _ = self
                    .tx
                    .send(Out::Slice(p.bytes.clone(), 0..p.bytes.len()))
                    .await;
                Flow::Continue
            }
            Outcome::TaggedPrebuilt(tag) => {
                let shared = self.shared.clone();
                let tx = self.tx.clone();
                let reply = Reply::with_position(Some(tag.clone()), cmd.tag_position);
                self.registry.spawn(Some(tag), self.tx.clone(), async move {
                    let p = commands::address_list(&shared);
                    let mut tag_word = Vec::new();
                    Reply::with_position(reply.tag().map(<[u8]>::to_vec), TagPosition::First)
                        .sentence_into("!re", &[], &mut tag_word);
                    // `!re` + tag word, without the sentence end.
                    tag_word.pop();
                    let tag_only = &tag_word[4..];
                    // Small batches: a task that waits for a client to read holds one.
                    let mut batch = Vec::with_capacity(CHUNK / 4 + 256);
                    for (i, w) in p.starts.windows(2).enumerate() {
                        let row = &p.bytes[w[0]..w[1]];
                        let first = match reply.position() {
                            TagPosition::First => true,
                            TagPosition::Last => false,
                            TagPosition::Mixed => i % 2 == 0,
                        };
                        if first {
                            batch.extend_from_slice(&tag_word);
                            // Skip the row's own `!re` word (4 bytes).
                            batch.extend_from_slice(&row[4..]);
                        } else {
                            // The row without its end, the tag, the end.
                            batch.extend_from_slice(&row[..row.len() - 1]);
                            batch.extend_from_slice(tag_only);
                            batch.push(0);
                        }
                        if batch.len() >= CHUNK / 4 {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(CHUNK / 4 + 256));
                            if tx.send(Out::Data(full)).await.is_err() {
                                return None;
                            }
                        }
                    }
                    if !batch.is_empty() && tx.send(Out::Data(batch)).await.is_err() {
                        return None;
                    }
                    Some(reply.done())
                });
                Flow::Continue
            }
            Outcome::Stream(spec) => {
                let ctx = streams::StreamCtx {
                    reply: crate::commands::reply_of(&cmd),
                    proplist: cmd.proplist.clone(),
                    tx: self.tx.clone(),
                    shared: self.shared.clone(),
                };
                let done = ctx.reply.done();
                self.registry
                    .spawn(cmd.tag.clone(), self.tx.clone(), async move {
                        streams::run(spec, &ctx).await.then_some(done)
                    });
                Flow::Continue
            }
            Outcome::Sentences { sentences, print } => {
                if print {
                    if let Some(n) = faults.disconnect_after_rows {
                        return self.send_cut(sentences, n, faults.delay_ms).await;
                    }
                }
                if faults.delay_ms > 0 {
                    let delay = Duration::from_millis(faults.delay_ms);
                    let tx = self.tx.clone();
                    self.registry
                        .spawn(cmd.tag.clone(), self.tx.clone(), async move {
                            let mut sentences = sentences;
                            let last = sentences.pop();
                            for s in sentences {
                                tokio::time::sleep(delay).await;
                                if tx.send(Out::Data(s)).await.is_err() {
                                    return None;
                                }
                            }
                            tokio::time::sleep(delay).await;
                            last
                        });
                    return Flow::Continue;
                }
                let mut out = Vec::with_capacity(sentences.iter().map(Vec::len).sum());
                for s in sentences {
                    out.extend_from_slice(&s);
                    if out.len() >= CHUNK {
                        self.send(std::mem::take(&mut out)).await;
                    }
                }
                if !out.is_empty() {
                    self.send(out).await;
                }
                Flow::Continue
            }
        }
    }

    /// The `disconnect_after_rows` fault: after `n` rows, half of the next sentence, then close.
    async fn send_cut(&mut self, sentences: Vec<Vec<u8>>, n: usize, delay_ms: u64) -> Flow {
        let mut rows = 0;
        let mut out = Vec::new();
        for s in sentences {
            if delay_ms > 0 {
                if !out.is_empty() {
                    self.send(std::mem::take(&mut out)).await;
                }
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            }
            if rows == n {
                out.extend_from_slice(&s[..s.len() / 2]);
                self.send(out).await;
                return Flow::Close;
            }
            if s.starts_with(b"\x03!re") {
                rows += 1;
            }
            out.extend_from_slice(&s);
        }
        if !out.is_empty() {
            self.send(out).await;
        }
        Flow::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_vectors() {
        let c1 = [
            0x85, 0x67, 0x80, 0xb7, 0x41, 0x1e, 0xef, 0xd3, 0xab, 0xad, 0xee, 0x20, 0x58, 0xc1,
            0x49, 0xa3,
        ];
        assert_eq!(md5_response(b"", &c1), "005062f7a5ef124d34675bf3e81f56c556");
        assert_eq!(
            md5_response(b"passTest", &[0xab, 0xc1, 0x23]),
            "0021277bff9ac7caf06aa608e46616d47f"
        );
    }

    #[test]
    fn challenges_differ() {
        let s = Shared::new(SimConfig::default());
        assert_ne!(s.challenge(), s.challenge());
    }
}
