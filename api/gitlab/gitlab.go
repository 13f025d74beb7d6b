// Package gitlab is cairn's GitLab dialect: GitLab's REST API v4 (and the older v3 paths of
// the GitSwarm document) over the forge, with GitLab's shapes, status codes and messages, so
// that GitLab's own client libraries work unchanged.
package gitlab

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Handler serves one version of the GitLab API.
type Handler struct {
	core    *api.Core
	forge   *forge.Service
	version int
	// cairnVersion is cairn's own version, reported beside GitLab's.
	cairnVersion string
}

// Version is the GitLab version cairn reports; clients gate features on its major and minor.
const Version = "17.11.0"

// New returns the GitLab API of version 3 or 4, mounted at /api/v<version>.
func New(core *api.Core, version int, cairnVersion string) http.Handler {
	h := &Handler{core: core, forge: core.Forge, version: version, cairnVersion: cairnVersion}
	rt := core.NewRouter()
	if version == 3 {
		rt.Around = h.v3Answers(rt)
	}
	h.routes(rt)
	prefix := "/api/v" + strconv.Itoa(version)
	return core.Wrap(h, aliases(rt), api.Options{Prefix: prefix, Bucket: api.BucketAPI})
}

// projectsForUser is GitLab's POST /projects/user/:user_id, which httprouter cannot hold
// beside /projects/:id; it is served under an internal alias.
var projectsForUser = regexp.MustCompile(`^/projects/user/([^/]+)/?$`)

func aliases(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if m := projectsForUser.FindStringSubmatch(r.URL.Path); m != nil {
				r.URL.Path = "/users/" + m[1] + "/projects"
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) routes(rt *api.Router) {
	rt.Handle("GET", "/version", h.getVersion)
	rt.Handle("GET", "/metadata", h.getMetadata)
	rt.Handle("GET", "/audit_events", h.listAuditEvents)

	rt.Handle("GET", "/user", h.getCurrentUser)
	rt.Handle("POST", "/user/personal_access_tokens", h.createOwnToken)
	rt.Handle("DELETE", "/user/sessions", h.revokeOwnSessions)
	rt.Handle("GET", "/users", h.listUsers)
	rt.Handle("POST", "/users", h.createUser)
	rt.Handle("GET", "/users/:id", h.getUser)
	rt.Handle("PUT", "/users/:id", h.updateUser)
	rt.Handle("DELETE", "/users/:id", h.deleteUser)
	rt.Handle("POST", "/users/:id/block", h.blockUser)
	rt.Handle("POST", "/users/:id/unblock", h.unblockUser)
	rt.Handle("POST", "/users/:id/ban", h.banUser)
	rt.Handle("POST", "/users/:id/unban", h.unbanUser)
	rt.Handle("DELETE", "/users/:id/sessions", h.revokeSessions)
	rt.Handle("GET", "/users/:id/projects", h.listUserProjects)
	rt.Handle("POST", "/users/:id/projects", h.createProjectForUser)
	rt.Handle("POST", "/users/:id/personal_access_tokens", h.createUserToken)

	h.keyRoutes(rt)
	h.impersonationTokenRoutes(rt)
	h.userExtraRoutes(rt)
	h.deployRoutes(rt)
	h.instanceRoutes(rt)
	h.broadcastMessageRoutes(rt)

	rt.Handle("GET", "/personal_access_tokens", h.listTokens)
	rt.Handle("GET", "/personal_access_tokens/:id", h.getToken)
	rt.Handle("DELETE", "/personal_access_tokens/:id", h.revokeToken)
	rt.Handle("POST", "/personal_access_tokens/:id/rotate", h.rotateToken)

	rt.Handle("GET", "/groups", h.listGroups)
	rt.Handle("POST", "/groups", h.createGroup)
	rt.Handle("GET", "/groups/:id", h.getGroup)
	rt.Handle("PUT", "/groups/:id", h.updateGroup)
	rt.Handle("DELETE", "/groups/:id", h.deleteGroup)
	rt.Handle("GET", "/groups/:id/subgroups", h.listSubgroups)
	rt.Handle("GET", "/groups/:id/descendant_groups", h.listDescendantGroups)
	rt.Handle("POST", "/groups/:id/transfer", h.transferGroup)
	rt.Handle("GET", "/groups/:id/projects", h.listGroupProjects)
	h.memberRoutes(rt, "groups", "group")
	h.badgeRoutes(rt, "groups", "group")

	rt.Handle("GET", "/namespaces", h.listNamespaces)
	// The GitSwarm document's pagination example lists namespaces with PUT; it works as shown.
	rt.Handle("PUT", "/namespaces", h.listNamespaces)
	rt.Handle("GET", "/namespaces/:id", h.getNamespace)
	rt.Handle("GET", "/namespaces/:id/exists", h.namespaceExists)

	rt.Handle("GET", "/projects", h.listProjects)
	rt.Handle("POST", "/projects", h.createProject)
	rt.Handle("GET", "/projects/:id", h.getProject)
	rt.Handle("PUT", "/projects/:id", h.updateProject)
	rt.Handle("DELETE", "/projects/:id", h.deleteProject)
	h.memberRoutes(rt, "projects", "project")
	h.badgeRoutes(rt, "projects", "project")
	rt.Handle("POST", "/projects/:id/fork", h.forkProject)
	rt.Handle("GET", "/projects/:id/forks", h.listForks)
	rt.Handle("POST", "/projects/:id/star", h.starProject)
	rt.Handle("POST", "/projects/:id/unstar", h.unstarProject)
	rt.Handle("GET", "/projects/:id/starrers", h.listStarrers)
	rt.Handle("PUT", "/projects/:id/transfer", h.transferProject)
	rt.Handle("POST", "/projects/:id/uploads", h.gitHandler(h.uploadFile))
	rt.Handle("GET", "/users/:id/starred_projects", h.listStarredProjects)
	h.topicRoutes(rt)
	h.protectedBranchRoutes(rt)
	rt.Handle("GET", "/projects/:id/events", h.listProjectEvents)
	h.repositoryRoutes(rt)
	h.commitStatusRoutes(rt)
	h.issueRoutes(rt)
	h.mergeRequestRoutes(rt)
	h.awardEmojiRoutes(rt)
	if h.version == 4 {
		h.participantRoutes(rt)
	}
	h.deliveryRoutes(rt)
	h.doraRoutes(rt)
	h.agentRunRoutes(rt)
}

// page reads the pagination parameters.
func page(r *http.Request) (forge.Page, error) { return api.ParsePage(r) }

// list writes one page of items with the pagination headers.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, pg forge.Page, total int, items any) error {
	h.core.SetPageHeaders(w, r, pg, total)
	return api.JSON(w, r, http.StatusOK, items)
}

// sortDesc reads GitLab's sort parameter: desc unless "asc", with def when absent.
func sortDesc(r *http.Request, def bool) (bool, error) {
	switch r.URL.Query().Get("sort") {
	case "":
		return def, nil
	case "asc":
		return false, nil
	case "desc":
		return true, nil
	}
	return false, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
		Params: []string{"sort"}, Message: "sort does not have a valid value"}
}

// queryBool reads a boolean query parameter.
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	switch strings.ToLower(v) {
	case "", "false", "0", "f", "no", "n":
		return false, nil
	case "true", "1", "t", "yes", "y":
		return true, nil
	}
	return false, api.InvalidParam(name)
}
