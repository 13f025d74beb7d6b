package web

import (
	"net/http"
	"net/url"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// statusOf maps forge's error codes to the statuses of pages.
var statusOf = map[forge.Code]int{
	forge.ENotFound:     http.StatusNotFound,
	forge.EInvalid:      http.StatusBadRequest,
	forge.EConflict:     http.StatusConflict,
	forge.EUnauthorized: http.StatusUnauthorized,
	forge.EForbidden:    http.StatusForbidden,
	forge.ENotAllowed:   http.StatusMethodNotAllowed,
	forge.ERateLimited:  http.StatusTooManyRequests,
	forge.ETooLarge:     http.StatusRequestEntityTooLarge,
}

type errorData struct {
	Status  int
	Heading string
	Message string
}

// WriteError shows an error as a page with the request id, so that a user can quote it and
// an operator find it in the log. A page that needs a signed-in user sends an anonymous
// visitor to sign in first, and back afterwards.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status := statusOf[e.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized && r.Method == http.MethodGet && !api.Actor(r).SignedIn() {
		http.Redirect(w, r, "/users/sign_in?redirect="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	d := errorData{Status: status, Heading: http.StatusText(status), Message: e.Message}
	switch status {
	case http.StatusNotFound:
		d.Heading = "Page not found"
		d.Message = "The page you were looking for does not exist, or you may not see it."
	case http.StatusInternalServerError:
		d.Heading = "Something went wrong"
		d.Message = "The server could not answer. If it happens again, give the request id below to the administrator."
	case http.StatusForbidden:
		if e.Message == "" || e.Message == "403 Forbidden" {
			d.Message = "You may not do this."
		}
	case http.StatusTooManyRequests:
		d.Message = "Too many requests. Wait a moment and try again."
	}
	setPageHeaders(w)
	if err := h.render(w, r, status, "error", h.newPage(r, d.Heading, d)); err != nil {
		h.core.Log.Error("render error page", "request_id", api.RequestID(r), "err", err)
		http.Error(w, d.Heading+" (request id "+api.RequestID(r)+")", status)
	}
}
