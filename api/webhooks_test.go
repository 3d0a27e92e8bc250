package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const pushSHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"

var githubPushSeed = `{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"` + pushSHA + `",
"created":false,"deleted":false,"forced":false,"commits":[{"id":"` + pushSHA + `","message":"docs"}],
"repository":{"id":1,"full_name":"Acme/Payments","html_url":"https://github.com/Acme/Payments","url":"https://github.com/Acme/Payments",
"clone_url":"https://github.com/Acme/Payments.git","ssh_url":"git@github.com:Acme/Payments.git","git_url":"git://github.com/Acme/Payments.git",
"default_branch":"main"},"pusher":{"name":"alice"}}`

var gitlabPushSeed = `{"object_kind":"push","event_name":"push","before":"95790bf891e76fee5e1747ab589903a6a1f80f22","after":"` + pushSHA + `",
"ref":"refs/heads/main","checkout_sha":"` + pushSHA + `","project":{"id":15,"web_url":"https://gitlab.com/acme/payments",
"git_ssh_url":"git@gitlab.com:acme/payments.git","git_http_url":"https://gitlab.com/acme/payments.git","default_branch":"main"},
"repository":{"name":"payments","homepage":"https://gitlab.com/acme/payments","git_http_url":"https://gitlab.com/acme/payments.git"}}`

func TestDecodeGitHubPush(t *testing.T) {
	p, err := decodeGitHubPush("application/json", []byte(githubPushSeed))
	if err != nil {
		t.Fatal(err)
	}
	if p.Branch != "main" || p.Commit != pushSHA || p.Deleted || p.DefaultBranch != "main" {
		t.Fatalf("%+v", p)
	}
	// Every spelling of the repository is one key, whatever its case.
	if !slices.Equal(p.RepoKeys, []string{"github.com/acme/payments"}) {
		t.Fatalf("keys %v", p.RepoKeys)
	}
	form := "payload=" + url.QueryEscape(githubPushSeed)
	if q, err := decodeGitHubPush("application/x-www-form-urlencoded", []byte(form)); err != nil || q.Commit != pushSHA {
		t.Fatalf("form payload: %+v %v", q, err)
	}
	deleted := strings.Replace(strings.Replace(githubPushSeed, pushSHA, strings.Repeat("0", 40), 1), `"deleted":false`, `"deleted":true`, 1)
	if q, err := decodeGitHubPush("application/json", []byte(deleted)); err != nil || !q.Deleted {
		t.Fatalf("deleted branch: %+v %v", q, err)
	}
	tag := strings.Replace(githubPushSeed, "refs/heads/main", "refs/tags/v1", 1)
	if q, err := decodeGitHubPush("application/json", []byte(tag)); err != nil || q.Branch != "" {
		t.Fatalf("tag push: %+v %v", q, err)
	}
	for _, bad := range []string{`{}`, `[]`, `{"ref":"refs/heads/main","after":"nothex"}`, `{"ref":"refs/heads/main","after":"` + pushSHA + `"}`} {
		if _, err := decodeGitHubPush("application/json", []byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestDecodeGitLabPush(t *testing.T) {
	p, err := decodeGitLabPush([]byte(gitlabPushSeed))
	if err != nil {
		t.Fatal(err)
	}
	if p.Branch != "main" || p.Commit != pushSHA || p.Deleted || !slices.Equal(p.RepoKeys, []string{"gitlab.com/acme/payments"}) {
		t.Fatalf("%+v", p)
	}
	del := strings.Replace(strings.Replace(gitlabPushSeed, `"checkout_sha":"`+pushSHA+`"`, `"checkout_sha":null`, 1), `"after":"`+pushSHA, `"after":"`+strings.Repeat("0", 40), 1)
	if q, err := decodeGitLabPush([]byte(del)); err != nil || !q.Deleted {
		t.Fatalf("deleted branch: %+v %v", q, err)
	}
	if _, err := decodeGitLabPush([]byte(`{"object_kind":"tag_push","ref":"refs/tags/v1"}`)); err == nil {
		t.Fatal("accepted a tag push as a push")
	}
}

func TestRepoKey(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/Acme/Payments.git":      "github.com/acme/payments",
		"https://github.com/acme/payments/":         "github.com/acme/payments",
		"git@github.com:acme/payments.git":          "github.com/acme/payments",
		"ssh://git@gitlab.example:2222/g/sub/r.git": "gitlab.example/g/sub/r",
		"git://github.com/acme/payments.git":        "github.com/acme/payments",
		"http://127.0.0.1:8080/git/acme/docs.git":   "127.0.0.1:8080/git/acme/docs",
		"https://user:pw@github.com/acme/payments":  "github.com/acme/payments",
		"":                    "",
		"https://github.com/": "",
		"not a url":           "",
		"https://h/a/../b":    "",
	} {
		if got := repoKey(in); got != want {
			t.Errorf("repoKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGitHubSignature(t *testing.T) {
	body := []byte(githubPushSeed)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !checkGitHubSignature("s3cret", body, good) {
		t.Fatal("good signature refused")
	}
	for _, bad := range []string{"", "sha256=", good[:len(good)-2], "sha1=" + good[7:], strings.ToUpper(good), good + "00"} {
		if checkGitHubSignature("s3cret", body, bad) {
			t.Errorf("accepted %q", bad)
		}
	}
	if checkGitHubSignature("other", body, good) || checkGitHubSignature("s3cret", append(body, ' '), good) {
		t.Fatal("signature not bound to secret and body")
	}
	if !checkToken("s3cret", "s3cret") || checkToken("s3cret", "s3cre") || checkToken("s3cret", "") {
		t.Fatal("token compare")
	}
}

// FuzzWebhookPayloads feeds arbitrary bytes to both push decoders and the
// repository normaliser: no panic, and whatever is accepted is usable — a
// commit SHA (or a deletion), at least one repository key, no "..".
func FuzzWebhookPayloads(f *testing.F) {
	for _, seed := range []string{githubPushSeed, gitlabPushSeed, `{}`, `null`, `{"ref":1}`, `{"repository":{"clone_url":"git@:"}}`,
		"payload=%7B%7D", `{"ref":"refs/heads/` + strings.Repeat("a", 300) + `"}`, "\xff\xfe"} {
		f.Add([]byte(seed), "application/json")
	}
	f.Add([]byte("payload="+url.QueryEscape(githubPushSeed)), "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		check := func(p pushEvent, err error) {
			if err != nil {
				return
			}
			if len(p.RepoKeys) == 0 || (!p.Deleted && len(p.Commit) != 40 && len(p.Commit) != 64) {
				t.Fatalf("accepted an unusable push %+v", p)
			}
			for _, k := range p.RepoKeys {
				if strings.Contains(k, "..") || k != strings.ToLower(k) {
					t.Fatalf("bad repository key %q", k)
				}
			}
			if p.Branch != "" && !strings.HasPrefix(p.Ref, "refs/heads/") {
				t.Fatalf("branch %q from ref %q", p.Branch, p.Ref)
			}
		}
		check(decodeGitHubPush(contentType, body))
		check(decodeGitLabPush(body))
		_ = repoKey(string(body))
	})
}
