package notifier

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
)

// MaxUnrecorded is maxUnrecorded, for the tests of package notifier_test.
const MaxUnrecorded = maxUnrecorded

// WithoutSentLog makes d's Run keep no sent log, so that a sent message
// keeps its place until committed on SQLite too.
func WithoutSentLog(d *Dispatcher) { d.noSentLog = true }

// SentLogLines returns the lines of the sent log of the SQLite database
// at dbPath, the last one cut short included.
func SentLogLines(dbPath string) (int, error) {
	data, err := os.ReadFile(dbPath + sentLogSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	return bytes.Count(data, []byte{'\n'}), err
}
