package forge

import "strings"

// The vocabulary of errors: what kind of thing went wrong (Code), why (Reason), and what it
// is about (Resource). Words are not forge's business: each dialect (api/*, web) maps these
// to its own statuses and sentences in one table, so that the same refusal reads as GitLab
// says it in one dialect and as OpenCodeHub says it in another.

// Code classifies an error; each dialect maps codes to its own statuses and bodies.
type Code string

// The error codes. Anything that is not a *Error is internal.
const (
	ENotFound     Code = "not_found"
	EInvalid      Code = "invalid"
	EConflict     Code = "conflict"
	EUnauthorized Code = "unauthorized"
	EForbidden    Code = "forbidden"
	ENotAllowed   Code = "not_allowed"
	ERateLimited  Code = "rate_limited"
	ETooLarge     Code = "too_large"
	EInternal     Code = "internal"
)

// Reasons refine a code where clients tell cases apart.
const (
	// Credentials and scopes.
	ReasonTokenExpired      = "token_expired"
	ReasonTokenRevoked      = "token_revoked"
	ReasonInsufficientScope = "insufficient_scope"
	ReasonSudoNotAdmin      = "sudo_not_admin"
	// ReasonSudoNeedsToken refuses sudo to a caller signed in with a session cookie.
	ReasonSudoNeedsToken   = "sudo_needs_token"
	ReasonSudoUserNotFound = "sudo_user_not_found"

	// Parameters. ReasonMissingParam says every one of Params is required; ReasonMissingOneOf
	// that at least one of them is.
	ReasonMissingParam = "missing_param"
	ReasonMissingOneOf = "missing_one_of"
	// ReasonInvalidParam marks errors about a parameter's type or format, found before forge
	// sees the request.
	ReasonInvalidParam = "invalid_param"
	// ReasonMalformedBody marks a request whose body cannot be read at all.
	ReasonMalformedBody = "malformed"
	// ReasonInvalidUTF8 marks a value that is not valid UTF-8, ReasonNullByte one holding a
	// NUL byte: text refused before anything looks at its meaning.
	ReasonInvalidUTF8 = "invalid_utf8"
	ReasonNullByte    = "null_byte"
	// ReasonInvalidDateTime marks errors about a date and time that could not be read.
	ReasonInvalidDateTime = "invalid_datetime"
	// ReasonInvalidDORAQuery marks the errors of a DORA query's values (metric, interval,
	// tiers, dates); their messages are GitLab's.
	ReasonInvalidDORAQuery = "invalid_dora_query"

	// Routes: a request that matches no route (ENotFound), or a method its path does not
	// take (ENotAllowed).
	ReasonNoRoute = "no_route"
	// ReasonDumbProtocol refuses git's dumb HTTP protocol; Message says what to use.
	ReasonDumbProtocol = "dumb_protocol"
	// ReasonCSRF refuses a form sent without the session's CSRF token.
	ReasonCSRF = "csrf"

	// Code: ReasonDownloadDenied refuses reading a project's code to one who may see the
	// project; ReasonPushDenied refuses writing to the Resource (a project, a branch);
	// ReasonForcePushDenied refuses rewriting a protected branch; ReasonArchived refuses
	// writing to an archived project.
	ReasonDownloadDenied  = "download_denied"
	ReasonPushDenied      = "push_denied"
	ReasonForcePushDenied = "force_push_denied"
	ReasonArchived        = "archived"

	// ReasonExists refuses to create the Resource named Value: one exists by that name.
	ReasonExists = "exists"

	// ReasonStateRefused marks an operation the present state of its subject refuses ("Cannot
	// destroy running deployment"); GitLab shows the message as it is.
	ReasonStateRefused = "state_refused"
	// ReasonNothingToDelete marks the not-found of a deletion whose caller could have deleted
	// what they named: where DELETE is idempotent (GitSwarm's v3 API) it is a success.
	ReasonNothingToDelete = "nothing_to_delete"
	// ReasonStatusTransition marks a report a commit status's state cannot take from where
	// it is (a pending status reported pending again); Params holds the event and the state.
	ReasonStatusTransition = "status_transition"
	// ReasonPickConflict and ReasonPickEmpty refuse a cherry-pick whose change conflicts
	// with the branch, or is already there; ReasonRevertConflict and ReasonRevertEmpty
	// refuse a revert likewise.
	ReasonPickConflict   = "cherry_pick_conflict"
	ReasonPickEmpty      = "cherry_pick_empty"
	ReasonRevertConflict = "revert_conflict"
	ReasonRevertEmpty    = "revert_empty"
	// ReasonTransferRefused refuses the transfer of a project or a group (Resource says
	// which); Fields say why.
	ReasonTransferRefused = "transfer_refused"
	// ReasonGitRefused marks invalid requests a repository rule refused ("Branch already
	// exists"); GitLab shows their message as it is, without a status prefix.
	ReasonGitRefused = "git_refused"
	// ReasonAmbiguous marks a reference that names more than one thing; Error.Candidates
	// lists them.
	ReasonAmbiguous = "ambiguous"
	// ReasonInvalidRef marks the error of a deployment whose ref names nothing in the
	// repository.
	ReasonInvalidRef = "invalid_ref"
	// ReasonReleaseRefMissing marks the release of a tag that does not exist yet when it
	// names no commit (ref or sha) to create the tag at: well formed, but not something the
	// repository can do (GitLab answers it with 422 and its message as it is).
	ReasonReleaseRefMissing = "release_ref_missing"
	// ReasonNotMergeable refuses the merge of a merge request whose state (closed, merged)
	// cannot be merged; Params names the state.
	ReasonNotMergeable = "not_mergeable"

	// ReasonUnprocessable marks requests that are well formed but that the state of things
	// refuses (GitLab answers them with 422).
	ReasonUnprocessable = "unprocessable"
	// Reasons a merge request's branch is refused; Params names its parameter (source_branch
	// or target_branch). Like ReasonUnprocessable, they refuse well-formed requests.
	ReasonBlankBranch   = "blank_branch"
	ReasonMissingBranch = "missing_branch"
	// ReasonSameBranch: the target branch is the source branch.
	ReasonSameBranch = "same_branch"
	// ReasonMergedRetarget refuses to change the target branch (Params) of a merged merge
	// request.
	ReasonMergedRetarget = "merged_retarget"
	// ReasonMergeInProgress marks changes refused because the merge request is locked while
	// it is being merged; Value is the action refused (ActionClose, ...).
	ReasonMergeInProgress = "merge_in_progress"
	// ReasonDuplicateOpen refuses a second open merge request for one pair of branches;
	// Value is the iid of the open one.
	ReasonDuplicateOpen = "duplicate_open"
	// ReasonChangedMeanwhile refuses a change to the Resource that another change overtook
	// while it was made; trying again may succeed.
	ReasonChangedMeanwhile = "changed_meanwhile"

	// Reasons of merge failures, for dialects that tell them apart (GitLab: 406 and 409).
	// ReasonMergeConflict: the branches conflict; nothing was merged.
	ReasonMergeConflict = "merge_conflict"
	// ReasonSHAMismatch: the source branch moved past the sha the caller merged.
	ReasonSHAMismatch = "sha_mismatch"
	// ReasonCannotMerge: the actor may see the merge request but not merge it.
	ReasonCannotMerge = "cannot_merge"
	// ReasonNeedRebase: the project merges by fast-forward only and the source branch is
	// not a fast-forward of the target; nothing was merged.
	ReasonNeedRebase = "need_rebase"
)

