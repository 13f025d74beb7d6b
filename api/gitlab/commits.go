package gitlab

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
)

// CommitTime renders a commit date as GitLab does: milliseconds and the committer's own
// offset ("2012-09-20T11:50:22.000+03:00").
type CommitTime time.Time

// MarshalText writes the time; JSON quotes it (a text marshaler spares encoding/json the
// validation of what a JSON marshaler returns, which shows on lists of thousands of commits).
func (t CommitTime) MarshalText() ([]byte, error) {
	return time.Time(t).AppendFormat(nil, "2006-01-02T15:04:05.000-07:00"), nil
}

// Commit is a commit as GitLab lists it.
type Commit struct {
	ID               string            `json:"id"`
	ShortID          string            `json:"short_id"`
	CreatedAt        CommitTime        `json:"created_at"`
	ParentIDs        []string          `json:"parent_ids"`
	Title            string            `json:"title"`
	Message          string            `json:"message"`
	AuthorName       string            `json:"author_name"`
	AuthorEmail      string            `json:"author_email"`
	AuthoredDate     CommitTime        `json:"authored_date"`
	CommitterName    string            `json:"committer_name"`
	CommitterEmail   string            `json:"committer_email"`
	CommittedDate    CommitTime        `json:"committed_date"`
	Trailers         map[string]string `json:"trailers"`
	ExtendedTrailers map[string]any    `json:"extended_trailers"`
	WebURL           string            `json:"web_url"`
	Stats            *CommitStats      `json:"stats,omitempty"`
}

// CommitStats are a commit's line counts.
type CommitStats struct {
	Additions int `json:"additions"`
	Deletions int `json:"deletions"`
	Total     int `json:"total"`
}

// CommitDetail is one commit as GET .../commits/:sha and POST .../commits return it.
type CommitDetail struct {
	Commit
	Status       *string `json:"status"`
	LastPipeline any     `json:"last_pipeline"`
	ProjectID    int64   `json:"project_id"`
}

// shortIDLength is the length of short_id in GitLab's responses.
const shortIDLength = 11

