"""Structural schemas of the custom resources the manifests use (hand-written, not fetched).

No registry package ships the CloudNativePG, Barman Cloud plugin or Prometheus Operator CRDs,
so these schemas check what our manifests write: every field we set exists in the CRD of
CloudNativePG 1.30 / plugin-barman-cloud 0.x / prometheus-operator v1 with that type or enum,
required fields are there, and a misspelt field is refused (additionalProperties: false).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def obj(properties: dict[str, Schema], *, required: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STRING}
STRING_MAP: Schema = {"type": "object", "additionalProperties": STRING}
QUANTITY: Schema = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
RESOURCES = obj({"requests": {"type": "object"}, "limits": {"type": "object"}})
LOCAL_REF = obj({"name": STRING}, required=("name",))
SECRET_KEY = obj({"name": STRING, "key": STRING}, required=("name", "key"))
STORAGE = obj({"size": STRING, "storageClass": STRING})
METADATA = obj(
    {
        "name": STRING,
        "namespace": STRING,
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
    },
    required=("name",),
)
PLUGIN = obj(
    {"name": STRING, "enabled": BOOLEAN, "isWALArchiver": BOOLEAN, "parameters": STRING_MAP},
    required=("name",),
)
BACKUP_TARGET: Schema = {"enum": ["primary", "prefer-standby"]}


def resource(api_version: str, kind: str, spec: Schema) -> Schema:
    return obj(
        {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": METADATA,
            "spec": spec,
        },
        required=("apiVersion", "kind", "metadata", "spec"),
    )


CLUSTER = resource(
    "postgresql.cnpg.io/v1",
    "Cluster",
    obj(
        {
            "instances": {"type": "integer", "minimum": 1},
            "imageName": STRING,
            "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
            "bootstrap": obj(
                {"initdb": obj({"database": STRING, "owner": STRING, "secret": LOCAL_REF})}
            ),
            "postgresql": obj({"parameters": STRING_MAP}),
            "storage": STORAGE,
            "walStorage": STORAGE,
            "affinity": obj(
                {
                    "enablePodAntiAffinity": BOOLEAN,
                    "topologyKey": STRING,
                    "podAntiAffinityType": {"enum": ["preferred", "required"]},
                }
            ),
            "resources": RESOURCES,
            "plugins": {"type": "array", "items": PLUGIN},
            "backup": obj({"target": BACKUP_TARGET, "retentionPolicy": STRING}),
        },
        required=("instances",),
    ),
)

SCHEDULED_BACKUP = resource(
    "postgresql.cnpg.io/v1",
    "ScheduledBackup",
    obj(
        {
            "schedule": {"type": "string", "pattern": r"^\S+( \S+){5}$"},  # with seconds
            "immediate": BOOLEAN,
            "suspend": BOOLEAN,
            "backupOwnerReference": {"enum": ["none", "self", "cluster"]},
            "cluster": LOCAL_REF,
            "method": {"enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
            "pluginConfiguration": obj(
                {"name": STRING, "parameters": STRING_MAP}, required=("name",)
            ),
            "target": BACKUP_TARGET,
        },
        required=("cluster", "schedule"),
    ),
)

OBJECT_STORE = resource(
    "barmancloud.cnpg.io/v1",
    "ObjectStore",
    obj(
        {
            "retentionPolicy": {"type": "string", "pattern": r"^[1-9][0-9]*[dwm]$"},
            "configuration": obj(
                {
                    "destinationPath": {"type": "string", "pattern": "^(s3|gs|https?)://"},
                    "endpointURL": STRING,
                    "s3Credentials": obj(
                        {"accessKeyId": SECRET_KEY, "secretAccessKey": SECRET_KEY}
                    ),
                    "wal": obj({"compression": {"enum": ["bzip2", "gzip", "lz4", "snappy"]}}),
                    "data": obj({"compression": {"enum": ["bzip2", "gzip", "lz4", "snappy"]}}),
                },
                required=("destinationPath",),
            ),
        },
        required=("configuration",),
    ),
)

SERVICE_MONITOR = resource(
    "monitoring.coreos.com/v1",
    "ServiceMonitor",
    obj(
        {
            "selector": obj({"matchLabels": STRING_MAP}),
            "namespaceSelector": obj({"matchNames": STRINGS, "any": BOOLEAN}),
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": obj(
                    {
                        "port": STRING,
                        "path": STRING,
                        "interval": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                        "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                    }
                ),
            },
        },
        required=("selector", "endpoints"),
    ),
)

BY_KIND: dict[tuple[str, str], Schema] = {
    ("postgresql.cnpg.io/v1", "Cluster"): CLUSTER,
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): SCHEDULED_BACKUP,
    ("barmancloud.cnpg.io/v1", "ObjectStore"): OBJECT_STORE,
    ("monitoring.coreos.com/v1", "ServiceMonitor"): SERVICE_MONITOR,
}
