package chhttp_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/activedefense/activedefense/web/chhttp"
)

// TestAuthLogging checks that every failed authentication gives the client
// the same answer, and that only failures not about the credentials are
// logged as warnings.
func TestAuthLogging(t *testing.T) {
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	down := func(ctx context.Context, user, key string) error {
		if key == "down" {
			return errors.New("token store unavailable")
		}
		return auth(ctx, user, key)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	chhttp.New(chhttp.Config{}, fakeStore{}, down, logrus.NewEntry(logger)).Register(app.Group("/clickhouse"))
	tests := []struct {
		key     string
		status  int
		wantLog string // level of the authentication log line; "" = none
	}{
		{testKey, http.StatusOK, ""},
		{"wrong", http.StatusForbidden, "debug"},
		{"", http.StatusForbidden, "debug"},
		{"down", http.StatusForbidden, "warning"},
	}
	for _, tc := range tests {
		hook.Reset()
		req, _ := http.NewRequest(http.MethodGet, "http://x/clickhouse/?query=SELECT+1", nil)
		req.SetBasicAuth(testUser, tc.key)
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		checkResponse(t, resp)
		got := ""
		for _, e := range hook.AllEntries() {
			if strings.HasPrefix(e.Message, "clickhouse authentication") && e.Data["user"] == testUser {
				got = e.Level.String()
			}
		}
		if resp.StatusCode != tc.status || got != tc.wantLog {
			t.Fatalf("key %q: status %d, authentication logged at %q, want %d and %q", tc.key, resp.StatusCode, got, tc.status, tc.wantLog)
		}
	}
}