// The actions an error may name as its Value (ReasonMergeInProgress).
const (
	ActionClose    = "close"
	ActionRetarget = "retarget"
	ActionDelete   = "delete"
)

// Resource is the kind of thing an error is about: what was not found, or what refused.
// A dialect names it in its own words (a project is a "Repository" to some).
type Resource string

// The kinds of resources.
const (
	ResourceAgent               = Resource("agent")
	ResourceAgentRun            = Resource("agent_run")
	ResourceAwardEmoji          = Resource("award_emoji")
	ResourceBadge               = Resource("badge")
	ResourceBlob                = Resource("blob")
	ResourceBranch              = Resource("branch")
	ResourceBroadcastMessage    = Resource("broadcast_message")
	ResourceCommit              = Resource("commit")
	ResourceCommitRefs          = Resource("commit_refs")
	ResourceCustomAttribute     = Resource("custom_attribute")
	ResourceDeployKey           = Resource("deploy_key")
	ResourceDeployToken         = Resource("deploy_token")
	ResourceDeployment          = Resource("deployment")
	ResourceEmail               = Resource("email")
	ResourceEnvironment         = Resource("environment")
	ResourceFile                = Resource("file")
	ResourceGPGKey              = Resource("gpg_key")
	ResourceGroup               = Resource("group")
	ResourceIdentity            = Resource("identity")
	ResourceImpersonationToken  = Resource("impersonation_token")
	ResourceIssue               = Resource("issue")
	ResourceLabel               = Resource("label")
	ResourceMergeBase           = Resource("merge_base")
	ResourceMember              = Resource("member")
	ResourceMergeRequest        = Resource("merge_request")
	ResourceNamespace           = Resource("namespace")
	ResourcePage                = Resource("page")
	ResourcePersonalAccessToken = Resource("personal_access_token")
	ResourcePipeline            = Resource("pipeline")
	ResourceProject             = Resource("project")
	ResourceProtectedBranch     = Resource("protected_branch")
	ResourceRef                 = Resource("ref")
	ResourceRelease             = Resource("release")
	ResourceResourcePath        = Resource("resource_path")
	ResourceSSHKey              = Resource("ssh_key")
	ResourceSignature           = Resource("signature")
	ResourceTag                 = Resource("tag")
	ResourceTree                = Resource("tree")
	ResourceUser                = Resource("user")
	ResourceWiki                = Resource("wiki")
)

// Resources lists every kind of resource, so that a dialect can check it names them all.
var Resources = []Resource{
	ResourceAgent, ResourceAgentRun, ResourceAwardEmoji, ResourceBadge, ResourceBlob, ResourceBranch,
	ResourceBroadcastMessage, ResourceCommit, ResourceCommitRefs, ResourceCustomAttribute,
	ResourceDeployKey, ResourceDeployToken, ResourceDeployment, ResourceEmail,
	ResourceEnvironment, ResourceFile, ResourceGPGKey, ResourceGroup, ResourceIdentity,
	ResourceImpersonationToken, ResourceIssue, ResourceLabel, ResourceMergeBase,
	ResourceMember, ResourceMergeRequest, ResourceNamespace, ResourcePage, ResourcePersonalAccessToken, ResourcePipeline,
	ResourceProject, ResourceProtectedBranch, ResourceRef, ResourceRelease, ResourceResourcePath, ResourceSSHKey,
	ResourceSignature, ResourceTag, ResourceTree, ResourceUser, ResourceWiki,
}

// String is the resource's plain name ("deploy key"), for logs and the command line.
func (r Resource) String() string { return strings.ReplaceAll(string(r), "_", " ") }
