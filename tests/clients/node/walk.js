// What the Node walks share: where the server is, checks that name the failed step, and an
// admin API key made through the v2 family for the clients that sign in with one.
"use strict";

const URL = process.env.ROLLCALL_URL;
const ADMIN_USERNAME = process.env.ROLLCALL_ADMIN_USERNAME;
const ADMIN_PASSWORD = process.env.ROLLCALL_ADMIN_PASSWORD;

function check(condition, what) {
  if (!condition) {
    throw new Error(`walk failed: ${what}`);
  }
  console.log(`  ok: ${what}`);
}

async function rejects(promise, what) {
  try {
    await promise;
  } catch (error) {
    console.log(`  ok: ${what}`);
    return error;
  }
  throw new Error(`walk failed: ${what} (no error)`);
}

async function adminKey(scopes) {
  const basic = Buffer.from(`${ADMIN_USERNAME}:${ADMIN_PASSWORD}`).toString("base64");
  const answer = await fetch(`${URL}/api/v2/users/me/api_keys`, {
    method: "POST",
    headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "walk", api_key_scopes: scopes }),
  });
  if (answer.status !== 201) {
    throw new Error(`could not make an API key: ${answer.status} ${await answer.text()}`);
  }
  return (await answer.json()).key;
}

function run(main) {
  main().catch((error) => {
    console.error(error.stack || error);
    process.exit(1);
  });
}

module.exports = { URL, ADMIN_USERNAME, ADMIN_PASSWORD, check, rejects, adminKey, run };
