//! `deploy/` is checked by the tools that will read it: promtool for the alert rules and their
//! unit tests, kubernetes-validate (+ KEDA's schema) for the manifests, systemd-analyze for the
//! units, and the YAML parser for the compose file. `make tools` installs the first three; a
//! missing tool fails the test (except systemd-analyze, absent on some hosts: skipped, said so).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use serde_norway::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn run(cmd: &mut Command) -> (bool, String) {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("{shown}: {e} (run `make tools` to install it)"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Alert name → its rule.
fn alerts() -> Vec<Value> {
    let doc = yaml("deploy/prometheus/alerts.yml");
    let groups = doc["groups"].as_sequence().unwrap();
    let rules: Vec<Value> = groups.iter().flat_map(|g| g["rules"].as_sequence().unwrap().iter().cloned()).collect();
    assert!(rules.len() >= 9, "the seed's four alerts and the five more of issue 10");
    rules
}

#[test]
fn promtool_checks_the_rules_and_the_scrape_config_and_runs_the_rule_unit_tests() {
    let dir = root().join("deploy/prometheus");
    let (ok, out) = run(Command::new("promtool").arg("check").arg("rules").arg("alerts.yml").current_dir(&dir));
    assert!(ok, "promtool check rules:\n{out}");
    let (ok, out) = run(Command::new("promtool").arg("check").arg("config").arg("prometheus.yml").current_dir(&dir));
    assert!(ok, "promtool check config:\n{out}");
    let (ok, out) = run(Command::new("promtool").arg("test").arg("rules").arg("alerts_test.yml").current_dir(&dir));
    assert!(ok && out.contains("SUCCESS"), "promtool test rules:\n{out}");
}

/// promtool only runs what the unit tests ask; this makes sure they ask, for every alert, that
/// it fires at some time and is quiet again at a later time of the same test.
#[test]
fn every_alert_has_a_unit_test_that_fires_it_and_one_that_clears_it() {
    let tests = yaml("deploy/prometheus/alerts_test.yml");
    let minutes = |v: &Value| -> u64 {
        let s = v.as_str().unwrap();
        let (n, unit) = s.split_at(s.len() - 1);
        let n: u64 = n.parse().unwrap();
        match unit {
            "m" => n,
            "h" => n * 60,
            other => panic!("eval_time unit {other}"),
        }
    };
    for rule in alerts() {
        let name = rule["alert"].as_str().unwrap();
        let cleared_after_firing = tests["tests"].as_sequence().unwrap().iter().any(|t| {
            let evals: Vec<(u64, bool)> = t["alert_rule_test"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter(|e| e["alertname"].as_str() == Some(name))
                .map(|e| (minutes(&e["eval_time"]), !e["exp_alerts"].as_sequence().unwrap().is_empty()))
                .collect();
            evals.iter().any(|(fired_at, fired)| *fired && evals.iter().any(|(at, f)| !f && at > fired_at))
        });
        assert!(cleared_after_firing, "{name}: no unit test where it fires and later clears");
    }
}

/// GitHub's anchor for a Markdown heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_alert_links_a_runbook_section_that_exists_in_operations_md() {
    let doc = std::fs::read_to_string(root().join("docs/operations.md")).unwrap();
    let anchors: BTreeSet<String> =
        doc.lines().filter_map(|l| l.strip_prefix('#')).map(|h| slug(h.trim_start_matches('#'))).collect();
    for rule in alerts() {
        let name = rule["alert"].as_str().unwrap();
        let url = rule["annotations"]["runbook_url"].as_str().unwrap_or_else(|| panic!("{name}: no runbook_url"));
        let (page, anchor) = url.split_once('#').unwrap_or_else(|| panic!("{name}: {url} has no anchor"));
        assert!(page.ends_with("docs/operations.md"), "{name}: {url}");
        assert!(anchors.contains(anchor), "{name}: docs/operations.md has no section #{anchor}");
        assert!(rule["labels"]["severity"].is_string(), "{name}: no severity");
        assert!(rule["annotations"]["summary"].is_string(), "{name}: no summary");
    }
}

