//! A hostile peer for the engine tests: a raw HTTP/WebSocket server on `127.0.0.1:0` (std
//! threads, blocking sockets) that does what a broken or malicious venue could: answer a REST
//! request one byte at a time, flood pings, send endless continuation frames, or huge bad
//! frames. It counts what it saw and sent, so tests assert on the server's own counters.
//!
//! Every loop is bounded: by its own count, by a write error (the client closed), or by the
//! stop flag set when the [`Peer`] is dropped. Loopback only.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server counted.
#[derive(Default)]
pub struct Counters {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// HTTP requests that were not WebSocket upgrades (REST).
    pub rest_requests: AtomicU64,
    /// WebSocket upgrades.
    pub ws_upgrades: AtomicU64,
    /// Pings the server sent.
    pub pings_sent: AtomicU64,
    /// Pongs the client sent.
    pub pongs_received: AtomicU64,
    /// Payload bytes the server managed to write in data frames before a write failed.
    pub payload_bytes_sent: AtomicU64,
    /// Connections the client closed (EOF or reset) while the server was still writing.
    pub closed_by_client: AtomicU64,
    /// Payload of the last pong the client sent.
    pub last_pong: Mutex<Vec<u8>>,
    /// Text frames the client sent, with when they arrived.
    pub texts: Mutex<Vec<(Instant, String)>>,
}

impl Counters {
    /// The first text frame containing every one of `needles`, with its arrival time.
    pub fn text_with(&self, needles: &[&str]) -> Option<(Instant, String)> {
        self.texts
            .lock()
            .unwrap()
            .iter()
            .find(|(_, t)| needles.iter().all(|n| t.contains(n)))
            .cloned()
    }
}

/// One accepted connection, after the request head was read.
pub struct Conn {
    pub stream: TcpStream,
    /// Request path with query.
    pub path: String,
    /// `Sec-WebSocket-Key`, when the request is an upgrade.
    pub ws_key: Option<String>,
    pub counters: Arc<Counters>,
    pub stop: Arc<AtomicBool>,
}

type Behaviour = Arc<dyn Fn(Conn) + Send + Sync>;

