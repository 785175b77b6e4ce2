package email

import (
	"errors"
	"net/textproto"
	"regexp"
	"strconv"

	"github.com/beacon-status/beacon/notifier"
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("email: sender closed")

// failure is what a failed attempt says about what to do next.
type failure int

const (
	// failConn: the connection is unusable (network error, timeout, dial
	// or greeting failure, 421): drop it, redial and try again.
	failConn failure = iota
	// failTemp: the server answered 4xx for this message: retry later.
	failTemp
	// failPerm: the server answered 5xx, or the message cannot be sent.
	failPerm
)

// refusal is the server refusing part of a mail transaction.
type refusal struct {
	stage string // "mail", "rcpt", "data" or "message" (after the message's final dot)
	err   error  // a *textproto.Error
}

func (e *refusal) Error() string { return "smtp " + e.stage + ": " + e.err.Error() }
func (e *refusal) Unwrap() error { return e.err }

// classify reads an error from a send. A broken or missing connection, a
// timeout or a failure to connect is failConn; only a reply code to the
// transaction tells a temporary refusal from a permanent one.
func classify(err error) (failure, int) {
	var re *refusal
	if errors.As(err, &re) {
		var te *textproto.Error
		errors.As(re.err, &te)
		code := 0
		if te != nil {
			code = te.Code
		}
		switch {
		case re.stage == "mail" && code >= 500:
			// The server refused our sender address: a configuration
			// problem, not the recipient's, so it must not count towards
			// quarantining anyone. Retried with backoff.
			return failTemp, code
		case code == 421: // "service not available, closing channel"
			return failConn, code
		case code >= 400 && code < 500:
			return failTemp, code
		case code >= 500 && code < 600:
			return failPerm, code
		}
		return failConn, code
	}
	// Failures while connecting (greeting, EHLO, STARTTLS, AUTH) say nothing
	// about the recipient, whatever their code: they stay temporary.
	var te *textproto.Error
	if errors.As(err, &te) {
		return failConn, te.Code
	}
	return failConn, 0
}

// connFailed reports whether err means the connection is unusable.
func connFailed(err error) bool {
	f, _ := classify(err)
	return f == failConn
}

// sendError turns err into the notifier's classification, with the
// recipient's address masked in its text.
func sendError(err error, to string) *notifier.SendError {
	f, code := classify(err)
	codeStr := ""
	if code != 0 {
		codeStr = strconv.Itoa(code)
	}
	redacted := &redactedError{msg: "email: send to " + mask(to) + ": " + redact(err.Error(), to), err: err}
	if f == failPerm {
		return notifier.Permanent(codeStr, redacted)
	}
	return notifier.Temporary(codeStr, redacted)
}

// redactedError keeps the chain of the error it wraps (for errors.Is and
// errors.As) but not its text: go-mail's errors, and many servers' replies,
// name the full recipient address.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact replaces every spelling of addr in s by its mask.
func redact(s, addr string) string {
	if addr == "" {
		return s
	}
	re := regexp.MustCompile("(?i)" + regexp.QuoteMeta(addr))
	return re.ReplaceAllLiteralString(s, mask(addr))
}
