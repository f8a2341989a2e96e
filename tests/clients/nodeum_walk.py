"""Nodeum's own Python SDK (nodeum-sdk, PyPI) against Rollcall's v2 family.

nodeum-sdk 1.88.0's UsersApi covers the current user's configurations and API keys and the OS
users and groups; it signs in with HTTP Basic (Configuration.username/password) or an API key
sent as `Authorization: Bearer <key>`. The walk uses each method as the SDK's README shows.
"""

import json

import nodeum_sdk
from nodeum_sdk.rest import ApiException

from walk import ADMIN_PASSWORD, ADMIN_USERNAME, URL, check, raises


def basic_client():
    config = nodeum_sdk.Configuration(host=f"{URL}/api/v2")
    config.username = ADMIN_USERNAME
    config.password = ADMIN_PASSWORD
    return nodeum_sdk.UsersApi(nodeum_sdk.ApiClient(config))


def key_client(key):
    config = nodeum_sdk.Configuration(
        host=f"{URL}/api/v2",
        api_key={"Authorization": key},
        api_key_prefix={"Authorization": "Bearer"},
    )
    return nodeum_sdk.UsersApi(nodeum_sdk.ApiClient(config))


def main():
    users = basic_client()

    # Sign in (Basic) and list: a fresh directory has no configurations.
    listed = users.index_configurations()
    check(listed.count == 0 and listed.configurations == [], "index_configurations is empty")

    # Create, read, update, list, delete a configuration.
    created = users.create_configuration(
        configuration_body=nodeum_sdk.UserConfiguration(key="ui.theme", value="dark")
    )
    check(created.id > 0 and created.key == "ui.theme", "create_configuration")
    shown = users.show_configuration(configuration_id=created.id)
    check(shown.value == "dark", "show_configuration by id")
    updated = users.update_configuration(
        configuration_id=created.id,
        configuration_body=nodeum_sdk.UserConfiguration(value="light"),
    )
    check(updated.key == "ui.theme" and updated.value == "light", "update_configuration")
    listed = users.index_configurations(limit=10, offset=0)
    check(listed.count == 1 and listed.configurations[0].value == "light", "index_configurations")

    # An API key limited to reading configurations. The SDK's ApiKeyFull model carries only
    # the scopes, so the new key itself is read from the raw answer.
    body = nodeum_sdk.ApiKeyFull(
        api_key_scopes=[
            nodeum_sdk.ApiKeyScope(controller="configurations", action="index"),
            nodeum_sdk.ApiKeyScope(controller="configurations", action="show"),
        ]
    )
    raw = users.create_api_key(api_key_body=body, _preload_content=False)
    check(raw.status == 201, "create_api_key answers 201")
    made = json.loads(raw.data)
    key = made["key"]
    check(len(made["api_key_scopes"]) == 2, "the new key holds the two scopes")
    keys = users.index_api_keys()
    check(keys.count == 1 and keys.api_keys[0].key.endswith(key[-4:]), "index_api_keys masks")
    check(key not in keys.api_keys[0].key, "the listed key is not the whole key")
    # show_api_key answers the SDK's ApiKeyFull, which carries the scopes only.
    shown_key = users.show_api_key(api_key_id=made["id"])
    check(len(shown_key.api_key_scopes) == 2, "show_api_key")
    renamed = users.update_api_key(
        api_key_id=made["id"],
        api_key_body=nodeum_sdk.ApiKeyFull(
            api_key_scopes=[nodeum_sdk.ApiKeyScope(controller="configurations", action="index")]
        ),
    )
    check(len(renamed.api_key_scopes) == 1, "update_api_key replaces the scopes")

    # The key signs in as its owner, within its scopes.
    scoped = key_client(key)
    check(scoped.index_configurations().count == 1, "the key lists configurations")
    error = raises(
        ApiException,
        lambda: scoped.create_configuration(
            configuration_body=nodeum_sdk.UserConfiguration(key="other", value="x")
        ),
        "the key may not create a configuration",
    )
    check(error.status == 403, "... and that is a 403")
    check(json.loads(error.body)["detail"], "... with a v2 error body")

    # OS users and groups, admin only.
    system_users = users.index_system_users()
    check(
        any(u.name == "alice" and u.uid == 1000 for u in system_users.users),
        "index_system_users reads the passwd file",
    )
    groups = users.index_system_groups()
    check(any(g.name == "staff" for g in groups.groups), "index_system_groups")

    # Delete, then the error case: the configuration is gone.
    users.destroy_configuration(configuration_id=created.id)
    error = raises(
        ApiException,
        lambda: users.show_configuration(configuration_id=created.id),
        "a deleted configuration is not found",
    )
    check(error.status == 404, "... 404")
    users.destroy_api_key(api_key_id=made["id"])
    error = raises(ApiException, scoped.index_configurations, "a deleted key signs nobody in")
    check(error.status == 401, "... 401")
    bad = nodeum_sdk.Configuration(host=f"{URL}/api/v2")
    bad.username = ADMIN_USERNAME
    bad.password = "not-the-password"
    error = raises(
        ApiException,
        nodeum_sdk.UsersApi(nodeum_sdk.ApiClient(bad)).index_configurations,
        "a wrong password is refused",
    )
    check(error.status == 401, "... 401")


if __name__ == "__main__":
    main()
