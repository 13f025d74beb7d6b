package githttp

import (
	"io"
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// WriteError answers errors as git expects: plain text, whose lines git shows as "remote:",
// and a Basic challenge on 401 so that git asks for credentials.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status, text := errorTable.Answer(e)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="cairn"`)
	}
	if text == "" {
		text = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}

type rule = api.ErrorRule[string]

// errorTable is the text git shows for each kind of error: by code, then by reason. An
// empty text is the status's own.
var errorTable = api.NewErrorTable(rule{Status: 500, Body: says("Internal server error")},
	rule{Code: forge.EUnauthorized, Status: 401,
		Body: says("HTTP Basic: Access denied. Use a personal access token as the password.")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenExpired, Status: 401,
		Body: says("HTTP Basic: Access denied. The token has expired.")},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenRevoked, Status: 401,
		Body: says("HTTP Basic: Access denied. The token was revoked.")},
	rule{Code: forge.EForbidden, Status: 403, Body: asIs},
	rule{Code: forge.EForbidden, Reason: forge.ReasonInsufficientScope, Status: 403, Body: func(e *forge.Error) string {
		return "The token lacks the " + e.Scope + " scope needed for this."
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonDownloadDenied, Status: 403,
		Body: says("You are not allowed to download code from this project.")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonPushDenied, Status: 403, Body: func(e *forge.Error) string {
		if e.Resource == forge.ResourceBranch {
			return "You are not allowed to push into this branch"
		}
		return "You are not allowed to push code to this project."
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonArchived, Status: 403,
		Body: says("You are not allowed to push code to an archived project.")},
	rule{Code: forge.ENotFound, Status: 404,
		Body: says("The project you were looking for could not be found or you don't have permission to view it.")},
	rule{Code: forge.ENotFound, Reason: forge.ReasonDumbProtocol, Status: 404, Body: asIs},
	rule{Code: forge.ENotAllowed, Status: 405, Body: asIs},
	rule{Code: forge.EInvalid, Status: 400, Body: asIs},
	rule{Code: forge.ERateLimited, Status: 429, Body: says("Retry later")},
	rule{Code: forge.ETooLarge, Status: 413, Body: says("Request body too large")},
)

func says(text string) func(*forge.Error) string { return func(*forge.Error) string { return text } }

// asIs is forge's detail as it is.
func asIs(e *forge.Error) string { return e.Message }
