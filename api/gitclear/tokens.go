package gitclear

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
)

// checkToken is GET /api_tokens: it answers success to a token that authenticates (the core
// has refused every other one by now), with the seed's words.
func (h *Handler) checkToken(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	return success(w, r, http.StatusOK, actionGetResource, "Your token is ready for use 👍")
}
