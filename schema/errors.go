package schema

import (
	"errors"
	"fmt"
)

// Sentinel errors of the domain operations. The JSON API maps each to a
// stable code and an HTTP status; callers test them with errors.Is.
var (
	// ErrInvalid means the input was refused; a *FieldError names the field.
	ErrInvalid = errors.New("invalid input")
	// ErrForbidden means the caller may not do this (role, scope, path).
	ErrForbidden = errors.New("forbidden")
	// ErrProtected means the address must never be blocked (allowlist,
	// our networks, a firewall, not globally routable).
	ErrProtected = errors.New("address is protected")
	// ErrUnauthorized means no valid credentials were given.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrConflict means the operation clashes with one in progress (a file
	// being read by the follower); try again later.
	ErrConflict = errors.New("conflict")
)

// FieldError is an invalid value of one named input field.
type FieldError struct {
	Field string // setting key, form field or JSON member
	Msg   string // what is wrong and what is allowed
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes a FieldError match ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Invalid returns a *FieldError for field.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
