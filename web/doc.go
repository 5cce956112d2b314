// Package web is the HTTP side of Active Defense: for now the health
// endpoint; the login, dashboards, log search, blacklist management and the
// External Dynamic List arrive with the web issue, on the same Server.
//
// New builds the Fiber app without side effects; Run listens, serves until
// its context ends, then shuts down gracefully with a fresh timeout (never
// with the already-cancelled context). Without Config.InsecureHTTP the
// server speaks HTTPS, with the configured certificate or a self-signed one
// generated once into the data dir.
package web
