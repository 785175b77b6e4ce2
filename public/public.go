// Package public holds the static assets of the public pages — style
// sheet, scripts, icons — embedded in the binary so that the page depends
// on nothing outside the process.
package public

import "embed"

// FS holds the assets, served under /static/.
//
//go:embed *.css *.js
var FS embed.FS
