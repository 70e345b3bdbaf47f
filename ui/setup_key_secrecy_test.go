package ui

import (
	"context"
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv/keytext"
	"github.com/cfsign/cfsign/keys"
	tea "github.com/charmbracelet/bubbletea"
)

// settingKeys loads the private key field as the app does: a file, or key
// text in any pasted form.
type settingKeys struct{ fakeKeys }

func (*settingKeys) LoadKey(_ context.Context, value, from string) (crypto.Signer, string, error) {
	return keys.LoadPrivateSetting(value, from)
}

// A key pasted into the setup screen's Private key field, or arriving there
// from CFSIGN_PRIVATE_KEY or config.toml, never shows on screen, in any
// form, focused or not; the forms that are keys load, the damaged ones are
// refused with a reason.
func TestSetupNeverShowsKeyText(t *testing.T) {
	for _, fixture := range []string{"rsa2048-pkcs1.pem", "p256-sec1.pem"} {
		pemBytes, err := os.ReadFile(filepath.Join("..", "testdata", "keys", fixture))
		if err != nil {
			t.Fatal(err)
		}
		pemText := string(pemBytes)
		for _, form := range keytext.Forms(pemText) {
			name := fixture + " " + form.Name
			check := func(h *setupHarness, how string) {
				t.Helper()
				for _, focus := range []int{fPrivateKey, fExpiry} {
					h.to(focus)
					if leak := keytext.Leak(h.v.View(), pemText, form.Value); leak != "" {
						t.Errorf("%s %s: the screen shows %q of the key:\n%s", name, how, leak, h.v.View())
					}
				}
				f := h.v.fields[fPrivateKey]
				switch {
				case form.Want == keytext.Accept && (f.err != "" || f.note != "loads"):
					t.Errorf("%s %s: not loaded: %q %q", name, how, f.err, f.note)
				case form.Want == keytext.Refuse && f.err == "":
					t.Errorf("%s %s: a damaged key passed: %q", name, how, f.note)
				}
			}

			h := newSetupHarness(t, app.Literal(config.Settings{}))
			h.v.deps.Keys = &settingKeys{}
			h.to(fPrivateKey)
			_, cmd := h.v.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(form.Value), Paste: true})
			h.drive(cmd)
			h.drive(h.v.checkKey())
			check(h, "pasted")

			h = newSetupHarness(t, app.Literal(config.Settings{PrivateKey: form.Value}))
			h.v.deps.Keys = &settingKeys{}
			h.drive(h.v.checkKey())
			check(h, "from the settings")
		}
	}
}

// An error that quotes key text (a library's, say) reaches neither the
// status line nor a panel: the app takes secrets out of every message it
// shows, as the CLI does on stderr. This second line of defence knows key
// text by PEM markers and long base64 runs; a form broken into short
// words by spaces is left to the first (errors never quote the value).
func TestMessagesNeverShowKeyText(t *testing.T) {
	pemBytes, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "rsa2048-pkcs1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pemBytes)
	for _, form := range keytext.Forms(pemText) {
		if form.Want != keytext.Accept || strings.Contains(strings.TrimSpace(strings.ReplaceAll(form.Value, "\n", "")), " ") {
			continue
		}
		msg := "load private key: cannot parse " + form.Value + ": bad data"
		a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 120, 30)
		a.send(statusMsg{text: msg, err: true})
		if w := keytext.Leak(a.m.View(), pemText, form.Value); w != "" {
			t.Errorf("%s: the status line shows key text %q", form.Name, w)
		}
		if w := keytext.Leak(oneLine(msg), pemText, form.Value); w != "" {
			t.Errorf("%s: a message line shows key text %q", form.Name, w)
		}
	}
}
