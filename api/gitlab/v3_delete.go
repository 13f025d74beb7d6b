package gitlab

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// The v3 API's DELETE answers as GitSwarm's API document says: 200 with the
// resource as JSON, and idempotently: deleting what is already gone, for a caller who could
// have deleted it, is 200 too. The v4 API answers as GitLab does (204, 202, or 404 for what
// is not there), which GitLab's clients expect.
//
// The answer is the resource as its own GET route shows it to the caller, read just before
// the deletion and sent only once the deletion succeeded. A resource that is already gone
// has no state left to show: cairn keeps no copy of what was deleted (that would keep what
// its owner removed), so the repeat answers with what its request names: the resource's
// identifier, as {"id": 5} or {"name": "feature"}.

// v3Delete says how the v3 API answers one DELETE route.
type v3Delete struct {
	// read is the pattern of the GET route that shows the resource. Its parameters are the
	// DELETE's path parameters, else its request parameters (a label named by ?name=); ""
	// when there is none, and the v4 answer's body, if any, is sent instead.
	read string
	// key names the resource's identifier in the answer to a repeat; param is the parameter
	// it comes from, "" for the caller's own id.
	key, param string
}

// v3Deletes holds every DELETE route of the GitLab dialect; registering one without an entry
// fails at start.
var v3Deletes = map[string]v3Delete{
	"/users/:id":                  {read: "/users/:id", key: "id", param: "id"},
	"/users/:id/sessions":         {key: "user_id", param: "id"},
	"/user/sessions":              {key: "user_id"},
	"/personal_access_tokens/:id": {read: "/personal_access_tokens/:id", key: "id", param: "id"},
	"/groups/:id":                 {read: "/groups/:id", key: "id", param: "id"},
	"/groups/:id/members/:user_id": {read: "/groups/:id/members/:user_id", key: "id",
		param: "user_id"},
	"/projects/:id": {read: "/projects/:id", key: "id", param: "id"},
	"/projects/:id/members/:user_id": {read: "/projects/:id/members/:user_id", key: "id",
		param: "user_id"},
	"/projects/:id/protected_branches/:name": {read: "/projects/:id/protected_branches/:name",
		key: "name", param: "name"},
	"/projects/:id/repository/branches/:branch": {read: "/projects/:id/repository/branches/:branch",
		key: "name", param: "branch"},
	"/projects/:id/repository/merged_branches": {},
	"/projects/:id/repository/tags/:tag_name": {read: "/projects/:id/repository/tags/:tag_name",
		key: "name", param: "tag_name"},
	"/projects/:id/repository/files/:file_path": {read: "/projects/:id/repository/files/:file_path",
		key: "file_path", param: "file_path"},
	"/projects/:id/issues/:issue_iid": {read: "/projects/:id/issues/:issue_iid", key: "id",
		param: "issue_iid"},
	"/projects/:id/issues/:issue_iid/notes/:note_id":  {read: "/projects/:id/issues/:issue_iid/notes/:note_id", key: "id", param: "note_id"},
	"/projects/:id/merge_requests/:merge_request_iid": {read: "/projects/:id/merge_requests/:merge_request_iid", key: "id", param: "merge_request_iid"},
	"/projects/:id/merge_requests/:merge_request_iid/notes/:note_id": {
		read: "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id", key: "id", param: "note_id"},
	"/projects/:id/issues/:issue_iid/award_emoji/:award_id": {
		read: "/projects/:id/issues/:issue_iid/award_emoji/:award_id", key: "id", param: "award_id"},
	"/projects/:id/issues/:issue_iid/notes/:note_id/award_emoji/:award_id": {
		read: "/projects/:id/issues/:issue_iid/notes/:note_id/award_emoji/:award_id", key: "id", param: "award_id"},
	"/projects/:id/merge_requests/:merge_request_iid/award_emoji/:award_id": {
		read: "/projects/:id/merge_requests/:merge_request_iid/award_emoji/:award_id", key: "id", param: "award_id"},
	"/projects/:id/merge_requests/:merge_request_iid/notes/:note_id/award_emoji/:award_id": {
		read: "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id/award_emoji/:award_id",
		key:  "id", param: "award_id"},
	"/projects/:id/labels/:label_id": {read: "/projects/:id/labels/:label_id", key: "id",
		param: "label_id"},
	"/projects/:id/labels": {read: "/projects/:id/labels/:name", key: "name", param: "name"},
	"/projects/:id/releases/:tag_name": {read: "/projects/:id/releases/:tag_name", key: "tag_name",
		param: "tag_name"},
	"/projects/:id/environments/:environment_id": {read: "/projects/:id/environments/:environment_id",
		key: "id", param: "environment_id"},
	"/projects/:id/deployments/:deployment_id": {read: "/projects/:id/deployments/:deployment_id",
		key: "id", param: "deployment_id"},
	"/topics/:id": {read: "/topics/:id", key: "id", param: "id"},
	"/projects/:id/deploy_keys/:key_id": {read: "/projects/:id/deploy_keys/:key_id", key: "id",
		param: "key_id"},
	"/projects/:id/deploy_tokens/:token_id": {read: "/projects/:id/deploy_tokens/:token_id", key: "id",
		param: "token_id"},
	"/groups/:id/deploy_tokens/:token_id": {read: "/groups/:id/deploy_tokens/:token_id", key: "id",
		param: "token_id"},
	"/user/emails/:email_id":             {read: "/user/emails/:email_id", key: "id", param: "email_id"},
	"/users/:id/emails/:email_id":        {read: "/users/:id/emails/:email_id", key: "id", param: "email_id"},
	"/users/:id/identities/:provider":    {key: "provider", param: "provider"},
	"/users/:id/custom_attributes/:key":  {read: "/users/:id/custom_attributes/:key", key: "key", param: "key"},
	"/groups/:id/custom_attributes/:key": {read: "/groups/:id/custom_attributes/:key", key: "key", param: "key"},
	"/projects/:id/custom_attributes/:key": {read: "/projects/:id/custom_attributes/:key", key: "key",
		param: "key"},
	"/users/:id/impersonation_tokens/:token_id": {read: "/users/:id/impersonation_tokens/:token_id",
		key: "id", param: "token_id"},
	"/user/keys/:key_id":             {read: "/user/keys/:key_id", key: "id", param: "key_id"},
	"/users/:id/keys/:key_id":        {read: "/users/:id/keys/:key_id", key: "id", param: "key_id"},
	"/user/gpg_keys/:key_id":         {read: "/user/gpg_keys/:key_id", key: "id", param: "key_id"},
	"/users/:id/gpg_keys/:key_id":    {read: "/users/:id/gpg_keys/:key_id", key: "id", param: "key_id"},
	"/projects/:id/badges/:badge_id": {read: "/projects/:id/badges/:badge_id", key: "id", param: "badge_id"},
	"/groups/:id/badges/:badge_id":   {read: "/groups/:id/badges/:badge_id", key: "id", param: "badge_id"},
	"/broadcast_messages/:id":        {read: "/broadcast_messages/:id", key: "id", param: "id"},
}

