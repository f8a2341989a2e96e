//! Whether a request's client is still there, for the password hasher's queue: a check
//! queued for a client that has closed its connection is dropped unrun (issue 9: actix-web
//! does not cancel a handler when its client half-closes, so without this a flood of
//! abandoned wrong-password requests would all be hashed).
//!
//! At connect time [`remember_socket`] keeps a duplicate of the connection's socket in the
//! connection data; [`is_gone`] peeks at it without reading: end-of-stream or an error means
//! the client has gone, no data ("would block") or a pipelined request means it is waiting.
//! [`ClientSocket::liveness`] hands that check to `rollcall_system::for_client`, around each
//! request in [`crate::startup`].

use actix_web::dev::Extensions;
use rollcall_system::ClientAlive;
use std::any::Any;
use std::io::ErrorKind;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// The liveness check of one connection's client, over a duplicate of its socket (closed with
/// the connection's data). Built once per connection; each request only clones the `Arc`.
#[derive(Clone)]
pub(crate) struct ClientSocket(ClientAlive);

impl ClientSocket {
    /// The liveness check of this connection's client.
    pub(crate) fn liveness(&self) -> ClientAlive {
        Arc::clone(&self.0)
    }
}

/// `HttpServer::on_connect`: remembers the socket of a TCP connection.
pub(crate) fn remember_socket(connection: &dyn Any, data: &mut Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
        && let Ok(socket) = stream.as_fd().try_clone_to_owned()
    {
        data.insert(ClientSocket(Arc::new(move || !is_gone(&socket))));
    }
}

/// True when the peer has closed its side (or the connection failed). The socket is
/// non-blocking (the duplicate shares the runtime's flags), so this never waits.
fn is_gone(socket: &OwnedFd) -> bool {
    let mut byte = [MaybeUninit::<u8>::uninit(); 1];
    match socket2::SockRef::from(socket).peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{Shutdown, TcpListener, TcpStream};

    fn pair() -> (TcpStream, OwnedFd) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (client, server.as_fd().try_clone_to_owned().unwrap())
    }

    #[test]
    fn a_waiting_client_is_there_and_a_closed_one_is_gone() {
        let (client, server) = pair();
        assert!(!is_gone(&server), "connected, nothing sent");
        drop(client);
        assert!(is_gone(&server), "closed");
    }

    #[test]
    fn pending_data_is_not_read_and_a_half_close_is_gone() {
        let (mut client, server) = pair();
        client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        // Give the bytes time to arrive.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!is_gone(&server), "a pipelined request");
        assert!(!is_gone(&server), "peeking consumed nothing");
        let (client2, server2) = pair();
        client2.shutdown(Shutdown::Write).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(is_gone(&server2), "half-closed");
    }
}
