//! Signing in and out: a wrong token is refused on the form, the cookie is `HttpOnly`
//! and `SameSite=Strict`, signing out ends the session, an idle session expires on the
//! server's clock, and a revoked token's session dies with it.

use reqwest::Method;
use serde_json::json;

use super::support::Browser;
use crate::releases::support::Desk;

#[tokio::test]
async fn people_sign_in_and_out_and_sessions_end_when_idle_or_revoked() {
    let desk = Desk::open().await;
    let server = &desk.server;
    let manager = desk.manager.clone();
    let browser = Browser::open(&server.url).await;

    // Without a session every page leads to the sign-in form.
    browser.visit("/releases").await;
    browser.wait_path("/signin").await;

    // A wrong token: the form says so and no session starts.
    browser.fill("#token", "rg_adm_nope_wrong").await;
    browser.click("#sign-in").await;
    browser
        .wait_text("#notice", "unknown or revoked token")
        .await;
    browser.assert_refused_with("a wrong token", 401).await;
    assert_eq!(browser.path().await, "/signin");
    assert!(
        browser
            .client
            .get_named_cookie("rollgate_session")
            .await
            .is_err(),
        "no cookie after a wrong token"
    );

    // The right one: the overview, with a cookie scripts cannot read.
    browser.sign_in(&manager).await;
    browser.wait_text("h1", "Overview").await;
    let cookie = browser
        .client
        .get_named_cookie("rollgate_session")
        .await
        .unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");
    assert_eq!(cookie.secure(), Some(false), "plain HTTP here: not Secure");
    let seen_by_script = browser
        .client
        .execute("return document.cookie;", vec![])
        .await
        .unwrap();
    assert_eq!(seen_by_script, json!(""));
    assert!(
        !cookie.value().contains(&manager),
        "the token is not in the cookie"
    );
    browser.assert_no_console_errors("overview").await;

    // Sign out: back to the form, and the pages ask again.
    browser.click("#sign-out").await;
    browser.wait_path("/signin").await;
    browser.visit("/").await;
    browser.wait_path("/signin").await;

    // A session left idle past its 30 minutes ends (the server's clock decides).
    browser.sign_in(&manager).await;
    desk.advance("29m").await;
    browser.visit("/releases").await;
    browser.wait_text("h1", "Releases").await;
    // That request renewed it: 29 more minutes are still within its idle time.
    desk.advance("29m").await;
    browser.visit("/").await;
    browser.wait_text("h1", "Overview").await;
    desk.advance("31m").await;
    browser.visit("/").await;
    browser.wait_path("/signin").await;

    // Revoking the token ends its sessions at once, on this page as on any replica.
    browser.sign_in(&manager).await;
    let id = manager.split('_').nth(2).unwrap();
    let revoked = server
        .admin(Method::DELETE, &format!("/api/v1/tokens/{id}"), None)
        .await;
    assert!(revoked.status.is_success(), "{}", revoked.body);
    browser.visit("/").await;
    browser.wait_path("/signin").await;
    browser.assert_no_console_errors("sign-in page").await;
    browser.close().await;
}
