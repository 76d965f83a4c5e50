"""schemathesis hooks for the service's fuzz run (loaded with SCHEMATHESIS_HOOKS).

`schema_states_its_rules`: a schema-valid request may be refused (an unknown site, a reused
Idempotency-Key, a time order), but only by the service's own rules, never by a rule the
schema could have stated (a bound, a format, a required field): FastAPI's validation errors
carry a `location`, the service's do not, so a positive case answered 422 with a `location`
means the schema promised something the service refuses.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.generation import GenerationMode


@schemathesis.check
def schema_states_its_rules(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    meta = case.meta
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return None
    if response.status_code != 422:
        return None
    try:
        body: Any = response.json()
    except ValueError:
        return None
    details = body.get("error", {}).get("details", []) if isinstance(body, dict) else []
    stated = [d for d in details if isinstance(d, dict) and "location" in d]
    if stated:
        raise AssertionError(f"a schema-valid request was refused by a stated rule: {stated}")
    return None


@schemathesis.check
def graphql_never_fails_inside(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A GraphQL answer is never a 5xx nor a masked `internal_error` (or an uncoded error).

    Refusals of bad arguments (`validation_error`, `not_found`, ...) are answers, not faults:
    schemathesis' own GraphQL check counts every resolver error as a server error, so the
    GraphQL run replaces it with this one.
    """
    if not str(response.request.url).endswith("/graphql"):
        return None
    if response.status_code >= 500:
        raise AssertionError(f"GraphQL answered {response.status_code}")
    try:
        body: Any = response.json()
    except ValueError as exc:
        raise AssertionError("GraphQL answered something that is not JSON") from exc
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code in (None, "internal_error"):
            raise AssertionError(f"GraphQL error without a contract code: {error}")
    return None
