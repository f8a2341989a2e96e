// Empire's web client Starkiller (3.6.0) as it speaks to the users part of Empire's API, with
// the same primitives it uses (fetch, FormData): it signs in by posting a multipart form to
// `/token`, reads `/api/v2/users/me` and `/api/v2/meta/version`, and from then on sends
// `X-Empire-Token: Bearer <token>` with JSON bodies (src/api/http.js, src/api/user-api.js,
// src/stores/application-module.js). Starkiller has no "delete user"; its error case is a
// refused create, shown from the body's `detail`.
"use strict";

const { URL, ADMIN_USERNAME, ADMIN_PASSWORD, check, run } = require("./walk.js");

async function json(answer) {
  const text = await answer.text();
  return text ? JSON.parse(text) : undefined;
}

// Starkiller's application-module login().
async function login(username, password) {
  const form = new FormData();
  form.append("username", username);
  form.append("password", password);
  const tokenAnswer = await fetch(`${URL}/token`, { method: "POST", body: form });
  check(tokenAnswer.ok, `POST /token (multipart) for ${username}: ${tokenAnswer.status}`);
  const token = (await tokenAnswer.json()).access_token;
  const headers = { "X-Empire-Token": `Bearer ${token}` };
  const me = await fetch(`${URL}/api/v2/users/me`, { headers });
  check(me.ok, "GET /api/v2/users/me");
  const version = await fetch(`${URL}/api/v2/meta/version`, { headers });
  check(version.ok, "GET /api/v2/meta/version");
  check(typeof (await version.json()).version === "string", "... answers a version string");
  return { token, user: await me.json() };
}

// Starkiller's http.js request().
function client(token) {
  return async (path, { method = "GET", data } = {}) => {
    const headers = { "X-Empire-Token": `Bearer ${token}` };
    if (data != null) headers["Content-Type"] = "application/json";
    const answer = await fetch(`${URL}/api/v2${path}`, {
      method,
      headers,
      body: data == null ? undefined : JSON.stringify(data),
    });
    return { status: answer.status, body: await json(answer) };
  };
}

run(async () => {
  const { token, user: me } = await login(ADMIN_USERNAME, ADMIN_PASSWORD);
  check(me.is_admin === true, "the admin is an admin");
  const request = client(token);

  // Users page: getUsers() reads `records`.
  const listed = await request("/users");
  check(listed.status === 200 && listed.body.records.length === 1, "GET /users → records");

  // UserEdit.vue's create form.
  const created = await request("/users", {
    method: "POST",
    data: { username: "stark", password: "stark-password-1", confirm_password: "stark-password-1", is_admin: false },
  });
  check(created.status === 201 && created.body.id > 0, "POST /users");
  const id = created.body.id;

  // getUser(id), then UserEdit.vue's update: the whole user object read before, changed.
  const read = await request(`/users/${id}`);
  check(read.status === 200 && read.body.username === "stark", "GET /users/{id}");
  const form = { ...read.body, username: "stark-renamed" };
  const updated = await request(`/users/${id}`, { method: "PUT", data: form });
  check(updated.status === 200 && updated.body.username === "stark-renamed", "PUT /users/{id} with the read user");

  // Users.vue's disable switch: the list item with `enabled` flipped.
  const disabled = await request(`/users/${id}`, { method: "PUT", data: { ...updated.body, enabled: false } });
  check(disabled.status === 200 && disabled.body.enabled === false, "PUT /users/{id} disables");
  const enabled = await request(`/users/${id}`, { method: "PUT", data: { ...disabled.body, enabled: true } });
  check(enabled.body.enabled === true, "... and enables again");

  // Settings.vue: the user changes their own password, then signs in with it.
  const own = client((await login("stark-renamed", "stark-password-1")).token);
  const changed = await own(`/users/${id}/password`, { method: "PUT", data: { password: "stark-password-2" } });
  check(changed.status === 200, "PUT /users/{id}/password");
  await login("stark-renamed", "stark-password-2");

  // The error case: a taken username; Starkiller shows `detail`.
  const taken = await request("/users", {
    method: "POST",
    data: { username: "STARK-renamed", password: "x-password-1", confirm_password: "x-password-1", is_admin: false },
  });
  check(taken.status === 422, "a taken username is refused");
  check(typeof taken.body.detail === "string" && taken.body.detail.length > 0, "... with a detail to show");

  // A wrong password gets no token (Starkiller shows the 401's detail as the login error).
  const form2 = new FormData();
  form2.append("username", "stark-renamed");
  form2.append("password", "stark-password-1");
  const refused = await fetch(`${URL}/token`, { method: "POST", body: form2 });
  check(refused.status === 401, "the old password is refused");
  check((await refused.json()).detail === "Incorrect username or password", "... with Empire's detail");
});
