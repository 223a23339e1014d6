// Package guapocado is the typed Go client for Guapocado billing as served by
// the Guapocado plugin for Better Auth.
//
// It is the Go twin of the browser's authClient.guapocado: a Go program holding
// a Better Auth session (a CLI, a backend service acting for a user, or Go
// compiled to WebAssembly in a browser page) can consume and refund usage,
// check entitlements and limits, sync the customer, read plans and
// subscriptions and start checkout, with typed results.
package guapocado
