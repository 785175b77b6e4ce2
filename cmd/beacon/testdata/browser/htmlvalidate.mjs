// html-validate configuration for the browser tests (cmd/beacon/*browser*_test.go), which
// check the markup Beacon's public pages and console screens send: the recommended preset,
// with no rule relaxed. Fix the markup rather than adding an exception here.
export default {
	root: true,
	extends: ["html-validate:recommended"],
};
