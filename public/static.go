package public

import "embed"

// static holds the assets of the public pages and the console — style
// sheets and scripts — embedded in the binary so that the pages depend on
// nothing outside the process, and served under /static/.
//
//go:embed static/*.css static/*.js
var static embed.FS

// embedScriptSource is the source of the status embed, the script other
// sites include from /embed/script.js. It ends in an empty object literal,
// {/*config*/}, which the server replaces with the page's status embed
// settings (it is kept out of static: served raw it would lack them).
//
//go:embed static/embed/script.js
var embedScriptSource string
