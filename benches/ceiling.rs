//! The HTTP ceiling for `bench/run`: a bare poem server (the same poem and
//! tokio as Gatehouse, the same multi-threaded runtime) with one route,
//! `GET /`, answering a fixed body and nothing else: no middleware, no
//! logging, no state. Every other scenario is reported as a share of what
//! this does on the same machine in the same run.
//!
//! `cargo bench --bench ceiling -- --addr 127.0.0.1:8001`

use poem::listener::TcpListener;
use poem::{get, handler, Route, Server};

#[handler]
fn ok() -> &'static str {
    "ok"
}

fn main() -> std::io::Result<()> {
    let mut addr = String::from("127.0.0.1:8001");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => addr = args.next().unwrap_or(addr),
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            other => {
                eprintln!("ceiling: unknown argument {other:?} (usage: ceiling --addr HOST:PORT)");
                std::process::exit(2);
            }
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(Server::new(TcpListener::bind(addr)).run(Route::new().at("/", get(ok))))
}
