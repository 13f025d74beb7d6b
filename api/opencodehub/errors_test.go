package opencodehub

import (
	"net/http/httptest"
	"testing"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Every forge error maps to the seed's codes, with the field and constraint a client can act on.
func TestDescribeErrors(t *testing.T) {
	const repos, pulls = "/repos", "/repos/o/r/pulls"
	tests := []struct {
		name       string
		path       string
		err        *forge.Error
		status     int
		code       string
		message    string
		field      string
		constraint string
	}{
		{"missing name", repos, forge.MissingOneOf("name", "path"), 422, codeValidation,
			"Repository name is required", "name", "required"},
		{"name too long", repos,
			&forge.Error{Code: forge.EInvalid,
				Fields: map[string][]string{"name": {"is too long (maximum is 255 characters)"}}},
			422, codeValidation, "Repository name is too long (maximum is 255 characters)", "name", "too_long"},
		{"blank field", pulls,
			&forge.Error{Code: forge.EInvalid, Fields: map[string][]string{"title": {"can't be blank"}}},
			422, codeValidation, "Pull request title is required", "title", "required"},
		{"name that makes no path", repos,
			&forge.Error{Code: forge.EInvalid, Fields: map[string][]string{"path": {"can't be blank"}}},
			422, codeValidation, "Repository name must contain a letter or digit", "name", "invalid"},
		{"path taken", repos, forge.Taken("path"), 409, codeConflict,
			"Repository name has already been taken", "name", "taken"},
		{"bad visibility", repos,
			&forge.Error{Code: forge.EInvalid,
				Fields: map[string][]string{"visibility": {"does not have a valid value"}}},
			422, codeValidation, "Repository visibility does not have a valid value", "visibility", "invalid"},
		{"renamed field", repos,
			&forge.Error{Code: forge.EInvalid,
				Fields: map[string][]string{"visibility_level": {"public is not allowed in a private group."}}},
			422, codeValidation, "Repository visibility public is not allowed in a private group.",
			"visibility", "invalid"},
		{"name taken", repos, forge.Taken("name", "path"), 409, codeConflict,
			"Repository name has already been taken", "name", "taken"},
		{"parameter of the wrong type", repos, api.InvalidParam("page"), 400, codeValidation,
			"page is invalid", "page", "invalid"},
		{"malformed body", repos,
			&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonMalformedBody,
				Message: "The request body is not valid JSON"},
			400, codeValidation, "The request body is not valid JSON", "body", "malformed"},
		{"missing title first", pulls, forge.Missing("source_branch", "target_branch", "title"), 422, codeValidation,
			"Pull request title is required", "title", "required"},
		{"missing head", pulls, forge.Missing("source_branch"), 422, codeValidation,
			"Pull request head is required", "head", "required"},
		{"unknown head", pulls,
			&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonMissingBranch, Params: []string{"source_branch"},
				Message: `Source branch "nope" does not exist`}, 422, codeValidation,
			`Source branch "nope" does not exist`, "head", "not_found"},
		{"unknown base", pulls,
			&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonMissingBranch, Params: []string{"target_branch"},
				Message: `Target branch "nope" does not exist`}, 422, codeValidation,
			`Target branch "nope" does not exist`, "base", "not_found"},
		{"blank head", pulls,
			&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonBlankBranch, Params: []string{"source_branch"},
				Message: "Source branch can't be blank"}, 422, codeValidation, "Source branch can't be blank",
			"head", "required"},
		{"same branches", pulls,
			&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonSameBranch, Params: []string{"target_branch"},
				Message: "You can't use same project/branch for source and target"}, 422, codeValidation,
			"You can't use same project/branch for source and target", "base", "same_as_head"},
		{"a message alone says nothing of the branch", pulls,
			&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonUnprocessable,
				Message: "Source branch is odd"}, 422, codeValidation, "Source branch is odd", "",
			forge.ReasonUnprocessable},
		{"merged target", pulls,
			&forge.Error{Code: forge.EInvalid, Reason: forge.ReasonMergedRetarget, Resource: forge.ResourceMergeRequest,
				Params: []string{"target_branch"}}, 422, codeValidation,
			"Target branch of a merged pull request can't be changed", "base", "invalid"},
		{"title too long", pulls,
			&forge.Error{Code: forge.EInvalid,
				Fields: map[string][]string{"title": {"is too long (maximum is 255 characters)"}}},
			422, codeValidation, "Pull request title is too long (maximum is 255 characters)", "title", "too_long"},
		{"bad state filter", pulls,
			&forge.Error{Code: forge.EInvalid, Params: []string{"state"},
				Message: "state must be one of open, closed, merged or all"},
			422, codeValidation, "state must be one of open, closed, merged or all", "state", "invalid"},
		{"stale sha", pulls,
			&forge.Error{Code: forge.EConflict, Reason: forge.ReasonSHAMismatch,
				Message: "SHA does not match HEAD of source branch: abc"},
			409, codeConflict, "SHA does not match HEAD of source branch: abc", "sha", "stale"},
		{"need rebase", pulls,
			&forge.Error{Code: forge.EConflict, Reason: forge.ReasonNeedRebase, Message: "rebase it"},
			409, codeConflict, "rebase it", "head", "need_rebase"},
		{"being merged", pulls, &forge.Error{Code: forge.EConflict, Reason: forge.ReasonMergeInProgress,
			Resource: forge.ResourceMergeRequest, Value: forge.ActionClose}, 409, codeConflict,
			"The pull request is being merged and can't be closed now", "", forge.ReasonMergeInProgress},
		{"conflicts", pulls,
			&forge.Error{Code: forge.EConflict, Reason: forge.ReasonMergeConflict, Message: "Branch cannot be merged"},
			409, codeConflict, "Branch cannot be merged", "head", "merge_conflict"},
		{"duplicate", pulls, &forge.Error{Code: forge.EConflict, Reason: forge.ReasonDuplicateOpen,
			Resource: forge.ResourceMergeRequest, Value: "1"},
			409, codeConflict, "Another open pull request already exists for this source branch: !1", "", ""},
		{"not mergeable", pulls,
			&forge.Error{Code: forge.EConflict, Reason: forge.ReasonNotMergeable, Params: []string{"state"},
				Message: "Pull request is already merged"},
			409, codeConflict, "Pull request is already merged", "state", forge.ReasonNotMergeable},
		{"not found", repos + "/o/r", forge.NotFound(forge.ResourceProject), 404, codeNotFound,
			"Repository not found", "", ""},
		{"pull not found", pulls + "/7",
			forge.NotFound(forge.ResourceMergeRequest), 404,
			codeNotFound, "Pull request not found", "", ""},
		{"no route", "/nothing", &forge.Error{Code: forge.ENotFound, Reason: forge.ReasonNoRoute}, 404,
			codeNotFound, "Not found", "", ""},
		{"anonymous", repos, forge.Unauthorized(""), 401, codeUnauthorized, "Authentication required",
			"token", "required"},
		{"expired", repos, forge.Unauthorized(forge.ReasonTokenExpired), 401, codeUnauthorized,
			"The token has expired", "token", "expired"},
		{"repo scope", repos, forge.InsufficientScope(forge.ScopeAPI), 403, codeForbidden,
			`This request needs a token with the "repo" scope`, "scope", "insufficient_scope"},
		{"pr scope", pulls, forge.InsufficientScope(forge.ScopeAPI), 403, codeForbidden,
			`This request needs a token with the "pr" scope`, "scope", "insufficient_scope"},
		{"forbidden", repos, forge.Forbiddenf(""), 403, codeForbidden, "You are not allowed to do this", "", ""},
		{"no such method", repos, &forge.Error{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute}, 405,
			codeMethodNotAllowed, "Method not allowed", "", ""},
		{"rate limited", repos, &forge.Error{Code: forge.ERateLimited}, 429, codeRateLimited,
			"Rate limit exceeded; retry later", "", ""},
		{"too large", repos, &forge.Error{Code: forge.ETooLarge}, 413, codeValidation,
			"Request body too large", "", "too_large"},
		{"internal", repos, &forge.Error{Code: forge.EInternal, Message: "disk on fire"}, 500, codeInternal,
			"Internal server error", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			status, d := describe(r, tt.err)
			if status != tt.status || d.Code != tt.code || d.Message != tt.message ||
				d.Details.Field != tt.field || d.Details.Constraint != tt.constraint {
				t.Fatalf("describe = %d %+v; want %d {%s %q {%s %s}}", status, d, tt.status, tt.code,
					tt.message, tt.field, tt.constraint)
			}
		})
	}
}
