package opencodehub

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// User is a user embedded in other resources.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

func user(u forge.User) User {
	return User{ID: formatID(userIDPrefix, u.ID), Username: u.Username, Name: u.Name}
}

func userPtr(u *forge.User) *User {
	if u == nil {
		return nil
	}
	v := user(*u)
	return &v
}

// Branch is one side of a pull request; SHA is null when the branch does not exist.
type Branch struct {
	Ref string  `json:"ref"`
	SHA *string `json:"sha"`
}

// Pull is a pull request.
type Pull struct {
	ID     string `json:"id"`
	Number int64  `json:"number"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	// State is open, closed or merged.
	State string `json:"state"`
	Draft bool   `json:"draft"`
	Head  Branch `json:"head"`
	Base  Branch `json:"base"`
	User  User   `json:"user"`
	// Mergeable is null while it is being worked out, as GitHub has it.
	Mergeable *bool `json:"mergeable"`
	// MergeableState says what stands between an open pull request and its merge:
	// mergeable, unchecked, conflict, need_rebase (the repository merges by fast-forward
	// only), draft_status, broken_status or not_open.
	MergeableState string  `json:"mergeable_state"`
	Merged         bool    `json:"merged"`
	MergedAt       *Time   `json:"merged_at"`
	MergedBy       *User   `json:"merged_by"`
	MergeCommitSHA *string `json:"merge_commit_sha"`
	ClosedAt       *Time   `json:"closed_at"`
	ChangedFiles   *int    `json:"changed_files"`
	Comments       int     `json:"comments"`
	Repo           string  `json:"repo"`
	URL            string  `json:"url"`
	WebURL         string  `json:"web_url"`
	CreatedAt      Time    `json:"created_at"`
	UpdatedAt      Time    `json:"updated_at"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *Handler) pull(m forge.MergeRequest) Pull {
	state := "open"
	switch m.State {
	case forge.StateClosed:
		state = "closed"
	case forge.StateMerged:
		state = "merged"
	}
	detailed := forge.DetailedMergeStatus(m)
	var mergeable *bool
	if detailed != "unchecked" {
		ok := detailed == "mergeable"
		mergeable = &ok
	}
	var landed *string
	if m.State == forge.StateMerged {
		// The commit the target moved to: the merge commit, the squashed commit, or the
		// head itself after a fast-forward.
		switch {
		case m.MergeCommitSHA != "":
			landed = strPtr(m.MergeCommitSHA)
		case m.SquashCommitSHA != "":
			landed = strPtr(m.SquashCommitSHA)
		default:
			landed = strPtr(m.HeadSHA)
		}
	}
	number := strconv.FormatInt(m.IID, 10)
	return Pull{
		ID:             formatID(pullIDPrefix, m.ID),
		Number:         m.IID,
		Title:          m.Title,
		Body:           m.Description,
		State:          state,
		Draft:          m.Draft,
		Head:           Branch{Ref: m.SourceBranch, SHA: strPtr(m.HeadSHA)},
		Base:           Branch{Ref: m.TargetBranch, SHA: strPtr(m.TargetSHA)},
		User:           user(m.Author),
		Mergeable:      mergeable,
		MergeableState: detailed,
		Merged:         m.State == forge.StateMerged,
		MergedAt:       timePtr(m.MergedAt),
		MergedBy:       userPtr(m.MergedBy),
		MergeCommitSHA: landed,
		ClosedAt:       timePtr(m.ClosedAt),
		ChangedFiles:   m.ChangesCount,
		Comments:       m.UserNotesCount,
		Repo:           formatID(repoIDPrefix, m.ProjectID),
		URL:            h.core.URL(Prefix + "/repos/" + m.ProjectPath + "/pulls/" + number),
		WebURL:         h.core.URL("/" + m.ProjectPath + "/-/merge_requests/" + number),
		CreatedAt:      Time(m.CreatedAt),
		UpdatedAt:      Time(m.UpdatedAt),
	}
}

func (r pullRef) forge() forge.MergeRequestRef { return forge.MergeRequestRef{N: r.n, ByID: r.byID} }

// pullStates maps the list's state filter to forge's; "all" is every state.
var pullStates = map[string]string{"open": forge.StateOpened, "closed": forge.StateClosed,
	"merged": forge.StateMerged, "all": ""}

