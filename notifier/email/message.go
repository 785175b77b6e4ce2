package email

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	netmail "net/mail"
	"slices"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/notifier"
)

// reservedHeaders are written from the message's own fields; setting them
// again through Message.Headers would duplicate or contradict them.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "subject": true, "date": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// knownHeaders are the headers Beacon sets, in the spelling they are
// written with, so that "message-id" and "Message-ID" are one header.
var knownHeaders = map[string]string{
	"message-id":               "Message-ID",
	"in-reply-to":              "In-Reply-To",
	"references":               "References",
	"list-unsubscribe":         "List-Unsubscribe",
	"list-unsubscribe-post":    "List-Unsubscribe-Post",
	"auto-submitted":           "Auto-Submitted",
	"x-auto-response-suppress": "X-Auto-Response-Suppress",
}

// automatedHeaders mark every message as sent by a program, unless the
// message sets them itself: RFC 3834's Auto-Submitted, which
// vacation responders and most mail systems honour, and Exchange's and
// Outlook's X-Auto-Response-Suppress. Out-of-office replies and read
// receipts then stay away from the sender's mailbox.
var automatedHeaders = [...][2]string{
	{"Auto-Submitted", "auto-generated"},
	{"X-Auto-Response-Suppress", "All"},
}

// threadHeaders hold message ids; an id given without a domain, such as
// "<incident-abc.sub1>", is completed with the sender address's domain.
var threadHeaders = map[string]bool{"Message-ID": true, "In-Reply-To": true, "References": true}

// maxLine is the longest line written, as RFC 2045 asks of
// quoted-printable and RFC 2047 of encoded headers (76 with the CRLF
// excluded); header lines fold at spaces to stay near it.
const maxLine = 76

// envelope is what the SMTP transaction needs besides the message.
type envelope struct {
	from, to string // bare addresses
	msgID    string
}

