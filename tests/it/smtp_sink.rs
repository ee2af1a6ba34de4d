//! An SMTP sink for the e-mail tests, so that they need no Python or other server on the
//! machine: the `mailin` crate speaks the SMTP protocol (commands, replies, DATA with dot
//! unstuffing), this file only carries its lines over a socket on 127.0.0.1 and keeps every
//! accepted message in memory for the test to read.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use mailin::response::OK;
use mailin::{Action, Handler, Response, SessionBuilder};

/// Messages accepted so far, shared between the session threads and the test.
type Inbox = Arc<Mutex<Vec<String>>>;

/// One SMTP session: the DATA it receives becomes one message once the client ends it.
struct Collector {
    inbox: Inbox,
    current: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _8bit: bool, _to: &[String]) -> Response {
        self.current.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = String::from_utf8_lossy(&self.current).into_owned();
        self.inbox.lock().expect("inbox").push(message);
        self.current.clear();
        OK
    }
}

/// A real SMTP server (plain, no TLS) on 127.0.0.1 that accepts every message.
pub struct SmtpSink {
    inbox: Inbox,
}

impl SmtpSink {
    /// Listen on `port`; the socket is bound before this returns, so a client may connect at
    /// once. The accept thread lives until the test process ends (nextest runs each test in
    /// its own process).
    pub fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("SMTP sink port is free");
        let inbox = Inbox::default();
        let shared = inbox.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let inbox = shared.clone();
                std::thread::spawn(move || serve(stream, inbox));
            }
        });
        Self { inbox }
    }

    /// Received messages, sorted, with quoted-printable soft line breaks undone.
    pub fn messages(&self) -> Vec<String> {
        let mut out = self.inbox.lock().expect("inbox").clone();
        out.sort();
        out.into_iter()
            .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
            .collect()
    }
}

/// One client connection: greet, then feed each line to the session and write its reply.
fn serve(stream: TcpStream, inbox: Inbox) -> std::io::Result<()> {
    let handler = Collector {
        inbox,
        current: Vec::new(),
    };
    let mut session =
        SessionBuilder::new("sink.test").build(IpAddr::V4(Ipv4Addr::LOCALHOST), handler);
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::new(stream);
    session.greeting().write_to(&mut writer)?;
    writer.flush()?;
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => continue,
            Action::Reply | Action::UpgradeTls => response.write_to(&mut writer)?,
            Action::Close => {
                response.write_to(&mut writer)?;
                writer.flush()?;
                return Ok(());
            }
        }
        writer.flush()?;
    }
}
