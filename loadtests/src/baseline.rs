//! The baseline: the smallest actix-web server that does what every Rollgate request
//! does at the least — read a small JSON body, parse it, answer a fixed small JSON body
//! (62 bytes) — and nothing else. Run on the same machine in the same way as `rollgate`,
//! it is the physical limit of the stack; results are quoted as ratios to it.
//!
//! It answers every method and path, so each scenario sends it exactly the requests it
//! sends to Rollgate.

use std::net::TcpListener;

use actix_web::{HttpResponse, web};

/// The answer to every request.
pub const ANSWER: &str = r#"{"key":"baseline","value":true,"variant":"on","reason":"STATIC"}"#;

/// Parses the body as JSON when there is one: `200` with [`ANSWER`], or `400`.
async fn answer(body: web::Bytes) -> HttpResponse {
    if !body.is_empty() && serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return HttpResponse::BadRequest()
            .content_type("application/json")
            .body(r#"{"error":"not JSON"}"#);
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ANSWER)
}

/// Serves on `listener` with `workers` threads until the process ends.
pub async fn serve(listener: TcpListener, workers: usize) -> std::io::Result<()> {
    actix_web::HttpServer::new(|| actix_web::App::new().default_service(web::to(answer)))
        .workers(workers.max(1))
        .listen(listener)?
        .run()
        .await
}
