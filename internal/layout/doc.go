// Package layout holds no code: its test checks the rules of Beacon's
// package layout (DESIGN.md §1) on every `make test` — which packages may
// import which, how large a package may grow, and how many handlers one
// struct may carry — so the layout cannot drift back into one package.
package layout
