"""The OAuth2 password flow as FastAPI's clients send it (Empire's API is FastAPI), through
requests-oauthlib (PyPI), against Rollcall's `POST /token` and the Empire routes of v2.

`OAuth2Session.fetch_token` with a `LegacyApplicationClient` posts the form FastAPI's
`OAuth2PasswordRequestForm` reads: `grant_type=password`, `username`, `password` and the
`client_id`; the session then sends `Authorization: Bearer <access_token>`. The user routes are
called with the bodies Empire's clients send (`records` in lists; `{username, enabled,
is_admin}` on update).
"""

import os

from oauthlib.oauth2 import LegacyApplicationClient
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests_oauthlib import OAuth2Session

from walk import ADMIN_PASSWORD, ADMIN_USERNAME, URL, check, raises


# oauthlib refuses plain http unless told otherwise; the walk's server listens on loopback only.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def signed_in(username, password):
    session = OAuth2Session(client=LegacyApplicationClient(client_id="rollcall-walk"))
    token = session.fetch_token(
        token_url=f"{URL}/token",
        username=username,
        password=password,
        include_client_id=True,
    )
    check(token["token_type"].lower() == "bearer", f"fetch_token for {username}")
    return session


def main():
    admin = signed_in(ADMIN_USERNAME, ADMIN_PASSWORD)

    me = admin.get(f"{URL}/api/v2/users/me")
    check(me.status_code == 200 and me.json()["username"] == ADMIN_USERNAME, "GET /users/me")

    listed = admin.get(f"{URL}/api/v2/users").json()
    check([u["username"] for u in listed["records"]] == [ADMIN_USERNAME], "records lists users")

    created = admin.post(
        f"{URL}/api/v2/users",
        json={"username": "empire-user", "password": "empire-password-1", "is_admin": False},
    )
    check(created.status_code == 201, "POST /api/v2/users")
    user = created.json()
    read = admin.get(f"{URL}/api/v2/users/{user['id']}")
    check(read.json()["username"] == "empire-user", "GET /api/v2/users/{id}")

    # Empire's update body, always with enabled and is_admin.
    updated = admin.put(
        f"{URL}/api/v2/users/{user['id']}",
        json={"username": "empire-renamed", "enabled": True, "is_admin": False},
    )
    check(updated.status_code == 200, "PUT /api/v2/users/{id}")
    check(updated.json()["username"] == "empire-renamed", "... renames")

    # The user signs in through the same flow, changes their password, and signs in again.
    own = signed_in("empire-renamed", "empire-password-1")
    changed = own.put(
        f"{URL}/api/v2/users/{user['id']}/password", json={"password": "empire-password-2"}
    )
    check(changed.status_code == 200, "PUT /api/v2/users/{id}/password")
    signed_in("empire-renamed", "empire-password-2")

    # The error cases: a non-admin may not change admin status, and a wrong password gets no
    # token (FastAPI clients see the 401 as an OAuth2 error).
    refused = own.put(
        f"{URL}/api/v2/users/{user['id']}",
        json={"username": "empire-renamed", "enabled": True, "is_admin": True},
    )
    check(refused.status_code == 403, "a non-admin cannot make themselves admin")
    check(
        refused.json()["detail"] == "User does not have access to update admin status.",
        "... with Empire's message",
    )
    raises(
        OAuth2Error,
        lambda: signed_in("empire-renamed", "empire-password-1"),
        "the old password gets no token",
    )

    deleted = admin.delete(f"{URL}/api/v2/users/{user['id']}")
    check(deleted.status_code == 204, "DELETE /api/v2/users/{id}")
    check(own.get(f"{URL}/api/v2/users/me").status_code == 401, "a deleted user's token is dead")


if __name__ == "__main__":
    main()
