package integrations

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	amtemplate "github.com/prometheus/alertmanager/template"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/chars"
)

// MaxPayload is the largest alert body taken, in bytes.
const MaxPayload = 1 << 20

// maxAlerts bounds the alerts of one payload.
const maxAlerts = 1000

// alertmanagerMessage is Alertmanager's webhook body, version 4: its
// template.Data with the envelope notify/webhook's Message adds (that
// package is not imported: it pulls in every notifier Alertmanager has).
type alertmanagerMessage struct {
	amtemplate.Data
	Version         string `json:"version"`
	GroupKey        string `json:"groupKey"`
	TruncatedAlerts uint64 `json:"truncatedAlerts"`
}

// grafanaMessage is Grafana's alerting webhook body, version 1: the same
// as Alertmanager's plus a title, a state and a message (its alerts' extra
// fields — values, panel and silence links — are not used).
type grafanaMessage struct {
	alertmanagerMessage
	OrgID   int64  `json:"orgId"`
	Title   string `json:"title"`
	State   string `json:"state"`
	Message string `json:"message"`
}

// genericMessage is Beacon's own alert body, for scripts and tools that
// speak neither format.
type genericMessage struct {
	// Component is a component's id or name (or a key of the
	// integration's components table).
	Component string `json:"component"`
	// Status is firing, resolved, or the component status to set
	// (operational resolves).
	Status string `json:"status"`
	// Severity, with status firing, picks the status by the integration's
	// severities.
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Message  string `json:"message"`
	// DedupeKey names the alert: further posts with the same key attach to
	// the same incident. Default: the component.
	DedupeKey string `json:"dedupe_key"`
}

// alert is one alert of any kind, as the mapping reads it.
type alert struct {
	firing      bool
	fingerprint string
	name        string
	labels      map[string]string
	// component and status are a generic alert's (status "" means by
	// severity).
	component string
	status    components.Status
	severity  string
}

// batch is one payload: the alerts of one group.
type batch struct {
	key    string
	alerts []alert
	// title and message are a generic alert's words for the incident.
	title, message string
	// complete says the payload holds every alert of its group, as an
	// Alertmanager or Grafana notification does unless truncated: the
	// group's alerts it does not name have resolved.
	complete bool
}

// decode reads a payload of kind k. Every error is a *MalformedError (not
// JSON) or a *ValidationError naming the field.
func decode(k Kind, body []byte) (batch, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return batch{}, &MalformedError{"the body is empty: post the alert as JSON"}
	}
	if !json.Valid(body) {
		return batch{}, &MalformedError{"the body is not valid JSON"}
	}
	if body[0] != '{' {
		return batch{}, &MalformedError{"the body must be a JSON object"}
	}
	switch k {
	case Alertmanager:
		var m alertmanagerMessage
		if err := unmarshal(body, &m); err != nil {
			return batch{}, err
		}
		if m.Version != "4" {
			return batch{}, invalid("version", "must be \"4\", Alertmanager's webhook version (got %q): is this integration's kind right?", m.Version)
		}
		return fromAlertmanager(m)
	case Grafana:
		var m grafanaMessage
		if err := unmarshal(body, &m); err != nil {
			return batch{}, err
		}
		if m.Version != "1" {
			return batch{}, invalid("version", "must be \"1\", Grafana's webhook version (got %q): is this integration's kind right?", m.Version)
		}
		return fromAlertmanager(m.alertmanagerMessage)
	}
	var m genericMessage
	if err := unmarshal(body, &m); err != nil {
		return batch{}, err
	}
	return fromGeneric(m)
}

// unmarshal decodes body into dst, naming the field at fault.
func unmarshal(body []byte, dst any) error {
	err := json.Unmarshal(body, dst)
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typ):
		field := typ.Field[strings.LastIndex(typ.Field, ".")+1:]
		if field == "" {
			field = "body"
		}
		want := "a string"
		switch typ.Type.Kind() {
		case reflect.Slice:
			want = "a list"
		case reflect.Map, reflect.Struct:
			want = "an object"
		case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Float64:
			want = "a number"
		}
		return invalid(field, "must be %s", want)
	case strings.Contains(err.Error(), "parsing time"):
		return invalid("alerts", "startsAt and endsAt must be RFC 3339 times")
	}
	return invalid("body", "%v", err)
}

func fromAlertmanager(m alertmanagerMessage) (batch, error) {
	if m.Status != "firing" && m.Status != "resolved" {
		return batch{}, invalid("status", "must be firing or resolved")
	}
	if len(m.Alerts) == 0 {
		return batch{}, invalid("alerts", "can't be empty")
	}
	if len(m.Alerts) > maxAlerts {
		return batch{}, invalid("alerts", "may hold at most %d alerts (set max_alerts on the receiver)", maxAlerts)
	}
	b := batch{key: m.GroupKey, complete: m.TruncatedAlerts == 0}
	if b.key == "" {
		b.key = "labels:" + labelString(m.GroupLabels)
	}
	for i, a := range m.Alerts {
		if a.Status != "firing" && a.Status != "resolved" {
			return batch{}, invalid("alerts", "[%d].status must be firing or resolved", i)
		}
		fp := a.Fingerprint
		if fp == "" {
			fp = labelString(a.Labels)
		}
		name := a.Labels["alertname"]
		if name == "" {
			name = a.Annotations["summary"]
		}
		b.alerts = append(b.alerts, alert{firing: a.Status == "firing", fingerprint: fp, name: name, labels: a.Labels})
	}
	b.key = shortKey(b.key)
	return b, nil
}

func fromGeneric(m genericMessage) (batch, error) {
	m.Component = strings.TrimSpace(m.Component)
	if m.Component == "" {
		return batch{}, invalid("component", "can't be blank: name a component by id or name")
	}
	a := alert{component: m.Component, severity: m.Severity, name: strings.TrimSpace(m.Title)}
	switch st := components.Status(m.Status); {
	case m.Status == "firing":
		a.firing = true
	case m.Status == "resolved" || st == components.Operational:
	case alertStatus(st):
		a.firing, a.status = true, st
	default:
		return batch{}, invalid("status", "must be firing, resolved, degraded_performance, partial_outage, major_outage or operational")
	}
	for _, f := range []struct{ name, v string }{{"component", m.Component}, {"title", m.Title}, {"dedupe_key", m.DedupeKey}, {"severity", m.Severity}} {
		if utf8.RuneCountInString(f.v) > 255 || chars.CheckLine(f.v) != nil {
			return batch{}, invalid(f.name, "must be one line of at most 255 characters")
		}
	}
	key := m.DedupeKey
	if key == "" {
		key = "component:" + m.Component
	}
	a.fingerprint = key
	if a.name == "" {
		a.name = key
	}
	return batch{key: shortKey(key), alerts: []alert{a}, title: strings.TrimSpace(m.Title), message: chars.Clean(m.Message)}, nil
}

// labelString renders labels in a stable order, as Alertmanager writes a
// label set.
func labelString(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// shortKey keeps a group key as it is up to 200 bytes, and a long one
// (many group labels) as its hash.
func shortKey(key string) string {
	if len(key) <= 200 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}
