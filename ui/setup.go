package ui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/app"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/keys"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
)

// Setup fields, in screen order.
const (
	fProfile = iota
	fRegion
	fBucket
	fDomain
	fOrigin
	fKeyPairID
	fPrivateKey
	fExpiry
	fTestObject // not saved: the object "Test link" checks
	nSetupFields
)

// setupPanel is the focus stop of the generated public key (c copies it).
const setupPanel = nSetupFields

var (
	// Compiled when the setup screen first checks a field, not at start-up.
	regionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`) })
	bucketRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`) })
)

type (
	// keyCheckMsg is the result of loading the private key at path (request seq).
	keyCheckMsg struct {
		seq     int
		path    string
		warning string
		err     error
	}
	// keyGeneratedMsg is the result of "Generate key pair" (request seq);
	// exists asks for confirmation before replacing.
	keyGeneratedMsg struct {
		seq    int
		pair   keys.Pair
		pem    string
		exists bool
		err    error
	}
	// setupSaveMsg is the result of saving (request seq).
	setupSaveMsg struct {
		seq   int
		saved app.Saved
		err   error
	}
)

// setupField is one labelled text field with its inline verdict.
type setupField struct {
	label    string
	input    textinput.Model
	validate func(string) string // "" when valid; pure, runs on every keystroke
	err      string
	note     string // a non-error remark (key loads, expiry preview)
}

// setupView edits and saves the settings, and makes key pairs.
type setupView struct {
	deps   Deps
	st     *Styles
	keys   keyMap
	fields []setupField
	focus  int

	keySeq     int
	keyPending bool // a private-key check is out
	genSeq     int
	generating bool
	confirm    bool // waiting for y/n before replacing a key pair
	pair       *keys.Pair
	pem        string
	saveSeq    int
	saving     bool
	stayOnSave bool // a save after a rotation: stay, so its result shows
	msg        string
	msgErr     bool

	cf setupCloudFront // the CloudFront actions: register, pick distribution, test link

	confirmDiscard bool             // esc with unsaved edits: waiting for y/n
	chainGroup     bool             // on the sandbox: after registering, add to the key group
	group          aws.KeyGroupInfo // the key group shown (ctrl+l)
	groupRows      []keyGroupRow    // its keys; nil until loaded
	// trustedHere is the last key this screen added to a key group, and
	// that group: discarding the edits does not undo that, so it is said.
	trustedHere struct{ id, group string }

	clip          clipboardWriter
	now           func() time.Time
	width, height int
}

// newSetupView opens the setup screen on the current settings.
func newSetupView(deps Deps, st *Styles) *setupView {
	v := &setupView{deps: deps, st: st, keys: keyBindings, clip: defaultClipboard(), now: time.Now, width: 80, height: 20}
	s := deps.Settings
	mk := func(label, value, placeholder string, validate func(string) string) setupField {
		ti := newFormInput(st)
		ti.Prompt = ""
		ti.Placeholder = placeholder
		ti.CharLimit = 4096
		ti.SetValue(value)
		return setupField{label: label, input: ti, validate: validate}
	}
	v.fields = []setupField{
		// Examples say so in words: without colour (NO_COLOR) a placeholder
		// would look like a setting.
		fProfile:    mk("Profile", s.Profile, "e.g. default", validProfile),
		fRegion:     mk("Region", s.Region, "e.g. us-east-1", validRegion),
		fBucket:     mk("Bucket", s.Bucket, "e.g. my-private-bucket", validBucket),
		fDomain:     mk("CloudFront domain", s.Domain, "e.g. d111111abcdef8.cloudfront.net", validDomain),
		fOrigin:     mk("Origin path", s.OriginPath, "optional, e.g. /prefix", validOriginPath),
		fKeyPairID:  mk("Key pair ID", s.KeyPairID, "e.g. K2JCJMDEHXQW5F", validKeyPairID),
		fPrivateKey: mk("Private key", s.PrivateKey, "e.g. ~/.config/cfsign/keys/private_key.pem", nil),
		fExpiry:     mk("Default expiry", s.DefaultExpiry, "e.g. 1h", nil),
		fTestObject: mk("Test object", "", "a key in the bucket, for ctrl+t (test link)", nil),
	}
	v.fields[fExpiry].validate = v.validExpiry
	v.fields[fPrivateKey].input.CharLimit = 16 << 10 // key text pasted in any form
	for i := range v.fields {
		v.revalidate(i)
	}
	v.fields[0].input.Focus()
	v.SetSize(v.width, v.height)
	return v
}

