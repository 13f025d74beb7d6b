package gitlab

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// issuableAPI is how GitLab's API serves one kind of issuable (issues, merge requests), typed
// T, created and changed with I and listed with O.
type issuableAPI[T, I, O any] struct {
	// plural is the kind's path segment, param the segment naming one.
	plural, param string
	// required are the parameters a create needs; updateParams those of which an update
	// needs one.
	required, updateParams []string
	// input reads a create's or update's fields; options a list's filters.
	input   func(in *api.Input, nulls map[string]bool) (I, error)
	options func(r *http.Request) (O, error)

	// The kind's calls of forge.
	list        func(ctx context.Context, a *forge.Actor, o O, pg forge.Page) ([]T, int, error)
	listProject func(ctx context.Context, a *forge.Actor, project forge.Ref, o O, pg forge.Page) ([]T, int, error)
	create      func(ctx context.Context, a *forge.Actor, project forge.Ref, in I) (T, error)
	get         func(ctx context.Context, a *forge.Actor, project forge.Ref, ref forge.IssueRef) (T, error)
	update      func(ctx context.Context, a *forge.Actor, project forge.Ref, ref forge.IssueRef, in I) (T, error)
	delete      func(ctx context.Context, a *forge.Actor, project forge.Ref, ref forge.IssueRef) error
	noteTarget  func(ctx context.Context, a *forge.Actor, project forge.Ref,
		ref forge.IssueRef) (forge.NoteTarget, error)

	// render renders one in a list, detail one on its own.
	render func(r *http.Request, a *forge.Actor, c T) any
	detail func(r *http.Request, a *forge.Actor, c T) any
}

// routes serves the kind's lists (across projects and of a project), its create, read,
// update and delete, and its notes; it returns the path of one.
func (k issuableAPI[T, I, O]) routes(h *Handler, rt *api.Router) string {
	// Changes answer anonymous callers with 401 before their parameters are checked.
	write := h.gitHandler
	base := "/projects/:id/" + k.plural + "/:" + k.param
	rt.Handle("GET", "/"+k.plural, k.listHandler(h, false))
	rt.Handle("GET", "/projects/:id/"+k.plural, k.listHandler(h, true))
	rt.Handle("POST", "/projects/:id/"+k.plural, write(k.createHandler(h)))
	rt.Handle("GET", base, k.refHandler(h, func(w http.ResponseWriter, r *http.Request, a *forge.Actor, p api.Params,
		ref forge.IssueRef) error {
		c, err := k.get(r.Context(), a, forge.ParseRef(p.Get("id")), ref)
		if err != nil {
			return err
		}
		return api.JSON(w, r, http.StatusOK, k.detail(r, a, c))
	}))
	rt.Handle("PUT", base, write(k.refHandler(h, k.updateHandler)))
	rt.Handle("DELETE", base, write(k.refHandler(h, func(w http.ResponseWriter, r *http.Request, a *forge.Actor,
		p api.Params, ref forge.IssueRef) error {
		if err := k.delete(r.Context(), a, forge.ParseRef(p.Get("id")), ref); err != nil {
			return err
		}
		return api.NoContent(w)
	})))
	h.noteRoutes(rt, base, func(r *http.Request, p api.Params) (forge.NoteTarget, error) {
		ref, err := h.issuableRef(p, k.param)
		if err != nil {
			return forge.NoteTarget{}, err
		}
		return k.noteTarget(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), ref)
	})
	return base
}

// issuableRef reads the segment param naming an issuable: an iid, or on v3 a global id.
func (h *Handler) issuableRef(p api.Params, param string) (forge.IssueRef, error) {
	n, ok := parseID(p.Get(param))
	if !ok {
		return forge.IssueRef{}, forge.NotFound("")
	}
	return forge.IssueRef{N: n, ByID: h.version == 3}, nil
}

// refHandler serves a request on the issuable the path names.
func (k issuableAPI[T, I, O]) refHandler(h *Handler, fn func(w http.ResponseWriter, r *http.Request, a *forge.Actor,
	p api.Params, ref forge.IssueRef) error) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		ref, err := h.issuableRef(p, k.param)
		if err != nil {
			return err
		}
		return fn(w, r, api.Actor(r), p, ref)
	}
}

func (k issuableAPI[T, I, O]) listHandler(h *Handler, inProject bool) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		pg, err := page(r)
		if err != nil {
			return err
		}
		o, err := k.options(r)
		if err != nil {
			return err
		}
		a := api.Actor(r)
		var list []T
		var total int
		if inProject {
			list, total, err = k.listProject(r.Context(), a, forge.ParseRef(p.Get("id")), o, pg)
		} else {
			list, total, err = k.list(r.Context(), a, o, pg)
		}
		if err != nil {
			return err
		}
		out := make([]any, len(list))
		for i, c := range list {
			out[i] = k.render(r, a, c)
		}
		return h.list(w, r, pg, total, out)
	}
}

func (k issuableAPI[T, I, O]) createHandler(h *Handler) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		in, nulls, err := readInput(r)
		if err != nil {
			return err
		}
		var absent []string
		for _, key := range k.required {
			if !in.Has(key) {
				absent = append(absent, key)
			}
		}
		if len(absent) > 0 {
			return h.missingParams(absent...)
		}
		fields, err := k.input(in, nulls)
		if err != nil {
			return err
		}
		a := api.Actor(r)
		c, err := k.create(r.Context(), a, forge.ParseRef(p.Get("id")), fields)
		if err != nil {
			return err
		}
		return api.JSON(w, r, http.StatusCreated, k.detail(r, a, c))
	}
}

