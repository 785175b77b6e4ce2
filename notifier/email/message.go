package email

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/wneessen/go-mail"

	"github.com/beacon-status/beacon/notifier"
)

// reservedHeaders are written from the message's own fields; setting them
// again through Message.Headers would duplicate or contradict them.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "subject": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// knownHeaders maps the headers Beacon sets to go-mail's spelling, so that
// "Message-Id" does not end up beside the Message-ID go-mail would add.
var knownHeaders = map[string]mail.Header{
	"message-id":            mail.HeaderMessageID,
	"in-reply-to":           mail.HeaderInReplyTo,
	"references":            mail.HeaderReferences,
	"list-unsubscribe":      mail.HeaderListUnsubscribe,
	"list-unsubscribe-post": mail.HeaderListUnsubscribePost,
}

// compose builds the go-mail message for m and returns it with the
// Message-ID it carries. Its errors are the message's fault: sending it
// again cannot help.
func (s *Sender) compose(m notifier.Message) (*mail.Msg, string, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&netmail.Address{Name: s.cfg.FromName, Address: s.cfg.From})
	if err := msg.To(m.To); err != nil {
		return nil, "", errors.New("invalid recipient address")
	}
	msg.Subject(m.Subject)

	var msgID string
	for key, value := range m.Headers {
		if !validHeaderName(key) {
			return nil, "", fmt.Errorf("invalid header name %q", key)
		}
		lower := strings.ToLower(key)
		if reservedHeaders[lower] {
			return nil, "", fmt.Errorf("header %s is set from the message itself", key)
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, "", fmt.Errorf("header %s contains a line break", key)
		}
		name := mail.Header(key)
		if known, ok := knownHeaders[lower]; ok {
			name = known
		}
		if name == mail.HeaderMessageID {
			msgID = value
		}
		// SetGenHeader leaves ASCII values as they are (it only encodes
		// words that need RFC 2047) and folds long lines at spaces.
		msg.SetGenHeader(name, value)
	}
	if msgID == "" {
		msgID = newMessageID(s.cfg.From)
		msg.SetGenHeader(mail.HeaderMessageID, msgID)
	}

	if m.HTML != "" {
		msg.SetBodyString(mail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	} else {
		msg.SetBodyString(mail.TypeTextPlain, m.Text)
	}
	return msg, msgID, nil
}

// validHeaderName reports whether name is a field name per RFC 5322: printable
// ASCII other than colon and space.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newMessageID returns "<random@domain-of-from>". The domain is the
// sender's rather than the machine's, so replies and threading tie back to
// the page, and the random part carries 128 bits.
func newMessageID(from string) string {
	domain := "localhost"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "<" + strings.ToLower(idEncoding.EncodeToString(b[:])) + "@" + domain + ">"
}

// mask hides most of an address for logs: "john@example.com" becomes
// "j***@example.com".
func mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	first := []rune(addr[:at])[0]
	return string(first) + "***" + addr[at:]
}