// commitTitle is GitLab's title: the first line, cut at 100 characters.
func commitTitle(c *forge.Commit) string {
	t := c.Title()
	if utf8.RuneCountInString(t) <= 100 {
		return t
	}
	r := []rune(t)[:80]
	if i := strings.LastIndexByte(string(r), ' '); i > 40 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

func (h *Handler) commit(v forge.ProjectView, c *forge.Commit) Commit {
	return commitAt(h.projectWebURL(v), c)
}

// commitAt renders a commit of the project whose web URL is projectURL.
func commitAt(projectURL string, c *forge.Commit) Commit {
	id := c.ID.String()
	parents := make([]string, len(c.Parents))
	for i, p := range c.Parents {
		parents[i] = p.String()
	}
	return Commit{
		ID:               id,
		ShortID:          id[:shortIDLength],
		CreatedAt:        CommitTime(c.Committer.When),
		ParentIDs:        parents,
		Title:            commitTitle(c),
		Message:          c.Message,
		AuthorName:       c.Author.Name,
		AuthorEmail:      c.Author.Email,
		AuthoredDate:     CommitTime(c.Author.When),
		CommitterName:    c.Committer.Name,
		CommitterEmail:   c.Committer.Email,
		CommittedDate:    CommitTime(c.Committer.When),
		Trailers:         map[string]string{},
		ExtendedTrailers: map[string]any{},
		WebURL:           projectURL + "/-/commit/" + id,
	}
}

func commitStats(st *forge.Stats) *CommitStats {
	if st == nil {
		return nil
	}
	return &CommitStats{Additions: st.Additions, Deletions: st.Deletions, Total: st.Total()}
}

func (h *Handler) commitDetail(v forge.ProjectView, cv forge.CommitView) CommitDetail {
	c := h.commit(v, cv.Commit)
	c.Stats = commitStats(cv.Stats)
	d := CommitDetail{Commit: c, ProjectID: v.ID}
	if pl := h.pipelineBasic(v, cv.LastPipeline); pl != nil {
		d.Status, d.LastPipeline = &pl.Status, pl
	}
	return d
}

// Diff is a file's change as GitLab renders it.
type Diff struct {
	OldPath       string `json:"old_path"`
	NewPath       string `json:"new_path"`
	AMode         string `json:"a_mode"`
	BMode         string `json:"b_mode"`
	Diff          string `json:"diff"`
	NewFile       bool   `json:"new_file"`
	RenamedFile   bool   `json:"renamed_file"`
	DeletedFile   bool   `json:"deleted_file"`
	GeneratedFile bool   `json:"generated_file"`
	Collapsed     bool   `json:"collapsed"`
	TooLarge      bool   `json:"too_large"`
}

func diffs(list []forge.FileDiff, unidiff bool) []Diff {
	out := make([]Diff, len(list))
	for i, d := range list {
		text := d.Patch
		if unidiff && !d.TooLarge {
			text = d.Header() + d.Patch
		}
		out[i] = Diff{
			OldPath:       d.OldPath,
			NewPath:       d.NewPath,
			AMode:         gitstore.ModeString(d.OldMode),
			BMode:         gitstore.ModeString(d.NewMode),
			Diff:          text,
			NewFile:       d.NewFile,
			RenamedFile:   d.RenamedFile,
			DeletedFile:   d.DeletedFile,
			GeneratedFile: forge.IsGeneratedPath(d.NewPath),
			TooLarge:      d.TooLarge,
		}
	}
	return out
}

func (h *Handler) commitRoutes(handle func(string, string, api.HandlerFunc), repo string) {
	handle("GET", repo+"/commits", h.listCommits)
	handle("POST", repo+"/commits", h.createCommit)
	handle("GET", repo+"/commits/:sha", h.getCommit)
	handle("GET", repo+"/commits/:sha/diff", h.commitDiff)
	handle("GET", repo+"/commits/:sha/refs", h.commitRefs)
	handle("GET", repo+"/commits/:sha/comments", h.listCommitComments)
	handle("POST", repo+"/commits/:sha/comments", h.createCommitComment)
	handle("GET", repo+"/commits/:sha/merge_requests", h.listCommitMergeRequests)
	handle("POST", repo+"/commits/:sha/cherry_pick", h.cherryPickCommit)
	handle("POST", repo+"/commits/:sha/revert", h.revertCommit)
	handle("GET", repo+"/commits/:sha/signature", h.commitSignature)
}

// queryTime reads a datetime query parameter (ISO 8601).
func queryTime(r *http.Request, name string) (*time.Time, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, api.InvalidParam(name)
}

func (h *Handler) listCommits(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.CommitListOptions{RefName: q.Get("ref_name"), Path: q.Get("path"), Author: q.Get("author")}
	if o.Since, err = queryTime(r, "since"); err != nil {
		return err
	}
	if o.Until, err = queryTime(r, "until"); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"all", &o.All}, {"first_parent", &o.FirstParent}, {"with_stats", &o.WithStats}} {
		if *f.dst, err = queryBool(r, f.name); err != nil {
			return err
		}
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	list, more, err := h.forge.Repositories.ListCommits(r.Context(), a, forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out := make([]Commit, len(list))
	for i, cv := range list {
		out[i] = h.commit(v, cv.Commit)
		out[i].Stats = commitStats(cv.Stats)
	}
	h.setKeysetlessPage(w, r, pg, more)
	return api.JSON(w, r, http.StatusOK, out)
}

// setKeysetlessPage writes the pagination headers of a list whose total is not counted, as
// GitLab does for commits: no X-Total, X-Total-Pages or rel="last".
func (h *Handler) setKeysetlessPage(w http.ResponseWriter, r *http.Request, pg forge.Page, more bool) {
	hd := w.Header()
	hd.Set("X-Per-Page", strconv.Itoa(pg.PerPage))
	hd.Set("X-Page", strconv.Itoa(pg.Page))
	next, prev := "", ""
	if more {
		next = strconv.Itoa(pg.Page + 1)
	}
	if pg.Page > 1 {
		prev = strconv.Itoa(pg.Page - 1)
	}
	hd.Set("X-Next-Page", next)
	hd.Set("X-Prev-Page", prev)
	base := h.core.BaseURL + api.Prefix(r) + r.URL.Path
	vals := r.URL.Query()
	vals.Set("per_page", strconv.Itoa(pg.PerPage))
	link := func(page int, rel string) string {
		vals.Set("page", strconv.Itoa(page))
		return "<" + base + "?" + strings.ReplaceAll(vals.Encode(), ",", "%2C") + `>; rel="` + rel + `"`
	}
	var links []string
	if prev != "" {
		links = append(links, link(pg.Page-1, "prev"))
	}
	if next != "" {
		links = append(links, link(pg.Page+1, "next"))
	}
	links = append(links, link(1, "first"))
	hd.Set("Link", strings.Join(links, ", "))
}

func (h *Handler) getCommit(w http.ResponseWriter, r *http.Request, p api.Params) error {
	stats := true
	if r.URL.Query().Has("stats") {
		var err error
		if stats, err = queryBool(r, "stats"); err != nil {
			return err
		}
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	cv, err := h.forge.Repositories.GetCommit(r.Context(), a, forge.ParseRef(p.Get("id")), p.Get("sha"), stats)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.commitDetail(v, cv))
}

func (h *Handler) commitDiff(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	unidiff, err := queryBool(r, "unidiff")
	if err != nil {
		return err
	}
	list, total, err := h.forge.Repositories.CommitDiff(r.Context(), api.Actor(r),
		forge.ParseRef(p.Get("id")), p.Get("sha"), pg)
	if err != nil {
		return err
	}
	return h.list(w, r, pg, total, diffs(list, unidiff))
}

// CommitRef is a branch or tag containing a commit.
type CommitRef struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

func (h *Handler) commitRefs(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("type")
	switch kind {
	case "", "all", "branch", "tag":
	default:
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: "type does not have a valid value"}
	}
	refs, err := h.forge.Repositories.CommitRefs(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		p.Get("sha"), kind)
	if err != nil {
		return err
	}
	out := make([]CommitRef, len(refs))
	for i, c := range refs {
		out[i] = CommitRef(c)
	}
	total := len(out)
	lo := min((pg.Page-1)*pg.PerPage, total)
	return h.list(w, r, pg, total, out[lo:min(lo+pg.PerPage, total)])
}