/// The server; dropping it stops the accept loop and every connection loop.
pub struct Peer {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Peer {
    /// Serves every connection with `behaviour` (each on its own thread).
    pub fn start(behaviour: impl Fn(Conn) + Send + Sync + 'static) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let behaviour: Behaviour = Arc::new(behaviour);
        let (c, s) = (counters.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        c.connections.fetch_add(1, Ordering::SeqCst);
                        let (c, s, b) = (c.clone(), s.clone(), behaviour.clone());
                        std::thread::spawn(move || {
                            if let Some(conn) = read_head(stream, c, s) {
                                b(conn);
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Peer {
            addr,
            counters,
            stop,
        }
    }

    /// `ws://127.0.0.1:PORT/binance` (the engine appends `/stream?streams=...`).
    pub fn binance_ws_base(&self) -> String {
        format!("ws://{}/binance", self.addr)
    }

    /// `http://127.0.0.1:PORT/binance` (the engine appends `/api/v3/depth?...`).
    pub fn binance_rest_base(&self) -> String {
        format!("http://{}/binance", self.addr)
    }
}

fn read_head(stream: TcpStream, counters: Arc<Counters>, stop: Arc<AtomicBool>) -> Option<Conn> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut ws_key = None;
    for _ in 0..100 {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            if name.trim().eq_ignore_ascii_case("sec-websocket-key") {
                ws_key = Some(value.trim().to_string());
            }
        }
    }
    if ws_key.is_some() {
        counters.ws_upgrades.fetch_add(1, Ordering::SeqCst);
    } else {
        counters.rest_requests.fetch_add(1, Ordering::SeqCst);
    }
    Some(Conn {
        stream,
        path,
        ws_key,
        counters,
        stop,
    })
}

/// WebSocket opcodes.
pub const TEXT: u8 = 1;
pub const CONTINUATION: u8 = 0;
pub const PING: u8 = 9;

impl Conn {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Answers the upgrade (101 with the accept hash). False if it is not an upgrade.
    pub fn accept_ws(&mut self) -> bool {
        let Some(key) = &self.ws_key else {
            return false;
        };
        let accept = actix_http::ws::hash_key(key.as_bytes());
        let accept = std::str::from_utf8(&accept).unwrap();
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        self.stream.write_all(head.as_bytes()).is_ok()
    }

    /// Writes one server frame (unmasked). Counts data payload bytes; on a write error marks
    /// the connection as closed by the client and returns false.
    pub fn frame(&mut self, opcode: u8, fin: bool, payload: &[u8]) -> bool {
        let mut head = vec![(u8::from(fin) << 7) | opcode];
        let n = payload.len();
        if n < 126 {
            head.push(n as u8);
        } else if n <= 0xffff {
            head.push(126);
            head.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            head.push(127);
            head.extend_from_slice(&(n as u64).to_be_bytes());
        }
        let ok = self.stream.write_all(&head).is_ok() && self.stream.write_all(payload).is_ok();
        if !ok {
            self.counters
                .closed_by_client
                .fetch_add(1, Ordering::SeqCst);
            return false;
        }
        if opcode == PING {
            self.counters.pings_sent.fetch_add(1, Ordering::SeqCst);
        } else {
            self.counters
                .payload_bytes_sent
                .fetch_add(n as u64, Ordering::SeqCst);
        }
        true
    }

    /// Reads the client's frames on another thread until EOF or stop: text frames are kept,
    /// pongs counted.
    pub fn spawn_reader(&self) {
        let mut stream = self.stream.try_clone().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let (counters, stop) = (self.counters.clone(), self.stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match read_client_frame(&mut stream) {
                    Ok(Some((opcode, payload))) => match opcode {
                        TEXT => counters.texts.lock().unwrap().push((
                            Instant::now(),
                            String::from_utf8_lossy(&payload).into_owned(),
                        )),
                        10 => {
                            counters.pongs_received.fetch_add(1, Ordering::SeqCst);
                            *counters.last_pong.lock().unwrap() = payload;
                        }
                        8 => break,
                        _ => {}
                    },
                    Ok(None) => {}
                    Err(_) => break,
                }
            }
        });
    }

    /// Sleeps `d` in small steps; false if the server was stopped meanwhile.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.stopped() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20).min(end - Instant::now()));
        }
        !self.stopped()
    }

    /// Answers a REST request with a bare status and closes.
    pub fn respond_status(&mut self, status: &str) {
        let head = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = self.stream.write_all(head.as_bytes());
    }

    /// Holds the connection open (reading nothing) until the server stops.
    pub fn idle(&self) {
        while self.sleep(Duration::from_millis(100)) {}
    }
}

/// One masked client frame; `Ok(None)` on a read timeout before a frame started.
fn read_client_frame(s: &mut TcpStream) -> std::io::Result<Option<(u8, Vec<u8>)>> {
    let mut h = [0u8; 2];
    match s.read(&mut h[..1]) {
        Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    }
    read_full(s, &mut h[1..])?;
    let opcode = h[0] & 0x0f;
    let mut len = u64::from(h[1] & 0x7f);
    if len == 126 {
        let mut b = [0u8; 2];
        read_full(s, &mut b)?;
        len = u64::from(u16::from_be_bytes(b));
    } else if len == 127 {
        let mut b = [0u8; 8];
        read_full(s, &mut b)?;
        len = u64::from_be_bytes(b);
    }
    let mut mask = [0u8; 4];
    if h[1] & 0x80 != 0 {
        read_full(s, &mut mask)?;
    }
    if len > 1 << 20 {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut payload = vec![0u8; len as usize];
    read_full(s, &mut payload)?;
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
    Ok(Some((opcode, payload)))
}

/// `read_exact` that keeps going through read timeouts (a frame that started is finished).
fn read_full(s: &mut TcpStream, mut buf: &mut [u8]) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !buf.is_empty() {
        match s.read(buf) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) && Instant::now() < deadline => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
