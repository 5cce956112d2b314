package chhttp

import (
	"context"
	"time"
)

// Authenticator checks the credentials a ClickHouse client sent (HTTP basic
// auth, X-ClickHouse-User/-Key, or the user and password parameters). It
// returns nil to allow the request. It must be safe for concurrent use.
type Authenticator func(ctx context.Context, user, key string) error

// Config configures the endpoint on the embedded engine.
type Config struct {
	// Database is the database unqualified names resolve to when the
	// client names none; "" means the store's own.
	Database string
	// DisplayName and Timezone answer clickhouse-go's hello
	// (displayName(), timezone()). Defaults "activedefense" and "UTC"; the
	// time zone must be the store's session time zone.
	DisplayName string
	Timezone    string
	// MaxExecutionTime caps every query; a client's smaller
	// max_execution_time wins. Default 30s. The store should carry the same
	// max_execution_time setting, which is what stops the engine: past
	// this limit the client gets TIMEOUT_EXCEEDED while the statement runs
	// on to the store's own limit.
	MaxExecutionTime time.Duration
	// MaxQueryBytes caps the statement text (URL query plus body).
	// Default 1 MiB.
	MaxQueryBytes int
	// MaxResultBytes caps one response body before compression; the store's
	// max_result_bytes caps what the engine builds. Default 64 MiB.
	MaxResultBytes int
	// AuthTimeout bounds one Authenticator call. Default 5s.
	AuthTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.DisplayName == "" {
		c.DisplayName = "activedefense"
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if c.MaxExecutionTime <= 0 {
		c.MaxExecutionTime = 30 * time.Second
	}
	if c.MaxQueryBytes <= 0 {
		c.MaxQueryBytes = 1 << 20
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = 64 << 20
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = 5 * time.Second
	}
	return c
}
