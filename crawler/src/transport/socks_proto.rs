//! The server side of SOCKS5 (RFC 1928) with username/password authentication (RFC 1929),
//! as much of it as the arti bridge needs: `CONNECT` only, password required.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const VERSION: u8 = 5;
const METHOD_USERPASS: u8 = 2;
const METHOD_NONE_ACCEPTABLE: u8 = 0xff;
const AUTH_VERSION: u8 = 1;
const CMD_CONNECT: u8 = 1;
const ATYP_V4: u8 = 1;
const ATYP_DOMAIN: u8 = 3;
const ATYP_V6: u8 = 4;

/// A client's authenticated `CONNECT` request.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub username: String,
    /// A host name (resolved inside Tor) or an IP address as text.
    pub host: String,
    pub port: u16,
}

/// SOCKS5 reply codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Succeeded = 0,
    GeneralFailure = 1,
    NotAllowed = 2,
    HostUnreachable = 4,
    ConnectionRefused = 5,
    TtlExpired = 6,
    CommandNotSupported = 7,
    AddressTypeNotSupported = 8,
}

fn protocol(msg: &'static str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

/// Equal-length comparison in time independent of where the inputs differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn read_string<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Vec<u8>> {
    let len = s.read_u8().await?;
    let mut buf = vec![0u8; len.into()];
    s.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Run the handshake. `Ok(None)`: the client was refused (and told so).
pub async fn server_handshake<S>(s: &mut S, password: &str) -> std::io::Result<Option<Request>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if s.read_u8().await? != VERSION {
        return Err(protocol("not SOCKS5"));
    }
    let n_methods = s.read_u8().await?;
    let mut methods = vec![0u8; n_methods.into()];
    s.read_exact(&mut methods).await?;
    if !methods.contains(&METHOD_USERPASS) {
        s.write_all(&[VERSION, METHOD_NONE_ACCEPTABLE]).await?;
        return Ok(None);
    }
    s.write_all(&[VERSION, METHOD_USERPASS]).await?;

    if s.read_u8().await? != AUTH_VERSION {
        return Err(protocol("bad auth version"));
    }
    let username = read_string(s).await?;
    let given = read_string(s).await?;
    let username = match String::from_utf8(username) {
        Ok(u) if !u.is_empty() && same_secret(&given, password.as_bytes()) => u,
        _ => {
            s.write_all(&[AUTH_VERSION, 1]).await?;
            return Ok(None);
        }
    };
    s.write_all(&[AUTH_VERSION, 0]).await?;

    let mut head = [0u8; 4];
    s.read_exact(&mut head).await?;
    if head[0] != VERSION {
        return Err(protocol("bad request version"));
    }
    let host = match head[3] {
        ATYP_V4 => {
            let mut a = [0u8; 4];
            s.read_exact(&mut a).await?;
            std::net::Ipv4Addr::from(a).to_string()
        }
        ATYP_V6 => {
            let mut a = [0u8; 16];
            s.read_exact(&mut a).await?;
            std::net::Ipv6Addr::from(a).to_string()
        }
        ATYP_DOMAIN => match String::from_utf8(read_string(s).await?) {
            Ok(h) if !h.is_empty() => h,
            _ => {
                send_reply(s, Reply::AddressTypeNotSupported).await?;
                return Ok(None);
            }
        },
        _ => {
            send_reply(s, Reply::AddressTypeNotSupported).await?;
            return Ok(None);
        }
    };
    let port = s.read_u16().await?;
    if head[1] != CMD_CONNECT {
        send_reply(s, Reply::CommandNotSupported).await?;
        return Ok(None);
    }
    Ok(Some(Request {
        username,
        host,
        port,
    }))
}

/// Send a reply with an unspecified bound address.
pub async fn send_reply<S: AsyncWrite + Unpin>(s: &mut S, reply: Reply) -> std::io::Result<()> {
    s.write_all(&[VERSION, reply as u8, 0, ATYP_V4, 0, 0, 0, 0, 0, 0])
        .await?;
    s.flush().await
}

/// Resolves when the client closes its end (it sends nothing while waiting for the reply).
pub async fn wait_for_eof(tcp: &TcpStream) {
    let mut byte = [0u8; 1];
    loop {
        match tcp.peek(&mut byte).await {
            Ok(0) | Err(_) => return,
            // Data before our reply (pipelined request bytes): keep waiting for the connect.
            Ok(_) => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(client_bytes: Vec<u8>) -> (std::io::Result<Option<Request>>, Vec<u8>) {
        let (mut client, mut server) = tokio::io::duplex(1024);
        client.write_all(&client_bytes).await.expect("write");
        let result = server_handshake(&mut server, "s3cret").await;
        drop(server);
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.expect("read");
        (result, answer)
    }

    fn auth(user: &str, pass: &str) -> Vec<u8> {
        let mut v = vec![5, 1, 2, 1, user.len() as u8];
        v.extend(user.bytes());
        v.push(pass.len() as u8);
        v.extend(pass.bytes());
        v
    }

    #[tokio::test]
    async fn connect_with_the_right_password() {
        let mut bytes = auth("cn-1-0", "s3cret");
        bytes.extend([5, 1, 0, 3, 7]);
        bytes.extend(b"a.onion");
        bytes.extend(80u16.to_be_bytes());
        let (result, answer) = run(bytes).await;
        let req = result.expect("io").expect("accepted");
        assert_eq!(req.username, "cn-1-0");
        assert_eq!(req.host, "a.onion");
        assert_eq!(req.port, 80);
        assert_eq!(answer, vec![5, 2, 1, 0]);
    }

    #[tokio::test]
    async fn refuses_no_auth_and_wrong_password() {
        let (result, answer) = run(vec![5, 1, 0]).await;
        assert!(result.expect("io").is_none());
        assert_eq!(answer, vec![5, 0xff]);
        let (result, answer) = run(auth("cn-1-0", "guess!")).await;
        assert!(result.expect("io").is_none());
        assert_eq!(answer, vec![5, 2, 1, 1]);
    }
}