// compose appends the RFC 5322 form of m to buf: headers, then the text
// and HTML as multipart/alternative (text alone when there is no HTML),
// both UTF-8 and quoted-printable, lines ending in CRLF. The result is
// ready for SMTP DATA as it is: no line starts with a dot. It returns the
// envelope and the Message-ID the message carries: m's own "Message-ID"
// header if set, otherwise a new one. Ids without a domain in
// Message-ID, In-Reply-To and References get the sender address's. Its errors are the message's fault:
// sending it again cannot help.
//
// go-mail's Msg would do the same, but it encodes both parts byte by byte
// through mime/quotedprintable and textproto's dot writer for every
// recipient, which made MIME encoding the largest single cost of a
// fan-out to many subscribers.
func (s *Sender) compose(buf []byte, m notifier.Message, now time.Time) ([]byte, envelope, error) {
	from := s.from.Load()
	env := envelope{from: from.addr}
	to, err := netmail.ParseAddress(m.To)
	if err != nil || to.Name != "" || strings.ContainsAny(to.Address, "\r\n<>") {
		return buf, env, errors.New("invalid recipient address")
	}
	env.to = to.Address

	type header struct{ name, value string }
	extra := make([]header, 0, len(m.Headers))
	for key, value := range m.Headers {
		if !validHeaderName(key) {
			return buf, env, fmt.Errorf("invalid header name %q", key)
		}
		lower := strings.ToLower(key)
		if reservedHeaders[lower] {
			return buf, env, fmt.Errorf("header %s is set from the message itself", key)
		}
		if strings.ContainsAny(value, "\r\n") {
			return buf, env, fmt.Errorf("header %s contains a line break", key)
		}
		name := key
		if known, ok := knownHeaders[lower]; ok {
			name = known
		}
		if threadHeaders[name] {
			value = qualifyIDs(value, mailDomain(from.addr))
		}
		if name == "Message-ID" {
			env.msgID = value
		}
		extra = append(extra, header{name, value})
	}
	if env.msgID == "" {
		env.msgID = newMessageID(from.addr)
		extra = append(extra, header{"Message-ID", env.msgID})
	}
	for _, h := range automatedHeaders {
		if !slices.ContainsFunc(extra, func(e header) bool { return e.name == h[0] }) {
			extra = append(extra, header{h[0], h[1]})
		}
	}
	slices.SortFunc(extra, func(a, b header) int { return strings.Compare(a.name, b.name) })

	buf = appendHeader(buf, "Date", now.Format(time.RFC1123Z))
	buf = appendHeader(buf, "From", from.header)
	buf = appendHeader(buf, "To", "<"+env.to+">")
	// A control character in a subject cannot split the header (encodeWord
	// encodes CR and LF too) but would reach the reader's screen: it is
	// removed, and a line break becomes a space.
	buf = appendHeader(buf, "Subject", encodeWord(chars.CleanLine(m.Subject)))
	for _, h := range extra {
		// Values are left as they are when ASCII; only words that need
		// it are encoded (RFC 2047).
		buf = appendHeader(buf, h.name, encodeWord(h.value))
	}
	buf = append(buf, "MIME-Version: 1.0\r\n"...)

	if m.HTML == "" && m.HTMLLayout == nil {
		buf = appendPartHeader(buf, "text/plain")
		buf = appendBody(buf, m.Text, m.TextLayout, m.Values)
		return buf, env, nil
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails
	var boundary [32]byte
	hex.Encode(boundary[:], rnd[:])
	buf = append(buf, "Content-Type: multipart/alternative;\r\n boundary="...)
	buf = append(buf, boundary[:]...)
	buf = append(buf, "\r\n\r\n--"...)
	buf = append(buf, boundary[:]...)
	buf = append(buf, "\r\n"...)
	buf = appendPartHeader(buf, "text/plain")
	buf = appendBody(buf, m.Text, m.TextLayout, m.Values)
	buf = append(buf, "\r\n--"...)
	buf = append(buf, boundary[:]...)
	buf = append(buf, "\r\n"...)
	buf = appendPartHeader(buf, "text/html")
	buf = appendBody(buf, m.HTML, m.HTMLLayout, m.Values)
	buf = append(buf, "\r\n--"...)
	buf = append(buf, boundary[:]...)
	buf = append(buf, "--\r\n"...)
	return buf, env, nil
}

// appendBody appends a part's text quoted-printable: text, or l filled
// with values. A layout's lines without holes are encoded once, the first
// time a message uses it; only the lines holding values are encoded for
// each message. Quoted-printable starts afresh on every line, so the
// result is the same as encoding the filled text whole.
func appendBody(buf []byte, text string, l *notifier.Layout, values []string) []byte {
	if l == nil {
		return appendQP(buf, text)
	}
	for _, v := range values {
		if v == "" || strings.IndexByte(v, '\n') >= 0 || strings.IndexByte(v, '\r') >= 0 {
			// A line break in a value, or an empty value between a CR
			// and a LF, would change where lines end.
			return appendQP(buf, l.Fill(values))
		}
	}
	enc := l.Derived(encodedLayoutKey{}, encodeLayout).(*encodedLayout)
	for _, c := range enc.chunks {
		if c.holes == nil {
			buf = append(buf, c.encoded...)
			continue
		}
		// The filled line goes at the end of buf, to be encoded from
		// there in place of itself: no allocation per message.
		start := len(buf)
		for i, h := range c.holes {
			buf = append(buf, c.pieces[i]...)
			buf = append(buf, values[h]...)
		}
		buf = append(buf, c.pieces[len(c.pieces)-1]...)
		line := buf[start:]
		buf = appendQP(buf, line)
		// Move the encoded line over the filled one.
		n := copy(buf[start:], buf[start+len(line):])
		buf = buf[:start+n]
	}
	return buf
}

// encodedLayoutKey names the email sender's form of a notifier.Layout.
type encodedLayoutKey struct{}

// encodedLayout is a layout as quoted-printable: runs of whole lines
// without holes encoded once, and the lines with holes as they are.
type encodedLayout struct {
	chunks []layoutChunk
}

type layoutChunk struct {
	encoded []byte   // lines without holes, encoded
	pieces  []string // or one line: pieces[0], value of holes[0], pieces[1], …
	holes   []int
}

func encodeLayout(l *notifier.Layout) any {
	enc := &encodedLayout{}
	var static []byte // encoded lines not yet in a chunk
	var pieces []string
	var holes []int
	var lit strings.Builder // the literal text of the current line since its last hole
	endLine := func() {
		if holes == nil {
			static = appendQP(static, lit.String())
		} else {
			if len(static) > 0 {
				enc.chunks = append(enc.chunks, layoutChunk{encoded: static})
				static = nil
			}
			enc.chunks = append(enc.chunks, layoutChunk{pieces: append(pieces, lit.String()), holes: holes})
		}
		pieces, holes = nil, nil
		lit.Reset()
	}
	for i, piece := range l.Pieces {
		for piece != "" {
			k := strings.IndexAny(piece, "\r\n")
			if k < 0 {
				lit.WriteString(piece)
				break
			}
			end := k + 1
			if piece[k] == '\r' && end < len(piece) && piece[end] == '\n' {
				end++
			}
			lit.WriteString(piece[:end])
			endLine()
			piece = piece[end:]
		}
		if i < len(l.Holes) {
			pieces = append(pieces, lit.String())
			holes = append(holes, l.Holes[i])
			lit.Reset()
		}
	}
	if lit.Len() > 0 || holes != nil {
		endLine()
	}
	if len(static) > 0 {
		enc.chunks = append(enc.chunks, layoutChunk{encoded: static})
	}
	return enc
}

// appendPartHeader writes the headers of a UTF-8, quoted-printable text
// part and the blank line after them.
func appendPartHeader(buf []byte, mediaType string) []byte {
	buf = append(buf, "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: "...)
	buf = append(buf, mediaType...)
	return append(buf, "; charset=UTF-8\r\n\r\n"...)
}

// encodeWord encodes s per RFC 2047 when it holds anything but printable
// ASCII (which includes a CR or LF), and returns it unchanged otherwise.
func encodeWord(s string) string { return mime.QEncoding.Encode("UTF-8", s) }

// appendHeader writes "name: value" folded at spaces so that lines stay
// near maxLine characters where the value allows.
func appendHeader(buf []byte, name, value string) []byte {
	buf = append(buf, name...)
	buf = append(buf, ':')
	n := len(name) + 1
	for word := range strings.SplitSeq(value, " ") {
		if n+1+len(word) > maxLine && n > len(name)+1 {
			buf = append(buf, "\r\n"...)
			n = 0
		}
		buf = append(buf, ' ')
		buf = append(buf, word...)
		n += 1 + len(word)
	}
	return append(buf, "\r\n"...)
}

// qpSafe marks the bytes quoted-printable writes as they are: printable
// ASCII but "=". Spaces and tabs are safe too except before a line break.
var qpSafe = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '='
	}
	t[' '], t['\t'] = true, true
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendQP appends s encoded as quoted-printable (RFC 2045), with every
// line break written as CRLF and lines of at most maxLine characters. A
// dot that would start a line is encoded, so that the result needs no
// dot-stuffing for SMTP.
func appendQP[T string | []byte](buf []byte, s T) []byte {
	n := 0 // characters on the current line
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\n' || c == '\r' {
			if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			buf = append(buf, '\r', '\n')
			n = 0
			i++
			continue
		}
		// A run of bytes written as they are, as long as the line has room.
		j := i
		for j < len(s) && j-i < maxLine-1-n && qpSafe[s[j]] && !(s[j] == '.' && n == 0 && j == i) {
			if (s[j] == ' ' || s[j] == '\t') && (j+1 == len(s) || s[j+1] == '\n' || s[j+1] == '\r') {
				break
			}
			j++
		}
		if j > i {
			buf = append(buf, s[i:j]...)
			n += j - i
			i = j
			if i < len(s) && n >= maxLine-1 && s[i] != '\n' && s[i] != '\r' {
				buf = append(buf, "=\r\n"...)
				n = 0
			}
			continue
		}
		literal := qpSafe[c] && !(c == '.' && n == 0)
		if (c == ' ' || c == '\t') && (i+1 == len(s) || s[i+1] == '\n' || s[i+1] == '\r') {
			literal = false // trailing white space would be lost in transport
		}
		width := 1
		if !literal {
			width = 3
		}
		if n+width > maxLine-1 {
			buf = append(buf, "=\r\n"...)
			n = 0
			continue // look at c again: a dot now starts the line
		}
		if literal {
			buf = append(buf, c)
		} else {
			buf = append(buf, '=', upperHex[c>>4], upperHex[c&0x0f])
		}
		n += width
		i++
	}
	return buf
}

// validHeaderName reports whether name is a field name per RFC 5322: printable
// ASCII other than colon and space. One starting with a dot is refused too:
// the message goes to DATA as composed, with no line starting with a dot.
func validHeaderName(name string) bool {
	if name == "" || name[0] == '.' {
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

// mailDomain is the domain of the sender address from: the right of
// every Message-ID, so that replies and threading tie back to the page.
func mailDomain(from string) string {
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		return from[at+1:]
	}
	return "localhost"
}

// qualifyIDs adds "@"+domain to each "<id>" in value that has no domain.
func qualifyIDs(value, domain string) string {
	if !strings.Contains(value, "<") {
		return value
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(value, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(value[open:], '>')
		if end < 0 {
			break
		}
		end += open
		b.WriteString(value[:end])
		if !strings.Contains(value[open:end], "@") {
			b.WriteString("@" + domain)
		}
		b.WriteByte('>')
		value = value[end+1:]
	}
	b.WriteString(value)
	return b.String()
}

// newMessageID returns "<random@domain-of-from>". The domain is the
// sender's rather than the machine's (mailDomain), and the random part
// carries 128 bits.
func newMessageID(from string) string {
	domain := mailDomain(from)
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
