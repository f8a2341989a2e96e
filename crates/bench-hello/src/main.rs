//! `bench-hello`: a bare actix-web server that answers `GET /hello` with a three-field JSON
//! body, and nothing else. It is not part of the product.
//!
//! It exists for `scripts/bench.sh`: the machine the benchmark runs on is noisy, so
//! rollcall's performance goals are ratios to this server, measured side by side in the
//! same run, never absolute times. It is built like rollcall (the same actix-web, tokio
//! runtime and serde, the default worker count of one per core) but does no work of its
//! own: no middleware, no logging, no database, no authentication.
//!
//! Usage: `bench-hello --bind 127.0.0.1:PORT` (or the environment variable `BIND`);
//! the default is 127.0.0.1:8081.

use actix_web::{App, HttpServer, Responder, get, web};
use serde::Serialize;
use std::io::{Error, ErrorKind};

/// The body of `GET /hello`, about the size of the smallest rollcall answers.
#[derive(Serialize)]
struct Hello {
    id: u32,
    username: &'static str,
    enabled: bool,
}

/// `GET /hello`: `{"id":1,"username":"hello","enabled":true}` as `application/json`.
#[get("/hello")]
async fn hello() -> impl Responder {
    web::Json(Hello {
        id: 1,
        username: "hello",
        enabled: true,
    })
}

/// The address to listen on: `--bind ADDR`, else `BIND`, else 127.0.0.1:8081.
fn bind_address() -> std::io::Result<String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => Ok(std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8081".into())),
        (Some("--bind"), Some(address), None) => Ok(address),
        _ => Err(Error::new(
            ErrorKind::InvalidInput,
            "usage: bench-hello [--bind HOST:PORT]",
        )),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = bind_address()?;
    HttpServer::new(|| App::new().service(hello))
        .bind(address)?
        .run()
        .await
}
