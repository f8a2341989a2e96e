"""Run the public SCIM 2.0 compliance suite, scim2-tester, against Rollcall's `/scim/v2`
(run by tests/outside.py against a fresh server, once per database backend).

It mints the suite's credential first: an API key of the first admin with the scopes the SCIM
Users routes need (users/index, show, create, update, destroy), made with the admin's Basic
credentials. Then it runs `scim2_tester.check_server`, the function behind scim2-cli's
`scim2 --url URL --header "Authorization: Bearer KEY" test`, with the same client that command
builds (scim2-client over httpx2, status-code and content-type checks on), and reads the
results itself rather than the command's exit status, so that it can name every failed check
with its reason and count the passes.

Every result must be SUCCESS (COMPLIANT and ACCEPTABLE count as passes too; no check emits
them in the pinned version). ERROR, CRITICAL, DEVIATION and SKIPPED fail the run: the suite
would skip `search_with_attributes` on a 501 to the root search (`POST /scim/v2/.search`, which
RFC 7644 §3.4.3 makes optional), but Rollcall serves it, so a skip there is a regression. Each check of the suite must also have run at least once, so a server
that publishes no resource type cannot pass by testing nothing.

Environment: ROLLCALL_URL, ROLLCALL_ADMIN_USERNAME, ROLLCALL_ADMIN_PASSWORD, SCIM_BACKEND (the
label printed with the counts) and, optionally, SCIM_COUNTS_FILE (where the counts are written
as JSON for the caller's total).
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

URL = os.environ["ROLLCALL_URL"].rstrip("/")
ADMIN = (os.environ["ROLLCALL_ADMIN_USERNAME"], os.environ["ROLLCALL_ADMIN_PASSWORD"])
BACKEND = os.environ.get("SCIM_BACKEND", "sqlite")
SCIM_URL = f"{URL}/scim/v2"

SCOPES = [
    {"controller": "users", "action": action}
    for action in ("index", "show", "create", "update", "destroy")
]

# What check_server runs in scim2-tester 0.5.2, in order (the discovery checks, the 404 of an
# unknown URL, then, for each published resource type, the CRUD, attribute-filtering and PATCH
# checks). Every one must show up in the results.
EXPECTED_CHECKS = [
    "service_provider_config_endpoint",
    "service_provider_config_endpoint_methods",
    "query_all_resource_types",
    "query_resource_type_by_id",
    "resource_types_schema_validation",
    "access_invalid_resource_type",
    "resource_types_endpoint_methods",
    "query_all_schemas",
    "access_schema_by_id",
    "access_invalid_schema",
    "schemas_endpoint_methods",
    "random_url",
    "object_creation",
    "object_query",
    "object_query_without_id",
    "object_query_with_attributes",
    "object_list_with_attributes",
    "search_with_attributes",
    "object_replacement",
    "object_deletion",
    "check_add_attribute",
    "check_remove_attribute",
    "check_replace_attribute",
]

# The CRUD and PATCH checks must have run on this resource type (there is no Group).
EXPECTED_RESOURCE_TYPES = ["User"]

# (check title, text its reason contains): skips that do not fail the run. None: the one skip
# the suite reads as compliant (a 501 to the root search) does not apply, since Rollcall serves
# `POST /scim/v2/.search`.
ALLOWED_SKIPS = []

REQUEST_TIMEOUT_S = 30


def log(message):
    print(f"outside: {message}", flush=True)


def mint_key():
    """An API key of the first admin with the SCIM scopes, made with its Basic credentials."""
    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    request = urllib.request.Request(
        f"{URL}/api/v2/users/me/api_keys",
        data=json.dumps({"name": "scim2-tester", "api_key_scopes": SCOPES}).encode(),
        method="POST",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as answer:
            made = json.load(answer)
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")
        raise SystemExit(f"could not mint the admin's SCIM API key: {exc.code} {body}") from exc
    return made["key"]


def run_suite(key):
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import check_server

    http = Client(
        base_url=SCIM_URL,
        headers={"Authorization": f"Bearer {key}"},
        timeout=REQUEST_TIMEOUT_S,
    )
    client = SyncSCIMClient(http)
    # scim2-cli's `test` command sets these from its --check-status-code and
    # --check-content-type options, both on by default.
    client.check_response_status_codes = True
    client.check_response_content_type = True
    try:
        return check_server(client)
    finally:
        http.close()


def short(value, limit=2000):
    text = str(value)
    if len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def judge(results):
    """(passed, failed, allowed skips) as lists of results."""
    from scim2_tester import Status

    passes = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
    passed, failed, skipped = [], [], []
    for result in results:
        if result.status in passes:
            passed.append(result)
        elif result.status == Status.SKIPPED and any(
            result.title == title and text in (result.reason or "")
            for title, text in ALLOWED_SKIPS
        ):
            skipped.append(result)
        else:
            failed.append(result)
    return passed, failed, skipped


def missing_checks(results):
    """Problems of coverage: expected checks or resource types that never ran."""
    ran = {r.title for r in results}
    problems = [f"the check {name} did not run" for name in EXPECTED_CHECKS if name not in ran]
    tested = {r.resource_type for r in results if r.resource_type}
    problems += [
        f"no check ran on the resource type {name} (published: {sorted(tested) or 'none'})"
        for name in EXPECTED_RESOURCE_TYPES
        if name not in tested
    ]
    return problems


def main():
    key = mint_key()
    log(f"scim2-tester on {BACKEND} against {SCIM_URL} with the admin's API key")
    results = run_suite(key)
    passed, failed, skipped = judge(results)
    for result in failed:
        where = f" [{result.resource_type}]" if result.resource_type else ""
        reason = result.reason or "(no reason given)"
        print(f"FAILED {result.status.name} {result.title}{where}: {reason}")
        if result.data is not None:
            print(f"    data: {short(result.data)}")
    for result in skipped:
        print(f"skipped (allowed) {result.title}: {result.reason}")
    problems = missing_checks(results)
    for problem in problems:
        print(f"FAILED coverage: {problem}")
    log(
        f"scim2-tester on {BACKEND}: {len(passed)} checks passed, {len(failed)} failed, "
        f"{len(skipped)} skipped (allowed)"
    )
    counts = os.environ.get("SCIM_COUNTS_FILE")
    if counts:
        # For the caller's total over the backends.
        Path(counts).write_text(
            json.dumps({"passed": len(passed), "failed": len(failed) + len(problems)})
        )
    sys.exit(1 if failed or problems else 0)


if __name__ == "__main__":
    main()
