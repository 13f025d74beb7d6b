package web

import (
	"html/template"
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/markup"
)

// markdownIn renders a text written in project pn (an issue, a note, a README) with its
// relative links pointed at ref and its references linked for the page's reader.
func (h *Handler) markdownIn(r *http.Request, pn *projectNav, ref, file, text string) template.HTML {
	return h.markdown.RenderLinked(text, h.repoLinks(pn, ref, file), h.references(r, pn))
}

// references returns the resolver of the references the texts of one page make, as forge
// links them for the page's reader: one per page, so that the notes of an issue naming the
// same things cost one lookup.
func (h *Handler) references(r *http.Request, pn *projectNav) markup.Resolver {
	if pn.refs == nil {
		pn.refs = h.forge.Issuables.ReferenceLinks(r.Context(), api.Actor(r), &pn.View, "")
	}
	return pn.refs
}
