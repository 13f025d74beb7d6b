package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// pageOf reads the page number of a list ("page", default 1) with n items per page.
func pageOf(r *http.Request, n int) forge.Page {
	p, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || p < 1 {
		p = 1
	}
	return forge.Page{Page: min(p, 1<<20), PerPage: n}
}

// pager is what a list's pagination links need.
type pager struct {
	Page, Pages, Total int
	// Prev and Next are the URLs of the neighbouring pages, "" at the ends.
	Prev, Next string
}

// newPager describes page pg of total items, linking with the request's other parameters.
func newPager(r *http.Request, pg forge.Page, total int) pager {
	pages := max(1, (total+pg.PerPage-1)/pg.PerPage)
	p := pager{Page: pg.Page, Pages: pages, Total: total}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if pg.Page > 1 {
		p.Prev = link(min(pg.Page-1, pages))
	}
	if pg.Page < pages {
		p.Next = link(pg.Page + 1)
	}
	return p
}

// moreRows is newPager for lists that know only whether a next page exists.
func moreRows(r *http.Request, pg forge.Page, more bool) pager {
	p := pager{Page: pg.Page}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if pg.Page > 1 {
		p.Prev = link(pg.Page - 1)
	}
	if more {
		p.Next = link(pg.Page + 1)
	}
	return p
}

// home is the dashboard for those signed in, and the public projects for others.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	if api.Actor(r).SignedIn() {
		return h.dashboard(w, r)
	}
	return h.explore(w, r)
}

type projectListData struct {
	Heading  string
	Tab      string
	Search   string
	Projects []forge.ProjectView
	Pager    pager
	Activity []activity
	Empty    string
}

// activity is an event of the dashboard, with what its line says.
type activity struct{ forge.Activity }

// Verb says what the event did, as GitLab's dashboard does: "opened issue", "merged merge
// request", "commented on issue", "pushed to branch".
func (ac activity) Verb() string {
	e := ac.Event
	kind := map[string]string{forge.NoteableIssue: "issue", forge.NoteableMergeRequest: "merge request"}
	switch e.TargetType {
	case "":
		return e.Action + " " + e.RefType
	case "Note":
		return "commented on " + kind[e.NoteableType]
	}
	if e.Action == forge.ActionAccepted {
		return "merged " + kind[e.TargetType]
	}
	return e.Action + " " + kind[e.TargetType]
}

// Link is the page of the event's issue, merge request, note or branch; "" for a deleted ref.
func (ac activity) Link() string {
	e := ac.Event
	base := "/" + markup.EscapePath(ac.Project.FullPath())
	typ, iid := e.TargetType, strconv.FormatInt(e.TargetIID, 10)
	if typ == "Note" {
		typ = e.NoteableType
	}
	switch {
	case typ == forge.NoteableIssue:
		base += "/-/issues/" + iid
	case typ == forge.NoteableMergeRequest:
		base += "/-/merge_requests/" + iid
	case e.Action == forge.ActionDeleted:
		return ""
	default:
		return base + "/-/tree/" + markup.EscapePath(e.Ref)
	}
	if e.TargetType == "Note" {
		base += "#note_" + strconv.FormatInt(e.TargetID, 10)
	}
	return base
}

// Label is the link's text: "#12", "!3", or the branch or tag.
func (ac activity) Label() string {
	e := ac.Event
	typ := e.TargetType
	if typ == "Note" {
		typ = e.NoteableType
	}
	switch typ {
	case forge.NoteableIssue:
		return "#" + strconv.FormatInt(e.TargetIID, 10)
	case forge.NoteableMergeRequest:
		return "!" + strconv.FormatInt(e.TargetIID, 10)
	}
	return e.Ref
}

// Detail is the line under the event: a comment's first line, the issue's or merge
// request's title, or the pushed commit's.
func (ac activity) Detail() string {
	switch {
	case ac.Event.TargetType == "Note" && ac.Event.NoteBody != "":
		return excerpt(ac.Event.NoteBody, 120)
	case ac.Event.TargetType != "":
		return ac.Event.TargetTitle
	}
	return ac.Event.CommitTitle
}

// excerpt is the first line of text that has any, cut to about n characters at a word.
func excerpt(text string, n int) string {
	line := ""
	for l := range strings.Lines(text) {
		if line = strings.TrimSpace(l); line != "" {
			break
		}
	}
	if r := []rune(line); len(r) > n {
		cut := string(r[:n])
		if i := strings.LastIndexByte(cut, ' '); i > n/2 {
			cut = cut[:i]
		}
		line = strings.TrimRight(cut, " .,;:") + "…"
	}
	return line
}

