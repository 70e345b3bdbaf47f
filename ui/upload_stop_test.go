package ui

// esc during an upload ends in one of two outcomes, waited for and shown:
// aborted (no object, no multipart upload left), or already
// completed (the object exists: the view says so, offers to delete it, and
// leaving the view lists it in the browser). A real server (the sandbox)
// behind a fault proxy holds the upload at the moment esc is pressed.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/testenv"
	tea "github.com/charmbracelet/bubbletea"
)

// upLoop runs the view as Bubble Tea does: each command in a goroutine of
// its own, each message through Update on this goroutine. When press
// fires, key is pressed. It returns once no command is left.
func upLoop(t *testing.T, h *upHarness, cmd tea.Cmd, press <-chan struct{}, key string) {
	t.Helper()
	msgs := make(chan tea.Msg)
	pending := 0
	run := func(c tea.Cmd) {
		if c == nil {
			return
		}
		pending++
		go func() { msgs <- c() }()
	}
	run(cmd)
	bound := time.After(2 * time.Minute) // a bound, not a wait: the bug would be "never"
	for pending > 0 {
		select {
		case m := <-msgs:
			pending--
			switch m := m.(type) {
			case nil:
			case tea.BatchMsg:
				for _, c := range m {
					run(c)
				}
			case statusMsg, uploadsDoneMsg, backMsg:
				h.nav = append(h.nav, m)
			default:
				_, next := h.v.Update(m)
				run(next)
			}
		case <-press:
			press = nil
			_, next := h.v.Update(vtKey(key))
			run(next)
		case <-bound:
			t.Fatalf("the view still runs 2 minutes on; items %+v", h.v.items)
		}
	}
}

func TestUploadEscEndsAbortedOrCompleted(t *testing.T) {
	sb := testenv.Sandbox(t)
	target, _ := url.Parse(sb.S3Endpoint)
	forward := httputil.NewSingleHostReverseProxy(target)
	opts := func(endpoint string) aws.ClientOptions {
		return aws.ClientOptions{Region: sb.Region, EndpointURL: endpoint, AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey}
	}
	direct, err := aws.NewClient(context.Background(), opts(sb.S3Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	isComplete := func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Query().Has("uploadId") }
	isPart2 := func(r *http.Request) bool {
		return r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2"
	}

	for _, tc := range []struct {
		name string
		// hold decides which request esc arrives during, and whether S3
		// has done it by then.
		hold   func(r *http.Request) bool
		landed bool
		then   string // the key pressed once the stop is reported
	}{
		{"esc while parts are sent", isPart2, false, "esc"},
		{"esc while S3 completes, then d deletes it", isComplete, true, "d"},
		{"esc while S3 completes, then esc keeps it", isComplete, true, "esc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pressEsc := make(chan struct{})
			var once sync.Once
			proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
				if !tc.hold(r) {
					return false
				}
				if tc.landed {
					forward.ServeHTTP(httptest.NewRecorder(), r) // S3 completes it
				}
				once.Do(func() { close(pressEsc) })
				<-r.Context().Done() // the answer never comes: esc cancels the request
				return true
			})
			sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
			c, err := aws.NewClient(context.Background(), opts(proxy.URL))
			if err != nil {
				t.Fatal(err)
			}
			h := newUpHarness(t)
			h.v.deps.Uploader, h.v.deps.Lister = c, c
			h.v.bucket, h.v.prefix = sb.Bucket, testenv.Unique("esc")+"/"
			data := make([]byte, 20<<20) // three 8 MiB parts
			for i := range data {
				data[i] = byte(i / 4096)
			}
			os.WriteFile(filepath.Join(h.dir, "big.bin"), data, 0o644)
			key := h.v.prefix + "big.bin"
			h.typ("big.bin")
			_, cmd := h.v.Update(vtKey("enter"))
			upLoop(t, h, cmd, pressEsc, "esc")

			it := h.v.items[0]
			view := h.v.View()
			st, _ := vtFind[statusMsg](h.nav[len(h.nav)-1:])
			t.Logf("status %q", st.text)
			if ups, _ := direct.ListMultipartUploads(context.Background(), sb.Bucket); slices.Contains(ups, key) {
				t.Errorf("a multipart upload is left: %q", ups)
			}
			_, headErr := direct.Head(context.Background(), sb.Bucket, key)
			if !tc.landed {
				if it.state != itemCancelled || !strings.Contains(view, "aborted, nothing left on the server") ||
					!strings.Contains(st.text, "1 stopped, nothing left on the server") {
					t.Errorf("state %v, status %q, view:\n%s", it.state, st.text, view)
				}
				if headErr == nil {
					t.Error("an object exists after the abort")
				}
				return
			}
			if it.state != itemDone || !it.landed || !strings.Contains(view, "completed before the stop") ||
				!strings.Contains(st.text, "d deletes, esc keeps") {
				t.Fatalf("state %v landed %v, status %q, view:\n%s", it.state, it.landed, st.text, view)
			}
			if headErr != nil {
				t.Fatalf("the view says it completed, but: %v", headErr)
			}
			btCheckFrame(t, view, 80, 24)
			h.nav = nil
			_, cmd = h.v.Update(vtKey(tc.then))
			upLoop(t, h, cmd, nil, "")
			_, headErr = direct.Head(context.Background(), sb.Bucket, key)
			switch tc.then {
			case "d":
				if headErr == nil {
					t.Error("d did not delete the object")
				}
				if !strings.Contains(h.v.View(), "it had landed, and was deleted") {
					t.Errorf("view:\n%s", h.v.View())
				}
			case "esc":
				done, ok := vtFind[uploadsDoneMsg](h.nav)
				if !ok || !slices.Contains(done.keys, key) {
					t.Errorf("leaving the view does not show the object in the browser: %+v", h.nav)
				}
				if headErr != nil {
					t.Errorf("esc deleted the object: %v", headErr)
				}
			}
		})
	}
}
