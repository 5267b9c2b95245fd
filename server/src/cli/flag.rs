//! `rollgate flag …`: list flags, show one, and set a flag's rollout percentage outside
//! of any release.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{CliError, ClientOptions, print_json, segment, show};

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
                print!("{}", show::flag_table(&answer.body));
            }
        }
        FlagCommand::Show { key } => {
            let answer = client
                .get(&format!("/api/v1/flags/{}", segment(&key)))
                .await?;
            if json {
                print_json(&answer.body);
            } else {
                print!("{}", describe(&answer.body));
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
        let mut config = flag["environments"][environment].clone();
        if !config.is_object() {
            return Err(CliError::Usage(format!(
                "flag {} has no configuration in {environment}",
                flag["key"].as_str().unwrap_or_default()
            )));
        }
        config["enabled"] = json!(enabled);
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
    change: impl FnOnce(&Value, &str) -> Result<Value, CliError>,
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
    let config = change(&current.body, &environment)?;
    let mut write = format!("{path}/environments/{}", segment(&environment));
    if let Some(reason) = reason {
        write.push_str(&format!("?reason={}", segment(&reason)));
    }
    let answer = client.put(&write, &config, &etag).await?;
    if json {
        print_json(&answer.body);
    } else {
        println!(
            "{key} in {environment}: {}",
            show::serving(&answer.body["environments"][&environment])
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

/// The environment's configuration with its default serve set to the rollout.
pub(super) fn rollout(
    flag: &Value,
    environment: &str,
    variant: Option<&str>,
    weight: u32,
) -> Result<Value, CliError> {
    let mut config = flag["environments"][environment].clone();
    if !config.is_object() {
        return Err(CliError::Usage(format!(
            "flag {} has no configuration in {environment}",
            flag["key"].as_str().unwrap_or_default()
        )));
    }
    let control = config["off_variant"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let variant = match variant {
        Some(v) => v.to_owned(),
        None => flag["variants"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .find(|name| *name != control)
            .ok_or_else(|| {
                CliError::Usage("the flag has no variant besides its control".to_owned())
            })?,
    };
    config["default"] = match weight {
        10_000 => json!({ "variant": variant }),
        0 => json!({ "variant": control }),
        w => json!({ "rollout": [
            { "variant": variant, "weight": w },
            { "variant": control, "weight": 10_000 - w }
        ] }),
    };
    Ok(config)
}

pub(super) fn describe(flag: &Value) -> String {
    let mut out = format!(
        "{} (version {})\n",
        flag["key"].as_str().unwrap_or_default(),
        flag["version"]
    );
    if let Some(description) = flag["description"].as_str().filter(|d| !d.is_empty()) {
        out.push_str(&format!("{description}\n"));
    }
    let variants: Vec<String> = flag["variants"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    out.push_str(&format!("variants: {}\n", variants.join(", ")));
    for (name, config) in flag["environments"].as_object().into_iter().flatten() {
        out.push_str(&format!("{name}: {}\n", show::serving(config)));
    }
    out
}