// dashboard lists the projects the user is a member of, most recently active first, with the
// latest pushes to them.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	pg := pageOf(r, 20)
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	list, total, err := h.forge.Projects.ListProjects(r.Context(), a,
		forge.ProjectListOptions{Membership: true, Search: search,
			OrderBy: "last_activity_at", Desc: true}, pg)
	if err != nil {
		return err
	}
	d := projectListData{
		Heading:  "Your projects",
		Tab:      "projects",
		Search:   search,
		Projects: list,
		Pager:    newPager(r, pg, total),
		Empty:    "You are not a member of any project yet.",
	}
	if pg.Page == 1 && search == "" {
		if d.Activity, err = h.recentActivity(r, list); err != nil {
			return err
		}
	}
	return h.show(w, r, http.StatusOK, "projects", "projects", "Projects", d)
}

// recentActivity gathers the latest events of projects.
func (h *Handler) recentActivity(r *http.Request, projects []forge.ProjectView) ([]activity, error) {
	list, err := h.forge.Projects.RecentActivity(r.Context(), api.Actor(r), projects, 10)
	if err != nil {
		return nil, err
	}
	out := make([]activity, len(list))
	for i, ac := range list {
		out[i] = activity{ac}
	}
	return out, nil
}

// explore lists the projects anyone signed in (or anyone, for public ones) may see.
func (h *Handler) explore(w http.ResponseWriter, r *http.Request) error {
	pg := pageOf(r, 20)
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	list, total, err := h.forge.Projects.ListProjects(r.Context(), api.Actor(r),
		forge.ProjectListOptions{Search: search,
			OrderBy: "last_activity_at", Desc: true}, pg)
	if err != nil {
		return err
	}
	d := projectListData{
		Heading:  "Explore projects",
		Tab:      "explore",
		Search:   search,
		Projects: list,
		Pager:    newPager(r, pg, total),
		Empty:    "There are no projects to show.",
	}
	return h.show(w, r, http.StatusOK, "projects", "explore", "Explore projects", d)
}

type groupListData struct {
	Heading string
	Tab     string
	Search  string
	Groups  []forge.Namespace
	Pager   pager
	Empty   string
}

func (h *Handler) dashboardGroups(w http.ResponseWriter, r *http.Request) error {
	if !api.Actor(r).SignedIn() {
		return forge.Unauthorized("")
	}
	return h.groupList(w, r, false)
}

func (h *Handler) exploreGroups(w http.ResponseWriter, r *http.Request) error {
	return h.groupList(w, r, true)
}

func (h *Handler) groupList(w http.ResponseWriter, r *http.Request, all bool) error {
	pg := pageOf(r, 20)
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	list, total, err := h.forge.Projects.ListGroups(r.Context(), api.Actor(r), forge.GroupListOptions{Search: search,
		AllAvailable: &all}, pg)
	if err != nil {
		return err
	}
	d := groupListData{
		Heading: "Your groups",
		Tab:     "groups",
		Search:  search,
		Groups:  list,
		Pager:   newPager(r, pg, total),
		Empty:   "You are not a member of any group yet.",
	}
	nav := "groups"
	if all {
		d.Heading, d.Tab, d.Empty, nav = "Explore groups", "explore-groups", "There are no groups to show.", "explore"
	}
	p := h.newPage(r, d.Heading, d)
	p.Nav = nav
	return h.render(w, r, http.StatusOK, "groups", p)
}

type namespaceData struct {
	Namespace forge.Namespace
	IsGroup   bool
	// User is the namespace's owner, for a personal namespace.
	User      forge.User
	Subgroups []forge.Namespace
	Projects  []forge.ProjectView
	Pager     pager
	// CanCreate: the visitor may make projects and subgroups here (a link to the forms).
	CanCreate bool
	// Can is what the visitor may do with a group (its settings).
	Can forge.GroupAbilities
	// URL is a group's page.
	URL string
}

// namespacePage shows what a path names: a project's home, a group's page or a user's.
func (h *Handler) namespacePage(path string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if path == "" || strings.Contains(path, "//") {
			return notFound()
		}
		a := api.Actor(r)
		t, err := h.forge.Delivery.ResolvePath(r.Context(), a, path)
		if err != nil {
			if forge.ErrorCode(err) == forge.EInvalid {
				return notFound()
			}
			return err
		}
		if t.IsProject() {
			return h.projectHome(w, r, *t.Project)
		}
		return h.namespaceHome(w, r, t.Namespace)
	}
}

