package gitlab_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// pngImage is a small valid PNG.
func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartBody encodes fields and one file (field, name, data) as multipart/form-data.
func multipartBody(t *testing.T, fields map[string]string, field, name string, data []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if field != "" {
		fw, err := mw.CreateFormFile(field, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

// sendMultipart sends a multipart request with token.
func sendMultipart(t *testing.T, s *servertest.Server, method, path, token string, body []byte,
	ctype string) *servertest.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &servertest.Response{Response: resp, Body: data}
}

// get fetches an absolute URL of the instance with token.
func get(t *testing.T, s *servertest.Server, url, token string) *servertest.Response {
	t.Helper()
	return s.Do(t, "GET", strings.TrimPrefix(url, s.URL), token, nil)
}

type uploadJSON struct {
	ID       int64  `json:"id"`
	Alt      string `json:"alt"`
	URL      string `json:"url"`
	FullPath string `json:"full_path"`
	Markdown string `json:"markdown"`
}

// Markdown attachments: GitLab's answer, served at both its paths to those who see the project.
func TestProjectUploads(t *testing.T) {
	f := newRepoFixture(t, nil)
	tokens := f.roles()
	pic := pngImage(t)
	body, ctype := multipartBody(t, nil, "file", "my shot.png", pic)
	r := sendMultipart(t, f.s, "POST", f.url("/uploads"), tokens["guest"], body, ctype)
	wantStatus(t, r, 201)
	var up uploadJSON
	r.JSON(t, &up)
	if up.Alt != "my_shot" || !strings.HasPrefix(up.URL, "/uploads/") || !strings.HasSuffix(up.URL, "/my_shot.png") ||
		up.FullPath != "/-/project/"+itoa(f.id)+up.URL || up.Markdown != "![my_shot]("+up.URL+")" || up.ID == 0 {
		t.Fatalf("upload: %+v", up)
	}
	for _, path := range []string{"/" + f.path + up.URL, up.FullPath} {
		got := f.s.Do(t, "GET", path, tokens["reporter"], nil)
		wantStatus(t, got, 200)
		if !bytes.Equal(got.Body, pic) || got.Header.Get("Content-Type") != "image/png" ||
			!strings.HasPrefix(got.Header.Get("Content-Disposition"), "inline") {
			t.Fatalf("GET %s: %v %d bytes", path, got.Header, len(got.Body))
		}
		wantStatus(t, f.s.Do(t, "GET", path, tokens["outsider"], nil), 404)
		wantStatus(t, f.s.Do(t, "GET", path, "", nil), 404)
	}
	wantStatus(t, f.s.Do(t, "GET", "/"+f.path+strings.Replace(up.URL, "my_shot", "other", 1), f.token, nil), 404)

	// Any other file is a download, listed as a link.
	body, ctype = multipartBody(t, nil, "file", "notes.html", []byte("<script>alert(1)</script>"))
	r = sendMultipart(t, f.s, "POST", f.url("/uploads"), f.token, body, ctype)
	r.JSON(t, &up)
	if up.Markdown != "[notes.html]("+up.URL+")" {
		t.Fatalf("markdown of a file: %q", up.Markdown)
	}
	got := f.s.Do(t, "GET", up.FullPath, f.token, nil)
	if cd := got.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") ||
		got.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(got.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("a page uploaded is served as %v", got.Header)
	}

	body, ctype = multipartBody(t, map[string]string{"x": "y"}, "", "", nil)
	wantJSON(t, sendMultipart(t, f.s, "POST", f.url("/uploads"), f.token, body, ctype), 400,
		`{"error":"file is missing"}`)
	body, ctype = multipartBody(t, nil, "file", "a.png", pic)
	wantStatus(t, sendMultipart(t, f.s, "POST", f.url("/uploads"), "", body, ctype), 401)
	wantStatus(t, sendMultipart(t, f.s, "POST", f.url("/uploads"), tokens["outsider"], body, ctype), 404)
}

// Avatars of projects, groups and users: set on create or update, served at avatar_url,
// removed with an empty value; only pictures of 200 KiB or less.
func TestAvatars(t *testing.T) {
	s := servertest.New(t, servertest.WithoutRateLimit())
	pic := pngImage(t)

	body, ctype := multipartBody(t, map[string]string{"name": "app", "visibility": "private"}, "avatar",
		"logo.png", pic)
	r := sendMultipart(t, s, "POST", "/api/v4/projects", s.AdminToken, body, ctype)
	wantStatus(t, r, 201)
	var p struct {
		ID        int64   `json:"id"`
		AvatarURL *string `json:"avatar_url"`
	}
	r.JSON(t, &p)
	if p.AvatarURL == nil || *p.AvatarURL != s.URL+"/uploads/-/system/project/avatar/"+itoa(p.ID)+"/logo.png" {
		t.Fatalf("project avatar_url: %v", p.AvatarURL)
	}
	got := get(t, s, *p.AvatarURL, s.AdminToken)
	if got.StatusCode != 200 || !bytes.Equal(got.Body, pic) || got.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET avatar: %d %v", got.StatusCode, got.Header)
	}
	_, alice := s.CreateUser(t, "alice")
	wantStatus(t, get(t, s, *p.AvatarURL, alice), 404)
	wantStatus(t, get(t, s, *p.AvatarURL, ""), 404)

	// A group's, on update.
	g := createGroup(t, s, s.AdminToken, map[string]any{"name": "Team", "path": "team", "visibility": "public"})
	body, ctype = multipartBody(t, nil, "avatar", "team.gif", gifImage())
	r = sendMultipart(t, s, "PUT", "/api/v4/groups/"+itoa(g.ID), s.AdminToken, body, ctype)
	wantStatus(t, r, 200)
	var gj struct {
		AvatarURL *string `json:"avatar_url"`
	}
	r.JSON(t, &gj)
	if gj.AvatarURL == nil || get(t, s, *gj.AvatarURL, "").StatusCode != 200 {
		t.Fatalf("group avatar: %v", gj.AvatarURL)
	}

	// A user's, by themselves; shown to everyone.
	u := decode[userJSON](t, mustDo(t, s, 200, "GET", "/api/v4/user", alice, nil))
	body, ctype = multipartBody(t, nil, "avatar", "me.png", pic)
	r = sendMultipart(t, s, "PUT", "/api/v4/users/"+itoa(u.ID), alice, body, ctype)
	wantStatus(t, r, 200)
	var uj struct {
		AvatarURL *string `json:"avatar_url"`
	}
	r.JSON(t, &uj)
	if uj.AvatarURL == nil || get(t, s, *uj.AvatarURL, "").StatusCode != 200 {
		t.Fatalf("user avatar: %v", uj.AvatarURL)
	}

	// Refusals: not a picture, too large; nothing is written.
	body, ctype = multipartBody(t, map[string]string{"name": "other"}, "avatar", "logo.png",
		[]byte("not an image at all"))
	wantJSON(t, sendMultipart(t, s, "POST", "/api/v4/projects", s.AdminToken, body, ctype), 400,
		`{"message":{"avatar":["file format is not supported. Please try one of the following supported formats: png, jpg, jpeg, gif, bmp, tiff, ico, webp"]}}`)
	wantStatus(t, s.Do(t, "GET", "/api/v4/projects/root%2Fother", s.AdminToken, nil), 404)
	big := append(pngImage(t), bytes.Repeat([]byte{0}, 201<<10)...)
	body, ctype = multipartBody(t, nil, "avatar", "big.png", big)
	wantJSON(t, sendMultipart(t, s, "PUT", "/api/v4/projects/"+itoa(p.ID), s.AdminToken, body, ctype), 400,
		`{"message":{"avatar":["is too big (should be at most 200 KiB)"]}}`)
	// Only the project's maintainers change its avatar.
	body, ctype = multipartBody(t, nil, "avatar", "x.png", pic)
	wantStatus(t, sendMultipart(t, s, "PUT", "/api/v4/projects/"+itoa(p.ID), alice, body, ctype), 404)

	// An empty avatar removes it.
	var after struct {
		AvatarURL *string `json:"avatar_url"`
	}
	mustDo(t, s, 200, "PUT", "/api/v4/projects/"+itoa(p.ID), s.AdminToken, "avatar=").JSON(t, &after)
	if after.AvatarURL != nil {
		t.Fatalf("avatar after removal: %v", *after.AvatarURL)
	}
	wantStatus(t, get(t, s, *p.AvatarURL, s.AdminToken), 404)
}

// gifImage is a 1×1 GIF.
func gifImage() []byte {
	return []byte(
		"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
}
