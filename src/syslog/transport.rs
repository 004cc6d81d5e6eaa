//! The sender thread: takes formatted messages off the bounded queue and puts them on
//! the wire. UDP: one datagram per message (RFC 5426). TCP: octet-counting framing,
//! `LEN SP MSG` (RFC 6587 section 3.4.1), which survives newlines in a message, unlike
//! LF framing; a lost connection is re-established with exponential backoff while new
//! messages wait in the queue (and are dropped, counted, once it is full).

use super::{SyslogStats, Target};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Bound on one TCP connect and one write: a receiver that stops reading cannot hold
/// the sender forever (its messages then wait in, or drop from, the queue).
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// First wait after a failed connect; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often a waiting sender looks at the closing flag.
const TICK: Duration = Duration::from_millis(50);

enum Conn {
    Udp(Option<UdpSocket>),
    Tcp(Option<TcpStream>),
}

/// Why a message did not go out.
enum SendError {
    /// Lost for good (UDP): count it.
    Dropped,
    /// Try again later (TCP not connected).
    Retry,
}

pub struct Worker {
    addr: SocketAddr,
    conn: Conn,
    rx: Receiver<Vec<u8>>,
    stats: Arc<SyslogStats>,
    closing: Arc<AtomicBool>,
    backoff: Duration,
}

impl Worker {
    pub fn new(
        target: Target,
        rx: Receiver<Vec<u8>>,
        stats: Arc<SyslogStats>,
        closing: Arc<AtomicBool>,
    ) -> Worker {
        let (addr, conn) = match target {
            Target::Udp(a) => (a, Conn::Udp(None)),
            Target::Tcp(a) => (a, Conn::Tcp(None)),
        };
        Worker {
            addr,
            conn,
            rx,
            stats,
            closing,
            backoff: MIN_BACKOFF,
        }
    }

    /// Runs until the sink closes and the queue is empty, or `drain` after closing.
    pub fn run(mut self, drain: Duration) {
        let mut pending: Option<Vec<u8>> = None;
        let mut deadline: Option<Instant> = None;
        let mut retry_at = Instant::now();
        loop {
            if deadline.is_none() && self.closing.load(Ordering::Relaxed) {
                deadline = Some(Instant::now() + drain);
            }
            if let Some(d) = deadline
                && Instant::now() >= d
            {
                break;
            }
            if pending.is_none() {
                match self.rx.recv_timeout(TICK) {
                    Ok(m) => pending = Some(m),
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            let now = Instant::now();
            if now < retry_at {
                std::thread::sleep(TICK.min(retry_at - now));
                continue;
            }
            let Some(msg) = pending.as_deref() else {
                continue;
            };
            match self.send(msg) {
                Ok(()) => {
                    self.stats.sent.fetch_add(1, Ordering::Relaxed);
                    pending = None;
                }
                Err(SendError::Dropped) => {
                    self.stats.unsent.fetch_add(1, Ordering::Relaxed);
                    pending = None;
                }
                Err(SendError::Retry) => {
                    retry_at = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        // Whatever is left when the drain time is up was never sent.
        let left = u64::from(pending.is_some()) + self.rx.try_iter().count() as u64;
        self.stats.unsent.fetch_add(left, Ordering::Relaxed);
    }

    fn send(&mut self, msg: &[u8]) -> Result<(), SendError> {
        match &mut self.conn {
            Conn::Udp(sock) => {
                if sock.is_none() {
                    let local: SocketAddr = if self.addr.is_ipv4() {
                        ([0, 0, 0, 0], 0).into()
                    } else {
                        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                    };
                    *sock = UdpSocket::bind(local).ok();
                }
                let s = sock.as_ref().ok_or(SendError::Dropped)?;
                s.send_to(msg, self.addr).map_err(|_| SendError::Dropped)?;
                Ok(())
            }
            Conn::Tcp(stream) => {
                if stream.is_none() {
                    let s = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)
                        .map_err(|_| SendError::Retry)?;
                    let _ = s.set_write_timeout(Some(IO_TIMEOUT));
                    let _ = s.set_nodelay(true);
                    *stream = Some(s);
                    self.backoff = MIN_BACKOFF;
                }
                let s = stream.as_mut().ok_or(SendError::Retry)?;
                let mut frame = Vec::with_capacity(msg.len() + 6);
                let _ = write!(frame, "{} ", msg.len());
                frame.extend_from_slice(msg);
                if s.write_all(&frame).is_err() {
                    // Reconnect and resend this message: the receiver may have seen part
                    // of it at most, and a fresh connection starts a fresh frame.
                    *stream = None;
                    return Err(SendError::Retry);
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::bounded;
    use std::io::Read;

    #[test]
    fn tcp_frames_count_octets_and_reconnect_after_the_listener_appears() {
        // Reserve a port, close it: the first connects fail and back off.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let (tx, rx) = bounded(8);
        let stats = Arc::new(SyslogStats::default());
        let closing = Arc::new(AtomicBool::new(false));
        let w = Worker::new(Target::Tcp(addr), rx, stats.clone(), closing.clone());
        let t = std::thread::spawn(move || w.run(Duration::from_secs(10)));
        tx.send(b"one\ntwo".to_vec()).unwrap();
        tx.send(b"three".to_vec()).unwrap();
        std::thread::sleep(Duration::from_millis(150));
        let l = std::net::TcpListener::bind(addr).unwrap();
        let (mut c, _) = l.accept().unwrap();
        closing.store(true, Ordering::Relaxed);
        drop(tx);
        t.join().unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert_eq!(got, "7 one\ntwo5 three");
        assert_eq!(stats.sent.load(Ordering::Relaxed), 2);
        assert_eq!(stats.unsent.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn unsent_messages_are_counted_when_the_drain_time_is_up() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (tx, rx) = bounded(8);
        let stats = Arc::new(SyslogStats::default());
        let closing = Arc::new(AtomicBool::new(true));
        let w = Worker::new(
            Target::Tcp(([127, 0, 0, 1], port).into()),
            rx,
            stats.clone(),
            closing,
        );
        for _ in 0..3 {
            tx.send(b"x".to_vec()).unwrap();
        }
        drop(tx);
        w.run(Duration::from_millis(300));
        assert_eq!(stats.unsent.load(Ordering::Relaxed), 3);
        assert_eq!(stats.sent.load(Ordering::Relaxed), 0);
    }
}