func (h *Handler) namespaceHome(w http.ResponseWriter, r *http.Request, ns forge.Namespace) error {
	a := api.Actor(r)
	ctx := r.Context()
	pg := pageOf(r, 20)
	d := namespaceData{Namespace: ns, IsGroup: ns.Kind == "group"}
	o := forge.ProjectListOptions{OrderBy: "last_activity_at", Desc: true}
	if d.IsGroup {
		o.GroupRef = forge.ID(ns.ID)
		all := true
		subs, _, err := h.forge.Projects.ListGroups(ctx, a,
			forge.GroupListOptions{ParentID: &ns.ID, AllAvailable: &all},
			forge.Page{Page: 1, PerPage: 100})
		if err != nil {
			return err
		}
		d.Subgroups = subs
	} else {
		o.UserRef = forge.ID(ns.OwnerID)
		u, err := h.forge.Accounts.UserByRef(ctx, a, o.UserRef)
		if err != nil && forge.ErrorCode(err) != forge.ENotFound && forge.ErrorCode(err) != forge.EUnauthorized {
			return err
		}
		d.User = u
	}
	var err error
	if d.CanCreate, err = h.forge.Access.CanCreateIn(ctx, a, ns); err != nil {
		return err
	}
	if d.IsGroup {
		d.URL = "/groups/" + markup.EscapePath(ns.FullPath)
		if d.Can, err = h.forge.Access.GroupAbilities(ctx, a, ns); err != nil {
			return err
		}
	}
	list, total, err := h.forge.Projects.ListProjects(ctx, a, o, pg)
	if err != nil {
		return err
	}
	d.Projects, d.Pager = list, newPager(r, pg, total)
	p := h.newPage(r, ns.FullName, d)
	p.Nav = "groups"
	if !d.IsGroup {
		p.Nav = ""
	}
	p.Crumbs = namespaceCrumbs(ns)
	return h.render(w, r, http.StatusOK, "namespace", p)
}

// namespaceCrumbs are the links to a namespace and its parents.
func namespaceCrumbs(ns forge.Namespace) []crumb {
	parts := strings.Split(ns.FullPath, "/")
	names := strings.Split(ns.FullName, " / ")
	var out []crumb
	for i := range parts {
		name := parts[i]
		if len(names) == len(parts) {
			name = names[i]
		}
		prefix := "/groups/"
		if ns.Kind == "user" {
			prefix = "/"
		}
		out = append(out, crumb{Name: name, URL: prefix + markup.EscapePath(strings.Join(parts[:i+1], "/"))})
	}
	return out
}

type dashboardListData struct {
	Scope         string
	State         string
	Issues        []forge.Issue
	MergeRequests []forge.MergeRequest
	Pager         pager
}

// dashboardIssues lists the open issues assigned to the user, or created by them.
func (h *Handler) dashboardIssues(w http.ResponseWriter, r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	d := &dashboardListData{Scope: dashboardScope(r)}
	pg := pageOf(r, 20)
	list, total, err := h.forge.Issuables.ListIssues(r.Context(), a,
		forge.IssueListOptions{Scope: d.Scope, State: "opened",
			OrderBy: "updated_at", Desc: true}, pg)
	if err != nil {
		return err
	}
	d.Issues, d.Pager = list, newPager(r, pg, total)
	return h.show(w, r, http.StatusOK, "dashboard_issues", "issues", "Issues", d)
}

// dashboardMergeRequests lists the open merge requests assigned to the user, or created by them.
func (h *Handler) dashboardMergeRequests(w http.ResponseWriter, r *http.Request) error {
	a := api.Actor(r)
	if !a.SignedIn() {
		return forge.Unauthorized("")
	}
	d := &dashboardListData{Scope: dashboardScope(r)}
	pg := pageOf(r, 20)
	list, total, err := h.forge.Issuables.ListMergeRequests(r.Context(), a,
		forge.MergeRequestListOptions{Scope: d.Scope,
			State: "opened", OrderBy: "updated_at", Desc: true}, pg)
	if err != nil {
		return err
	}
	d.MergeRequests, d.Pager = list, newPager(r, pg, total)
	return h.show(w, r, http.StatusOK, "dashboard_merge_requests", "merge_requests", "Merge requests", d)
}

func dashboardScope(r *http.Request) string {
	if r.URL.Query().Get("scope") == "created_by_me" {
		return "created_by_me"
	}
	return "assigned_to_me"
}
