package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/activedefense/activedefense/schema"
)

// BcryptCost is the cost of stored password hashes.
const BcryptCost = 12

// Password length limits (bcrypt reads at most 72 bytes).
const (
	MinPassword = 8
	MaxPassword = 72
)

// Users manages web users.
type Users struct {
	st    schema.Store
	cost  int
	dummy []byte // compared against when the user does not exist
}

// NewUsers returns the user operations on st.
func NewUsers(st schema.Store) *Users {
	return &Users{st: st, cost: BcryptCost}
}

// UserAdd creates a user.
type UserAdd struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
	Hunt     bool   `json:"hunt"`
}

// ValidPassword checks a new password's length.
func ValidPassword(field, pw string) error {
	if len(pw) < MinPassword {
		return schema.Invalid(field, "must have at least %d characters", MinPassword)
	}
	if len(pw) > MaxPassword {
		return schema.Invalid(field, "must have at most %d bytes", MaxPassword)
	}
	return nil
}

// Add creates a user with a bcrypt hash of the password.
func (u *Users) Add(ctx context.Context, actor schema.Actor, req UserAdd) (schema.User, error) {
	usr := schema.User{Name: strings.TrimSpace(req.Name), Role: req.Role, Hunt: req.Hunt}
	if usr.Role == "" {
		usr.Role = schema.RoleViewer
	}
	switch {
	case !schema.ValidName(usr.Name):
		return usr, schema.Invalid("name", "use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
	case !schema.ValidRole(usr.Role):
		return usr, schema.Invalid("role", "must be admin or viewer, got %q", req.Role)
	}
	if err := ValidPassword("password", req.Password); err != nil {
		return usr, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), u.cost)
	if err != nil {
		return usr, fmt.Errorf("hashing password: %w", err)
	}
	usr.PasswordHash = string(hash)
	if err := schema.AddUser(ctx, u.st, usr); err != nil {
		return usr, err
	}
	return usr, schema.PutAudit(ctx, u.st, actor.Event(schema.AuditAdd, "user "+usr.Name, "role "+usr.Role))
}

// List returns the users.
func (u *Users) List(ctx context.Context) ([]schema.User, error) { return schema.ListUsers(ctx, u.st) }

// Count returns how many users exist.
func (u *Users) Count(ctx context.Context) (int, error) {
	n, err := schema.Count(ctx, u.st, "SELECT count() FROM users FINAL WHERE deleted = 0", nil)
	return int(n), err
}

// Remove deletes a user and ends its sessions.
func (u *Users) Remove(ctx context.Context, actor schema.Actor, name string) error {
	usr, err := schema.GetUser(ctx, u.st, name)
	if err != nil {
		return err
	}
	if err := schema.PutUser(ctx, u.st, usr, true); err != nil {
		return err
	}
	if err := schema.EndSessions(ctx, u.st, name); err != nil {
		return err
	}
	return schema.PutAudit(ctx, u.st, actor.Event(schema.AuditRemove, "user "+name, ""))
}

// UserChange changes a user's role, hunting right or password; empty
// fields stay as they are.
type UserChange struct {
	Role     string `json:"role,omitempty"`
	Hunt     *bool  `json:"hunt,omitempty"`
	Password string `json:"password,omitempty"`
}

// Change updates a user; a new password ends the user's sessions.
func (u *Users) Change(ctx context.Context, actor schema.Actor, name string, ch UserChange) (schema.User, error) {
	usr, err := schema.GetUser(ctx, u.st, name)
	if err != nil {
		return usr, err
	}
	var what []string
	if ch.Role != "" {
		if !schema.ValidRole(ch.Role) {
			return usr, schema.Invalid("role", "must be admin or viewer, got %q", ch.Role)
		}
		usr.Role = ch.Role
		what = append(what, "role "+ch.Role)
	}
	if ch.Hunt != nil {
		usr.Hunt = *ch.Hunt
		what = append(what, fmt.Sprintf("hunt %t", usr.Hunt))
	}
	if ch.Password != "" {
		if err := ValidPassword("password", ch.Password); err != nil {
			return usr, err
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(ch.Password), u.cost)
		if err != nil {
			return usr, fmt.Errorf("hashing password: %w", err)
		}
		usr.PasswordHash = string(hash)
		what = append(what, "password")
	}
	if err := schema.PutUser(ctx, u.st, usr, false); err != nil {
		return usr, err
	}
	if ch.Password != "" {
		if err := schema.EndSessions(ctx, u.st, name); err != nil {
			return usr, err
		}
	}
	return usr, schema.PutAudit(ctx, u.st, actor.Event(schema.AuditSetting, "user "+name, strings.Join(what, ", ")))
}

// ErrBadCredentials is a failed login; it never says which part was wrong.
var ErrBadCredentials = fmt.Errorf("wrong user name or password: %w", schema.ErrUnauthorized)

// Check verifies a password in constant time whether or not the user
// exists, and returns the user.
func (u *Users) Check(ctx context.Context, name, password string) (schema.User, error) {
	usr, err := schema.GetUser(ctx, u.st, name)
	if err != nil && !errors.Is(err, schema.ErrNotFound) {
		return usr, err
	}
	hash := []byte(usr.PasswordHash)
	if err != nil || usr.Disabled {
		hash = u.dummyHash()
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil || usr.Disabled {
		return schema.User{}, ErrBadCredentials
	}
	return usr, nil
}

func (u *Users) dummyHash() []byte {
	if u.dummy == nil {
		u.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), u.cost)
	}
	return u.dummy
}
