package web

import (
	"net/http"
	"net/url"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

type errorData struct {
	Status  int
	Heading string
	Message string
}

type rule = api.ErrorRule[errorData]

// errorTable is how the pages answer each kind of error: the status, the heading and the
// sentence of the error page, by code, then by reason. An empty heading is the status's text.
var errorTable = api.NewErrorTable(rule{Status: http.StatusInternalServerError, Body: says("Something went wrong",
	"The server could not answer. If it happens again, give the request id below to the administrator.")},
	rule{Code: forge.ENotFound, Status: http.StatusNotFound,
		Body: says("Page not found", "The page you were looking for does not exist, or you may not see it.")},
	rule{Code: forge.EInvalid, Status: http.StatusBadRequest, Body: asIs},
	rule{Code: forge.EConflict, Status: http.StatusConflict, Body: asIs},
	rule{Code: forge.EConflict, Reason: forge.ReasonExists, Status: http.StatusConflict,
		Body: func(e *forge.Error) errorData {
			if e.Resource == forge.ResourceMember {
				return errorData{Message: "Member already exists"}
			}
			return errorData{Message: api.Noun(e.Resource) + " " + e.Value + " already exists"}
		}},
	rule{Code: forge.EConflict, Reason: forge.ReasonMergeInProgress, Status: http.StatusConflict,
		Body: func(e *forge.Error) errorData {
			return errorData{Message: "The merge request is being merged and can't be " + api.Done(e.Value) + " now."}
		}},
	rule{Code: forge.EConflict, Reason: forge.ReasonDuplicateOpen, Status: http.StatusConflict,
		Body: func(e *forge.Error) errorData {
			return errorData{Message: "Another open merge request already exists for this source branch: !" + e.Value}
		}},
	rule{Code: forge.EConflict, Reason: forge.ReasonChangedMeanwhile, Status: http.StatusConflict,
		Body: says("", "The merge request changed meanwhile; try again.")},
	rule{Code: forge.EUnauthorized, Status: http.StatusUnauthorized, Body: asIs},
	rule{Code: forge.EForbidden, Status: http.StatusForbidden, Body: func(e *forge.Error) errorData {
		if e.Message == "" {
			return errorData{Message: "You may not do this."}
		}
		return asIs(e)
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonCSRF, Status: http.StatusForbidden,
		Body: says("",
			"The form was not sent from this page, or your session has ended. Reload the page and try again.")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonDownloadDenied, Status: http.StatusForbidden,
		Body: says("", "You may not read this project's code.")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonPushDenied, Status: http.StatusForbidden,
		Body: func(e *forge.Error) errorData {
			if e.Resource == forge.ResourceBranch {
				return errorData{Message: "You may not change this branch."}
			}
			return errorData{Message: "You may not change this project's code."}
		}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonForcePushDenied, Status: http.StatusForbidden,
		Body: says("", "This branch is protected: it may not be rewritten.")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonCannotMerge, Status: http.StatusForbidden,
		Body: says("", "You may not merge this merge request.")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonArchived, Status: http.StatusForbidden,
		Body: says("", "This project is archived: its code is read-only.")},
	rule{Code: forge.ENotAllowed, Status: http.StatusMethodNotAllowed, Body: asIs},
	rule{Code: forge.ERateLimited, Status: http.StatusTooManyRequests,
		Body: says("", "Too many requests. Wait a moment and try again.")},
	rule{Code: forge.ETooLarge, Status: http.StatusRequestEntityTooLarge, Body: asIs},
)

// statusOf maps forge's error codes to the statuses of pages, as the table does.
var statusOf = errorTable.Statuses()

func says(heading, message string) func(*forge.Error) errorData {
	return func(*forge.Error) errorData { return errorData{Heading: heading, Message: message} }
}

// asIs shows forge's detail as it is.
func asIs(e *forge.Error) errorData { return errorData{Message: e.Message} }

// WriteError shows an error as a page with the request id, so that a user can quote it and
// an operator find it in the log. A page that needs a signed-in user sends an anonymous
// visitor to sign in first, and back afterwards.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status, d := errorTable.Answer(e)
	if status == http.StatusUnauthorized && r.Method == http.MethodGet && !api.Actor(r).SignedIn() {
		http.Redirect(w, r, "/users/sign_in?redirect="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	d.Status = status
	if d.Heading == "" {
		d.Heading = http.StatusText(status)
	}
	setPageHeaders(w)
	if err := h.render(w, r, status, "error", h.newPage(r, d.Heading, d)); err != nil {
		h.core.Log.Error("render error page", "request_id", api.RequestID(r), "err", err)
		http.Error(w, d.Heading+" (request id "+api.RequestID(r)+")", status)
	}
}
