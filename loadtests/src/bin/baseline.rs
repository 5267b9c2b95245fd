//! `baseline`: the bare actix-web server of [`rollgate_loadtests::baseline`]. Prints
//! `baseline listening on http://ADDR` when ready.

use std::net::TcpListener;

use clap::Parser;

/// The smallest actix-web JSON server: the physical limit Rollgate is measured against.
#[derive(Debug, Parser)]
#[command(name = "baseline")]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: String,
    /// Worker threads; 0 means one per CPU, as `rollgate` does.
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(&args.bind)?;
    let address = listener.local_addr()?;
    let workers = match args.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    actix_web::rt::System::new().block_on(async move {
        println!("baseline listening on http://{address}");
        rollgate_loadtests::baseline::serve(listener, workers).await
    })?;
    Ok(())
}
