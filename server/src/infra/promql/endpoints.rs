//! The Prometheus endpoints release analysis and reports may ask: the operator's
//! choice, never the plan's. A plan is written by a release manager and read by every
//! viewer, so a URL in it could make the server fetch from anywhere (the cloud metadata
//! address, an internal service) and copy the answer where viewers read it.
//!
//! The settings name them: `prometheus_url` (the default, used when a plan names none)
//! and `prometheus.endpoints.<name>.url`, each with optional credentials (a bearer
//! token, or a user and password) that are sent as an `Authorization` header and never
//! shown. A plan names one by its URL in `analysis.prometheus_url` — spelled as the
//! settings do, up to what the URL standard treats as equal (case of the host, the
//! default port, a trailing slash) — or leaves it out for the default; any other URL is
//! refused before a request is made ([`Endpoints::choose`]).

use std::fmt;

use reqwest::RequestBuilder;
use url::Url;

use crate::infra::config::{PrometheusCredentials, Secret, Settings};

/// One Prometheus the server may ask.
#[derive(Clone)]
pub(crate) struct Endpoint {
    /// How the settings name it (`prometheus_url`, `prometheus.endpoints.eu`).
    pub name: String,
    /// Its URL, with no credentials in it.
    url: Url,
    auth: Auth,
}

/// How an endpoint is authorized.
#[derive(Clone)]
enum Auth {
    None,
    Bearer(Secret),
    Basic {
        username: String,
        password: Option<Secret>,
    },
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// Its URL as the settings give it (never with credentials), for reports.
    pub(crate) fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The URL of an instant query at `time`: `api/v1/query` appended to the endpoint's
    /// path as path segments (whatever prefix it has), the endpoint's own query string
    /// kept, `query` and `time` appended as encoded pairs.
    pub(crate) fn query_url(&self, promql: &str, time: &str) -> Url {
        let mut url = self.url.clone();
        url.set_fragment(None);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(["api", "v1", "query"]);
        }
        url.query_pairs_mut()
            .append_pair("query", promql)
            .append_pair("time", time);
        url
    }

    /// `request` with the endpoint's credentials.
    pub(crate) fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token.expose()),
            Auth::Basic { username, password } => {
                request.basic_auth(username, password.as_ref().map(Secret::expose))
            }
        }
    }

    /// Whether `url` names this endpoint.
    fn is(&self, url: &Url) -> bool {
        same(&self.url, url)
    }
}

/// Why a plan's Prometheus cannot be asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unavailable {
    /// The plan names none and the settings have no default.
    #[error(
        "no Prometheus to ask: the server's settings have no prometheus_url, and the plan names none"
    )]
    NoDefault,
    /// The plan's URL is not a URL.
    #[error("not an http:// or https:// URL: {0}")]
    NotAUrl(String),
    /// The plan's URL carries credentials.
    #[error(
        "credentials do not belong in a plan, which every viewer reads: the server's settings hold each Prometheus endpoint's credentials"
    )]
    Credentials,
    /// The plan's URL is not one of the settings' endpoints.
    #[error(
        "{0} is not a Prometheus endpoint of the server's settings; name one of them ({1}) by its URL, or leave analysis.prometheus_url out for the default"
    )]
    NotAllowed(String, String),
}

/// The endpoints of the settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Endpoints {
    default: Option<Endpoint>,
    named: Vec<Endpoint>,
}

impl Endpoints {
    /// The endpoints `settings` name (which the settings checked when they were read).
    pub(crate) fn new(settings: &Settings) -> Endpoints {
        let default = settings.prometheus_url.as_deref().and_then(|url| {
            endpoint(
                "prometheus_url".to_owned(),
                url,
                &settings.prometheus.credentials(),
            )
            .ok()
        });
        let named = settings
            .prometheus
            .endpoints
            .iter()
            .filter_map(|(name, settings)| {
                endpoint(
                    format!("prometheus.endpoints.{name}"),
                    &settings.url,
                    &settings.credentials(),
                )
                .ok()
            })
            .collect();
        Endpoints { default, named }
    }

    /// The endpoint a plan's `analysis.prometheus_url` names (the default when it names
    /// none), or why there is none to ask.
    pub(crate) fn choose(&self, plan_url: Option<&str>) -> Result<&Endpoint, Unavailable> {
        let Some(text) = plan_url else {
            return self.default.as_ref().ok_or(Unavailable::NoDefault);
        };
        let url = Url::parse(text).map_err(|e| Unavailable::NotAUrl(e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Unavailable::Credentials);
        }
        self.default
            .iter()
            .chain(&self.named)
            .find(|endpoint| url.fragment().is_none() && endpoint.is(&url))
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .default
                    .iter()
                    .chain(&self.named)
                    .map(Endpoint::url)
                    .collect();
                let known = if known.is_empty() {
                    "there are none".to_owned()
                } else {
                    known.join(", ")
                };
                Unavailable::NotAllowed(url.to_string(), known)
            })
    }
}