// listPulls is GET /repos/:owner/:repo/pulls: state (open by default, closed, merged or
// all), head and base (branch names), newest first.
func (h *Handler) listPulls(w http.ResponseWriter, r *http.Request, t target) error {
	pg, err := api.ParsePageStrictly(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.MergeRequestListOptions{State: forge.StateOpened, SourceBranch: q.Get("head"),
		TargetBranch: q.Get("base"), OrderBy: "created_at", Desc: true}
	if s := q.Get("state"); s != "" {
		state, ok := pullStates[s]
		if !ok {
			return &forge.Error{Code: forge.EInvalid, Params: []string{"state"},
				Message: "state must be one of open, closed, merged or all"}
		}
		o.State = state
	}
	list, total, err := h.forge.Issuables.ListProjectMergeRequests(r.Context(), api.Actor(r),
		forge.ParseRef(t.repo), o, pg)
	if err != nil {
		return err
	}
	out := make([]Pull, len(list))
	for i, m := range list {
		out[i] = h.pull(m)
	}
	return h.list(w, r, pg, total, out)
}

// createPull is POST /repos/:owner/:repo/pulls: title, head (the source branch) and base
// (the target branch) are required; body and draft are optional.
func (h *Handler) createPull(w http.ResponseWriter, r *http.Request, t target) error {
	in, err := readInput(r)
	if err != nil {
		return err
	}
	var mi forge.MergeRequestInput
	for _, f := range []struct {
		key string
		dst **string
	}{{"title", &mi.Title}, {"head", &mi.SourceBranch}, {"base", &mi.TargetBranch}, {"body", &mi.Description}} {
		if *f.dst, err = stringParam(in, f.key); err != nil {
			return err
		}
	}
	if mi.Draft, err = boolParam(in, "draft"); err != nil {
		return err
	}
	m, err := h.forge.Issuables.CreateMergeRequest(r.Context(), api.Actor(r), forge.ParseRef(t.repo), mi)
	if err != nil {
		return err
	}
	if m.MergeStatus == forge.MergeUnchecked {
		// Read it back so that the answer says whether it merges, as a later GET would.
		if checked, err := h.forge.Issuables.GetMergeRequest(r.Context(), api.Actor(r),
			forge.ParseRef(t.repo), forge.MergeRequestRef{N: m.IID}); err == nil {
			m = checked
		}
	}
	out := h.pull(m)
	w.Header().Set("Location", out.URL)
	return h.write(w, r, http.StatusCreated, out, meta{})
}

// getPull is GET /repos/:owner/:repo/pulls/:number.
func (h *Handler) getPull(w http.ResponseWriter, r *http.Request, t target) error {
	m, err := h.forge.Issuables.GetMergeRequest(r.Context(), api.Actor(r), forge.ParseRef(t.repo), t.pull.forge())
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, h.pull(m), meta{})
}

// mergePull is PUT /repos/:owner/:repo/pulls/:number/merge: merge_method (merge, the
// default, or squash: the pull request's commits become one first, which is then merged as
// the repository's merge method says, with a merge commit unless it fast-forwards only), sha
// (the head the caller reviewed; a head that moved since is a conflict), commit_title and
// commit_message. It answers with the merged pull request.
func (h *Handler) mergePull(w http.ResponseWriter, r *http.Request, t target) error {
	in, err := readInput(r)
	if err != nil {
		return err
	}
	opts, err := mergeOptions(in)
	if err != nil {
		return err
	}
	m, err := h.forge.Issuables.MergeMergeRequest(r.Context(), api.Actor(r), forge.ParseRef(t.repo),
		t.pull.forge(), opts)
	if forge.ErrorCode(err) == forge.ENotAllowed {
		return h.whyNotMergeable(r, t, err)
	}
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, h.pull(m), meta{})
}

// mergeOptions reads the parameters of a merge.
func mergeOptions(in *api.Input) (forge.MergeOptions, error) {
	var opts forge.MergeOptions
	var text [4]*string
	for i, key := range []string{"merge_method", "sha", "commit_title", "commit_message"} {
		var err error
		if text[i], err = stringParam(in, key); err != nil {
			return opts, err
		}
	}
	if method := text[0]; method != nil {
		switch *method {
		case "merge", "squash":
			squash := *method == "squash"
			opts.Squash = &squash
		default:
			return opts, &forge.Error{Code: forge.EInvalid, Params: []string{"merge_method"},
				Message: "merge_method must be merge or squash"}
		}
	}
	if text[1] != nil {
		opts.SHA = strings.TrimSpace(*text[1])
	}
	if msg := commitMessage(text[2], text[3]); msg != "" {
		// The message is of the commit that carries the changes: the squashed one when
		// squashing, else the merge commit.
		if opts.Squash != nil && *opts.Squash {
			opts.SquashCommitMessage = msg
		} else {
			opts.MergeCommitMessage = msg
		}
	}
	return opts, nil
}

// commitMessage joins a title and a message as a commit message.
func commitMessage(title, message *string) string {
	var parts []string
	for _, p := range []*string{title, message} {
		if p != nil && strings.TrimSpace(*p) != "" {
			parts = append(parts, strings.TrimSpace(*p))
		}
	}
	return strings.Join(parts, "\n\n")
}

// whyNotMergeable turns forge's refusal to merge into a conflict that says why: the pull
// request is merged, closed, being merged, a draft, or its branches are gone or unrelated.
func (h *Handler) whyNotMergeable(r *http.Request, t target, cause error) error {
	e := &forge.Error{Code: forge.EConflict, Reason: forge.ReasonNotMergeable, Params: []string{"state"},
		Message: "Pull request is not mergeable", Err: cause}
	m, err := h.forge.Issuables.GetMergeRequest(r.Context(), api.Actor(r), forge.ParseRef(t.repo), t.pull.forge())
	if err != nil {
		return e
	}
	switch {
	case m.State == forge.StateMerged:
		e.Message = "Pull request is already merged"
	case m.State == forge.StateClosed:
		e.Message = "Pull request is closed"
	case m.State == forge.StateLocked:
		e.Message = "Pull request is being merged"
	case m.Draft:
		e.Message = "Pull request is a draft; mark it ready before merging"
	default:
		e.Params = []string{"head"}
		e.Message = "Pull request is not mergeable: a branch is missing or the branches share no history"
	}
	return e
}
