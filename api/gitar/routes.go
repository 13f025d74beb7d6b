package gitar

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
)

// route is one endpoint: what the router serves and what the OpenAPI description says.
type route struct {
	method string
	// path is in httprouter's form (":id"); the description writes "{id}".
	path        string
	operationID string
	summary     string
	description string
	// public routes take no token (the description itself).
	public bool
	// scope is the token scope the route needs, for the description.
	scope  string
	params []param
	// body is a value of the request body's type; nil for none.
	body any
	// status and response are the success status and a value of the response's type.
	status   int
	response any
	handle   api.HandlerFunc
}

// param is a path or query parameter.
type param struct {
	name, in, typ, description string
	required                   bool
	enum                       []string
}

var (
	pageParams = []param{
		{name: "page", in: "query", typ: "integer", description: "page number, from 1 (default 1)"},
		{name: "per_page", in: "query", typ: "integer", description: "items per page, 1 to 100 (default 20)"},
	}
	runIDParam = param{name: "id", in: "path", typ: "integer", required: true, description: "the run's id"}
)

// table is the dialect's routes, in the order the description lists them.
func (h *Handler) table() []route {
	return []route{
		{
			method:      http.MethodGet,
			path:        "/agents",
			operationID: "listAgents",
			summary:     "List agents",
			description: "The agents that may be run: cairn's built-in agents and the external ones the administrator configured, with their parameters.",
			status:      http.StatusOK,
			response:    agentList{},
			handle:      h.listAgents,
		},
		{
			method:      http.MethodPost,
			path:        "/agents/runs",
			operationID: "createAgentRun",
			summary:     "Run an agent",
			description: "Queues a run of an agent on a repository, at a ref (the default branch when none is given) or a merge request. " +
				"The repository may be written owner/repo, group/subgroup/project, a URL of this instance (with or without .git) " +
				"or a bare project name when exactly one visible project has it. Needs the tracks_write scope (admin and api include it) " +
				"and the Developer role in the project.",
			scope:    "tracks_write",
			body:     runRequest{},
			status:   http.StatusCreated,
			response: runBody{},
			handle:   h.createRun,
		},
		{
			method:      http.MethodGet,
			path:        "/agents/runs",
			operationID: "listAgentRuns",
			summary:     "List runs",
			description: "Runs on the repositories whose code the caller may read, newest first.",
			params: append([]param{
				{name: "repository", in: "query", typ: "string",
					description: "only the runs on this repository (any repository format)"},
				{name: "agent", in: "query", typ: "string", description: "only the runs of this agent"},
				{name: "status", in: "query", typ: "string", description: "only the runs in this status",
					enum: statusEnum()},
			}, pageParams...),
			status:   http.StatusOK,
			response: runList{},
			handle:   h.listRuns,
		},
		{
			method:      http.MethodGet,
			path:        "/agents/runs/:id",
			operationID: "getAgentRun",
			summary:     "Get a run",
			description: "A run with its findings and, once it succeeded, its result.",
			params:      []param{runIDParam},
			status:      http.StatusOK,
			response:    runBody{},
			handle:      h.getRun,
		},
		{
			method:      http.MethodPost,
			path:        "/agents/runs/:id/cancel",
			operationID: "cancelAgentRun",
			summary:     "Cancel a run",
			description: "Cancels a queued or running run; a running agent is stopped at once. Who started the run and the project's maintainers may. " +
				"Canceling a canceled run changes nothing; a run that ended otherwise is a 400.",
			scope:    "tracks_write",
			params:   []param{runIDParam},
			status:   http.StatusOK,
			response: runBody{},
			handle:   h.cancelRun,
		},
		{
			method:      http.MethodGet,
			path:        "/agents/runs/:id/log",
			operationID: "getAgentRunLog",
			summary:     "Get a run's log",
			description: "What the agent has logged so far (at most 1 MiB; truncated says when more was dropped).",
			params:      []param{runIDParam},
			status:      http.StatusOK,
			response:    logBody{},
			handle:      h.getRunLog,
		},
		{
			method:      http.MethodGet,
			path:        "/openapi.json",
			operationID: "getOpenAPI",
			summary:     "This API's description",
			description: "The OpenAPI 3.1 description of this API, generated from the routes the server serves. Needs no token.",
			public:      true,
			status:      http.StatusOK,
			handle:      h.serveOpenAPI,
		},
	}
}