func (k issuableAPI[T, I, O]) updateHandler(w http.ResponseWriter, r *http.Request, a *forge.Actor, p api.Params,
	ref forge.IssueRef) error {
	in, nulls, err := readInput(r)
	if err != nil {
		return err
	}
	given := false
	for _, key := range k.updateParams {
		given = given || in.Has(key) || nulls[key]
	}
	if !given {
		return atLeastOne(k.updateParams...)
	}
	fields, err := k.input(in, nulls)
	if err != nil {
		return err
	}
	c, err := k.update(r.Context(), a, forge.ParseRef(p.Get("id")), ref, fields)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, k.detail(r, a, c))
}

// issuableInput reads the fields GitLab's creates and updates of issues and merge requests
// share.
func issuableInput(in *api.Input, nulls map[string]bool) (forge.IssuableInput, error) {
	c := forge.IssuableInput{Title: in.StringPtr("title"), Description: in.StringPtr("description")}
	c.StateEvent, _ = in.String("state_event")
	if labels, ok := in.Strings("labels"); ok || nulls["labels"] {
		c.Labels = &labels
	}
	c.AddLabels, _ = in.Strings("add_labels")
	c.RemoveLabels, _ = in.Strings("remove_labels")
	var err error
	c.AssigneeIDs, err = givenIDs(in, nulls, "assignee_ids", "assignee_id")
	return c, err
}

// givenIDs reads the first of keys given as a list of ids; it is nil when none is given, and
// empty when none is given but one is null (GitLab's "clear").
func givenIDs(in *api.Input, nulls map[string]bool, keys ...string) (*[]int64, error) {
	null := false
	for _, k := range keys {
		ids, ok, err := idList(in, k)
		if err != nil {
			return nil, err
		}
		if ok {
			return &ids, nil
		}
		null = null || nulls[k]
	}
	if !null {
		return nil, nil
	}
	var none []int64
	return &none, nil
}

// issuableListOptions reads the list filters GitLab's lists of issues and merge requests
// share.
func issuableListOptions(r *http.Request, in *api.Input) (forge.IssuableListOptions, error) {
	q := r.URL.Query()
	o := forge.IssuableListOptions{
		Scope:          q.Get("scope"),
		State:          q.Get("state"),
		Search:         q.Get("search"),
		OrderBy:        q.Get("order_by"),
		AuthorUsername: q.Get("author_username"),
		AssigneeID:     q.Get("assignee_id"),
	}
	o.Labels, _ = in.Strings("labels")
	if names, ok := in.Strings("assignee_username"); ok && len(names) > 0 {
		o.AssigneeName = names[0]
	}
	if id, ok, err := in.Int("author_id"); err != nil {
		return o, err
	} else if ok {
		o.AuthorID = id
	}
	var err error
	if o.IIDs, _, err = idList(in, "iids"); err != nil {
		return o, err
	}
	for _, d := range []struct {
		key string
		dst **time.Time
	}{{"created_after", &o.CreatedAfter}, {"created_before", &o.CreatedBefore},
		{"updated_after", &o.UpdatedAfter}, {"updated_before", &o.UpdatedBefore}} {
		if *d.dst, err = in.Date(d.key); err != nil {
			return o, err
		}
	}
	o.Desc, err = sortDesc(r, true)
	return o, err
}

// IssuableHead is what GitLab renders first of an issue and of a merge request.
type IssuableHead struct {
	ID          int64   `json:"id"`
	IID         int64   `json:"iid"`
	ProjectID   int64   `json:"project_id"`
	Title       string  `json:"title"`
	Description *string `json:"description"`
	State       string  `json:"state"`
	CreatedAt   Time    `json:"created_at"`
	UpdatedAt   Time    `json:"updated_at"`
}

// issuableParts are the parts of an issuable's rendering that issues and merge requests
// compute alike.
type issuableParts struct {
	head       IssuableHead
	ref        string
	references IssueReferences
	webURL     string
	tasks      TaskCompletionStatus
	closedBy   *BasicUser
	labels     []string
	assignees  []BasicUser
	// assignee is the first assignee, nil when there is none.
	assignee *BasicUser
}

// issuableParts renders c, whose references start with sigil ("#", "!") and whose page is
// under segment of its project's path.
func (h *Handler) issuableParts(c forge.Issuable, sigil, segment string) issuableParts {
	iid := strconv.FormatInt(c.IID, 10)
	tasks, done := forge.TaskCompletion(c.Description)
	out := issuableParts{
		head: IssuableHead{
			ID:          c.ID,
			IID:         c.IID,
			ProjectID:   c.ProjectID,
			Title:       c.Title,
			Description: optional(c.Description),
			State:       c.State,
			CreatedAt:   Time(c.CreatedAt),
			UpdatedAt:   Time(c.UpdatedAt),
		},
		ref:       sigil + iid,
		webURL:    h.core.URL("/" + c.ProjectPath + "/-/" + segment + "/" + iid),
		tasks:     TaskCompletionStatus{Count: tasks, CompletedCount: done},
		labels:    c.Labels,
		assignees: h.basicUsers(c.Assignees),
	}
	out.references = IssueReferences{Short: out.ref, Relative: out.ref, Full: c.ProjectPath + out.ref}
	if out.labels == nil {
		out.labels = []string{}
	}
	if c.ClosedBy != nil {
		u := h.basicUser(*c.ClosedBy)
		out.closedBy = &u
	}
	if len(out.assignees) > 0 {
		out.assignee = &out.assignees[0]
	}
	return out
}

func (h *Handler) basicUsers(list []forge.User) []BasicUser {
	out := make([]BasicUser, len(list))
	for i, u := range list {
		out[i] = h.basicUser(u)
	}
	return out
}
