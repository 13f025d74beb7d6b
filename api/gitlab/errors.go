package gitlab

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// WriteError renders e as GitLab does (lib/api/helpers.rb, api_guard.rb, Grape validation).
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *forge.Error) {
	status, a := errorTable.Answer(e)
	if status == http.StatusTooManyRequests {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("Retry later\n"))
		return
	}
	if a.challenge != "" {
		w.Header().Set("WWW-Authenticate", a.challenge)
	}
	buf, _ := json.Marshal(a.body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

// answer is the body of an error and, for refused tokens, its WWW-Authenticate challenge.
type answer struct {
	body      any
	challenge string
}

type msg struct {
	Message any `json:"message"`
}

type grapeError struct {
	Error string `json:"error"`
}

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Scope            string `json:"scope,omitempty"`
}

type rule = api.ErrorRule[answer]

// says answers with a fixed message.
func says(body any) func(*forge.Error) answer {
	return func(*forge.Error) answer { return answer{body: body} }
}

// challenged answers with a fixed body and a WWW-Authenticate challenge.
func challenged(body any, challenge string) func(*forge.Error) answer {
	return func(*forge.Error) answer { return answer{body: body, challenge: challenge} }
}

// asIs answers with forge's detail as it is: GitLab's services answer with their own message.
func asIs(e *forge.Error) answer { return answer{body: msg{e.Message}} }

