package notifier

// MaxUnrecorded is maxUnrecorded, for the tests of package notifier_test.
const MaxUnrecorded = maxUnrecorded
