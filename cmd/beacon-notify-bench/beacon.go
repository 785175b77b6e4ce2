//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// buildBeacon compiles ./cmd/beacon into dir.
func buildBeacon(ctx context.Context, dir string) (string, error) {
	root, err := benchproc.ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "beacon")
	return bin, benchproc.BuildBeacon(ctx, root, bin, os.Stderr)
}

// beacon is one Beacon server with its own data directory.
type beacon struct {
	bin  string
	env  []string
	dir  string
	base string // http://127.0.0.1:PORT
	key  string
	page string
	p    *benchproc.Proc
	log  *syncWriter
	http *http.Client
}

// newBeacon returns a server (not yet started) on dataDir with the
// BEACON_… settings in vars.
func newBeacon(bin, dataDir string, vars map[string]string) (*beacon, error) {
	addr, err := benchproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	all := map[string]string{
		"BEACON_ADDR":           addr,
		"BEACON_DATA_DIR":       dataDir,
		"BEACON_API_RATE_LIMIT": "1000",
		"BEACON_API_BURST":      "1000",
		"BEACON_LOG_LEVEL":      "warn",
	}
	for k, v := range vars {
		all[k] = v
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range all {
		env = append(env, k+"="+v)
	}
	return &beacon{bin: bin, env: env, dir: dataDir, base: "http://" + addr, log: &syncWriter{},
		http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// seed imports the subscribers in csv with the CLI (before the server
// starts, as an operator would) and creates an API key. It returns how
// long the import took.
func (b *beacon) seed(ctx context.Context, csv string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	start := time.Now()
	if _, err := run(ctx, b.dir, b.env, b.bin, "subscribers", "import", csv); err != nil {
		return 0, err
	}
	took := time.Since(start)
	out, err := run(ctx, b.dir, b.env, b.bin, "apikey", "create", "--name", "notify-bench")
	if err != nil {
		return 0, err
	}
	b.key = strings.TrimSpace(out)
	if b.key == "" || strings.ContainsAny(b.key, " \n") {
		return 0, fmt.Errorf("apikey create printed %q, want one key", out)
	}
	return took, nil
}

// copyDir copies the regular files of src (a stopped server's data
// directory) into dst.
func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// serve starts the server and waits until it answers.
func (b *beacon) serve(ctx context.Context, g *benchproc.Group) error {
	cmd := exec.Command(b.bin, "serve")
	cmd.Env = b.env
	cmd.Stdout, cmd.Stderr = b.log, b.log
	p, err := g.Start(ctx, "beacon", cmd)
	if err != nil {
		return err
	}
	b.p = p
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Page struct {
				ID string `json:"id"`
			} `json:"page"`
		}
		err := b.get(ctx, "/api/v2/status.json", &st)
		if err == nil && st.Page.ID != "" {
			b.page = st.Page.ID
			return nil
		}
		if err == nil {
			err = errors.New("no page id in status.json")
		}
		if p.Exited() != nil || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("beacon did not start: %v (%v); its log: %s", err, p.Exited(), b.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *beacon) logTail() string {
	s := strings.TrimSpace(b.log.String())
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

func (b *beacon) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.key != "" {
		req.Header.Set("Authorization", "OAuth "+b.key)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

func (b *beacon) get(ctx context.Context, path string, out any) error {
	return b.do(ctx, http.MethodGet, path, nil, out)
}

// postIncident creates an incident that notifies every subscriber (or
// none) and returns its id, how long the call took and when it started.
func (b *beacon) postIncident(ctx context.Context, notify bool) (string, time.Duration, time.Time, error) {
	body := map[string]any{"incident": map[string]any{
		"name": "Bench", "status": "investigating", "body": "x", "deliver_notifications": notify,
	}}
	var in struct {
		ID string `json:"id"`
	}
	start := time.Now()
	err := b.do(ctx, http.MethodPost, "/api/v1/pages/"+b.page+"/incidents", body, &in)
	took := time.Since(start)
	if err == nil && in.ID == "" {
		err = errors.New("no incident id in the response")
	}
	return in.ID, took, start, err
}

// counts are one channel's deliveries of one event, by state.
type counts struct {
	Pending   int `json:"pending"`
	Sending   int `json:"sending"`
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
}

type eventStats struct {
	EventID   int64             `json:"event_id"`
	Kind      string            `json:"kind"`
	FannedOut bool              `json:"fanned_out"`
	Channels  map[string]counts `json:"channels"`
	Failures  []struct {
		Channel string `json:"channel"`
		Code    string `json:"code"`
		Error   string `json:"error"`
	} `json:"recent_failures"`
}

// progress sums the incident's deliveries on channel over its events.
func (b *beacon) progress(ctx context.Context, incident, channel string) (counts, []eventStats, error) {
	var evs []eventStats
	if err := b.get(ctx, "/api/v1/pages/"+b.page+"/incidents/"+incident+"/notifications", &evs); err != nil {
		return counts{}, nil, err
	}
	var c counts
	for _, e := range evs {
		x := e.Channels[channel]
		c.Pending += x.Pending
		c.Sending += x.Sending
		c.Sent += x.Sent
		c.Failed += x.Failed
		c.Cancelled += x.Cancelled
	}
	return c, evs, nil
}

// waitSent polls the notifications API until n deliveries on channel are
// recorded as sent.
func (b *beacon) waitSent(ctx context.Context, incident, channel string, n int, timeout time.Duration) (time.Time, counts, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last counts
	for {
		c, _, err := b.progress(ctx, incident, channel)
		if err == nil {
			last = c
			if c.Sent >= n {
				return time.Now(), c, nil
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, last, fmt.Errorf("%d of %d recorded as sent (%+v, last error %v): %w", last.Sent, n, last, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// metrics returns the sample lines of /metrics whose names start with one
// of prefixes.
func (b *beacon) metrics(ctx context.Context, prefixes ...string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				out = append(out, line)
				break
			}
		}
	}
	return out, sc.Err()
}

// metricSum adds the values of the sample lines named name whose labels
// contain every one of labels.
func metricSum(lines []string, name string, labels ...string) float64 {
	var sum float64
	for _, l := range lines {
		sp := strings.LastIndexByte(l, ' ')
		if sp < 0 {
			continue
		}
		head := l[:sp]
		metric, lbl, _ := strings.Cut(head, "{")
		if metric != name {
			continue
		}
		ok := true
		for _, want := range labels {
			if !strings.Contains(lbl, want) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(l[sp+1:], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// rssSampler records the highest VmRSS it sees; VmHWM, read at the end,
// is the kernel's own peak.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}
	peak int64
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, err := procStatusKB(pid, "VmRSS"); err == nil && kb > s.peak {
				s.peak = kb
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish stops sampling and returns the peak in kB: VmHWM, or the highest
// sample if that cannot be read.
func (s *rssSampler) finish() (hwm, sampled int64) {
	close(s.stop)
	<-s.done
	hwm, err := procStatusKB(s.pid, "VmHWM")
	if err != nil {
		hwm = s.peak
	}
	return hwm, s.peak
}
