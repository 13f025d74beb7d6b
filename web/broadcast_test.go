package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// A dismissable broadcast message has a button that hides it from that browser, without
// JavaScript: a form with the CSRF token, remembered in GitLab's cookie until the message
// ends. One that is not dismissable has no button and stays.
func TestDismissingABroadcastMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var b struct{ ID int64 }
	api(t, f.s, "POST", "/api/v4/broadcast_messages", map[string]any{"message": "Upgrade at noon", "dismissable": true},
		http.StatusCreated).JSON(t, &b)
	api(t, f.s, "POST", "/api/v4/broadcast_messages", map[string]any{"message": "Read the rules"}, http.StatusCreated)
	id := strconv.FormatInt(b.ID, 10)
	button := fmt.Sprintf(`name="broadcast_message_id" value="%d"`, b.ID)

	ann := userClient(t, f.s, "ann")
	p := ann.get("/acme/site?ref=main").want(t, http.StatusOK, "Upgrade at noon", "Read the rules", button,
		`name="redirect" value="/acme/site?ref=main"`)
	if strings.Count(p.Body, "broadcast_message_dismissals") != 1 {
		t.Error("the message that is not dismissable has a button")
	}
	ann.postRaw("/-/users/broadcast_message_dismissals", url.Values{"broadcast_message_id": {id}}).want(t,
		http.StatusForbidden)
	ann.post("/-/users/broadcast_message_dismissals",
		url.Values{"broadcast_message_id": {id}, "redirect": {"/acme/site?ref=main"}}).
		redirectsTo(t, "/acme/site?ref=main")
	if c := ann.cookie("hide_broadcast_message_" + id); c != "true" {
		t.Errorf("the dismissal cookie is %q", c)
	}
	if p := ann.get("/acme/site").want(t, http.StatusOK, "Read the rules"); strings.Contains(p.Body,
		"Upgrade at noon") {
		t.Error("a dismissed message is still shown")
	}
	newClient(t, f.s).get("/explore").want(t, http.StatusOK, "Upgrade at noon")

	// Nobody is sent elsewhere, nor hides what may not be hidden.
	ann.post("/-/users/broadcast_message_dismissals",
		url.Values{"broadcast_message_id": {id}, "redirect": {"//evil.example/"}}).
		redirectsTo(t, "/")
	var rules []struct {
		ID      int64
		Message string
	}
	api(t, f.s, "GET", "/api/v4/broadcast_messages", nil, http.StatusOK).JSON(t, &rules)
	for _, r := range rules {
		if r.Message == "Read the rules" {
			ann.post("/-/users/broadcast_message_dismissals",
				url.Values{"broadcast_message_id": {strconv.FormatInt(r.ID, 10)}}).
				want(t, http.StatusBadRequest, "cannot be dismissed")
		}
	}
	ann.post("/-/users/broadcast_message_dismissals", url.Values{"broadcast_message_id": {"999999"}}).want(t,
		http.StatusNotFound)
	ann.post("/-/users/broadcast_message_dismissals", url.Values{"broadcast_message_id": {"x"}}).want(t,
		http.StatusBadRequest)
	ann.get("/-/users/broadcast_message_dismissals").want(t, http.StatusMethodNotAllowed)

	// Anonymous visitors dismiss too.
	anon := newClient(t, f.s)
	anon.get("/explore")
	anon.post("/-/users/broadcast_message_dismissals",
		url.Values{"broadcast_message_id": {id}, "redirect": {"/explore"}}).redirectsTo(t, "/explore")
	if p := anon.get("/explore").want(t, http.StatusOK, "Read the rules"); strings.Contains(p.Body, "Upgrade at noon") {
		t.Error("a dismissed message is still shown to an anonymous visitor")
	}
}
