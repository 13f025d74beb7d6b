package gitar

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
)

// The OpenAPI 3.1 description is made from the route table the router serves, and the
// schemas from the Go types the handlers encode (their json tags, and enum, doc, required
// and type tags), so that neither can drift from the other.

// errorStatuses are the error answers each kind of route can give, with what they mean.
var errorStatuses = map[int]string{
	http.StatusBadRequest:          "The request was invalid",
	http.StatusUnauthorized:        "Authentication failed: no Bearer token, or an invalid, expired or revoked one",
	http.StatusForbidden:           "You don't have permission to access this resource",
	http.StatusNotFound:            "The requested resource was not found (or may not be seen)",
	http.StatusTooManyRequests:     "Over the rate limit; Retry-After says when to try again",
	http.StatusInternalServerError: "An error occurred on the server",
}

// openAPI returns the description, as JSON.
func (h *Handler) openAPI(version string) []byte {
	schemas := map[string]any{}
	paths := map[string]map[string]any{}
	for _, r := range h.routes {
		p := openAPIPath(r.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(r.method)] = operation(r, schemas)
	}
	schemas["Error"] = schemaOf(reflect.TypeOf(errorBody{}), schemas)
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Gitar External API (cairn)",
			"version": version,
			"description": "Run automated agents on repositories. Every endpoint but this description needs " +
				"`Authorization: Bearer <token>`; running and canceling need the tracks_write scope (admin and api include it). " +
				"Repositories may be written owner/repo, group/subgroup/project, a URL of this instance (with or without .git), " +
				"or a project's name when exactly one visible project has it. Every response carries the X-RateLimit headers.",
		},
		"servers":  []any{map[string]any{"url": h.core.BaseURL + Prefix}},
		"security": []any{map[string]any{"bearerAuth": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearerAuth": map[string]any{"type": "http", "scheme": "bearer",
				"description": "A cairn personal access token (cairn_pat_…)"}},
			"schemas": schemas,
			"headers": map[string]any{
				"X-RateLimit-Limit": map[string]any{"description": "requests allowed in the window",
					"schema": map[string]any{"type": "integer"}},
				"X-RateLimit-Remaining": map[string]any{"description": "requests left in the window",
					"schema": map[string]any{"type": "integer"}},
				"X-RateLimit-Reset": map[string]any{"description": "when the bucket is full again, in Unix seconds", "schema": map[string]any{"type": "integer"}},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("gitar: OpenAPI description: " + err.Error())
	}
	return b
}

// openAPIPath writes an httprouter path in OpenAPI's form: ":id" becomes "{id}".
func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func operation(r route, schemas map[string]any) map[string]any {
	op := map[string]any{"operationId": r.operationID, "summary": r.summary, "description": r.description}
	if r.scope != "" {
		op["x-required-scope"] = r.scope
	}
	var params []any
	for _, p := range r.params {
		schema := map[string]any{"type": p.typ}
		if len(p.enum) > 0 {
			schema["enum"] = p.enum
		}
		params = append(params, map[string]any{"name": p.name, "in": p.in, "required": p.required,
			"description": p.description, "schema": schema})
	}
	if params != nil {
		op["parameters"] = params
	}
	if r.body != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.body), schemas)}}}
	}
	headers := map[string]any{}
	for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		headers[name] = map[string]any{"$ref": "#/components/headers/" + name}
	}
	ok := map[string]any{"description": http.StatusText(r.status), "headers": headers}
	if r.response != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(
			reflect.TypeOf(r.response), schemas)}}
	} else {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
	}
	responses := map[string]any{strconv.Itoa(r.status): ok}
	errRef := map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}
	for _, status := range routeErrors(r) {
		responses[strconv.Itoa(status)] = map[string]any{"description": errorStatuses[status], "content": errRef}
	}
	op["responses"] = responses
	if r.public {
		op["security"] = []any{}
	}
	return op
}

// routeErrors are the error statuses a route can answer.
func routeErrors(r route) []int {
	out := []int{http.StatusTooManyRequests, http.StatusInternalServerError}
	if r.public {
		return out
	}
	out = append(out, http.StatusUnauthorized)
	if r.body != nil || len(r.params) > 0 {
		out = append(out, http.StatusBadRequest)
	}
	if r.scope != "" {
		out = append(out, http.StatusForbidden)
	}
	if strings.Contains(r.path, ":") || r.body != nil {
		out = append(out, http.StatusNotFound)
	}
	sort.Ints(out)
	return out
}

var timeTypes = map[reflect.Type]bool{reflect.TypeOf(time.Time{}): true, reflect.TypeOf(Time{}): true}

// schemaOf returns the JSON Schema of t: named structs go to schemas and are referred to.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	switch {
	case timeTypes[t]:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		s := schemaOf(t.Elem(), schemas)
		if ty, ok := s["type"].(string); ok {
			s["type"] = []string{ty, "null"}
			return s
		}
		return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{} // json.RawMessage: any JSON
		}
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if _, done := schemas[name]; !done {
			schemas[name] = nil // a placeholder, for types that refer to themselves
			schemas[name] = structSchema(t, schemas)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// schemaName names a struct's schema: its Go name, capitalized ("runRequest" → "RunRequest").
func schemaName(t reflect.Type) string {
	n := t.Name()
	return strings.ToUpper(n[:1]) + n[1:]
}

func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		var s map[string]any
		switch f.Tag.Get("type") {
		case "object":
			s = map[string]any{"type": []string{"object", "null"}}
		default:
			s = schemaOf(f.Type, schemas)
		}
		if enum := f.Tag.Get("enum"); enum != "" {
			s["enum"] = strings.Split(enum, ",")
		}
		if doc := f.Tag.Get("doc"); doc != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": doc}
			} else {
				s["description"] = doc
			}
		}
		props[name] = s
		if f.Tag.Get("required") == "true" || !strings.Contains(opts, "omitempty") &&
			f.Tag.Get("required") != "false" && !isRequestBody(t) {
			required = append(required, name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		out["required"] = required
	}
	return out
}

// isRequestBody reports whether t is a request body, whose fields are optional unless
// tagged required (responses always hold every field without omitempty).
func isRequestBody(t reflect.Type) bool { return t == reflect.TypeOf(runRequest{}) }

// serveOpenAPI is GET /openapi.json.
func (h *Handler) serveOpenAPI(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	etag := api.ETag(h.spec)
	w.Header().Set("ETag", etag)
	if api.ETagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(h.spec)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(h.spec)
	return err
}