// actionFields is one action as sent, every field as the client gave it.
type actionFields map[string]any

func (af actionFields) str(key string) (string, bool) {
	switch v := af[key].(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

func (h *Handler) createCommit(w http.ResponseWriter, r *http.Request, p api.Params) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	actions, err := readActions(r, data)
	if err != nil {
		return err
	}
	ci, err := commitInput(in, actions)
	if err != nil {
		return err
	}
	stats, statsGiven, err := in.Bool("stats")
	if err != nil {
		return err
	}
	a := api.Actor(r)
	v, err := h.forge.Projects.ProjectByRef(r.Context(), a, forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	cv, err := h.forge.Repositories.CreateCommit(r.Context(), a, forge.ParseRef(p.Get("id")), ci)
	if err != nil {
		return err
	}
	if statsGiven && !stats {
		cv.Stats = nil
	}
	return api.JSON(w, r, http.StatusCreated, h.commitDetail(v, cv))
}

// commitInput checks the parameters of a commit as Grape does and converts them.
func commitInput(in *api.Input, actions []actionFields) (forge.CommitInput, error) {
	var ci forge.CommitInput
	var absent []string
	for _, k := range []string{"branch", "commit_message"} {
		if v, _ := in.String(k); strings.TrimSpace(v) == "" {
			absent = append(absent, k)
		}
	}
	if len(actions) == 0 {
		absent = append(absent, "actions")
	}
	if len(absent) > 0 {
		return ci, missing(absent...)
	}
	ci.Branch, _ = in.String("branch")
	ci.Message, _ = in.String("commit_message")
	ci.StartBranch, _ = in.String("start_branch")
	ci.StartSHA, _ = in.String("start_sha")
	ci.AuthorName, _ = in.String("author_name")
	ci.AuthorEmail, _ = in.String("author_email")
	var err error
	if ci.Force, _, err = in.Bool("force"); err != nil {
		return ci, err
	}
	if ci.StartBranch != "" && ci.StartSHA != "" {
		return ci, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: "start_branch, start_sha are mutually exclusive"}
	}
	for i, af := range actions {
		act, err := commitAction(i, af)
		if err != nil {
			return ci, err
		}
		ci.Actions = append(ci.Actions, act)
	}
	return ci, nil
}

// commitAction checks one action as Grape does and converts it.
func commitAction(i int, af actionFields) (forge.CommitAction, error) {
	field := func(k string) string { return "actions[" + strconv.Itoa(i) + "][" + k + "]" }
	var act forge.CommitAction
	act.Action, _ = af.str("action")
	act.FilePath, _ = af.str("file_path")
	var absent []string
	if act.Action == "" {
		absent = append(absent, field("action"))
	}
	if act.FilePath == "" {
		absent = append(absent, field("file_path"))
	}
	if len(absent) > 0 {
		return act, missing(absent...)
	}
	switch act.Action {
	case gitstore.ActionCreate, gitstore.ActionUpdate, gitstore.ActionDelete, gitstore.ActionMove, gitstore.ActionChmod:
	default:
		return act, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: field("action") + " does not have a valid value"}
	}
	if p, ok := gitstore.CleanPath(act.FilePath); !ok || p == "" {
		return act, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: field("file_path") + " should be a valid file path"}
	}
	act.PreviousPath, _ = af.str("previous_path")
	act.Encoding, _ = af.str("encoding")
	if act.Encoding != "" && act.Encoding != "text" && act.Encoding != "base64" {
		return act, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: field("encoding") + " does not have a valid value"}
	}
	act.LastCommitID, _ = af.str("last_commit_id")
	if c, ok := af.str("content"); ok {
		act.Content = &c
	}
	if s, ok := af.str("execute_filemode"); ok {
		b, err := parseBool(s)
		if err != nil {
			return act, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
				Message: field("execute_filemode") + " is invalid"}
		}
		act.ExecuteFilemode = &b
	}
	return act, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "t", "yes", "y", "on":
		return true, nil
	case "false", "0", "f", "no", "n", "off":
		return false, nil
	}
	return false, strconv.ErrSyntax
}

