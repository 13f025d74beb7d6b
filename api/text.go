package api

import (
	"bytes"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/forge"
)

// checkText refuses parameters holding text that cannot be stored as given: bytes that are
// not UTF-8 (encoding/json would turn them into U+FFFD without a word) or NUL bytes. It names
// the first such field, looking at the JSON body, then the form, then the query string. raw
// is the JSON body as sent, when there was one.
func (in *Input) checkText(raw []byte) error {
	if err := CheckJSONText(raw); err != nil {
		return err
	}
	for _, vals := range []url.Values{in.form, in.query} {
		if err := CheckFormText(vals); err != nil {
			return err
		}
	}
	return nil
}

// CheckJSONText refuses a JSON document (one the decoder accepted) holding a string that
// cannot be stored as text, naming its field (see malformedJSONText); nil when there is none.
func CheckJSONText(raw []byte) error {
	if field, reason := malformedJSONText(raw); reason != "" {
		return forge.MalformedField(field, reason)
	}
	return nil
}

// CheckFormText refuses form values or names that cannot be stored as text, naming the first
// such field in name order; nil when there is none.
func CheckFormText(vals url.Values) error {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if reason, _ := forge.Malformed(k); reason != "" {
			return forge.MalformedField(printable(k), reason)
		}
		for _, v := range vals[k] {
			if reason, _ := forge.Malformed(v); reason != "" {
				return forge.MalformedField(k, reason)
			}
		}
	}
	return nil
}

// printable is a malformed name made fit to be shown in a message.
func printable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", `\0`)
}

// malformedJSONText finds the first string of a well-formed JSON document that cannot be
// stored as text: raw bytes that are not UTF-8, a \u0000 escape, or a surrogate escape that
// is not half of a pair. It returns the field holding it, named as Rack names nested
// parameters ("actions[0][content]"), and forge.ReasonInvalidUTF8 or forge.ReasonNullByte; reason is
// "" when every string is fine.
func malformedJSONText(data []byte) (field, reason string) {
	if utf8.Valid(data) && !bytes.Contains(data, []byte(`\u`)) {
		return "", "" // nothing to look for: the common case costs two scans
	}
	s := jsonScan{data: data}
	s.value("")
	return s.field, s.reason
}

// jsonScan walks a JSON document the decoder has already accepted, so it needs no checks of
// its syntax, until it finds a malformed string.
type jsonScan struct {
	data   []byte
	i      int
	field  string
	reason string
}

func (s *jsonScan) space() {
	for s.i < len(s.data) && strings.IndexByte(" \t\r\n", s.data[s.i]) >= 0 {
		s.i++
	}
}

// value scans the value at s.i, the field at path; it reports whether to stop.
func (s *jsonScan) value(path string) bool {
	s.space()
	if s.i >= len(s.data) {
		return true
	}
	switch s.data[s.i] {
	case '{':
		s.i++
		for {
			s.space()
			if s.i >= len(s.data) || s.data[s.i] == '}' {
				s.i++
				return false
			}
			if s.data[s.i] == ',' {
				s.i++
				continue
			}
			key, reason := s.str()
			if reason != "" {
				s.field, s.reason = orBody(path), reason
				return true
			}
			s.space()
			s.i++ // ':'
			if s.value(child(path, key)) {
				return true
			}
		}
	case '[':
		s.i++
		for n := 0; ; n++ {
			s.space()
			if s.i >= len(s.data) || s.data[s.i] == ']' {
				s.i++
				return false
			}
			if s.data[s.i] == ',' {
				s.i++
			}
			if s.value(path + "[" + strconv.Itoa(n) + "]") {
				return true
			}
		}
	case '"':
		if _, reason := s.str(); reason != "" {
			s.field, s.reason = orBody(path), reason
			return true
		}
		return false
	}
	for s.i < len(s.data) && strings.IndexByte(",}] \t\r\n", s.data[s.i]) < 0 {
		s.i++ // a number, true, false or null
	}
	return false
}

// child names the member key of the field at path.
func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "[" + key + "]"
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// str scans the string at s.i and returns its text, as far as it is shown in a field's name,
// and why it cannot be stored, if it cannot.
func (s *jsonScan) str() (text, reason string) {
	s.i++ // the opening quote
	start := s.i
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return printable(string(s.data[start : s.i-1])), reason
		case c == '\\' && s.i+1 < len(s.data) && s.data[s.i+1] == 'u':
			r := hex4(s.data[s.i+2:])
			s.i += 6
			switch {
			case r == 0 && reason == "":
				reason = forge.ReasonNullByte
			case r >= 0xdc00 && r <= 0xdfff && reason == "":
				reason = forge.ReasonInvalidUTF8 // a low surrogate alone
			case r >= 0xd800 && r <= 0xdbff:
				if lo := s.data[s.i:]; len(lo) >= 6 && lo[0] == '\\' && lo[1] == 'u' &&
					hex4(lo[2:]) >= 0xdc00 && hex4(lo[2:]) <= 0xdfff {
					s.i += 6
				} else if reason == "" {
					reason = forge.ReasonInvalidUTF8 // a high surrogate alone
				}
			}
		case c == '\\':
			s.i += 2
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && n == 1 && reason == "" {
				reason = forge.ReasonInvalidUTF8
			}
			s.i += n
		}
	}
	return printable(string(s.data[start:])), reason
}

// hex4 reads the four hex digits of a \u escape; -1 when they are not there.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}