// Init checks the configured private key.
func (v *setupView) Init() tea.Cmd {
	return v.checkKey()
}

// cancelAll cancels a CloudFront request in flight; the root calls it before quitting.
func (v *setupView) cancelAll() { v.cf.cancel() }

// InputFocused reports whether keys go to a text input.
func (v *setupView) InputFocused() bool {
	return v.focus < nSetupFields && !v.confirm && !v.confirmDiscard && !v.cf.picking()
}

// SetSize sets the view's size.
func (v *setupView) SetSize(w, h int) {
	v.width, v.height = max(w, 20), max(h, 5)
	for i := range v.fields {
		v.fields[i].input.Width = max(v.width-22, 10)
	}
}

// Validators: "" means valid; empty values mean unset and are valid.

func validProfile(s string) string {
	if s != "" && (strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) || strings.ContainsAny(s, "[]")) {
		return "a profile name has no spaces, brackets or control characters"
	}
	return ""
}

func validRegion(s string) string {
	if s != "" && !regionRe().MatchString(s) {
		return "not a region like us-east-1 or eu-west-3"
	}
	return ""
}

// validBucket applies S3's general-purpose bucket naming rules.
func validBucket(s string) string {
	switch {
	case s == "":
		return ""
	case len(s) < 3 || len(s) > 63:
		return fmt.Sprintf("bucket names are 3-63 characters (this is %d)", len(s))
	case s != strings.ToLower(s):
		return "bucket names are lower case"
	case !bucketRe().MatchString(s):
		return "use a-z, 0-9, dots and hyphens; start and end with a letter or digit"
	case strings.Contains(s, ".."):
		return "no two dots in a row"
	case strings.HasPrefix(s, "xn--") || strings.HasPrefix(s, "sthree-") || strings.HasPrefix(s, "amzn-s3-demo-"):
		return "that prefix is reserved by S3"
	case strings.HasSuffix(s, "-s3alias") || strings.HasSuffix(s, "--ol-s3") || strings.HasSuffix(s, ".mrap") || strings.HasSuffix(s, "--x-s3"):
		return "that suffix is reserved by S3"
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "a bucket name cannot look like an IP address"
	}
	return ""
}

// validDomain accepts what signedurl.ObjectURL accepts: a host, optionally with a
// scheme, and no path.
func validDomain(s string) string {
	if s == "" {
		return ""
	}
	if _, err := signedurl.ObjectURL(s, "", "x"); err != nil {
		return err.Error()
	}
	return ""
}

func validOriginPath(s string) string {
	switch {
	case s == "":
		return ""
	case !strings.HasPrefix(s, "/"):
		return "an origin path starts with /"
	case len(s) > 1 && strings.HasSuffix(s, "/"):
		return "an origin path does not end with /"
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "an origin path has no spaces or control characters"
	}
	return ""
}

func validKeyPairID(s string) string {
	if err := signedurl.CheckKeyPairID(s); s != "" && err != nil {
		return "a key pair ID is 10 or more capital letters and digits, like K2JCJMDEHXQW5F"
	}
	return ""
}

func (v *setupView) validExpiry(s string) string {
	if s == "" {
		return ""
	}
	now := v.now()
	t, err := signedurl.ParseWhen(s, now)
	switch {
	case err != nil:
		return err.Error()
	case !t.After(now):
		return "the default expiry must be in the future"
	}
	return ""
}

// revalidate runs field i's validator; the expiry also gets a preview.
func (v *setupView) revalidate(i int) {
	f := &v.fields[i]
	val := strings.TrimSpace(f.input.Value())
	f.err, f.note = "", ""
	if f.validate != nil {
		f.err = f.validate(val)
	}
	if i == fExpiry && val != "" && f.err == "" {
		now := v.now()
		if t, err := signedurl.ParseWhen(val, now); err == nil {
			f.note = "links expire " + humanDuration(t.Sub(now)) + " after signing unless you choose otherwise"
		}
	}
}