#[test]
fn kubernetes_manifests_validate_against_the_kubernetes_and_keda_schemas() {
    let dir = root().join("deploy/k8s");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml") && !p.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    let (ok, out) = run(Command::new("python3").args(["-m", "kubernetes_validate", "--strict"]).args(&files));
    assert!(ok && !out.contains("ERROR"), "kubernetes-validate:\n{out}");
    // Built-in kinds must really have been checked, not skipped for a missing schema; only the
    // KEDA CRD has no schema there, and it is validated by KEDA's own schema below.
    for line in out.lines().filter(|l| l.contains("Couldn't find schema")) {
        assert!(line.contains("keda.sh/"), "unvalidated: {line}");
    }
    for kind in
        ["deployment", "service", "horizontalpodautoscaler", "poddisruptionbudget", "job", "configmap", "secret"]
    {
        assert!(out.contains(&format!("passed for resource {kind}/")), "no {kind} validated:\n{out}");
    }
    let tools = root().join("deploy/tools");
    let (ok, out) = run(Command::new("node").arg(tools.join("validate-keda.mjs")).args(&files).current_dir(&tools));
    assert!(
        ok && out.contains("ScaledObject/shipping-worker valid")
            && out.contains("TriggerAuthentication/shipping-redis valid"),
        "KEDA schema:\n{out}"
    );

    // The KEDA triggers watch the lists apalis-redis really uses for our queues: the queue
    // names come from the worker's default Redis prefix, the key layout from apalis-redis.
    let text = std::fs::read_to_string(root().join("deploy/k8s/worker-scaledobject.yaml")).unwrap();
    let scaled = serde_norway::Deserializer::from_str(&text)
        .map(|doc| <Value as serde::Deserialize>::deserialize(doc).unwrap())
        .find(|doc| doc["kind"].as_str() == Some("ScaledObject"))
        .unwrap();
    let lists: BTreeSet<&str> = scaled["spec"]["triggers"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["metadata"]["listName"].as_str().unwrap())
        .collect();
    let backend: shipping_worker::queue::QueueBackend =
        serde_json::from_str(r#"{"kind": "redis", "url": "redis://redis:6379"}"#).unwrap();
    let shipping_worker::queue::QueueBackend::Redis { namespace_prefix, .. } = backend else { unreachable!() };
    for p in shipping_worker::queue::PRIORITIES {
        let queue = format!("{namespace_prefix}{}", shipping_worker::queue::priority_name(p));
        let list = shipping_worker::queue::redis_ready_list(&queue);
        assert!(lists.contains(list.as_str()), "no KEDA trigger on {list}: {lists:?}");
    }
}

#[test]
fn systemd_units_pass_systemd_analyze_verify() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        println!("SKIPPED: systemd-analyze is not installed on this host; the units were not verified");
        return;
    }
    // verify insists that ExecStart binaries exist: point them at stand-ins, verify the rest.
    let tmp = std::env::temp_dir().join(format!("shipping-systemd-{}", std::process::id()));
    let bin = tmp.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for b in ["shipping-api", "shipping-worker"] {
        let path = bin.join(b);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).unwrap();
    }
    let mut units = Vec::new();
    for entry in std::fs::read_dir(root().join("deploy/systemd")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".service") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap().replace("/usr/local/bin/", &format!("{}/", bin.display()));
        // A template is verified through an instance.
        let name = name.replace("@.service", "@1.service");
        std::fs::write(tmp.join(&name), text).unwrap();
        units.push(format!("./{name}"));
    }
    assert!(units.len() >= 3, "api, worker template and migrate units: {units:?}");
    let (ok, out) = run(Command::new("systemd-analyze").arg("verify").args(&units).current_dir(&tmp));
    let _ = std::fs::remove_dir_all(&tmp);
    // Unknown keys and similar are warnings with exit code 0: any output is a failure.
    assert!(ok && out.trim().is_empty(), "systemd-analyze verify {units:?}:\n{out}");
}

#[test]
fn the_compose_file_describes_the_whole_stack() {
    let compose_ok = Command::new("docker").args(["compose", "version"]).output().is_ok_and(|o| o.status.success());
    if compose_ok {
        let (ok, out) = run(Command::new("docker")
            .args(["compose", "-f", "deploy/compose.yml", "config", "-q"])
            .current_dir(root()));
        assert!(ok, "docker compose config:\n{out}");
    } else {
        println!("docker compose is not installed: the compose file is checked by parsing it");
    }
    let doc = yaml("deploy/compose.yml");
    let services = doc["services"].as_mapping().unwrap();
    for name in ["postgres", "redis", "migrate", "api", "worker", "prometheus", "grafana"] {
        let s = &services[name];
        assert!(s["image"].is_string(), "{name}: no image");
        if name != "migrate" {
            assert!(s["healthcheck"]["test"].is_sequence(), "{name}: no healthcheck");
            assert!(s["restart"].as_str() == Some("unless-stopped"), "{name}: not restarted");
        }
    }
    assert_eq!(services["migrate"]["command"][1].as_str(), Some("migrate"));
    for dependent in ["api", "worker"] {
        assert_eq!(
            services[dependent]["depends_on"]["migrate"]["condition"].as_str(),
            Some("service_completed_successfully"),
            "{dependent} starts after the migration"
        );
    }
    assert!(services["worker"]["deploy"]["replicas"].is_string() || services["worker"]["deploy"]["replicas"].is_u64());
    // Every file the stack mounts exists in the repository.
    for name in ["prometheus", "grafana"] {
        for v in services[name]["volumes"].as_sequence().unwrap() {
            let source = v.as_str().unwrap().split(':').next().unwrap();
            if let Some(rel) = source.strip_prefix("./") {
                assert!(root().join("deploy").join(rel).exists(), "{name} mounts a missing {source}");
            }
        }
    }
    let dash: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("deploy/grafana/shipping.json")).unwrap()).unwrap();
    assert_eq!(dash["uid"], "shipping");
    let ds = yaml("deploy/grafana/provisioning/datasources/prometheus.yml");
    assert_eq!(ds["datasources"][0]["uid"].as_str(), Some("prometheus"), "the dashboard's datasource uid");
}
