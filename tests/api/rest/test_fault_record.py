"""The SLA clock and the fault record over HTTP: creation, PATCH rules, history, scope."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.rest.test_replacements import replacement, reserve, scene
from tests.conftest import TokenFactory

__all__ = ["scene"]  # the fixture, shared with test_replacements

FAULT = {
    "remote_support_at": "2026-10-31T02:10:00+00:00",
    "customer_engineer": "客户工程师王五",
    "process": "远程确认告警后到场，更换电源模块，观察30分钟",
    "cause": "电源模块电容老化",
    "solution": "更换同型号电源模块",
    "prevention": "巡检时检查电源模块告警灯",
}


def recorded(
    client: TestClient, headers: dict[str, str], scene: dict[str, Any], **extra: object
) -> dict[str, Any]:
    r = reserve(client, headers)
    done = client.post(
        "/api/v1/replacements",
        json=replacement(r["id"], scene["device_id"], **extra),
        headers=headers,
    )
    assert done.status_code == 201, done.text
    body: dict[str, Any] = done.json()
    return body


def test_a_replacement_answers_its_clock_and_fault_record(
    client: TestClient, headers_for: TokenFactory, scene: dict[str, Any]
) -> None:
    engineer = headers_for("engineer")
    body = recorded(client, engineer, scene, **FAULT)
    # Arrived 50 minutes after the report, at a Shenyang site (30-minute band).
    assert body["arrival_minutes"] == 50
    assert body["response_limit_minutes"] == 30
    assert body["arrived_within_response"] is False
    assert body["spare_on_site_within_deadline"] is True
    assert (body["duration_minutes"], body["within_deadline"]) == (130, True)
    assert {k: body[k] for k in FAULT if k != "remote_support_at"} == {
        k: v for k, v in FAULT.items() if k != "remote_support_at"
    }
    assert body["remote_support_at"].startswith("2026-10-31T02:10:00")
    assert client.get(f"/api/v1/replacements/{body['id']}", headers=engineer).json() == body


def test_without_an_arrival_the_clock_is_null(
    client: TestClient, headers_for: TokenFactory, scene: dict[str, Any]
) -> None:
    body = recorded(client, headers_for("engineer"), scene, arrived_at=None)
    clock = ("arrival_minutes", "response_limit_minutes", "arrived_within_response")
    assert [body[k] for k in (*clock, "spare_on_site_within_deadline")] == [None] * 4
    assert body["process"] is None


def test_patch_completes_the_record_and_staff_read_the_history(
    client: TestClient, headers_for: TokenFactory, scene: dict[str, Any]
) -> None:
    engineer = headers_for("engineer", name="li")
    body = recorded(client, engineer, scene)
    url = f"/api/v1/replacements/{body['id']}"
    patched = client.patch(url, json={"cause": "电容老化", "process": "更换"}, headers=engineer)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["cause"], patched.json()["process"]) == ("电容老化", "更换")
    assert patched.json()["arrival_minutes"] == 50
    dispatcher = headers_for("dispatcher", name="zhao")
    again = client.patch(url, json={"process": None, "prevention": "巡检"}, headers=dispatcher)
    assert again.status_code == 200
    assert client.get(url, headers=engineer).json() == again.json()
    assert again.json()["process"] is None
    history = client.get(f"{url}/edits", headers=headers_for("reporter"))
    assert history.status_code == 200
    items = history.json()["items"]
    assert [sorted(c["field"] for c in e["changes"]) for e in items] == [
        ["cause", "process"],
        ["prevention", "process"],
    ]
    assert {"field": "process", "before": "更换", "after": None} in items[1]["changes"]
    assert "zhao" in items[1]["actor"]
    assert client.patch(url, json={"cause": "x"}, headers=headers_for("admin")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"arrived_at": "2026-10-31T02:20:00+00:00"}, "arrived_at"),
        ({"fault_reported_at": "2026-10-31T02:00:00+00:00"}, "fault_reported_at"),
        ({"replaced_at": None}, "replaced_at"),
        ({"customer_confirmed_by": "别人"}, "customer_confirmed_by"),
        ({"engineer_confirmed_by": "别人"}, "engineer_confirmed_by"),
        ({"removed_serial": "OLD-2"}, "removed_serial"),
        ({"cause": "x" * 4001}, "cause"),
        ({"prevention": "a\x00b"}, "prevention"),
        ({"customer_engineer": "x" * 201}, "customer_engineer"),
        ({"solution": 42}, "solution"),
        ({"remote_support_at": "2026-10-31T01:59:00+00:00"}, "remote_support_at"),
        ({"remote_support_at": "2026-10-31T09:00:00+00:00"}, "remote_support_at"),
        ({"remote_support_at": "2026-10-31T02:10:00"}, "remote_support_at"),
        ({"cause": "ok", "whatever": 1}, "whatever"),
    ],
)
def test_bad_patches_are_422_naming_the_field_and_change_nothing(
    client: TestClient,
    headers_for: TokenFactory,
    scene: dict[str, Any],
    body: dict[str, object],
    field: str,
) -> None:
    engineer = headers_for("engineer")
    before = recorded(client, engineer, scene, cause="原因")
    url = f"/api/v1/replacements/{before['id']}"
    answer = client.patch(url, json=body | {"process": "changed?"}, headers=engineer)
    assert answer.status_code == 422, answer.text
    assert field in [d["field"] for d in answer.json()["error"]["details"]]
    assert client.get(url, headers=engineer).json() == before
    assert client.get(f"{url}/edits", headers=engineer).json()["items"] == []


def test_who_may_patch_and_read_the_history(
    client: TestClient, headers_for: TokenFactory, scene: dict[str, Any]
) -> None:
    body = recorded(client, headers_for("engineer"), scene)
    url = f"/api/v1/replacements/{body['id']}"
    for role in ("warehouse", "reporter"):
        assert client.patch(url, json={"cause": "x"}, headers=headers_for(role)).status_code == 403
    own = headers_for("customer", customer="LNXX")
    assert client.patch(url, json={"cause": "x"}, headers=own).status_code == 403
    assert client.get(f"{url}/edits", headers=own).status_code == 403
    engineer = headers_for("engineer")
    assert client.patch("/api/v1/replacements/999999", json={}, headers=engineer).status_code == 404
    assert client.get("/api/v1/replacements/999999/edits", headers=engineer).status_code == 404
    assert client.patch("/api/v1/replacements/0", json={}, headers=engineer).status_code == 404