// checkKey loads the private key in a command; the answer is tagged.
func (v *setupView) checkKey() tea.Cmd {
	v.keySeq++
	path := strings.TrimSpace(v.fields[fPrivateKey].input.Value())
	f := &v.fields[fPrivateKey]
	f.err, f.note = "", ""
	if path == "" {
		v.keyPending = false
		return nil
	}
	if v.deps.Keys == nil {
		f.err = "cannot check keys in this build"
		return nil
	}
	if cmd, remote := v.remoteKeyCheck(path); remote {
		return cmd
	}
	v.keyPending = true
	f.note = "checking…"
	return loadKeyCmd(v.keySeq, v.deps.Keys, path)
}

func loadKeyCmd(seq int, km KeyMaker, path string) tea.Cmd {
	return func() tea.Msg {
		_, warning, err := km.LoadKey(context.Background(), path, "the Private key field")
		return keyCheckMsg{seq: seq, path: path, warning: warning, err: err}
	}
}

// formKeys are the settings the form edits, by field.
var formKeys = map[int]app.Key{
	fProfile: app.Profile, fRegion: app.Region, fBucket: app.Bucket, fDomain: app.Domain, fOrigin: app.OriginPath,
	fKeyPairID: app.KeyPairID, fPrivateKey: app.PrivateKey, fExpiry: app.DefaultExpiry,
}

// edits are the settings the user changed in the form: only these are saved.
func (v *setupView) edits() []app.Edit {
	var out []app.Edit
	for i := range nSetupFields {
		k, ok := formKeys[i]
		if !ok {
			continue
		}
		if val := v.value(i); val != v.deps.Settings.Get(k) {
			out = append(out, app.Edit{Key: k, Value: val})
		}
	}
	return out
}

// Update handles keys and the results of checks, generation and saving.
func (v *setupView) Update(msg tea.Msg) (view, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v, v.handleKey(msg)
	case keyCheckMsg:
		if msg.seq != v.keySeq {
			return v, nil
		}
		v.keyPending = false
		f := &v.fields[fPrivateKey]
		switch {
		case msg.err != nil:
			f.err, f.note = oneLine(msg.err.Error()), ""
		case msg.warning != "":
			f.err, f.note = "", "loads; warning: "+oneLine(msg.warning)
		case keySourceIndex(msg.path) != 0:
			f.err, f.note = "", "found in "+keySources[keySourceIndex(msg.path)].label+" (ctrl+o: another source)"
		default:
			f.err, f.note = "", "loads"
		}
		return v, nil
	case keyGeneratedMsg:
		if msg.seq != v.genSeq {
			return v, nil
		}
		v.generating = false
		switch {
		case msg.exists:
			v.confirm = true
			v.msg, v.msgErr = "", false
			return v, nil
		case msg.err != nil:
			v.msg, v.msgErr = "Generate key pair: "+oneLine(msg.err.Error()), true
			return v, nil
		}
		p := msg.pair
		v.pair, v.pem = &p, msg.pem
		v.fields[fPrivateKey].input.SetValue(p.PrivatePath)
		v.msg, v.msgErr = "Key pair written: register the public key with CloudFront, then fill in its ID", false
		if v.deps.Sandbox && v.deps.CloudFront != nil {
			// On the sandbox the whole way is local: register the key and
			// add it to the key group the edge trusts, so the Key pair ID
			// follows and ctrl+t works at once.
			v.chainGroup = v.keyGroupAdmin() != nil
			return v, tea.Batch(v.checkKey(), v.setFocus(setupPanel), v.cf.register(v))
		}
		return v, tea.Batch(v.checkKey(), v.setFocus(setupPanel))
	case setupSaveMsg:
		if msg.seq != v.saveSeq {
			return v, nil
		}
		v.saving = false
		stay := v.stayOnSave
		v.stayOnSave = false
		if msg.err != nil {
			v.msg, v.msgErr = "Save: "+oneLine(msg.err.Error()), true
			return v, nil
		}
		v.deps.Settings = msg.saved.Settings // what is saved is no longer an edit
		return v, asCmd(settingsSavedMsg{settings: msg.saved.Settings, stay: stay, overridden: msg.saved.Overridden})
	}
	if handled, cmd := v.updateKeys(msg); handled {
		return v, cmd
	}
	if handled, cmd := v.cf.update(v, msg); handled {
		return v, cmd
	}
	if v.focus < nSetupFields {
		var cmd tea.Cmd
		v.fields[v.focus].input, cmd = v.fields[v.focus].input.Update(msg)
		return v, cmd
	}
	return v, nil
}

