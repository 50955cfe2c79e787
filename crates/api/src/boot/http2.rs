//! A client that opens with HTTP/2 is told to use HTTP/1.1, in HTTP/2's
//! own words, instead of having its connection dropped without a byte.
//!
//! authd serves HTTP/1.1: its connection bounds (the header timeout, the
//! keep-alive timeout, a request at a time per connection) are built for
//! it, and HTTP/2 would need bounds of its own (streams per connection,
//! rapid resets: CVE-2023-44487). A proxy in front may speak HTTP/2 to the
//! clients; it speaks HTTP/1.1 to authd. An HTTP/1.1 request asking to
//! upgrade (`Upgrade: h2c`) is simply answered in HTTP/1.1, as RFC 9110
//! §7.8 allows; a connection opened with the HTTP/2 preface ("prior
//! knowledge", RFC 9113 §3.3) gets the server's preface (an empty SETTINGS
//! frame) and a GOAWAY with the error code `HTTP_1_1_REQUIRED` (RFC 9113
//! §7), which clients report as "HTTP/1.1 required", and is closed.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The first bytes of a connection opened with HTTP/2 (RFC 9113 §3.4). No
/// HTTP/1.1 request starts like it ("PRI" is no method authd serves).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// `HTTP_1_1_REQUIRED` (RFC 9113 §7).
const HTTP_1_1_REQUIRED: u32 = 0xd;

/// What the first bytes of a connection say.
#[derive(Debug, PartialEq, Eq)]
pub enum Opening {
    /// HTTP/1.1 (or anything else: hyper answers it).
    Http1,
    /// The HTTP/2 preface.
    Http2,
    /// Nothing whole within the header timeout.
    Silent,
}

/// Looks at (without taking) the first bytes of `stream`, waiting at most
/// `within` for enough of them to tell.
pub async fn opening(stream: &TcpStream, within: Duration) -> Opening {
    let deadline = Instant::now() + within;
    let mut first = [0u8; PREFACE.len()];
    loop {
        let Ok(peeked) = tokio::time::timeout_at(deadline, stream.peek(&mut first)).await else {
            return Opening::Silent;
        };
        match peeked {
            // Closed, failed, or not the preface: hyper reads it as it is.
            Ok(0) | Err(_) => return Opening::Http1,
            Ok(n) if !PREFACE.starts_with(&first[..n]) => return Opening::Http1,
            Ok(n) if n == PREFACE.len() => return Opening::Http2,
            // The preface so far, in pieces: wait for the rest.
            Ok(_) => {
                if Instant::now() >= deadline {
                    return Opening::Silent;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

/// The server preface and a GOAWAY saying `HTTP_1_1_REQUIRED`, with why.
pub fn refusal() -> Vec<u8> {
    let why = b"authd serves HTTP/1.1";
    let mut out = vec![0, 0, 0, 0x4, 0, 0, 0, 0, 0]; // SETTINGS, empty, stream 0
    let length = (8 + why.len()) as u32;
    out.extend_from_slice(&length.to_be_bytes()[1..]);
    out.extend_from_slice(&[0x7, 0, 0, 0, 0, 0]); // GOAWAY, no flags, stream 0
    out.extend_from_slice(&0u32.to_be_bytes()); // last stream id: none was processed
    out.extend_from_slice(&HTTP_1_1_REQUIRED.to_be_bytes());
    out.extend_from_slice(why);
    out
}

/// Tells an HTTP/2 client to use HTTP/1.1 and closes the connection.
pub async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(&refusal()).await?;
        stream.shutdown().await
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_an_empty_settings_frame_then_a_goaway_saying_http_1_1_required() {
        let r = refusal();
        assert_eq!(&r[..9], &[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        let goaway = &r[9..];
        let length = u32::from_be_bytes([0, goaway[0], goaway[1], goaway[2]]) as usize;
        assert_eq!((goaway[3], goaway.len()), (0x7, 9 + length), "type GOAWAY, the length it says");
        assert_eq!(&goaway[5..9], &[0, 0, 0, 0], "on stream 0");
        assert_eq!(&goaway[9..13], &[0, 0, 0, 0], "no stream processed");
        assert_eq!(u32::from_be_bytes(goaway[13..17].try_into().unwrap()), 0xd);
        assert_eq!(&goaway[17..], b"authd serves HTTP/1.1");
    }
}
