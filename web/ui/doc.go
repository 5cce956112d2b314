// Package ui is the web application: server-rendered pages (html/template)
// with their styles, scripts and the vendored chart library embedded in the
// binary.
//
// # Access
//
// Every page but /login and /setup needs a session: a random id in an
// HttpOnly, SameSite=Lax cookie (Secure, with the __Host- prefix, under
// TLS), stored by auth.Sessions only as a hash. Every request that is not
// GET or HEAD carries a CSRF token (form field "csrf" or header
// X-CSRF-Token) derived from the session id, or before login from a
// pre-session cookie; without it the answer is 403, never a redirect.
// Logins are throttled per user name and per client address. Viewers read;
// admins change; the hunting console needs the hunt right.
//
// # Pages
//
// Handlers call the domain operations (web/ops) for everything that changes
// state or applies a rule, and query the store directly only to read logs
// (search, record detail, dashboard, the blacklist's closed loop), always
// with bound {name:Type} parameters on the typed columns of firewall_logs.
//
// Pages send a strict Content-Security-Policy (no inline script or style):
// behaviour lives in static/app.js, which also refreshes marked parts of a
// page by polling with fetch.
package ui
