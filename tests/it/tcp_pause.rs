//! A TCP forwarder the test controls: it relays bytes between its clients and a target
//! address until paused, and then holds every byte (in both directions, on open and new
//! connections) without closing anything, like a database server that stops answering or a
//! network that drops packets. Resuming delivers what was held.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The forwarder; it runs until the test process ends.
pub struct PausableForwarder {
    pub port: u16,
    paused: Arc<AtomicBool>,
}

impl PausableForwarder {
    /// Listen on a free loopback port and relay to `target` (`host:port`).
    pub fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind forwarder");
        let port = listener.local_addr().expect("address").port();
        let paused = Arc::new(AtomicBool::new(false));
        let (flag, target) = (paused.clone(), target.to_string());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                relay(&client, &server, flag.clone());
                relay(&server, &client, flag.clone());
            }
        });
        Self { port, paused }
    }

    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}

/// Copy `from` to `to` on a thread of its own, holding each chunk while paused.
fn relay(from: &TcpStream, to: &TcpStream, paused: Arc<AtomicBool>) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            while paused.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            while paused.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
