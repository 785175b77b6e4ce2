// html-validate configuration for TestBrowserHTMLValidate (cmd/beacon/browser_test.go),
// which checks the markup Beacon's public pages send. A rule is relaxed here only for a
// deliberate choice of the pages, with the reason beside it: never to hide an error.
export default {
	root: true,
	extends: ["html-validate:recommended"],
	rules: {
		// The component checkboxes of the subscribe and manage forms all carry
		// name="component_ids": that is how an HTML form sends a list, and how the
		// handlers read it. The default only lets radios and buttons share a name.
		"form-dup-name": ["error", { shared: ["radio", "checkbox", "button", "reset", "submit"] }],
	},
};