func (v *setupView) handleKey(msg tea.KeyMsg) tea.Cmd {
	if v.confirmDiscard {
		switch {
		case key.Matches(msg, v.keys.Yes):
			v.confirmDiscard = false
			return asCmd(backMsg{})
		case key.Matches(msg, v.keys.No), key.Matches(msg, v.keys.Back):
			v.confirmDiscard = false
			v.msg, v.msgErr = "Kept your edits: ctrl+s saves them", false
		}
		return nil
	}
	if v.confirm {
		switch {
		case key.Matches(msg, v.keys.Yes):
			v.confirm = false
			return v.generate(true)
		case key.Matches(msg, v.keys.No), key.Matches(msg, v.keys.Back):
			v.confirm = false
			v.msg, v.msgErr = "Kept the existing key pair", false
		}
		return nil
	}
	if v.cf.picking() {
		return v.cf.pickKey(v, msg)
	}
	switch {
	case key.Matches(msg, v.keys.Back):
		if v.cf.cancel() {
			v.chainGroup = false
			v.msg, v.msgErr = "Cancelled", true
			return nil
		}
		if v.dirty() {
			v.confirmDiscard = true
			return nil
		}
		return asCmd(backMsg{})
	case key.Matches(msg, v.keys.Save):
		return v.save()
	case key.Matches(msg, v.keys.Generate):
		return v.generate(false)
	case key.Matches(msg, v.keys.KeySource):
		return v.nextKeySource()
	case key.Matches(msg, v.keys.AddToGroup):
		return v.addToGroup()
	case key.Matches(msg, v.keys.Rotate):
		return v.rotate()
	case key.Matches(msg, v.keys.KeyGroup):
		return v.loadKeyGroup()
	case key.Matches(msg, v.keys.Next), key.Matches(msg, v.keys.Down):
		if v.focus < nSetupFields && key.Matches(msg, v.keys.Down) && msg.String() == "j" {
			break // j types in a text field
		}
		return v.move(+1)
	case key.Matches(msg, v.keys.Prev), key.Matches(msg, v.keys.Up):
		if v.focus < nSetupFields && key.Matches(msg, v.keys.Up) && msg.String() == "k" {
			break
		}
		return v.move(-1)
	case key.Matches(msg, v.keys.Confirm) && v.focus < nSetupFields:
		return v.move(+1)
	}
	if cmd, ok := v.cf.key(v, msg); ok {
		return cmd
	}
	if v.focus == setupPanel {
		if key.Matches(msg, v.keys.Copy) && v.pem != "" {
			return copyCmd(v.clip, v.pem, "the public key", false)
		}
		return nil
	}
	f := &v.fields[v.focus]
	before := f.input.Value()
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	if f.input.Value() == before {
		return cmd
	}
	v.revalidate(v.focus)
	if v.focus == fPrivateKey {
		return tea.Batch(cmd, v.checkKey())
	}
	return cmd
}

func (v *setupView) move(d int) tea.Cmd {
	n := nSetupFields
	if v.pem != "" {
		n++
	}
	return v.setFocus((v.focus + d + n) % n)
}

func (v *setupView) setFocus(i int) tea.Cmd {
	for j := range v.fields {
		v.fields[j].input.Blur()
	}
	v.focus = i
	if i < nSetupFields {
		v.fields[i].input.CursorEnd()
		return v.fields[i].input.Focus()
	}
	return nil
}

