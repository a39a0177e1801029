//! The workspace's members and their declared dependencies, read from `cargo metadata`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// One workspace member.
#[derive(Debug, Default)]
pub(crate) struct Member {
    /// The package name.
    pub(crate) name: String,
    /// The folder holding its `Cargo.toml`.
    pub(crate) dir: PathBuf,
    /// Whether it declares any `[features]`.
    pub(crate) has_features: bool,
    /// Its dependencies of every kind (normal, dev, build).
    pub(crate) dependencies: Vec<Dependency>,
    /// Dependencies its manifest says are used without being named in code, each with the reason
    /// (`[package.metadata.tidy.unnamed-dependencies]`).
    pub(crate) unnamed_ok: Vec<(String, String)>,
}

/// One declared dependency.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dependency {
    /// The package name as declared (`sea-orm`).
    pub(crate) package: String,
    /// The name code uses for it (`sea_orm`, or its rename).
    pub(crate) crate_name: String,
    /// `normal`, `dev` or `build`.
    pub(crate) kind: String,
}

/// Every member of the workspace at `root`.
pub(crate) fn members(root: &Path) -> Result<Vec<Member>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("cargo metadata printed no JSON")?;
    parse_members(&metadata)
}

fn parse_members(metadata: &Value) -> Result<Vec<Member>> {
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata has no packages")?;
    packages.iter().map(parse_member).collect()
}

fn parse_member(package: &Value) -> Result<Member> {
    let name = package["name"]
        .as_str()
        .context("a package without a name")?
        .to_owned();
    let manifest = package["manifest_path"]
        .as_str()
        .with_context(|| format!("{name} has no manifest path"))?;
    let dir = Path::new(manifest)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let has_features = package["features"]
        .as_object()
        .is_some_and(|features| !features.is_empty());
    let dependencies = package["dependencies"]
        .as_array()
        .map(|deps| deps.iter().filter_map(parse_dependency).collect())
        .unwrap_or_default();
    let unnamed_ok = package["metadata"]["tidy"]["unnamed-dependencies"]
        .as_object()
        .map(|allowed| {
            allowed
                .iter()
                .map(|(dep, why)| (dep.clone(), why.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Member {
        name,
        dir,
        has_features,
        dependencies,
        unnamed_ok,
    })
}

fn parse_dependency(dep: &Value) -> Option<Dependency> {
    let package = dep["name"].as_str()?.to_owned();
    let crate_name = dep["rename"].as_str().unwrap_or(&package).replace('-', "_");
    let kind = dep["kind"].as_str().unwrap_or("normal").to_owned();
    Some(Dependency {
        package,
        crate_name,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Dependency, parse_members};

    #[test]
    fn reads_members_dependencies_and_allowances() {
        let metadata = json!({"packages": [{
            "name": "wa-app",
            "manifest_path": "/w/crates/wa-app/Cargo.toml",
            "features": {"loadtest": []},
            "dependencies": [
                {"name": "sea-orm", "rename": null, "kind": null},
                {"name": "mockall", "rename": null, "kind": "dev"},
                {"name": "wa-vault", "rename": "vault", "kind": null}
            ],
            "metadata": {"tidy": {"unnamed-dependencies": {"foo": "enables a feature"}}}
        }]});
        let members = parse_members(&metadata).expect("parsed");
        let app = &members[0];
        assert_eq!(app.name, "wa-app");
        assert!(app.has_features);
        assert_eq!(app.dir, std::path::Path::new("/w/crates/wa-app"));
        assert_eq!(
            app.dependencies[0],
            Dependency {
                package: "sea-orm".into(),
                crate_name: "sea_orm".into(),
                kind: "normal".into()
            }
        );
        assert_eq!(app.dependencies[1].kind, "dev");
        assert_eq!(app.dependencies[2].crate_name, "vault");
        assert_eq!(
            app.unnamed_ok,
            [("foo".to_owned(), "enables a feature".to_owned())]
        );
    }
}
