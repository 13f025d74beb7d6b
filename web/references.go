package web

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// markdownIn renders a text written in project pn (an issue, a note, a README) with its
// relative links pointed at ref and its references linked for the page's reader.
func (h *Handler) markdownIn(r *http.Request, pn *projectNav, ref, file, text string) template.HTML {
	return h.markdown.RenderLinked(text, h.repoLinks(pn, ref, file), h.references(r, pn))
}

// maxPageReferences bounds the distinct references one page looks up, whatever its notes
// hold: past it, references stay text.
const maxPageReferences = 1000

// references returns the resolver of the references the texts of one page make, as forge
// finds them for the page's reader: "#12", "!3", "@alice", "group/project#12", commit ids.
// What the reader may not see is not linked. Each reference is looked up once per page, so
// the notes of an issue naming the same things cost one lookup.
func (h *Handler) references(r *http.Request, pn *projectNav) markup.Resolver {
	if pn.refs != nil {
		return pn.refs
	}
	known := map[markup.Reference]*markup.ReferenceLink{}
	pn.refs = func(refs []markup.Reference) map[markup.Reference]markup.ReferenceLink {
		var ask []forge.Reference
		for _, ref := range refs {
			if _, done := known[ref]; !done && len(known)+len(ask) < maxPageReferences {
				ask = append(ask, forge.Reference(ref))
			}
		}
		if len(ask) > 0 {
			found, err := h.forge.ResolveReferences(r.Context(), api.Actor(r), &pn.View, ask)
			if err != nil {
				// The text is still worth showing, with its references as text.
				h.core.Log.Error("resolve references", "request_id", api.RequestID(r), "err", err)
			}
			for _, ref := range ask {
				var link *markup.ReferenceLink
				if t, ok := found[ref]; ok {
					link = referenceLink(t)
				}
				known[markup.Reference(ref)] = link
			}
		}
		out := map[markup.Reference]markup.ReferenceLink{}
		for _, ref := range refs {
			if l := known[ref]; l != nil {
				out[ref] = *l
			}
		}
		return out
	}
	return pn.refs
}

// referenceLink is the link of what a reference names: its page, title and state.
func referenceLink(t forge.ReferenceTarget) *markup.ReferenceLink {
	var project string
	if t.Project != nil {
		project = "/" + escapePath(t.Project.FullPath())
	}
	switch {
	case t.Issue != nil:
		l := &markup.ReferenceLink{URL: project + "/-/issues/" + strconv.FormatInt(t.Issue.IID, 10), Title: t.Issue.Title}
		if t.Issue.State == forge.StateClosed {
			l.State = "closed"
		}
		return l
	case t.MergeRequest != nil:
		l := &markup.ReferenceLink{URL: project + "/-/merge_requests/" + strconv.FormatInt(t.MergeRequest.IID, 10),
			Title: t.MergeRequest.Title}
		if s := t.MergeRequest.State; s == forge.StateClosed || s == forge.StateMerged {
			l.State = s
		}
		return l
	case t.Commit != nil:
		return &markup.ReferenceLink{URL: project + "/-/commit/" + t.Commit.ID.String(), Title: t.Commit.Title()}
	case t.Namespace != nil:
		return &markup.ReferenceLink{URL: "/" + escapePath(t.Namespace.FullPath), Title: t.Namespace.Name}
	}
	return nil
}
