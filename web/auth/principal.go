package auth

import (
	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// Principal kinds.
const (
	KindSocket  = "socket"
	KindToken   = "token"
	KindSession = "session"
)

// Principal is an authenticated caller.
type Principal struct {
	Name   string `json:"name"`   // user or token name; "cli" on the socket
	Kind   string `json:"kind"`   // socket, token or session
	Role   string `json:"role"`   // sessions: admin or viewer
	Scope  string `json:"scope"`  // tokens: read, write or hunt
	Hunt   bool   `json:"hunt"`   // may use the hunting console
	Remote string `json:"remote"` // client address
}

// Socket is the administrator on the Unix socket.
var Socket = Principal{Name: "cli", Kind: KindSocket, Role: schema.RoleAdmin, Hunt: true}

// CanWrite reports whether p may change things.
func (p Principal) CanWrite() bool {
	switch p.Kind {
	case KindSocket:
		return true
	case KindToken:
		return p.Scope == schema.ScopeWrite
	case KindSession:
		return p.Role == schema.RoleAdmin
	}
	return false
}

// IsAdmin reports whether p may manage users and tokens.
func (p Principal) IsAdmin() bool {
	return p.Kind == KindSocket || (p.Kind == KindSession && p.Role == schema.RoleAdmin)
}

// CanHunt reports whether p may run read-only SQL on the hunting store.
func (p Principal) CanHunt() bool {
	switch p.Kind {
	case KindSocket:
		return true
	case KindToken:
		return p.Scope == schema.ScopeHunt
	case KindSession:
		return p.Role == schema.RoleAdmin || p.Hunt
	}
	return false
}

// Trusted reports whether p is the administrator on the server itself
// (read-write SQL, files anywhere on the server).
func (p Principal) Trusted() bool { return p.Kind == KindSocket }

// Actor names p in the audit trail.
func (p Principal) Actor() schema.Actor {
	switch p.Kind {
	case KindSocket:
		return schema.Actor{Name: "cli"}
	case KindToken:
		return schema.Actor{Name: "token:" + p.Name, Remote: p.Remote}
	}
	return schema.Actor{Name: "user:" + p.Name, Remote: p.Remote}
}

const localsKey = "auth.principal"

// Set stores p in the request.
func Set(c *fiber.Ctx, p Principal) { c.Locals(localsKey, p) }

// From returns the request's principal; ok is false when none is set.
func From(c *fiber.Ctx) (Principal, bool) {
	p, ok := c.Locals(localsKey).(Principal)
	return p, ok
}
