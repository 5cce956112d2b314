package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/api"
)

// TestAPIChangeDevice: PATCH /api/v1/devices/:name validates as adding
// does, changes only an existing device, keeps its created time and leaves
// it untouched when refused.
func TestAPIChangeDevice(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	dir := e.core.devs.logDir
	created := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	for _, d := range []schema.Device{
		{Name: "fw1", Path: filepath.Join(dir, "fw1.log"), Timezone: "UTC", Senders: []string{"192.0.2.1"}, Enabled: true, Created: created},
		{Name: "fw2", Path: filepath.Join(dir, "fw2.log"), Senders: []string{"192.0.2.2"}, Enabled: true},
	} {
		if err := schema.AddDevice(ctx, e.core.st, d); err != nil {
			t.Fatal(err)
		}
	}
	moved := filepath.Join(dir, "moved", "fw1.log")
	ok := `{"path":"` + moved + `","timezone":"Europe/Berlin","senders":["192.0.2.11","::ffff:192.0.2.12"]}`
	tests := []struct {
		name, path, scope, body string
		status                  int
		code, field             string
	}{
		{"read cannot change", "/api/v1/devices/fw1", "read", ok, 403, api.CodeForbidden, ""},
		{"unknown device", "/api/v1/devices/fw9", "write", `{"path":"` + moved + `"}`, 404, api.CodeNotFound, ""},
		{"invalid name", "/api/v1/devices/bad%20name", "write", `{"path":"` + moved + `"}`, 400, api.CodeInvalid, "name"},
		{"rename", "/api/v1/devices/fw1", "write", `{"name":"fw3","path":"` + moved + `"}`, 400, api.CodeInvalid, "name"},
		{"no path", "/api/v1/devices/fw1", "write", `{"timezone":"UTC"}`, 400, api.CodeInvalid, "path"},
		{"relative path", "/api/v1/devices/fw1", "write", `{"path":"fw1.log"}`, 400, api.CodeInvalid, "path"},
		{"outside the log dir", "/api/v1/devices/fw1", "write", `{"path":"/etc/shadow"}`, 403, api.CodeForbidden, ""},
		{"escape by ..", "/api/v1/devices/fw1", "write", `{"path":"` + dir + `/../../etc/passwd"}`, 403, api.CodeForbidden, ""},
		{"unknown time zone", "/api/v1/devices/fw1", "write", `{"path":"` + moved + `","timezone":"Mars/Olympus"}`, 400, api.CodeInvalid, "timezone"},
		{"sender not an address", "/api/v1/devices/fw1", "write", `{"path":"` + moved + `","senders":["fw.example"]}`, 400, api.CodeInvalid, "senders"},
		{"another device's sender", "/api/v1/devices/fw1", "write", `{"path":"` + moved + `","senders":["192.0.2.2"]}`, 400, api.CodeInvalid, "senders"},
		{"wrong type", "/api/v1/devices/fw1", "write", `{"path":"` + moved + `","senders":"192.0.2.11"}`, 400, api.CodeInvalid, "senders"},
		{"unknown field", "/api/v1/devices/fw1", "write", `{"path":"` + moved + `","enabled":false}`, 400, api.CodeInvalid, "enabled"},
		{"no body", "/api/v1/devices/fw1", "write", "", 400, api.CodeInvalid, "body"},
		{"adding with another device's sender", "/api/v1/devices", "write", `{"name":"fw4","path":"` + moved + `","senders":["192.0.2.2"]}`,
			400, api.CodeInvalid, "senders"},
		{"change", "/api/v1/devices/fw1", "write", ok, 200, "", ""},
		{"own senders again", "/api/v1/devices/fw1", "write", ok, 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "PATCH"
			if tc.path == "/api/v1/devices" {
				method = "POST"
			}
			before, err := schema.ListDevices(ctx, e.core.st)
			if err != nil {
				t.Fatal(err)
			}
			status, _, body := e.do(method, tc.path, tc.scope, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", status, tc.status, body)
			}
			if tc.code == "" {
				return
			}
			var eb api.ErrorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil {
				t.Fatalf("not a JSON error: %.300s", body)
			}
			if eb.Error.Code != tc.code || eb.Error.Field != tc.field || eb.Error.Message == "" {
				t.Fatalf("error %+v, want code %s field %q", eb.Error, tc.code, tc.field)
			}
			after, err := schema.ListDevices(ctx, e.core.st)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(before, after, func(a, b schema.Device) bool {
				return a.Name == b.Name && a.Path == b.Path && a.Timezone == b.Timezone && slices.Equal(a.Senders, b.Senders)
			}) {
				t.Fatalf("a refused request changed the devices:\n%+v\n%+v", before, after)
			}
		})
	}

	got, err := schema.GetDevice(ctx, e.core.st, "fw1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != moved || got.Timezone != "Europe/Berlin" || !slices.Equal(got.Senders, []string{"192.0.2.11", "192.0.2.12"}) ||
		!got.Created.Equal(created) || !got.Enabled {
		t.Fatalf("changed device %+v (created %s)", got, created)
	}
	_, _, list := e.do("GET", "/api/v1/devices", "read", "")
	if strings.Count(list, `"name":"fw`) != 2 || !strings.Contains(list, moved) {
		t.Fatalf("device list after the change: %.500s", list)
	}
	_, _, audit := e.do("GET", "/api/v1/audit", "read", "")
	if !strings.Contains(audit, `"object":"device fw1","detail":"path `+moved+`, timezone \"Europe/Berlin\", senders 192.0.2.11,192.0.2.12"`) {
		t.Fatalf("audit lacks the change: %.800s", audit)
	}
}
