//! `messenger-emulator`: the dev-only messenger emulator (see `lookout_dev::emulator`).
//!
//! ```text
//! messenger-emulator [--addr 127.0.0.1:8081]
//! ```
//!
//! Serves `/telegram`, `/whatsapp`, `/viber` (Viber always fails, as the seed's did) and
//! `GET /_received` until ctrl-c. Point the stack at it with the template parameters
//! `TelegramApiBase={url}/telegram`, `WhatsAppApiBase={url}/whatsapp`, `ViberApiBase={url}/viber`
//! (`scripts/start.sh` does).

use anyhow::{anyhow, bail, Context, Result};
use tokio::net::TcpListener;
use tracing::info;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: messenger-emulator [--addr HOST:PORT]";

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let mut addr = "127.0.0.1:8081".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--addr" => addr = args.next().ok_or_else(|| anyhow!("--addr needs a value"))?,
            "-h" | "--help" => bail!(USAGE),
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    let listener = TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    info!(url = %format!("http://{}", listener.local_addr()?), "messenger emulator listening");
    tokio::select! {
        () = lookout_dev::emulator::serve_forever(listener) => Ok(()),
        res = tokio::signal::ctrl_c() => {
            res.context("waiting for ctrl-c")?;
            info!("messenger emulator stopped");
            Ok(())
        }
    }
}
