"""Fuzz every operation of Rollcall's OpenAPI document with schemathesis (run by
tests/outside.py against a fresh server; see tests/fuzz/README.md).

Before the run it makes the fuzzer's principal: an admin with a random name and an id far from
the small integers a generator tries first, holding an API key with every scope of the catalog.
A key, not a password, because the fuzzer changes passwords (it may pick its own user); an id
past a block of other users, so that a generated path seldom names it. Three more admins keep
the last-admin refusal (a documented 400) out of reach of the few users a run can remove.
"""

import base64
import json
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
URL = os.environ["ROLLCALL_URL"]
ADMIN = (os.environ["ROLLCALL_ADMIN_USERNAME"], os.environ["ROLLCALL_ADMIN_PASSWORD"])

CATALOG = {
    "sessions": ["create", "destroy"],
    "users": ["index", "show", "create", "update", "destroy", "systems"],
    "groups": ["systems"],
    "configurations": ["index", "show", "create", "update", "destroy"],
    "api_keys": ["index", "show", "create", "update", "destroy"],
}


def call(method, path, body=None, auth=ADMIN):
    basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    request = urllib.request.Request(
        f"{URL}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def make_user(name, admin):
    password = secrets.token_urlsafe(18)
    call("POST", "/api/v2/users", {"username": name, "password": password, "is_admin": admin})
    return name, password


def fuzzer_key():
    for n in range(200):
        make_user(f"filler-{n:03d}", False)
    for n in range(3):
        make_user(f"keeper-{secrets.token_hex(6)}", True)
    fuzzer = make_user(f"fuzzer-{secrets.token_hex(6)}", True)
    scopes = [{"controller": c, "action": a} for c, actions in CATALOG.items() for a in actions]
    made = call(
        "POST", "/api/v2/users/me/api_keys", {"name": "fuzzer", "api_key_scopes": scopes}, fuzzer
    )
    return made["key"]


def valid_openapi_31():
    """The served document must be valid OpenAPI 3.1 (openapi-spec-validator)."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    with urllib.request.urlopen(f"{URL}/openapi.json") as answer:
        document = json.load(answer)
    if not str(document.get("openapi", "")).startswith("3.1"):
        raise SystemExit(f"the document says openapi {document.get('openapi')!r}, not 3.1")
    validate(document, cls=OpenAPIV31SpecValidator)
    print("outside: /openapi.json is valid OpenAPI 3.1", flush=True)


def main():
    valid_openapi_31()
    key = fuzzer_key()
    report = Path(os.environ.get("FUZZ_REPORT_DIR", HERE / "report"))
    command = [
        os.environ.get("SCHEMATHESIS_BIN", "schemathesis"),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{URL}/openapi.json",
        "--url",
        URL,
        "--header",
        f"Authorization: Bearer {key}",
        "--report",
        "junit",
        "--report-dir",
        str(report),
        *sys.argv[1:],
    ]
    print("outside: " + " ".join(c if "Bearer" not in c else "Authorization: Bearer …" for c in command))
    env = dict(os.environ, SCHEMATHESIS_HOOKS=str(HERE / "hooks.py"))
    sys.exit(subprocess.run(command, env=env).returncode)


if __name__ == "__main__":
    main()
