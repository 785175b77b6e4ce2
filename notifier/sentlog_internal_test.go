package notifier

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSentLogLines: what add writes, readSentLog reads back, whatever the
// provider's id holds; a last line cut short is left out, and so is a line
// that does not read, counted.
func TestSentLogLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "beacon.db")
	if got, bad, err := readSentLog(path); err != nil || got != nil || bad != 0 {
		t.Fatalf("no log: %v, %d bad, %v; want nothing", got, bad, err)
	}
	f, err := os.OpenFile(path+sentLogSuffix, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	l := &sentLog{f: f}
	defer l.close()
	at := time.Date(2026, 12, 7, 18, 30, 0, 123456789, time.UTC)
	want := []sentEntry{
		{id: 1, at: at, providerID: "<1765132200.abc@example.com>"},
		{id: 2, at: at.Add(time.Millisecond), providerID: ""},
		{id: 1 << 40, at: at, providerID: "with space, \"quotes\",\nnewline and é"},
	}
	for _, e := range want {
		if err := l.add(e.id, e.at, e.providerID); err != nil {
			t.Fatal(err)
		}
	}
	got, bad, err := readSentLog(path)
	if err != nil || bad != 0 || !slices.Equal(got, want) {
		t.Fatalf("read back %v (%d bad, %v), want %v", got, bad, err, want)
	}

	// A line that does not read, then one cut short by a power cut.
	if _, err := f.WriteString("7 not-a-time \"x\"\n3 1765132200000000000 \"<cut"); err != nil {
		t.Fatal(err)
	}
	got, bad, err = readSentLog(path)
	if err != nil || bad != 1 || !slices.Equal(got, want) {
		t.Errorf("with a bad line and one cut short: %v (%d bad, %v), want %v and 1 bad", got, bad, err, want)
	}

	if err := l.empty(); err != nil {
		t.Fatal(err)
	}
	if got, bad, err := readSentLog(path); err != nil || len(got) != 0 || bad != 0 {
		t.Errorf("emptied: %v, %d bad, %v; want nothing", got, bad, err)
	}
	if err := l.add(4, at, "id"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := readSentLog(path); len(got) != 1 || got[0].id != 4 {
		t.Errorf("after emptying, one more line reads %v, want delivery 4 alone", got)
	}
}

// TestSentLogFull: a sent message gives its place back once the sent log
// lists it, but not once the log holds maxSentLogBytes: then it keeps the
// place until its commit, as without a log.
func TestSentLogFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "beacon.db")
	f, err := os.OpenFile(path+sentLogSuffix, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	l := &sentLog{f: f}
	defer l.close()
	r := &recorder{gatherFor: time.Hour, target: sentLogGroupTarget, sentLog: l}
	r.work, r.space, r.turn = sync.NewCond(&r.mu), sync.NewCond(&r.mu), sync.NewCond(&r.mu)
	held := func() int { return r.reserved + r.sent + r.committing }

	r.reserve()
	r.add(result{d: Delivery{ID: 1}, outcome: OutcomeSent}, true)
	if held() != 0 || r.logged != 1 {
		t.Errorf("a sent message in the log: %d places held, %d logged; want 0 and 1", held(), r.logged)
	}
	l.size = maxSentLogBytes
	r.reserve()
	r.add(result{d: Delivery{ID: 2}, outcome: OutcomeSent}, true)
	if held() != 1 || r.logged != 1 {
		t.Errorf("a sent message with the log full: %d places held, %d logged; want 1 and 1", held(), r.logged)
	}
	if got, _, _ := readSentLog(path); len(got) != 1 || got[0].id != 1 {
		t.Errorf("the log lists %v, want delivery 1 alone", got)
	}
}
