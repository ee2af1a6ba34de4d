//! Deployment files stay true: every YAML file under `deploy/` and `dashboards/` parses,
//! the Kubernetes manifests and the compose file name only settings that exist (environment
//! variables `VIGIL_<KEY>` / `DATABASE_URL`, and the ConfigMap's TOML loads as settings with
//! unknown keys refused), the Deployment runs two replicas with /healthz and /readyz probes,
//! and the systemd unit starts a real subcommand. The images are not built here (no
//! container engine in CI); these checks are what can be proven without one.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_norway::Value;
use vigil::config::Settings;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

/// Every document of a (possibly multi-document) YAML file.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

fn manifests() -> Vec<Value> {
    let mut files = vec![];
    yaml_files(&root().join("deploy/k8s"), &mut files);
    files.sort();
    files.iter().flat_map(|f| documents(f)).collect()
}

fn setting_keys() -> Vec<String> {
    let table = toml::Table::try_from(Settings::default()).unwrap();
    table.keys().cloned().collect()
}

/// Fails naming the variable when it is not a Vigil setting.
fn assert_known_env(name: &str, keys: &[String], whence: &str) {
    if name == "DATABASE_URL" || name == "VIGIL_CONFIG" {
        return;
    }
    let key = name
        .strip_prefix("VIGIL_")
        .unwrap_or_else(|| panic!("{whence}: {name} is not a Vigil variable"))
        .to_ascii_lowercase();
    assert!(keys.contains(&key), "{whence}: {name} names no setting");
}

#[test]
fn every_yaml_file_parses() {
    let mut files = vec![];
    yaml_files(&root().join("deploy"), &mut files);
    yaml_files(&root().join("dashboards"), &mut files);
    assert!(files.len() >= 10, "{files:?}");
    for f in files {
        assert!(!documents(&f).is_empty(), "{}", f.display());
    }
}

#[test]
fn kubernetes_manifests_use_only_existing_settings() {
    let keys = setting_keys();
    let docs = manifests();
    let kind = |k: &str| {
        docs.iter()
            .filter(|d| d["kind"].as_str() == Some(k))
            .collect::<Vec<_>>()
    };
    let config = kind("ConfigMap")[0]["data"]["vigil.toml"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.toml");
    std::fs::write(&path, config).unwrap();
    Settings::load_from(Some(&path), &[]).expect("the ConfigMap's vigil.toml loads");
    let secret = kind("Secret")[0]["stringData"]
        .as_mapping()
        .unwrap()
        .clone();
    for (k, _) in &secret {
        assert_known_env(k.as_str().unwrap(), &keys, "Secret");
    }
    for pod_owner in [kind("Deployment")[0], kind("Job")[0]] {
        let spec = &pod_owner["spec"]["template"]["spec"];
        for c in spec["containers"].as_sequence().unwrap() {
            for e in c["env"].as_sequence().into_iter().flatten() {
                assert_known_env(e["name"].as_str().unwrap(), &keys, "env");
            }
            let args: Vec<&str> = c["args"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert!(
                args.ends_with(&["serve"]) || args.ends_with(&["migrate"]),
                "{args:?}"
            );
        }
    }
    let deploy = kind("Deployment")[0];
    assert_eq!(deploy["spec"]["replicas"].as_u64(), Some(2));
    let c = &deploy["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["livenessProbe"]["httpGet"]["path"].as_str(),
        Some("/healthz")
    );
    assert_eq!(
        c["readinessProbe"]["httpGet"]["path"].as_str(),
        Some("/readyz")
    );
    assert_eq!(kind("PodDisruptionBudget").len(), 1);
    assert_eq!(kind("Service").len(), 1);
}

#[test]
fn compose_stack_has_every_service_and_only_existing_settings() {
    let keys = setting_keys();
    let doc = &documents(&root().join("deploy/compose.yaml"))[0];
    let services = doc["services"].as_mapping().unwrap();
    for s in [
        "postgres",
        "migrate",
        "vigil-1",
        "vigil-2",
        "minio",
        "mailpit",
        "prometheus",
        "grafana",
    ] {
        assert!(services.contains_key(s), "service {s}");
    }
    let env = doc["x-vigil"]["environment"].as_mapping().unwrap();
    for (k, _) in env {
        assert_known_env(k.as_str().unwrap(), &keys, "compose");
    }
    // Every file the stack mounts exists in the repository.
    for (_, svc) in services {
        for v in svc["volumes"].as_sequence().into_iter().flatten() {
            let src = v.as_str().unwrap().split(':').next().unwrap();
            if src.starts_with('.') {
                assert!(root().join("deploy").join(src).exists(), "{src}");
            }
        }
    }
}

#[test]
fn systemd_unit_starts_serve_with_a_config_file() {
    let unit = std::fs::read_to_string(root().join("deploy/systemd/vigil.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    assert_eq!(
        exec,
        "/usr/local/bin/vigil --config /etc/vigil/vigil.toml serve"
    );
    assert!(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"));
}
