package public

import _ "embed" // for go:embed

// EmbedScript is the source of the status embed, the script other sites
// include from /embed/script.js. It ends in an empty object literal,
// {/*config*/}, which the server replaces with the page's status embed
// settings (it is kept out of FS: served raw it would lack them).
//
//go:embed embed/script.js
var EmbedScript string
