//! The HTTP/1.1 server: accepts connections, reads one request from each, answers it with
//! JSON through [`route`] and closes the connection.

use std::time::Duration;

use anyhow::{anyhow, Result};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, warn};

use super::recorder::Shared;
use super::reply::{Reply, ReplyBody};
use super::request::read_request;
use super::routes::route;

/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves forever on `listener` (the `messenger-emulator` binary's loop).
pub async fn serve_forever(listener: TcpListener) {
    serve(listener, Shared::default()).await;
}

/// Serves `state` on `listener` for as long as the future is polled (an [`Emulator`](super::Emulator)
/// drops it when stopped).
pub(crate) async fn serve(listener: TcpListener, state: Shared) {
    loop {
        match listener.accept().await {
            Ok((sock, _)) => {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(err) = connection(sock, state).await {
                        debug!("emulator connection: {err:#}");
                    }
                });
            }
            Err(err) => {
                warn!("emulator accept: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Reads one request from `sock` and answers it (`400` for one that cannot be read).
async fn connection(mut sock: TcpStream, state: Shared) -> Result<()> {
    let req = match tokio::time::timeout(READ_TIMEOUT, read_request(&mut sock)).await {
        Ok(Ok(req)) => req,
        Ok(Err(err)) => {
            respond(
                &mut sock,
                &Reply::json(400, json!({"error": err.to_string()})),
            )
            .await?;
            return Ok(());
        }
        Err(_) => return Err(anyhow!("client too slow")),
    };
    let reply = route(&req, &state);
    respond(&mut sock, &reply).await
}

/// Writes the answer and closes the connection.
async fn respond(sock: &mut TcpStream, reply: &Reply) -> Result<()> {
    let (content_type, text) = match &reply.body {
        ReplyBody::Json(v) => (Some("application/json"), v.to_string()),
        ReplyBody::Text(t) => (Some("text/plain; charset=utf-8"), t.clone()),
        ReplyBody::Empty => (None, String::new()),
    };
    let status = reply.status;
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        _ => "Emulated",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    if let Some(content_type) = content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        text.len()
    ));
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(text.as_bytes()).await?;
    sock.shutdown().await.ok();
    Ok(())
}
