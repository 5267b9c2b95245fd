//! `rollgate template …`: a team's release process written once — create a template
//! from a JSON file, list them, show one (docs/release-plan.md, "Templates"). Releases
//! are created from one with `rollgate release create plan.json --template NAME`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rollgate_core::release::Template;

use super::{CliError, ClientOptions, print_json, segment};
use crate::service::WithVersion;

/// Write a team's release process once; create releases from it.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    #[command(flatten)]
    options: ClientOptions,
    #[command(subcommand)]
    command: TemplateCommand,
}

/// The template commands.
#[derive(Debug, Subcommand)]
enum TemplateCommand {
    /// Create a template from a JSON file (or `-` for standard input).
    Create {
        /// The template (its fields: docs/release-plan.md, "Templates").
        file: PathBuf,
    },
    /// List templates.
    List,
    /// Show a template.
    Show {
        /// Its name.
        name: String,
    },
}

/// Runs a `template` command to completion.
pub fn template(args: TemplateArgs) -> Result<(), CliError> {
    super::block_on(run(args))
}

async fn run(args: TemplateArgs) -> Result<(), CliError> {
    let client = args.options.client()?;
    let answer = match args.command {
        TemplateCommand::Create { file } => {
            let body = super::release::read_plan(&file)?;
            client.post("/api/v1/templates", &body).await?
        }
        TemplateCommand::List => client.get("/api/v1/templates").await?,
        TemplateCommand::Show { name } => {
            client
                .get(&format!("/api/v1/templates/{}", segment(&name)))
                .await?
        }
    };
    if args.options.json {
        print_json(&answer.body);
        return Ok(());
    }
    let templates: Vec<WithVersion<Template>> = if answer.body.is_array() {
        answer.read()?
    } else {
        vec![answer.read()?]
    };
    for template in templates {
        print!("{}", summary(&template.doc));
    }
    Ok(())
}

/// One template for people: its name, what it is for, and what it sets.
fn summary(template: &Template) -> String {
    let mut out = template.name.clone();
    if !template.description.is_empty() {
        out.push_str(&format!(" — {}", template.description));
    }
    out.push('\n');
    let stages: Vec<String> = template
        .stages
        .iter()
        .map(|s| format!("{} {}", s.audience, s.percent))
        .collect();
    if !stages.is_empty() {
        out.push_str(&format!("  stages: {}\n", stages.join(" → ")));
    }
    for task in &template.tasks {
        out.push_str(&format!(
            "  task [{}] {} ({})\n",
            task.area, task.title, task.owner
        ));
    }
    for kpi in &template.kpis {
        out.push_str(&format!("  kpi {}\n", kpi.name));
    }
    if let Some(watch) = &template.watch {
        out.push_str(&format!(
            "  watch {} after release, on regression: {}\n",
            watch.duration,
            watch.on_regression.as_str()
        ));
    }
    out
}
