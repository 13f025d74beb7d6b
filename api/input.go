package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

// Input is a request's parameters from every place a client may put them: a JSON body, an
// urlencoded or multipart form, and the query string, looked up in that order. An explicit
// JSON null counts as not given.
type Input struct {
	body  map[string]any
	form  url.Values
	query url.Values
}

// ReadInput parses the request's parameters once. A malformed body is invalid, and so is
// text that cannot be stored as given (bytes that are not UTF-8, NUL bytes), naming its field.
func ReadInput(r *http.Request) (*Input, error) {
	in, raw, err := readInput(r)
	if err != nil {
		return nil, err
	}
	if err := in.checkText(raw); err != nil {
		return nil, err
	}
	return in, nil
}

// readInput parses the request's parameters; raw is the JSON body, when there is one.
func readInput(r *http.Request) (in *Input, raw []byte, err error) {
	in = &Input{query: r.URL.Query()}
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return in, nil, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, nil, bodyError(err)
		}
		in.form = r.MultipartForm.Value
	case "application/x-www-form-urlencoded":
		// ParseForm reads bodies of POST, PUT and PATCH only; clients send DELETE ones too.
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, bodyError(err)
		}
		if in.form, err = url.ParseQuery(string(data)); err != nil {
			return nil, nil, &forge.Error{Code: forge.EInvalid, Message: "The request body cannot be read"}
		}
	default:
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, bodyError(err)
		}
		data = bytes.TrimSpace(data)
		if len(data) == 0 {
			return in, nil, nil
		}
		if ct != "application/json" && !strings.HasSuffix(ct, "+json") && data[0] != '{' {
			// curl -d without a content type sends a form; accept it as one.
			if vals, err := url.ParseQuery(string(data)); err == nil {
				in.form = vals
				return in, nil, nil
			}
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&in.body); err != nil || dec.More() {
			return nil, nil, &forge.Error{Code: forge.EInvalid, Message: "The request body is not valid JSON"}
		}
		raw = data
	}
	return in, raw, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return &forge.Error{Code: forge.EInvalid, Message: "The request body cannot be read"}
}

// raw returns the value given for key and whether one was.
func (in *Input) raw(key string) (any, bool) {
	if v, ok := in.body[key]; ok {
		return v, v != nil
	}
	for _, vals := range []url.Values{in.form, in.query} {
		if v, ok := vals[key]; ok && len(v) > 0 {
			return v[0], true
		}
		if v, ok := vals[key+"[]"]; ok && len(v) > 0 {
			return v[0], true
		}
	}
	return nil, false
}

// Has reports whether key was given.
func (in *Input) Has(key string) bool {
	_, ok := in.raw(key)
	return ok
}

// String returns key's value as text.
func (in *Input) String(key string) (string, bool) {
	v, ok := in.raw(key)
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// JSON returns key's value as JSON: a JSON body's value as it was, or a form's text, which
// must itself be JSON. ok is false when key was not given.
func (in *Input) JSON(key string) (val json.RawMessage, ok bool, err error) {
	v, ok := in.raw(key)
	if !ok {
		return nil, false, nil
	}
	if s, isText := v.(string); isText && in.body == nil {
		if !json.Valid([]byte(s)) {
			return nil, true, InvalidParam(key)
		}
		return json.RawMessage(s), true, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, true, InvalidParam(key)
	}
	return b, true, nil
}

// StringPtr returns key's value, or nil when it was not given.
func (in *Input) StringPtr(key string) *string {
	if v, ok := in.String(key); ok {
		return &v
	}
	return nil
}

// Bool reads key as a boolean (true/false, 1/0, t/f, yes/no, on/off).
func (in *Input) Bool(key string) (val, ok bool, err error) {
	v, ok := in.raw(key)
	if !ok {
		return false, false, nil
	}
	if b, isBool := v.(bool); isBool {
		return b, true, nil
	}
	s, _ := in.String(key)
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "t", "yes", "y", "on":
		return true, true, nil
	case "false", "0", "f", "no", "n", "off":
		return false, true, nil
	}
	return false, true, InvalidParam(key)
}

// BoolPtr reads key as a boolean, nil when not given.
func (in *Input) BoolPtr(key string) (*bool, error) {
	v, ok, err := in.Bool(key)
	if !ok || err != nil {
		return nil, err
	}
	return &v, nil
}

// Int reads key as a whole number.
func (in *Input) Int(key string) (val int64, ok bool, err error) {
	s, ok := in.String(key)
	if !ok {
		if in.Has(key) {
			return 0, true, InvalidParam(key)
		}
		return 0, false, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, true, InvalidParam(key)
	}
	return n, true, nil
}

// IntPtr reads key as a whole number that fits an int, nil when not given.
func (in *Input) IntPtr(key string) (*int, error) {
	n, ok, err := in.Int(key)
	if !ok || err != nil {
		return nil, err
	}
	if n < -1<<31 || n > 1<<31-1 {
		return nil, InvalidParam(key)
	}
	v := int(n)
	return &v, nil
}

// Strings reads key as a list, accepting JSON arrays, repeated keys (key=a&key=b or
// key[]=a&key[]=b) and comma-separated text.
func (in *Input) Strings(key string) ([]string, bool) {
	if v, ok := in.body[key]; ok && v != nil {
		switch x := v.(type) {
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				switch s := e.(type) {
				case string:
					out = append(out, s)
				case json.Number:
					out = append(out, s.String())
				}
			}
			return out, true
		case string:
			return splitComma(x), true
		}
		return nil, true
	}
	for _, vals := range []url.Values{in.form, in.query} {
		for _, k := range []string{key + "[]", key} {
			if v, ok := vals[k]; ok {
				if len(v) == 1 {
					return splitComma(v[0]), true
				}
				return v, true
			}
		}
	}
	return nil, false
}

func splitComma(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Date reads key as a date ("2024-01-31") or a time (RFC 3339), nil when not given.
func (in *Input) Date(key string) (*time.Time, error) {
	s, ok := in.String(key)
	if !ok || strings.TrimSpace(s) == "" {
		return nil, nil
	}
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, InvalidParam(key)
}

// StrictString reads key as text, nil when not given. Where String takes a JSON number or
// boolean as its text, a JSON body must give a string here: dialects whose documents type
// their fields refuse {"name": 42} instead of naming something "42". Form and query values
// are text already.
func (in *Input) StrictString(key string) (*string, error) {
	v, ok := in.raw(key)
	if !ok {
		return nil, nil
	}
	if s, isText := v.(string); isText {
		return &s, nil
	}
	return nil, InvalidParam(key)
}

// StrictBool reads key as a boolean, nil when not given: a JSON body must give true or
// false, a form or query one of the words Bool takes.
func (in *Input) StrictBool(key string) (*bool, error) {
	v, ok := in.raw(key)
	if !ok {
		return nil, nil
	}
	if b, isBool := v.(bool); isBool {
		return &b, nil
	}
	if _, inBody := in.body[key]; inBody {
		return nil, InvalidParam(key)
	}
	return in.BoolPtr(key)
}
