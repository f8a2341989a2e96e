"""py-dactyl (PyPI), a Pterodactyl application-API client, against Rollcall's application
family.

py-dactyl authenticates with an application API key as `Authorization: Bearer <key>`. The key
is made once through the v2 family (as an admin would in Rollcall), then every call goes
through py-dactyl's `PterodactylClient.user`.
"""

import base64
import json
import urllib.request

import requests
from pydactyl import PterodactylClient
from pydactyl.exceptions import PterodactylApiError

from walk import ADMIN_PASSWORD, ADMIN_USERNAME, URL, check, raises

SCOPES = ["index", "show", "create", "update", "destroy"]


def application_key():
    """An admin key with the users scopes the application family's routes declare."""
    body = json.dumps(
        {
            "name": "py-dactyl",
            "api_key_scopes": [{"controller": "users", "action": a} for a in SCOPES],
        }
    ).encode()
    basic = base64.b64encode(f"{ADMIN_USERNAME}:{ADMIN_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"{URL}/api/v2/users/me/api_keys",
        data=body,
        method="POST",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["key"]


def main():
    api = PterodactylClient(URL, application_key(), retries=0)

    # List: the first admin.
    page = api.user.list_users()
    check(len(page) == 1, "list_users counts one user")
    check(page.data[0]["attributes"]["username"] == ADMIN_USERNAME, "the admin is listed")

    # Create (py-dactyl sends every field, external_id and password null included).
    created = api.user.create_user(
        username="Walk-User",
        email="walk@example.com",
        first_name="Walk",
        last_name="User",
        external_id="whmcs-42",
        password="walk-password-1",
    )
    attributes = created["attributes"]
    user_id = attributes["id"]
    check(created["object"] == "user", "create_user answers a user item")
    check(attributes["username"] == "walk-user", "the username is stored in lower case")
    check(created["meta"]["resource"].endswith(f"/api/application/users/{user_id}"), "meta.resource")
    plain = api.user.create_user(
        username="no-password", email="nopass@example.com", first_name="No", last_name="Password"
    )
    check(plain["attributes"]["external_id"] is None, "a user without external id or password")

    # Read, by id and by external id, with the servers include where py-dactyl reads it.
    read = api.user.get_user_info(user_id=user_id, includes=["servers"])
    check(read["attributes"]["email"] == "walk@example.com", "get_user_info by id")
    check(
        read["attributes"]["relationships"]["servers"] == {"object": "list", "data": []},
        "include=servers sits in attributes.relationships",
    )
    by_external = api.user.get_user_info(external_id="whmcs-42", detail=False)
    check(by_external["id"] == user_id, "get_user_info by external id (attributes only)")

    # Filtered list and every page collected.
    found = api.user.list_users(email="walk@")
    check([u["attributes"]["id"] for u in found.data] == [user_id], "list_users(email=…)")
    check(len(api.user.list_users(params={"sort": "-id"}).collect()) == 3, "collect() reads all")

    # Update with PATCH, as py-dactyl does; a null password leaves it unchanged.
    edited = api.user.edit_user(
        user_id,
        username="walk-user",
        email="walk.renamed@example.com",
        first_name="Walker",
        last_name="User",
        external_id="whmcs-42",
        language="de",
    )
    check(edited["attributes"]["first_name"] == "Walker", "edit_user changes the name")
    check(edited["attributes"]["language"] == "de", "edit_user changes the language")
    signed_in = requests.post(
        f"{URL}/token", data={"username": "walk-user", "password": "walk-password-1"}
    )
    check(signed_in.status_code == 200, "the password survives an edit without one")

    # The error case: a taken e-mail is a 422, which py-dactyl raises as PterodactylApiError.
    error = raises(
        PterodactylApiError,
        lambda: api.user.create_user(
            username="other", email="WALK.renamed@example.com", first_name="O", last_name="T"
        ),
        "a taken e-mail is refused",
    )
    check("ValidationException" in str(error) and "email" in str(error), "... as a 422 naming email")

    # Delete, by id and by external id; afterwards the user is not found.
    api.user.delete_user(user_id=plain["attributes"]["id"])
    api.user.delete_user(external_id="whmcs-42")
    raises(
        requests.HTTPError,
        lambda: api.user.get_user_info(user_id=user_id),
        "a deleted user is not found",
    )
    check(len(api.user.list_users()) == 1, "only the admin is left")


if __name__ == "__main__":
    main()