// generate writes a new RSA key pair into deps.KeyDir in a command.
func (v *setupView) generate(force bool) tea.Cmd {
	if v.generating {
		return nil
	}
	if v.deps.Keys == nil || v.deps.KeyDir == "" {
		v.msg, v.msgErr = "Generate key pair: no key directory configured", true
		return nil
	}
	v.genSeq++
	v.generating = true
	v.msg, v.msgErr = "Generating an RSA-2048 key pair…", false
	return generateKeyCmd(v.genSeq, v.deps.Keys, v.deps.KeyDir, force)
}

func generateKeyCmd(seq int, km KeyMaker, dir string, force bool) tea.Cmd {
	return func() tea.Msg {
		pair, err := km.GenerateFiles(dir, keys.RSA, force)
		if errors.Is(err, keys.ErrExists) {
			return keyGeneratedMsg{seq: seq, exists: true}
		}
		if err != nil {
			return keyGeneratedMsg{seq: seq, err: err}
		}
		pem, err := os.ReadFile(pair.PublicPath)
		if err != nil {
			return keyGeneratedMsg{seq: seq, err: fmt.Errorf("read %s: %w", pair.PublicPath, err)}
		}
		return keyGeneratedMsg{seq: seq, pair: pair, pem: string(pem)}
	}
}

// invalid lists the labels of fields that do not validate.
func (v *setupView) invalid() []string {
	var bad []string
	for _, f := range v.fields {
		if f.err != "" {
			bad = append(bad, f.label)
		}
	}
	return bad
}

// save writes the settings in a command once every field validates.
func (v *setupView) save() tea.Cmd {
	if bad := v.invalid(); len(bad) > 0 {
		v.msg, v.msgErr = "Fix "+strings.Join(bad, ", ")+" first", true
		return nil
	}
	if v.keyPending {
		v.msg, v.msgErr = "Still checking the private key: try again in a moment", true
		return nil
	}
	if v.deps.Store == nil {
		v.msg, v.msgErr = "No config file to save to", true
		return nil
	}
	if v.saving {
		return nil
	}
	v.saveSeq++
	v.saving = true
	set, edits := v.deps.Settings, v.edits()
	store, seq := v.deps.Store, v.saveSeq
	return func() tea.Msg {
		saved, err := store.Save(context.Background(), set, edits...)
		return setupSaveMsg{seq: seq, saved: saved, err: err}
	}
}

// ShortHelp lists the keys that work now.
func (v *setupView) ShortHelp() []key.Binding {
	k := v.keys
	if v.confirmDiscard {
		k.Yes.SetHelp("y", "discard edits")
		k.No.SetHelp("n", "keep editing")
		return []key.Binding{k.Yes, k.No}
	}
	if v.confirm {
		k.Yes.SetHelp("y", "replace key pair")
		k.No.SetHelp("n", "keep it")
		return []key.Binding{k.Yes, k.No}
	}
	if v.cf.picking() {
		k.Confirm.SetHelp("enter", "use distribution")
		return []key.Binding{k.Up, k.Down, k.Confirm, k.Back}
	}
	k.Copy.SetHelp("c", "copy public key")
	k.Copy.SetEnabled(v.focus == setupPanel && v.pem != "")
	return append(append([]key.Binding{k.Next, k.Save, k.Generate, k.Copy}, v.cf.help(v)...), k.Back)
}

// keyHelp lists the key source and key group actions.
func (v *setupView) keyHelp() []key.Binding {
	k := v.keys
	groups := v.keyGroupAdmin() != nil
	k.AddToGroup.SetEnabled(groups)
	k.Rotate.SetEnabled(groups && v.deps.Keys != nil)
	k.KeyGroup.SetEnabled(groups)
	return []key.Binding{k.KeySource, k.AddToGroup, k.Rotate, k.KeyGroup}
}

// FullHelp lists every key of the view.
func (v *setupView) FullHelp() [][]key.Binding {
	k := v.keys
	return [][]key.Binding{v.ShortHelp(), append([]key.Binding{k.Prev}, v.keyHelp()...)}
}

