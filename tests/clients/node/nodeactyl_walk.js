// nodeactyl (npm), a Pterodactyl client on axios, against Rollcall's application family.
// It signs in with an application API key as `Authorization: Bearer <key>`.
"use strict";

const { NodeactylApplication } = require("nodeactyl");
const { URL, ADMIN_USERNAME, check, rejects, adminKey, run } = require("./walk.js");

run(async () => {
  const actions = ["index", "show", "create", "update", "destroy"];
  const key = await adminKey(actions.map((action) => ({ controller: "users", action })));
  const panel = new NodeactylApplication(URL, key);

  // List.
  const first = await panel.getAllUsers();
  check(first.object === "list" && first.meta.pagination.total === 1, "getAllUsers");
  check(first.data[0].attributes.username === ADMIN_USERNAME, "the admin is listed");

  // Create.
  const created = await panel.createUser(
    "node@example.com", "Node-User", "Node", "User", "node-password-1",
  );
  const id = created.attributes.id;
  check(created.object === "user" && created.attributes.username === "node-user", "createUser");

  // Read: by id, and by username and e-mail (nodeactyl walks every page for those).
  const read = await panel.getUserDetails(id);
  check(read.attributes.email === "node@example.com", "getUserDetails");
  const byName = await panel.getUserByUsername("node-user");
  check(byName && byName.attributes.id === id, "getUserByUsername");
  const byEmail = await panel.getUserByEmail("node@example.com");
  check(byEmail && byEmail.attributes.id === id, "getUserByEmail");
  const page = await panel.getUserPage(1);
  check(page.data.length === 2, "getUserPage(1)");

  // Update (PATCH with every field; a null password leaves it unchanged).
  check(
    (await panel.updateUserDetails(id, "node2@example.com", "node-user", "Nodie", "User", "fr", null)) === true,
    "updateUserDetails",
  );
  const changed = await panel.getUserDetails(id);
  check(changed.attributes.first_name === "Nodie" && changed.attributes.language === "fr", "... changed");

  // The error case: a taken username is a 422, which nodeactyl rejects with the status.
  const status = await rejects(
    panel.createUser("other@example.com", "NODE-USER", "O", "T"),
    "a taken username is refused",
  );
  check(status === 422, "... with 422");

  // Delete; then the user is not found.
  check((await panel.deleteUser(id)) === true, "deleteUser");
  check((await rejects(panel.getUserDetails(id), "a deleted user is not found")) === 404, "... 404");
});
