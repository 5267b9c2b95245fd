//! "Acknowledged = durable" holds on Redis only with `appendonly yes` and `appendfsync
//! always`, and only while Redis never evicts keys. Redis's settings are read once the
//! store first answers, and every weaker choice is logged as a warning naming what it
//! risks — as is a Redis that will not tell (managed services often disable `CONFIG`).

use redis::aio::ConnectionManager;

/// The settings read, by name; `None` when Redis would not tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Durability {
    pub appendonly: Option<String>,
    pub appendfsync: Option<String>,
    pub maxmemory_policy: Option<String>,
}

/// Reads the settings; a setting Redis refuses to show stays `None`.
pub(super) async fn read(connection: &mut ConnectionManager) -> Durability {
    let mut durability = Durability::default();
    for (name, slot) in [
        ("appendonly", &mut durability.appendonly),
        ("appendfsync", &mut durability.appendfsync),
        ("maxmemory-policy", &mut durability.maxmemory_policy),
    ] {
        let answer: redis::RedisResult<Vec<String>> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query_async(connection)
            .await;
        *slot = answer.ok().and_then(|pair| pair.into_iter().nth(1));
    }
    durability
}

/// What each setting risks, one warning per weaker (or unknown) choice.
pub(super) fn risks(durability: &Durability) -> Vec<String> {
    let mut risks = Vec::new();
    match durability.appendonly.as_deref() {
        Some("yes") => {}
        Some(other) => risks.push(format!(
            "Redis runs with appendonly {other}: every acknowledged write since its last \
             snapshot is lost when Redis stops; set appendonly yes"
        )),
        None => risks.push(
            "cannot read Redis's appendonly setting (CONFIG GET refused): make sure it is \
             `yes`, or acknowledged writes can be lost when Redis stops"
                .to_owned(),
        ),
    }
    match durability.appendfsync.as_deref() {
        Some("always") => {}
        Some("everysec") => risks.push(
            "Redis runs with appendfsync everysec: up to a second of acknowledged writes is \
             lost if the machine running Redis crashes; set appendfsync always"
                .to_owned(),
        ),
        Some(other) => risks.push(format!(
            "Redis runs with appendfsync {other}: acknowledged writes reach the disk when the \
             operating system decides (often 30 s later) and are lost if the machine crashes; \
             set appendfsync always"
        )),
        None => risks.push(
            "cannot read Redis's appendfsync setting (CONFIG GET refused): make sure it is \
             `always`, or acknowledged writes can be lost in a crash"
                .to_owned(),
        ),
    }
    match durability.maxmemory_policy.as_deref() {
        Some("noeviction") => {}
        Some(other) => risks.push(format!(
            "Redis runs with maxmemory-policy {other}: when it is full it deletes keys, and \
             with them flags, releases and the change feed; set maxmemory-policy noeviction"
        )),
        None => risks.push(
            "cannot read Redis's maxmemory-policy (CONFIG GET refused): make sure it is \
             `noeviction`, or a full Redis deletes documents"
                .to_owned(),
        ),
    }
    risks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(appendonly: &str, appendfsync: &str, policy: &str) -> Durability {
        Durability {
            appendonly: Some(appendonly.to_owned()),
            appendfsync: Some(appendfsync.to_owned()),
            maxmemory_policy: Some(policy.to_owned()),
        }
    }

    #[test]
    fn the_recommended_settings_raise_nothing() {
        assert!(risks(&of("yes", "always", "noeviction")).is_empty());
    }

    #[test]
    fn each_weaker_setting_names_its_risk() {
        let found = risks(&of("no", "everysec", "allkeys-lru"));
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("appendonly no"));
        assert!(found[1].contains("up to a second"));
        assert!(found[2].contains("allkeys-lru"));
        assert!(risks(&of("yes", "no", "noeviction"))[0].contains("operating system"));
    }

    #[test]
    fn settings_redis_will_not_show_are_warned_about_too() {
        let found = risks(&Durability::default());
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|risk| risk.starts_with("cannot read")));
    }
}