// View renders the form, the key panel and any dialog.
func (v *setupView) View() string {
	st := v.st
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }
	add(truncLine(st.Title.Render("Setup")+st.Muted.Render("  ctrl+s saves the config file"), v.width))
	if v.confirm {
		dlg := st.Dialog.Render(fmt.Sprintf("A key pair already exists in %s.\nReplace it? Links signed with the old key stop working. (y/n)", app.Escape(v.deps.KeyDir)))
		add(strings.Split(dlg, "\n")...)
	}
	if v.confirmDiscard {
		text := "You have unsaved edits.\nDiscard them and leave setup? (y/n)"
		if t := v.trustedHere; t.id != "" && t.id == v.value(fKeyPairID) && t.id != v.deps.Settings.KeyPairID {
			text = fmt.Sprintf("You have unsaved edits.\nKey %s stays trusted by key group %s\neither way: cfsign keys retire %s --delete undoes that.\nDiscard the edits and leave setup? (y/n)",
				app.Escape(t.id), app.Escape(t.group), app.Escape(t.id))
		}
		dlg := st.Dialog.Render(text)
		add(strings.Split(dlg, "\n")...)
	}
	if v.cf.picking() {
		add(v.cf.pickerView(v)...)
	}
	add(v.groupView()...)
	if v.pem != "" {
		add(v.panelView()...)
	}
	const lw = 18
	focusAt := 0
	for i, f := range v.fields {
		mark, label := "  ", st.Label.Render(fmt.Sprintf("%-*s", lw, f.label))
		if i == v.focus {
			mark, label = "› ", st.Selected.Render(fmt.Sprintf("%-*s", lw, f.label))
		}
		in := f.input.View()
		switch val := f.input.Value(); {
		case i == fPrivateKey && keys.MayBeKeyText(val):
			// Key text, pasted or from CFSIGN_PRIVATE_KEY: never on screen.
			if i == v.focus {
				masked := f.input
				masked.EchoMode, masked.EchoCharacter = textinput.EchoPassword, '•'
				in = masked.View()
			} else {
				in = st.Muted.Render(fmt.Sprintf("key text (%s characters, hidden)", humanize.Comma(int64(len(val)))))
			}
		case i != v.focus && val != "":
			// Values from a config file are data: show their control characters.
			in = st.Input.Render(app.Escape(val))
		}
		if i == v.focus {
			focusAt = len(lines)
		}
		add(truncLine(mark+label+" "+in, v.width))
		pad := strings.Repeat(" ", lw+3)
		switch {
		case f.err != "":
			add(truncLine(pad+st.Error.Render("✗ "+oneLine(f.err)), v.width))
		case f.note != "":
			add(truncLine(pad+st.Muted.Render(f.note), v.width))
		}
	}
	add(v.cf.resultView(v)...)
	switch {
	case v.saving:
		add("", st.Muted.Render("Saving…"))
	case v.generating:
		add("", st.Muted.Render(v.msg))
	case v.msg != "" && v.msgErr:
		add("", truncLine(st.Error.Render(oneLine(v.msg)), v.width))
	case v.msg != "":
		add("", truncLine(st.OK.Render(oneLine(v.msg)), v.width))
	}
	// Scroll so the focused field and the line under it stay on screen.
	if len(lines) > v.height && focusAt+2 > v.height {
		lines = lines[min(focusAt+2-v.height, len(lines)-1):]
	}
	return clipLines(strings.Join(lines, "\n"), v.height)
}

// panelView shows the public key PEM when focused, one summary line otherwise.
func (v *setupView) panelView() []string {
	st := v.st
	fp := ""
	if v.pair != nil {
		fp = v.pair.Fingerprint
	}
	if v.focus != setupPanel {
		return []string{truncLine(st.Muted.Render("Public key "+fp+" (shift+tab shows it)"), v.width)}
	}
	out := []string{truncLine(st.Selected.Render("Public key")+" "+st.Code.Render(fp)+st.Muted.Render("  c copies"), v.width)}
	for _, l := range strings.Split(strings.TrimRight(ansi.Hardwrap(v.pem, v.width, false), "\n"), "\n") {
		out = append(out, st.Code.Render(app.Escape(l)))
	}
	return append(out, "")
}

func (v *setupView) value(i int) string { return strings.TrimSpace(v.fields[i].input.Value()) }

func (v *setupView) fail(text string) tea.Cmd {
	v.msg, v.msgErr = text, true
	return nil
}