// v3Answers wraps the DELETE routes of the v3 API as v3Deletes says; rt is the router they
// are registered in, whose GET routes read the resources.
func (h *Handler) v3Answers(rt *api.Router) func(method, path string, fn api.HandlerFunc) api.HandlerFunc {
	return func(method, path string, fn api.HandlerFunc) api.HandlerFunc {
		if method != http.MethodDelete {
			return fn
		}
		d, ok := v3Deletes[path]
		if !ok {
			panic("gitlab: no v3 answer for DELETE " + path)
		}
		return func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.deleteV3(w, r, p, rt, d, fn)
		}
	}
}

// deleteV3 runs the v4 deletion del and answers as the v3 API does.
func (h *Handler) deleteV3(w http.ResponseWriter, r *http.Request, p api.Params, rt *api.Router, d v3Delete,
	del api.HandlerFunc) error {
	// The body is read here and again by del.
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return err
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	var last []byte
	if d.read != "" {
		last = readLastState(r, rt, d.read, p, in)
	}
	rec := &recorder{header: http.Header{}}
	err = del(rec, r, p)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if err != nil {
		if forge.ErrorOf(err).Reason != forge.ReasonNothingToDelete {
			return err
		}
		last = nil // gone already: what was read is someone else's newer resource, if anything
	} else if rec.status/100 != 2 {
		rec.sendTo(w)
		return nil
	}
	switch {
	case last != nil:
	case d.key != "":
		last, _ = json.Marshal(map[string]any{d.key: identifier(r, p, in, d.param)})
	case json.Valid(rec.body.Bytes()):
		last = rec.body.Bytes()
	default:
		last = []byte("{}")
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(last)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(last)
	return err
}

// readLastState runs the GET route of pattern for the resource a DELETE names, as its caller,
// and returns the body of a 200 (nil otherwise).
func readLastState(r *http.Request, rt *api.Router, pattern string, p api.Params, in *api.Input) []byte {
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		name, isParam := strings.CutPrefix(seg, ":")
		if !isParam {
			continue
		}
		v := p.Raw(name)
		if v == "" {
			text, _ := in.String(name)
			v = url.PathEscape(text)
		}
		if v == "" {
			return nil
		}
		segs[i] = v
	}
	path := strings.Join(segs, "/")
	route, ok := rt.Route(http.MethodGet, path)
	if !ok {
		return nil
	}
	g := r.Clone(r.Context())
	g.Method, g.Body, g.ContentLength = http.MethodGet, http.NoBody, 0
	g.Header.Del("If-None-Match")
	g.URL.Path = path
	q := r.URL.Query()
	if branch, ok := in.String("branch"); ok && !q.Has("ref") {
		q.Set("ref", branch) // a file is read at the branch its deletion names
	}
	g.URL.RawQuery = q.Encode()
	rec := &recorder{header: http.Header{}}
	route(rec, g)
	if rec.status != http.StatusOK {
		return nil
	}
	return rec.body.Bytes()
}

// identifier is the value of the parameter naming a deleted resource (the caller's id when
// param is ""): a number when it is one.
func identifier(r *http.Request, p api.Params, in *api.Input, param string) any {
	if param == "" {
		return api.Actor(r).UserID()
	}
	v := p.Get(param)
	if v == "" {
		v, _ = in.String(param)
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	return v
}

// recorder keeps a response that is not sent as it is.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return rec.body.Write(b)
}

// sendTo sends the recorded response as it is.
func (rec *recorder) sendTo(w http.ResponseWriter) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}
