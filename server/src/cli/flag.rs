//! `rollgate flag …`: list flags, show one, and set a flag's rollout percentage outside
//! of any release.

use clap::{Args, Subcommand};
use rollgate_core::model::{Flag, FlagConfig, Serve, WeightedVariant};
use serde_json::Value;

use super::{CliError, ClientOptions, print_json, segment, show};
use crate::service::WithVersion;

/// Look at flags and set their rollout percentage.
#[derive(Debug, Args)]
pub struct FlagArgs {
    #[command(flatten)]
    options: ClientOptions,
    #[command(subcommand)]
    command: FlagCommand,
}

/// The flag commands.
#[derive(Debug, Subcommand)]
pub(crate) enum FlagCommand {
    /// List flags with what each serves per environment.
    List,
    /// Show one flag.
    Show {
        /// The flag's key.
        key: String,
    },
    /// Serve `variant` to PERCENT of users in an environment (the flag's control variant
    /// to the rest), as the flag's default. Refused while a release drives the flag:
    /// the server names the release and its actions (`rollgate release set-percent`).
    SetPercent {
        /// The flag's key.
        key: String,
        /// The percentage, 0 to 100, at most two decimals.
        percent: f64,
        /// The environment.
        #[arg(long)]
        environment: String,
        /// The variant rolled out; default: the first variant that is not the control.
        #[arg(long)]
        variant: Option<String>,
    },
    /// Switch a flag off in an environment (everyone gets its control variant): the kill
    /// switch, allowed even while a release drives the flag, which it then pauses.
    Disable(Switch),
    /// Switch a flag on again in an environment (a paused release stays paused until a
    /// release manager resumes it).
    Enable(Switch),
}

/// Which flag to switch, where, and why.
#[derive(Debug, Args)]
pub(crate) struct Switch {
    /// The flag's key.
    key: String,
    /// The environment.
    #[arg(long)]
    environment: String,
    /// Why, for the timeline of a release that drives the flag.
    #[arg(long)]
    reason: Option<String>,
}

pub(super) async fn run(args: FlagArgs) -> Result<(), CliError> {
    let client = args.options.client()?;
    let json = args.options.json;
    match args.command {
        FlagCommand::List => {
            let answer = client.get("/api/v1/flags").await?;
            if json {
                print_json(&answer.body);
            } else {
                print!("{}", show::flag_table(&answer.read::<Vec<_>>()?));
            }
        }
        FlagCommand::Show { key } => {
            let answer = client
                .get(&format!("/api/v1/flags/{}", segment(&key)))
                .await?;
            if json {
                print_json(&answer.body);
            } else {
                print!("{}", describe(&answer.read()?));
            }
        }
        FlagCommand::SetPercent {
            key,
            percent,
            environment,
            variant,
        } => {
            let weight = weight(percent)?;
            let target = Target {
                key,
                environment,
                reason: None,
            };
            configure(&client, json, target, |flag, environment| {
                rollout(flag, environment, variant.as_deref(), weight)
            })
            .await?;
        }
        FlagCommand::Disable(switch) => flip(&client, json, switch, false).await?,
        FlagCommand::Enable(switch) => flip(&client, json, switch, true).await?,
    }
    Ok(())
}

/// Which flag's configuration to write, where, and why.
struct Target {
    key: String,
    environment: String,
    reason: Option<String>,
}

/// Writes `enabled` into the flag's configuration in the switch's environment, as it is
/// otherwise, with the reason for a release's timeline.
async fn flip(
    client: &super::client::Client,
    json: bool,
    switch: Switch,
    enabled: bool,
) -> Result<(), CliError> {
    let target = Target {
        key: switch.key,
        environment: switch.environment,
        reason: switch.reason,
    };
    configure(client, json, target, |flag, environment| {
        let mut config = configured(flag, environment)?;
        config.enabled = enabled;
        Ok(config)
    })
    .await
}