// readActions reads the actions of a commit from a JSON body, or from form fields in Rack's
// array-of-hashes form (actions[][action]=create&actions[][file_path]=a, a new element
// starting when a key repeats) or indexed form (actions[0][action]=create).
func readActions(r *http.Request, body []byte) ([]actionFields, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	switch {
	case ct == "multipart/form-data":
		var pairs [][2]string
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, &forge.Error{Code: forge.EInvalid, Message: "The request body cannot be read"}
			}
			v, err := io.ReadAll(part)
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, [2]string{part.FormName(), string(v)})
		}
		return formActions(pairs), nil
	case len(trimmed) > 0 && trimmed[0] == '{':
		var b struct {
			Actions []actionFields `json:"actions"`
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&b); err != nil {
			return nil, &forge.Error{Code: forge.EInvalid, Message: "The request body is not valid JSON"}
		}
		return b.Actions, nil
	}
	raw := string(trimmed)
	if r.URL.RawQuery != "" {
		raw = r.URL.RawQuery + "&" + raw
	}
	var pairs [][2]string
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		pairs = append(pairs, [2]string{k, v})
	}
	return formActions(pairs), nil
}

var indexedAction = regexp.MustCompile(`^actions\[(\d*)\]\[([a-z_]+)\]$`)

func formActions(pairs [][2]string) []actionFields {
	var out []actionFields
	byIndex := map[string]int{}
	for _, kv := range pairs {
		m := indexedAction.FindStringSubmatch(kv[0])
		if m == nil {
			continue
		}
		idx, key := m[1], m[2]
		if idx != "" {
			i, ok := byIndex[idx]
			if !ok {
				i = len(out)
				byIndex[idx] = i
				out = append(out, actionFields{})
			}
			out[i][key] = kv[1]
			continue
		}
		if n := len(out); n == 0 || out[n-1][key] != nil {
			out = append(out, actionFields{})
		}
		out[len(out)-1][key] = kv[1]
	}
	return out
}
