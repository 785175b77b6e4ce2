package sms

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/beacon-status/beacon/notifier"
)

// Twilio error codes that Send treats specially
// (https://www.twilio.com/docs/api/errors).
const (
	codeTooManyRequests  = 20429 // too many concurrent requests; not processed
	codeInvalidTo        = 21211 // invalid 'To' number
	codeRegionNotEnabled = 21408 // permission to send to the region not enabled
	codeUnsubscribed     = 21610 // the recipient replied STOP
	codeQueueFull        = 21611 // the sender's queue of messages is full
	codeUnreachableTo    = 21612 // the 'To' number cannot be reached from the sender
	codeNotMobile        = 21614 // the 'To' number is not a mobile number
	codeQueueOverflow    = 30001 // queue overflow
)

// Least waits before retrying, unless Retry-After asks for longer, and the
// most any Retry-After is believed.
const (
	rateLimitedWait = time.Second
	queueFullWait   = time.Minute
	maxRetryAfter   = time.Hour
)

// classify turns CreateMessage's error into a *notifier.SendError, using what
// the transport saw of the reply. to is masked in the error's text.
func classify(err error, r reply, to string) *notifier.SendError {
	now := time.Now()
	var rest *client.TwilioRestError
	if !errors.As(err, &rest) {
		if r.status == 0 {
			// No reply: network error, timeout or cancellation.
			return notifier.Temporary("", fmt.Errorf("sms: send: %w", err))
		}
		// A reply twilio-go could not decode, such as a proxy's HTML page.
		err = fmt.Errorf("sms: send: http %d: %w", r.status, err)
		switch {
		case r.status == http.StatusTooManyRequests:
			return &notifier.SendError{Err: err, RetryAfter: retryAfter(r.retryAfter, now, rateLimitedWait)}
		case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
			return notifier.Temporary("", err) // configuration, not the subscriber
		case r.status >= 400 && r.status < 500:
			return notifier.Permanent("", err)
		default:
			return notifier.Temporary("", err)
		}
	}

	status := r.status
	if status == 0 {
		status = rest.Status
	}
	code := ""
	if rest.Code != 0 {
		code = strconv.Itoa(rest.Code)
	}
	err = &apiError{status: status, rest: rest, to: to}
	switch {
	case rest.Code == codeUnsubscribed:
		return &notifier.SendError{Permanent: true, Unsubscribe: true, Code: code, Err: err}
	case rest.Code == codeTooManyRequests || status == http.StatusTooManyRequests:
		return &notifier.SendError{Code: code, Err: err, RetryAfter: retryAfter(r.retryAfter, now, rateLimitedWait)}
	case rest.Code == codeQueueFull || rest.Code == codeQueueOverflow:
		// The sender's queue holds hours of messages: a second's wait does
		// not help.
		return &notifier.SendError{Code: code, Err: err, RetryAfter: retryAfter(r.retryAfter, now, queueFullWait)}
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound && rest.Code == 20404:
		// Bad credentials or a wrong account: Beacon's configuration is at
		// fault, not the subscriber, who must not be quarantined for it.
		// Retried with backoff until an operator fixes the settings.
		return notifier.Temporary(code, err)
	case status >= 500:
		se := notifier.Temporary(code, err)
		if r.retryAfter != "" {
			se.RetryAfter = retryAfter(r.retryAfter, now, 0)
		}
		return se
	case rest.Code == codeInvalidTo, rest.Code == codeNotMobile,
		rest.Code == codeUnreachableTo, rest.Code == codeRegionNotEnabled:
		return notifier.Permanent(code, err)
	case status >= 400:
		return notifier.Permanent(code, err)
	default:
		return notifier.Temporary(code, err)
	}
}

// apiError is an error reply from Twilio whose text masks the recipient's
// number, which Twilio's messages often quote.
type apiError struct {
	status int
	rest   *client.TwilioRestError
	to     string
}

func (e *apiError) Error() string {
	msg := e.rest.Message
	if e.to != "" {
		msg = strings.ReplaceAll(msg, e.to, mask(e.to))
		msg = strings.ReplaceAll(msg, strings.TrimPrefix(e.to, "+"), mask(e.to))
	}
	s := fmt.Sprintf("sms: twilio error %d (http %d): %s", e.rest.Code, e.status, msg)
	if e.rest.MoreInfo != "" {
		s += " (" + e.rest.MoreInfo + ")"
	}
	return s
}

func (e *apiError) Unwrap() error { return e.rest }

// mask hides all but the country-code end and the last two digits of a
// phone number, so that logs can tell messages apart without holding
// subscribers' numbers.
func mask(number string) string {
	if len(number) <= 5 {
		return strings.Repeat("*", len(number))
	}
	return number[:3] + strings.Repeat("*", len(number)-5) + number[len(number)-2:]
}