/// An endpoint from its settings, or why they do not make one.
pub(crate) fn endpoint(
    name: String,
    url: &str,
    credentials: &PrometheusCredentials,
) -> Result<Endpoint, String> {
    let url = Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "{url} is not an http:// or https:// URL with a host"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "credentials go in the settings' bearer_token, or username and password, not in the URL"
                .to_owned(),
        );
    }
    if url.fragment().is_some() {
        return Err(format!("{url} has a fragment (#…), which no query URL has"));
    }
    let auth = match credentials {
        PrometheusCredentials {
            bearer_token: Some(_),
            username: Some(_),
            ..
        } => return Err("give a bearer_token or a username, not both".to_owned()),
        PrometheusCredentials {
            bearer_token: None,
            username: None,
            password: Some(_),
        } => return Err("a password needs a username".to_owned()),
        PrometheusCredentials {
            bearer_token: Some(token),
            ..
        } => Auth::Bearer(token.clone()),
        PrometheusCredentials {
            username: Some(username),
            password,
            ..
        } => Auth::Basic {
            username: username.clone(),
            password: password.clone(),
        },
        PrometheusCredentials { .. } => Auth::None,
    };
    Ok(Endpoint { name, url, auth })
}

/// Whether two URLs name the same endpoint: scheme, host, port (the default one
/// spelled or not), path (with or without a trailing slash) and query string.
fn same(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
        && a.query() == b.query()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::infra::config::{PrometheusEndpoint, PrometheusSettings};

    fn endpoints() -> Endpoints {
        let settings = Settings {
            prometheus_url: Some("http://127.0.0.1:9090".to_owned()),
            prometheus: PrometheusSettings {
                bearer_token: Some(Secret::from("t0ken".to_owned())),
                endpoints: [(
                    "eu".to_owned(),
                    PrometheusEndpoint {
                        url: "https://prom.example.com/tenant/a?org=1".to_owned(),
                        bearer_token: None,
                        username: None,
                        password: None,
                    },
                )]
                .into(),
                ..PrometheusSettings::default()
            },
            ..Settings::default()
        };
        Endpoints::new(&settings)
    }

    #[test]
    fn a_plan_names_an_endpoint_by_its_url_or_takes_the_default() {
        let endpoints = endpoints();
        assert_eq!(endpoints.choose(None).unwrap().name, "prometheus_url");
        for same in [
            "http://127.0.0.1:9090",
            "http://127.0.0.1:9090/",
            "HTTP://127.0.0.1:9090",
        ] {
            assert_eq!(endpoints.choose(Some(same)).unwrap().name, "prometheus_url");
        }
        assert_eq!(
            endpoints
                .choose(Some("https://PROM.example.com:443/tenant/a/?org=1"))
                .unwrap()
                .name,
            "prometheus.endpoints.eu"
        );
    }

    #[test]
    fn any_other_url_is_refused_and_credentials_are_never_echoed() {
        let endpoints = endpoints();
        for other in [
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:9091",
            "http://127.0.0.1:9090/api/v1/admin#",
            "http://127.0.0.1:9090#",
            "https://prom.example.com/tenant/a",
            "https://prom.example.com/tenant/a?org=2",
        ] {
            assert!(
                matches!(
                    endpoints.choose(Some(other)),
                    Err(Unavailable::NotAllowed(..))
                ),
                "{other}"
            );
        }
        let error = endpoints
            .choose(Some("http://user:pw@127.0.0.1:9090"))
            .unwrap_err();
        assert_eq!(error, Unavailable::Credentials);
        assert!(!error.to_string().contains("pw"));
        assert!(Endpoints::default().choose(None).is_err());
    }

    #[test]
    fn queries_are_appended_to_the_endpoints_path_and_keep_its_query_string() {
        let endpoints = endpoints();
        let eu = endpoints
            .choose(Some("https://prom.example.com/tenant/a?org=1"))
            .unwrap();
        assert_eq!(
            eu.query_url("sum(x{a=\"b\"})", "1.5").as_str(),
            "https://prom.example.com/tenant/a/api/v1/query?org=1&query=sum%28x%7Ba%3D%22b%22%7D%29&time=1.5"
        );
        let default = endpoints.choose(None).unwrap();
        assert_eq!(
            default.query_url("up", "2").as_str(),
            "http://127.0.0.1:9090/api/v1/query?query=up&time=2"
        );
        assert!(!format!("{default:?}").contains("t0ken"));
    }

    #[test]
    fn settings_that_make_no_endpoint_are_named() {
        let none = PrometheusCredentials::default();
        assert!(
            endpoint("x".into(), "http://u:p@h:9090", &none)
                .unwrap_err()
                .contains("credentials")
        );
        assert!(endpoint("x".into(), "ftp://h", &none).is_err());
        assert!(endpoint("x".into(), "http://h/#", &none).is_err());
        let both = PrometheusCredentials {
            bearer_token: Some(Secret::from("t".to_owned())),
            username: Some("u".to_owned()),
            password: None,
        };
        assert!(endpoint("x".into(), "http://h", &both).is_err());
    }
}
