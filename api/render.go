package api

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// JSON writes v with status. Successful GET responses carry an ETag, and a request whose
// If-None-Match names it gets 304 with no body. Content-Type is exactly application/json
// (python-gitlab compares the string).
func JSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusOK && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		etag := ETag(body)
		h.Set("ETag", etag)
		if ETagMatches(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ETag is a weak validator of a response body: its length and CRC-32C (hardware-accelerated,
// and with the length, plenty to tell versions of one resource apart).
func ETag(body []byte) string {
	return `W/"` + strconv.FormatUint(uint64(crc32.Checksum(body, castagnoli)), 16) +
		"-" + strconv.Itoa(len(body)) + `"`
}

// ETagMatches reports whether an If-None-Match header names etag (weak comparison).
func ETagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	strip := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	want := strip(etag)
	for _, candidate := range strings.Split(header, ",") {
		c := strings.TrimSpace(candidate)
		if c == "*" || strip(c) == want {
			return true
		}
	}
	return false
}

// NoContent answers 204.
func NoContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
