// html-validate configuration for TestBrowserHTMLValidate (cmd/beacon/browser_test.go),
// which checks the markup Beacon's public pages send. A rule is relaxed here only for a
// deliberate choice of the pages, with the reason beside it: never to hide an error.
export default {
	root: true,
	extends: ["html-validate:recommended"],
	rules: {
		// Each component's 90 uptime bars are an <ol> named "API: uptime over the last
		// 90 days", so that a screen reader announces what the list of days is. ARIA
		// allows naming the list role; the recommended preset still warns about any
		// aria-label outside a short list of elements, and html-validate's own
		// "standard" preset turns that warning off with this same option.
		"aria-label-misuse": ["error", { allowAnyNamable: true }],
	},
};
