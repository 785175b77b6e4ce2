package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// signaturePrefix names the signing scheme, so that it can change without
// breaking receivers that check it.
const signaturePrefix = "v1="

// Sign returns the X-Beacon-Signature value for body sent at timestamp
// (unix seconds): "v1=" followed by the hex HMAC-SHA256, keyed with secret,
// of the decimal timestamp, a dot and the body. Covering the timestamp lets
// a receiver refuse replays of old deliveries.
func Sign(secret string, timestamp int64, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

// Verify reports whether header is the signature of body sent at
// timestamp, comparing in constant time. It does not judge whether the
// timestamp is recent; receivers should also refuse old ones.
func Verify(secret, header string, timestamp int64, body []byte) bool {
	if len(header) < len(signaturePrefix) || header[:len(signaturePrefix)] != signaturePrefix {
		return false
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac(secret, timestamp, body))
}

func mac(secret string, timestamp int64, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(strconv.AppendInt(nil, timestamp, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
