package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// SSHKey is a user's SSH key as GitLab renders it.
type SSHKey struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	CreatedAt  Time   `json:"created_at"`
	ExpiresAt  *Time  `json:"expires_at"`
	Key        string `json:"key"`
	UsageType  string `json:"usage_type"`
	LastUsedAt *Time  `json:"last_used_at"`
}

// SSHKeyWithUser is a key with its owner, as GET /keys/:id shows it.
type SSHKeyWithUser struct {
	SSHKey
	User User `json:"user"`
}

// GPGKey is a user's GPG key as GitLab renders it.
type GPGKey struct {
	ID        int64  `json:"id"`
	Key       string `json:"key"`
	CreatedAt Time   `json:"created_at"`
}

func sshKey(k forge.SSHKey) SSHKey {
	return SSHKey{
		ID:         k.ID,
		Title:      k.Title,
		CreatedAt:  Time(k.CreatedAt),
		ExpiresAt:  timePtr(k.ExpiresAt),
		Key:        k.Key,
		UsageType:  k.UsageType,
		LastUsedAt: timePtr(k.LastUsedAt),
	}
}

func gpgKey(k forge.GPGKey) GPGKey {
	return GPGKey{ID: k.ID, Key: k.Key, CreatedAt: Time(k.CreatedAt)}
}

// keyRoutes serves SSH and GPG keys of the caller (/user/…) and of any user (/users/:id/…).
func (h *Handler) keyRoutes(rt *api.Router) {
	for _, base := range []string{"/user", "/users/:id"} {
		rt.Handle("GET", base+"/keys", h.listSSHKeys)
		rt.Handle("POST", base+"/keys", h.addSSHKey)
		rt.Handle("GET", base+"/keys/:key_id", h.getSSHKey)
		rt.Handle("DELETE", base+"/keys/:key_id", h.deleteSSHKey)
		rt.Handle("GET", base+"/gpg_keys", h.listGPGKeys)
		rt.Handle("POST", base+"/gpg_keys", h.addGPGKey)
		rt.Handle("GET", base+"/gpg_keys/:key_id", h.getGPGKey)
		rt.Handle("DELETE", base+"/gpg_keys/:key_id", h.deleteGPGKey)
	}
	rt.Handle("GET", "/keys", h.findSSHKey)
	rt.Handle("GET", "/keys/:key_id", h.findSSHKey)
}

// keyID reads the :key_id of a route.
func keyID(p api.Params, resource forge.Resource) (int64, error) {
	id, ok := parseID(p.Get("key_id"))
	if !ok {
		return 0, forge.NotFound(resource)
	}
	return id, nil
}

func (h *Handler) listSSHKeys(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Accounts.ListSSHKeys(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), pg)
	if err != nil {
		return err
	}
	out := make([]SSHKey, len(list))
	for i, k := range list {
		out[i] = sshKey(k)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getSSHKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := keyID(p, forge.ResourceSSHKey)
	if err != nil {
		return err
	}
	k, err := h.forge.Accounts.GetSSHKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, sshKey(k))
}

func (h *Handler) addSSHKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "title", "key"); err != nil {
		return err
	}
	ki := forge.SSHKeyInput{}
	ki.Title, _ = in.String("title")
	ki.Key, _ = in.String("key")
	ki.UsageType, _ = in.String("usage_type")
	if ki.ExpiresAt, err = in.Date("expires_at"); err != nil {
		return err
	}
	k, err := h.forge.Accounts.AddSSHKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), ki)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, sshKey(k))
}

func (h *Handler) deleteSSHKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := keyID(p, forge.ResourceSSHKey)
	if err != nil {
		return err
	}
	if err := h.forge.Accounts.DeleteSSHKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id); err != nil {
		return err
	}
	return api.NoContent(w)
}

// findSSHKey is GET /keys/:key_id and GET /keys?fingerprint=: any user's key, for
// administrators.
func (h *Handler) findSSHKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	var id int64
	fp := r.URL.Query().Get("fingerprint")
	if fp == "" {
		var err error
		if id, err = keyID(p, ""); err != nil {
			return err
		}
	}
	k, u, err := h.forge.Accounts.FindSSHKey(r.Context(), api.Actor(r), id, fp)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, SSHKeyWithUser{SSHKey: sshKey(k), User: h.user(u)})
}

func (h *Handler) listGPGKeys(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Accounts.ListGPGKeys(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), pg)
	if err != nil {
		return err
	}
	out := make([]GPGKey, len(list))
	for i, k := range list {
		out[i] = gpgKey(k)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getGPGKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := keyID(p, forge.ResourceGPGKey)
	if err != nil {
		return err
	}
	k, err := h.forge.Accounts.GetGPGKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, gpgKey(k))
}

func (h *Handler) addGPGKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "key"); err != nil {
		return err
	}
	text, _ := in.String("key")
	k, err := h.forge.Accounts.AddGPGKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), text)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, gpgKey(k))
}

func (h *Handler) deleteGPGKey(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := keyID(p, forge.ResourceGPGKey)
	if err != nil {
		return err
	}
	if err := h.forge.Accounts.DeleteGPGKey(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id); err != nil {
		return err
	}
	return api.NoContent(w)
}

// CommitSignature is a commit's signature as GitLab renders it: GPG fields for PGP, the key
// for SSH, the certificate (which cairn does not read) for X.509.
type CommitSignature struct {
	SignatureType      string  `json:"signature_type"`
	VerificationStatus string  `json:"verification_status"`
	GPGKeyID           *int64  `json:"gpg_key_id,omitempty"`
	GPGKeyPrimaryKeyID *string `json:"gpg_key_primary_keyid,omitempty"`
	GPGKeyUserName     *string `json:"gpg_key_user_name,omitempty"`
	GPGKeyUserEmail    *string `json:"gpg_key_user_email,omitempty"`
	GPGKeySubkeyID     *int64  `json:"gpg_key_subkey_id,omitempty"`
	Key                *SSHKey `json:"key,omitempty"`
	X509Certificate    any     `json:"x509_certificate,omitempty"`
	CommitSource       string  `json:"commit_source"`
}

func (h *Handler) commitSignature(w http.ResponseWriter, r *http.Request, p api.Params) error {
	sig, err := h.forge.Repositories.CommitSignatureOf(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		p.Get("sha"))
	if err != nil {
		return err
	}
	out := CommitSignature{SignatureType: sig.Type, VerificationStatus: sig.VerificationStatus, CommitSource: "gitaly"}
	switch sig.Type {
	case "PGP":
		keyID := sig.KeyID
		out.GPGKeyPrimaryKeyID = &keyID
		if sig.GPGKey != nil {
			id := sig.GPGKey.ID
			keyID = sig.GPGKey.PrimaryKeyID
			out.GPGKeyID, out.GPGKeyPrimaryKeyID = &id, &keyID
		}
		if sig.Owner != nil {
			name, email := sig.Owner.Name, sig.Owner.Email
			if sig.GPGKey != nil && len(sig.GPGKey.Emails) > 0 {
				email = sig.GPGKey.Emails[0]
			}
			out.GPGKeyUserName, out.GPGKeyUserEmail = &name, &email
		}
	case "SSH":
		if sig.SSHKey != nil {
			k := sshKey(*sig.SSHKey)
			out.Key = &k
		}
	}
	return api.JSON(w, r, http.StatusOK, out)
}
