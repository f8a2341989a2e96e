// A Go client of Unryo's portal API v1, written the way Go services call it: net/http,
// request.SetBasicAuth, encoding/json with the `{"value": …}` envelope. Standard library only,
// run with `go run` (GO111MODULE=off: nothing to download).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

type user struct {
	Username string `json:"username"`
	Admin    bool   `json:"admin"`
}

type client struct {
	base, login, password string
	http                  *http.Client
}

func (c client) do(method, path string, body any) (int, []byte) {
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			fail("encoding %v: %v", body, err)
		}
		reader = bytes.NewReader(encoded)
	}
	request, err := http.NewRequest(method, c.base+path, reader)
	if err != nil {
		fail("%s %s: %v", method, path, err)
	}
	request.SetBasicAuth(c.login, c.password)
	request.Header.Set("Accept", "application/json")
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := c.http.Do(request)
	if err != nil {
		fail("%s %s: %v", method, path, err)
	}
	defer response.Body.Close()
	data, err := io.ReadAll(response.Body)
	if err != nil {
		fail("reading %s %s: %v", method, path, err)
	}
	return response.StatusCode, data
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "walk failed: "+format+"\n", args...)
	os.Exit(1)
}

func check(ok bool, what string) {
	if !ok {
		fail("%s", what)
	}
	fmt.Printf("  ok: %s\n", what)
}

func decode(data []byte, into any, what string) {
	if err := json.Unmarshal(data, into); err != nil {
		fail("%s: %v in %s", what, err, data)
	}
}

type password struct {
	CurrentPassword string `json:"current_password,omitempty"`
	Password        string `json:"password"`
}

func main() {
	base := os.Getenv("ROLLCALL_URL")
	timeout := &http.Client{Timeout: 30 * time.Second}
	admin := client{base, os.Getenv("ROLLCALL_ADMIN_USERNAME"), os.Getenv("ROLLCALL_ADMIN_PASSWORD"), timeout}

	// List.
	status, data := admin.do("GET", "/api/v1/users", nil)
	var listed struct{ Value []user }
	decode(data, &listed, "GET /api/v1/users")
	check(status == 200 && len(listed.Value) == 1 && listed.Value[0].Admin, "GET /api/v1/users")

	// Create: PUT with the password in the envelope.
	status, data = admin.do("PUT", "/api/v1/users/gopher", map[string]any{"value": password{Password: "gopher-password-1"}})
	var created struct{ Value user }
	decode(data, &created, "PUT /api/v1/users/gopher")
	check(status == 201 && created.Value.Username == "gopher" && !created.Value.Admin, "PUT creates")

	// Read: a single user has no envelope.
	status, data = admin.do("GET", "/api/v1/users/gopher", nil)
	var read user
	decode(data, &read, "GET /api/v1/users/gopher")
	check(status == 200 && read.Username == "gopher", "GET /api/v1/users/{username}")

	// Update: the user changes their own password (current_password required), signs in with it.
	gopher := client{base, "gopher", "gopher-password-1", timeout}
	status, _ = gopher.do("PATCH", "/api/v1/users/gopher", map[string]any{"value": password{"gopher-password-1", "gopher-password-2"}})
	check(status == 200, "PATCH changes one's own password")
	gopher.password = "gopher-password-2"
	status, _ = gopher.do("GET", "/api/v1/users/gopher", nil)
	check(status == 200, "... and the new one signs in")

	// The error cases: the name is taken (409, a JSON string body); the old password is dead.
	status, data = admin.do("PUT", "/api/v1/users/gopher", map[string]any{"value": password{Password: "gopher-password-9"}})
	var message string
	decode(data, &message, "409 body")
	check(status == 409 && message == "Username already existed", "a taken name is 409 \"Username already existed\"")
	gopher.password = "gopher-password-1"
	status, _ = gopher.do("GET", "/api/v1/users", nil)
	check(status == 401, "the old password is refused")

	// Delete.
	status, _ = admin.do("DELETE", "/api/v1/users/gopher", nil)
	check(status == 204, "DELETE /api/v1/users/{username}")
	status, _ = admin.do("GET", "/api/v1/users/gopher", nil)
	check(status == 404, "a deleted user is not found")
}
