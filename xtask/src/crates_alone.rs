//! `cargo xtask check-crates`: every workspace member compiles on its own.
//!
//! A workspace build unifies features across members, so a crate that forgot to ask for a
//! feature it uses (a tokio feature, a `serde` derive) still compiles there, and fails for a user
//! who depends on it alone. This runs `cargo check -p <member>` for each member with its default
//! features, and again with `--no-default-features` where the member declares features.

use std::{path::Path, process::Command, time::Instant};

use anyhow::{Context, Result, bail};

use crate::workspace::{Member, members};

pub(crate) fn run(root: &Path) -> Result<()> {
    let members = members(root)?;
    let mut failed = Vec::new();
    for member in &members {
        for args in checks(member) {
            let shown = format!("cargo {}", args.join(" "));
            println!("check-crates: {shown}");
            let started = Instant::now();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .current_dir(root)
                .args(&args)
                .status()
                .with_context(|| format!("running {shown}"))?;
            if status.success() {
                println!(
                    "check-crates: {shown}: ok ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            } else {
                failed.push(shown);
            }
        }
    }
    if !failed.is_empty() {
        bail!("these members do not compile on their own: {failed:?}");
    }
    println!(
        "check-crates: all {} members compile on their own",
        members.len()
    );
    Ok(())
}

/// The `cargo` argument lists that check one member.
fn checks(member: &Member) -> Vec<Vec<String>> {
    let base = vec![
        "check".to_owned(),
        "--locked".to_owned(),
        "-p".to_owned(),
        member.name.clone(),
    ];
    let mut runs = vec![base.clone()];
    if member.has_features {
        let mut bare = base;
        bare.push("--no-default-features".to_owned());
        runs.push(bare);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::checks;
    use crate::workspace::Member;

    #[test]
    fn a_member_with_features_is_also_checked_without_its_defaults() {
        let member = Member {
            name: "wa-graph".into(),
            has_features: true,
            ..Member::default()
        };
        let runs = checks(&member);
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[1].last().map(String::as_str),
            Some("--no-default-features")
        );
        let plain = Member {
            name: "wa-domain".into(),
            ..Member::default()
        };
        assert_eq!(checks(&plain).len(), 1);
    }
}