/// Reads the flag, writes the configuration `change` makes of it in the target's
/// environment (guarded by the version read), and says what it serves now.
async fn configure(
    client: &super::client::Client,
    json: bool,
    target: Target,
    change: impl FnOnce(&Flag, &str) -> Result<FlagConfig, CliError>,
) -> Result<(), CliError> {
    let Target {
        key,
        environment,
        reason,
    } = target;
    let path = format!("/api/v1/flags/{}", segment(&key));
    let current = client.get(&path).await?;
    let etag = current
        .etag
        .clone()
        .ok_or_else(|| CliError::Usage("the server sent no ETag for the flag".to_owned()))?;
    let flag: WithVersion<Flag> = current.read()?;
    let config = change(&flag.doc, &environment)?;
    let mut write = format!("{path}/environments/{}", segment(&environment));
    if let Some(reason) = reason {
        write.push_str(&format!("?reason={}", segment(&reason)));
    }
    let answer = client.put(&write, &config, &etag).await?;
    if json {
        print_json(&answer.body);
    } else {
        let flag: WithVersion<Flag> = answer.read()?;
        let config = flag.doc.environments.get(&environment);
        println!(
            "{key} in {environment}: {}",
            show::serving(config.map(|c| &**c))
        );
    }
    Ok(())
}

fn weight(percent: f64) -> Result<u32, CliError> {
    let points = (percent * 100.0).round();
    if !(0.0..=100.0).contains(&percent) || (percent * 100.0 - points).abs() > 1e-6 {
        return Err(CliError::Usage(format!(
            "{percent} is not a percentage from 0 to 100 with at most two decimals"
        )));
    }
    Ok(points as u32)
}

/// The flag's configuration in `environment`, to change and write back.
fn configured(flag: &Flag, environment: &str) -> Result<FlagConfig, CliError> {
    match flag.environments.get(environment) {
        Some(config) => Ok(FlagConfig::clone(config)),
        None => Err(CliError::Usage(format!(
            "flag {} has no configuration in {environment}",
            flag.key
        ))),
    }
}

/// The environment's configuration with its default serve set to the rollout of
/// `variant` (by default the first variant by name that is not the control).
pub(super) fn rollout(
    flag: &Flag,
    environment: &str,
    variant: Option<&str>,
    weight: u32,
) -> Result<FlagConfig, CliError> {
    let mut config = configured(flag, environment)?;
    let control = config.off_variant.clone();
    let variant = match variant {
        Some(v) => v.to_owned(),
        None => flag
            .variants
            .keys()
            .filter(|name| **name != control)
            .min()
            .cloned()
            .ok_or_else(|| {
                CliError::Usage("the flag has no variant besides its control".to_owned())
            })?,
    };
    let arm = |variant: String, weight: u32| WeightedVariant { variant, weight };
    config.default = match weight {
        10_000 => Serve::variant(variant),
        0 => Serve::variant(control),
        w => Serve {
            rollout: Some(vec![arm(variant, w), arm(control, 10_000 - w)]),
            ..Serve::default()
        },
    };
    Ok(config)
}

/// A flag for people: its key and version, description, variants by name, and what it
/// serves in each environment.
pub(super) fn describe(flag: &WithVersion<Flag>) -> String {
    let WithVersion { doc: flag, version } = flag;
    let mut out = format!("{} (version {version})\n", flag.key);
    if !flag.description.is_empty() {
        out.push_str(&format!("{}\n", flag.description));
    }
    let mut variants: Vec<(&String, &Value)> = flag.variants.iter().collect();
    variants.sort_by_key(|(name, _)| *name);
    let variants: Vec<String> = variants
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    out.push_str(&format!("variants: {}\n", variants.join(", ")));
    for (name, config) in &flag.environments {
        out.push_str(&format!("{name}: {}\n", show::serving(Some(config))));
    }
    out
}