// errorTable is how GitLab answers each kind of error: by code, then by reason.
var errorTable = api.NewErrorTable(rule{Status: 500, Body: says(msg{"500 Internal Server Error"})},
	rule{Code: forge.ENotFound, Status: 404, Body: func(e *forge.Error) answer {
		return answer{body: msg{"404 " + notFoundWords(e)}}
	}},
	rule{Code: forge.ENotFound, Reason: forge.ReasonNoRoute, Status: 404, Body: says(grapeError{"404 Not Found"})},
	rule{Code: forge.ENotFound, Reason: forge.ReasonSudoUserNotFound, Status: 404, Body: func(e *forge.Error) answer {
		return answer{body: msg{"404 Not Found: " + e.Message}}
	}},

	rule{Code: forge.EInvalid, Status: 400, Body: invalid},
	rule{Code: forge.EInvalid, Reason: forge.ReasonStatusTransition, Status: 400, Body: func(e *forge.Error) answer {
		if len(e.Params) != 2 {
			return invalid(e)
		}
		// The state machine's own words (StateMachines::InvalidTransition).
		event, from := e.Params[0], e.Params[1]
		return answer{body: msg{"Cannot transition status via :" + event + " from :" + from +
			` (Reason(s): Status cannot transition via "` + event + `")`}}
	}},
	rule{Code: forge.EInvalid, Reason: forge.ReasonTransferRefused, Status: 400, Body: func(e *forge.Error) answer {
		if e.Resource == forge.ResourceGroup {
			return asIs(e)
		}
		return answer{body: msg{"Failed to transfer project " + rubyHash(e.Fields)}}
	}},
	rule{Code: forge.EInvalid, Reason: forge.ReasonMissingParam, Status: 400, Body: notGiven(", ")},
	rule{Code: forge.EInvalid, Reason: forge.ReasonMissingOneOf, Status: 400, Body: notGiven(" or ")},
	// Well-formed requests the state of things refuses: 422, the message in a list.
	rule{Code: forge.EInvalid, Reason: forge.ReasonUnprocessable, Status: 422, Body: listed},
	rule{Code: forge.EInvalid, Reason: forge.ReasonBlankBranch, Status: 422, Body: listed},
	rule{Code: forge.EInvalid, Reason: forge.ReasonMissingBranch, Status: 422, Body: listed},
	rule{Code: forge.EInvalid, Reason: forge.ReasonSameBranch, Status: 422, Body: listed},
	rule{Code: forge.EInvalid, Reason: forge.ReasonMergedRetarget, Status: 422,
		Body: says(msg{[]string{"Target branch of a merged merge request can't be changed"}})},
	// Releases::CreateService's answer, rendered as it is.
	rule{Code: forge.EInvalid, Reason: forge.ReasonReleaseRefMissing, Status: 422, Body: asIs},
	rule{Code: forge.EInvalid, Reason: forge.ReasonGitRefused, Status: 400, Body: asIs},
	rule{Code: forge.EInvalid, Reason: forge.ReasonStateRefused, Status: 400, Body: asIs},
	// A file's deletion that found no file among them.
	rule{Code: forge.EInvalid, Reason: forge.ReasonNothingToDelete, Status: 400, Body: asIs},
	rule{Code: forge.EInvalid, Reason: forge.ReasonInvalidDORAQuery, Status: 400, Body: asIs},
	// A parameter's value was refused: Grape's shape.
	rule{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Status: 400, Body: func(e *forge.Error) answer {
		return answer{body: grapeError{e.Message}}
	}},

	rule{Code: forge.EConflict, Status: 409, Body: func(e *forge.Error) answer {
		if len(e.Fields) > 0 {
			return answer{body: msg{e.Fields}}
		}
		return asIs(e)
	}},
	rule{Code: forge.EConflict, Reason: forge.ReasonExists, Status: 409, Body: func(e *forge.Error) answer {
		return answer{body: msg{existsWords(e)}}
	}},
	rule{Code: forge.EConflict, Reason: forge.ReasonMergeConflict, Status: 406, Body: asIs},
	rule{Code: forge.EConflict, Reason: forge.ReasonMergeInProgress, Status: 409, Body: func(e *forge.Error) answer {
		return answer{body: msg{"The merge request is being merged and can't be " + api.Done(e.Value) + " now"}}
	}},
	rule{Code: forge.EConflict, Reason: forge.ReasonDuplicateOpen, Status: 409, Body: func(e *forge.Error) answer {
		return answer{body: msg{"Another open merge request already exists for this source branch: !" + e.Value}}
	}},
	rule{Code: forge.EConflict, Reason: forge.ReasonChangedMeanwhile, Status: 409,
		Body: says(msg{"The merge request changed meanwhile; try again"})},
	// GitLab refuses a source to rebase as it refuses conflicts.
	rule{Code: forge.EConflict, Reason: forge.ReasonNeedRebase, Status: 406,
		Body: says(msg{"Branch cannot be merged"})},

	rule{Code: forge.EUnauthorized, Status: 401, Body: says(msg{"401 Unauthorized"})},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenExpired, Status: 401, Body: challenged(
		oauthError{"invalid_token", "Token is expired. You can either do re-authorization or token refresh.", ""},
		`Bearer realm="cairn", error="invalid_token", error_description="Token is expired."`)},
	rule{Code: forge.EUnauthorized, Reason: forge.ReasonTokenRevoked, Status: 401, Body: challenged(
		oauthError{"invalid_token", "Token was revoked. You have to re-authorize from the user.", ""},
		`Bearer realm="cairn", error="invalid_token", error_description="Token was revoked."`)},

	rule{Code: forge.EForbidden, Status: 403, Body: func(e *forge.Error) answer {
		if e.Message == "" {
			return answer{body: msg{"403 Forbidden"}}
		}
		return answer{body: msg{"403 Forbidden - " + e.Message}}
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonInsufficientScope, Status: 403, Body: func(e *forge.Error) answer {
		return answer{body: oauthError{"insufficient_scope", e.Message, e.Scope},
			challenge: `Bearer realm="cairn", error="insufficient_scope"`}
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonDownloadDenied, Status: 403,
		Body: forbidden("You are not allowed to download code from this project.")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonPushDenied, Status: 403, Body: func(e *forge.Error) answer {
		if e.Resource == forge.ResourceBranch {
			return answer{body: msg{"403 Forbidden - You are not allowed to push into this branch"}}
		}
		return answer{body: msg{"403 Forbidden - You are not allowed to push code to this project."}}
	}},
	rule{Code: forge.EForbidden, Reason: forge.ReasonForcePushDenied, Status: 403,
		Body: forbidden("You are not allowed to force push code to a protected branch")},
	rule{Code: forge.EForbidden, Reason: forge.ReasonArchived, Status: 403,
		Body: forbidden("You are not allowed to push code to an archived project.")},
	// GitLab answers a merge the caller may not make with 401.
	rule{Code: forge.EForbidden, Reason: forge.ReasonCannotMerge, Status: 401, Body: says(msg{"401 Unauthorized"})},
	rule{Code: forge.EForbidden, Reason: forge.ReasonSudoNotAdmin, Status: 403, Body: sudoRefused},
	rule{Code: forge.EForbidden, Reason: forge.ReasonSudoNeedsToken, Status: 403, Body: sudoRefused},

	rule{Code: forge.ENotAllowed, Status: 405, Body: asIs},
	rule{Code: forge.ENotAllowed, Reason: forge.ReasonNoRoute, Status: 405, Body: says(grapeError{"405 Not Allowed"})},

	rule{Code: forge.ERateLimited, Status: 429},
	rule{Code: forge.ETooLarge, Status: 413, Body: says(msg{"413 Request Entity Too Large"})},
)

// invalid answers a refused request: the field messages, a refused parameter in Grape's
// shape, or forge's detail after GitLab's prefix.
func invalid(e *forge.Error) answer {
	switch {
	case len(e.Fields) > 0:
		return answer{body: msg{e.Fields}}
	case len(e.Params) > 0:
		return answer{body: grapeError{e.Message}}
	}
	return answer{body: msg{"400 Bad request - " + e.Message}}
}

// notGiven answers required parameters not given, quoted and joined by sep.
func notGiven(sep string) func(*forge.Error) answer {
	return func(e *forge.Error) answer {
		if len(e.Fields) > 0 {
			return invalid(e)
		}
		quoted := make([]string, len(e.Params))
		for i, p := range e.Params {
			quoted[i] = strconv.Quote(p)
		}
		return answer{body: msg{"400 (Bad request) " + strings.Join(quoted, sep) + " not given"}}
	}
}

// listed answers with forge's detail as the one message of a list, as GitLab renders a
// model's errors.
func listed(e *forge.Error) answer { return answer{body: msg{[]string{e.Message}}} }

// forbidden is GitLab's 403 with words after its prefix.
func forbidden(words string) func(*forge.Error) answer {
	return says(msg{"403 Forbidden - " + words})
}

func sudoRefused(e *forge.Error) answer { return answer{body: msg{"403 Forbidden: " + e.Message}} }

// notFoundWords is GitLab's sentence for e: its detail where forge gives one, else the
// resource's.
func notFoundWords(e *forge.Error) string {
	if e.Message != "" {
		return e.Message
	}
	if w, ok := notFound[e.Resource]; ok {
		return w
	}
	return string(e.Resource) + " Not Found"
}

// existsWords is GitLab's sentence for a name that is taken.
func existsWords(e *forge.Error) string {
	switch e.Resource {
	case forge.ResourceTag:
		return "Tag " + e.Value + " already exists"
	case forge.ResourceProtectedBranch:
		return "Protected branch '" + e.Value + "' already exists"
	}
	return api.Noun(e.Resource) + " already exists"
}

// notFound is GitLab's sentence for each kind of resource not found.
var notFound = map[forge.Resource]string{
	"":                                "Not found",
	forge.ResourceAgent:               "Agent Not Found",
	forge.ResourceAgentRun:            "Agent run Not Found",
	forge.ResourceAwardEmoji:          "Award Emoji Not Found",
	forge.ResourceBadge:               "Badge Not Found",
	forge.ResourceBlob:                "Blob Not Found",
	forge.ResourceBranch:              "Branch Not Found",
	forge.ResourceBroadcastMessage:    "Broadcast Message Not Found",
	forge.ResourceCommit:              "Commit Not Found",
	forge.ResourceCommitRefs:          "References for commit Not Found",
	forge.ResourceCustomAttribute:     "Custom Attribute Not Found",
	forge.ResourceDeployKey:           "Deploy Key Not Found",
	forge.ResourceDeployToken:         "Deploy Token Not Found",
	forge.ResourceDeployment:          "Deployment Not Found",
	forge.ResourceEmail:               "Email Not Found",
	forge.ResourceEnvironment:         "Environment Not Found",
	forge.ResourceFile:                "File Not Found",
	forge.ResourceGPGKey:              "GPG Key Not Found",
	forge.ResourceGroup:               "Group Not Found",
	forge.ResourceIdentity:            "Identity Not Found",
	forge.ResourceImpersonationToken:  "Impersonation Token Not Found",
	forge.ResourceIssue:               "Not found",
	forge.ResourceLabel:               "Label Not Found",
	forge.ResourceMember:              "Not found",
	forge.ResourceMergeBase:           "Merge Base Not Found",
	forge.ResourceMergeRequest:        "Not found",
	forge.ResourceNamespace:           "Namespace Not Found",
	forge.ResourcePage:                "Page Not Found",
	forge.ResourcePersonalAccessToken: "Personal Access Token Not Found",
	forge.ResourcePipeline:            "Pipeline for pipeline_id, sha and ref Not Found",
	forge.ResourceProject:             "Project Not Found",
	forge.ResourceProtectedBranch:     "Not found",
	forge.ResourceRef:                 "Ref Not Found",
	forge.ResourceRelease:             "Not Found",
	forge.ResourceResourcePath:        "Resource Not Found",
	forge.ResourceSSHKey:              "Key Not Found",
	forge.ResourceSignature:           "Signature Not Found",
	forge.ResourceTag:                 "Tag Not Found",
	forge.ResourceTree:                "Tree Not Found",
	forge.ResourceUser:                "User Not Found",
	forge.ResourceWiki:                "Wiki Not Found",
}

// rubyHash writes field messages as Ruby's Hash#inspect shows them, as GitLab interpolates a
// model's errors into some messages: {:field=>["message"]}.
func rubyHash(fields map[string][]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		quoted := make([]string, len(fields[k]))
		for j, m := range fields[k] {
			quoted[j] = strconv.Quote(m)
		}
		parts[i] = ":" + k + "=>[" + strings.Join(quoted, ", ") + "]"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
