package main

// Beacon carries Go's copy of the IANA time zone database (about 450 KB),
// so BEACON_TIME_ZONE and the page's time zone work on a host or in an
// image that has none, such as the container image built FROM scratch.
// The host's database, where there is one, is still preferred.
import _ "time/tzdata"
