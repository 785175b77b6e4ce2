package main

import (
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
)

// Signed-in staff for the tests of the whole binary that use the console
// (browser, process, hostile text, API tests that look at a screen); the
// console's own tests sign in with the same consoletest.SignIn.

// staff is a signed-in console user (consoletest.Staff).
type staff = consoletest.Staff

// newStaff creates a user with role and signs them in.
func (e *testEnv) newStaff(role accounts.Role) *staff {
	e.t.Helper()
	return consoletest.SignIn(e.t, e.app.accounts, role, e.do)
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
