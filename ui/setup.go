package ui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws/doctor"
	"github.com/cfsign/cfsign/aws/signedurl"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
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
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	keyPairIDRe = regexp.MustCompile(`^[A-Z0-9]{10,}$`)
	bucketRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
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
		seq      int
		settings config.Settings
		err      error
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

	cf setupCloudFront // issue 5 actions: register, pick distribution, test link

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
		fProfile:    mk("Profile", s.Profile, "default", validProfile),
		fRegion:     mk("Region", s.Region, "us-east-1", validRegion),
		fBucket:     mk("Bucket", s.Bucket, "my-private-bucket", validBucket),
		fDomain:     mk("CloudFront domain", s.Domain, "d111111abcdef8.cloudfront.net", validDomain),
		fOrigin:     mk("Origin path", s.OriginPath, "/prefix (optional)", validOriginPath),
		fKeyPairID:  mk("Key pair ID", s.KeyPairID, "K2JCJMDEHXQW5F", validKeyPairID),
		fPrivateKey: mk("Private key", s.PrivateKey, "~/.config/cfsign/keys/private_key.pem", nil),
		fExpiry:     mk("Default expiry", s.DefaultExpiry, "1h", nil),
		fTestObject: mk("Test object", "", "a key in the bucket, for ctrl+t (test link)", nil),
	}
	v.fields[fExpiry].validate = v.validExpiry
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
	if s != "" && !regionRe.MatchString(s) {
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
	case !bucketRe.MatchString(s):
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
	if s != "" && !keyPairIDRe.MatchString(s) {
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
		_, warning, err := km.LoadPrivate(expandHome(path))
		return keyCheckMsg{seq: seq, path: path, warning: warning, err: err}
	}
}

// expandHome turns a leading ~ into the home directory.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return home + p[1:]
		}
	}
	return p
}

// settings is deps.Settings with the form's values.
func (v *setupView) settings() config.Settings {
	s := v.deps.Settings
	val := func(i int) string { return strings.TrimSpace(v.fields[i].input.Value()) }
	s.Profile, s.Region, s.Bucket = val(fProfile), val(fRegion), val(fBucket)
	s.Domain, s.OriginPath, s.KeyPairID = val(fDomain), val(fOrigin), val(fKeyPairID)
	s.PrivateKey, s.DefaultExpiry = val(fPrivateKey), val(fExpiry)
	return s
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
		if stay {
			v.deps.Settings = msg.settings // what is saved is no longer an edit
		}
		return v, asCmd(settingsSavedMsg{settings: msg.settings, stay: stay})
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
	s := v.settings()
	store, seq := v.deps.Store, v.saveSeq
	return func() tea.Msg {
		return setupSaveMsg{seq: seq, settings: s, err: store.Save(s)}
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
		dlg := st.Dialog.Render(fmt.Sprintf("A key pair already exists in %s.\nReplace it? Links signed with the old key stop working. (y/n)", escapeKey(v.deps.KeyDir)))
		add(strings.Split(dlg, "\n")...)
	}
	if v.confirmDiscard {
		text := "You have unsaved edits.\nDiscard them and leave setup? (y/n)"
		if t := v.trustedHere; t.id != "" && t.id == v.value(fKeyPairID) && t.id != v.deps.Settings.KeyPairID {
			text = fmt.Sprintf("You have unsaved edits.\nKey %s stays trusted by key group %s\neither way: cfsign keys retire %s --delete undoes that.\nDiscard the edits and leave setup? (y/n)",
				escapeKey(t.id), escapeKey(t.group), escapeKey(t.id))
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
		if i != v.focus {
			// Values from a config file are data: show their control characters.
			if val := f.input.Value(); val != "" {
				in = st.Input.Render(escapeKey(val))
			}
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
		out = append(out, st.Code.Render(escapeKey(l)))
	}
	return append(out, "")
}

// Issue 5: the CloudFront actions of the setup screen.

// cfTimeout bounds each CloudFront call and the live link check.
const cfTimeout = 30 * time.Second

// testLinkTTL is how long the link "Test link" signs lives.
const testLinkTTL = 5 * time.Minute

type (
	// registeredMsg is the result of "Register public key" (request seq).
	registeredMsg struct {
		seq     int
		id      string
		existed bool
		err     error
	}
	// distributionsMsg is the result of listing distributions (request seq).
	distributionsMsg struct {
		seq   int
		dists []aws.Distribution
		err   error
	}
	// testLinkMsg is the result of "Test link" (request seq).
	testLinkMsg struct {
		seq  int
		url  string
		diag doctor.Diagnosis
		err  error
	}
)

// setupCloudFront is the state of the CloudFront actions: one request at a
// time, cancelled by esc, its answer tagged with seq.
type setupCloudFront struct {
	seq      int
	busy     string // what is running, for the screen; "" when idle
	cancelFn context.CancelFunc
	dists    []aws.Distribution
	cursor   int
	choosing bool
	warnings []string
	diag     *doctor.Diagnosis
	diagURL  string
	// diagnose is doctor.Diagnose; tests may point it elsewhere.
	diagnose func(ctx context.Context, signedURL string, opts doctor.Options) (doctor.Diagnosis, error)
}

func (c *setupCloudFront) picking() bool { return c.choosing }

// begin starts a request and returns its context and tag.
func (c *setupCloudFront) begin(what string) (context.Context, int) {
	c.cancel()
	c.seq++
	c.busy = what
	ctx, cancel := context.WithTimeout(context.Background(), cfTimeout)
	c.cancelFn = cancel
	return ctx, c.seq
}

// cancel stops the running request; it reports whether one was running.
func (c *setupCloudFront) cancel() bool {
	running := c.busy != ""
	if c.cancelFn != nil {
		c.cancelFn()
	}
	c.cancelFn, c.busy = nil, ""
	return running
}

// done finishes request seq; false means the answer is stale.
func (c *setupCloudFront) done(seq int) bool {
	if seq != c.seq || c.busy == "" {
		return false
	}
	c.cancelFn()
	c.cancelFn, c.busy = nil, ""
	return true
}

// key starts an action for ctrl+r, ctrl+p or ctrl+t.
func (c *setupCloudFront) key(v *setupView, msg tea.KeyMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, v.keys.Register):
		return c.register(v), true
	case key.Matches(msg, v.keys.PickDist):
		return c.listDistributions(v), true
	case key.Matches(msg, v.keys.TestLink):
		return c.testLink(v), true
	}
	return nil, false
}

func (v *setupView) value(i int) string { return strings.TrimSpace(v.fields[i].input.Value()) }

func (v *setupView) fail(text string) tea.Cmd {
	v.msg, v.msgErr = text, true
	return nil
}

// register uploads the public key (the generated one, or the one of the
// private key in the form) and fills the key pair ID.
func (c *setupCloudFront) register(v *setupView) tea.Cmd {
	admin := v.deps.CloudFront
	if admin == nil {
		return v.fail("Register public key: no CloudFront access (check the profile)")
	}
	pemText, path, km := []byte(v.pem), expandHome(v.value(fPrivateKey)), v.deps.Keys
	if len(pemText) == 0 && (path == "" || km == nil) {
		return v.fail("Register public key: generate a key pair (ctrl+g) or fill in the private key first")
	}
	ctx, seq := c.begin("Registering the public key with CloudFront…")
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		if len(pemText) == 0 {
			priv, _, err := km.LoadPrivate(path)
			if err != nil {
				return registeredMsg{seq: seq, err: err}
			}
			if pemText, err = keys.PublicPEM(priv.Public()); err != nil {
				return registeredMsg{seq: seq, err: err}
			}
		}
		id, existed, err := admin.RegisterPublicKey(ctx, pemText, "")
		return registeredMsg{seq: seq, id: id, existed: existed, err: err}
	}
}

// listDistributions fetches the distributions to pick from.
func (c *setupCloudFront) listDistributions(v *setupView) tea.Cmd {
	admin := v.deps.CloudFront
	if admin == nil {
		return v.fail("Pick distribution: no CloudFront access (check the profile)")
	}
	ctx, seq := c.begin("Listing CloudFront distributions…")
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		d, err := admin.ListDistributions(ctx)
		return distributionsMsg{seq: seq, dists: d, err: err}
	}
}

// testLink signs a short-lived URL for the test object with the form's
// settings and requests it through the domain.
func (c *setupCloudFront) testLink(v *setupView) tea.Cmd {
	object := v.fields[fTestObject].input.Value()
	switch {
	case object == "":
		return v.fail("Test link: type an object key in Test object first")
	case v.deps.NewSigner == nil:
		return v.fail("Test link: signing is not available in this build")
	}
	for _, i := range []int{fDomain, fOrigin, fKeyPairID} {
		if v.fields[i].err != "" {
			return v.fail("Test link: fix " + v.fields[i].label + " first")
		}
	}
	newSigner, diagnose := v.deps.NewSigner, c.diagnose
	if diagnose == nil {
		diagnose = doctor.Diagnose
	}
	domain, origin, id, priv := v.value(fDomain), v.value(fOrigin), v.value(fKeyPairID), expandHome(v.value(fPrivateKey))
	hash := signedurl.SHA1
	if strings.EqualFold(v.deps.Settings.Hash, string(signedurl.SHA256)) {
		hash = signedurl.SHA256
	}
	now := v.now()
	ctx, seq := c.begin("Testing a link to " + escapeKey(object) + "…")
	c.diag, c.diagURL = nil, ""
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		signer, err := newSigner(id, priv, hash)
		if err != nil {
			return testLinkMsg{seq: seq, err: fmt.Errorf("load signing key: %w", err)}
		}
		raw, err := signedurl.ObjectURL(domain, origin, object)
		if err != nil {
			return testLinkMsg{seq: seq, err: err}
		}
		signed, err := signer.SignURL(raw, signedurl.PolicyOptions{Expires: now.Add(testLinkTTL)}, now)
		if err != nil {
			return testLinkMsg{seq: seq, err: err}
		}
		d, err := diagnose(ctx, signed, doctor.Options{Now: now})
		return testLinkMsg{seq: seq, url: raw, diag: d, err: err}
	}
}

// update applies the answers of the CloudFront actions.
func (c *setupCloudFront) update(v *setupView, msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case registeredMsg:
		if !c.done(msg.seq) {
			return true, nil
		}
		if msg.err != nil {
			v.chainGroup = false
			return true, v.fail("Register public key: " + oneLine(msg.err.Error()))
		}
		v.fields[fKeyPairID].input.SetValue(msg.id)
		v.revalidate(fKeyPairID)
		how := "Registered"
		if msg.existed {
			how = "Already registered"
		}
		v.msg, v.msgErr = fmt.Sprintf("%s: key pair ID %s. Add it to a key group your distribution trusts (ctrl+x), then ctrl+s", how, escapeKey(msg.id)), false
		if v.chainGroup {
			v.chainGroup = false
			return true, v.addToGroup()
		}
		return true, nil
	case distributionsMsg:
		if !c.done(msg.seq) {
			return true, nil
		}
		if msg.err != nil {
			return true, v.fail("Pick distribution: " + oneLine(msg.err.Error()))
		}
		if len(msg.dists) == 0 {
			return true, v.fail("Pick distribution: this account has no CloudFront distributions")
		}
		c.dists, c.cursor, c.choosing = msg.dists, 0, true
		// Start on a distribution that serves the configured bucket.
		for i, d := range msg.dists {
			if distOrigin(d, v.value(fBucket)) != nil {
				c.cursor = i
				break
			}
		}
		return true, nil
	case testLinkMsg:
		if !c.done(msg.seq) {
			return true, nil
		}
		if msg.err != nil {
			return true, v.fail("Test link: " + oneLine(msg.err.Error()))
		}
		d := msg.diag
		c.diag, c.diagURL = &d, msg.url
		return true, nil
	}
	return false, nil
}

// distOrigin is the origin of d that reads bucket, or nil.
func distOrigin(d aws.Distribution, bucket string) *aws.DistributionOrigin {
	for i := range d.Origins {
		if bucket != "" && d.Origins[i].Bucket == bucket {
			return &d.Origins[i]
		}
	}
	return nil
}

// pickKey moves through the distribution list; enter fills the form.
func (c *setupCloudFront) pickKey(v *setupView, msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, v.keys.Back):
		c.choosing = false
	case key.Matches(msg, v.keys.Up), key.Matches(msg, v.keys.Prev):
		c.cursor = max(c.cursor-1, 0)
	case key.Matches(msg, v.keys.Down), key.Matches(msg, v.keys.Next):
		c.cursor = min(c.cursor+1, len(c.dists)-1)
	case key.Matches(msg, v.keys.Confirm):
		c.choosing = false
		c.choose(v, c.dists[c.cursor])
	}
	return nil
}

// choose fills domain and origin path from d and lists what will not work.
func (c *setupCloudFront) choose(v *setupView, d aws.Distribution) {
	bucket := v.value(fBucket)
	domain := d.DomainName
	if v.deps.Sandbox && !strings.Contains(domain, "://") {
		// CloudFront names a distribution by its host; the sandbox's edge
		// serves that host over plain HTTP.
		domain = "http://" + domain
	}
	v.fields[fDomain].input.SetValue(domain)
	v.revalidate(fDomain)
	c.warnings = nil
	if o := distOrigin(d, bucket); o != nil {
		v.fields[fOrigin].input.SetValue(o.OriginPath)
		v.revalidate(fOrigin)
	} else if bucket != "" {
		c.warnings = append(c.warnings, fmt.Sprintf("no origin of %s reads bucket %s", d.ID, bucket))
	}
	for _, w := range aws.CheckDistribution(d, v.value(fKeyPairID), bucket) {
		if !slices.Contains(c.warnings, w) {
			c.warnings = append(c.warnings, w)
		}
	}
	v.msg, v.msgErr = "Using distribution "+escapeKey(d.ID)+" ("+escapeKey(d.DomainName)+"): ctrl+s saves", false
}

func (c *setupCloudFront) help(v *setupView) []key.Binding {
	k := v.keys
	k.Register.SetEnabled(v.deps.CloudFront != nil)
	k.PickDist.SetEnabled(v.deps.CloudFront != nil)
	k.TestLink.SetEnabled(v.deps.NewSigner != nil)
	if c.busy != "" {
		k.Back.SetHelp("esc", "cancel")
		return []key.Binding{k.Back}
	}
	return []key.Binding{k.Register, k.PickDist, k.TestLink}
}

// pickerView lists the distributions: domain, aliases, origin of the bucket.
func (c *setupCloudFront) pickerView(v *setupView) []string {
	st := v.st
	out := []string{st.Label.Render("Pick a distribution (enter uses it, esc cancels)")}
	bucket := v.value(fBucket)
	room := max(v.height-4, 3)
	start := max(0, min(c.cursor-room/2, len(c.dists)-room))
	for i := start; i < len(c.dists) && i < start+room; i++ {
		d := c.dists[i]
		line := escapeKey(d.ID) + "  " + escapeKey(d.DomainName)
		if len(d.Aliases) > 0 {
			line += "  (" + escapeKey(strings.Join(d.Aliases, ", ")) + ")"
		}
		if o := distOrigin(d, bucket); o != nil {
			line += "  ← " + escapeKey(o.Bucket) + escapeKey(o.OriginPath)
		}
		if i == c.cursor {
			out = append(out, truncLine(st.Selected.Render("› "+line), v.width))
		} else {
			out = append(out, truncLine("  "+line, v.width))
		}
	}
	return append(out, "")
}

// resultView shows a running action, the distribution warnings and the
// outcome of the last link test.
func (c *setupCloudFront) resultView(v *setupView) []string {
	st := v.st
	var out []string
	if c.busy != "" {
		out = append(out, "", truncLine(st.Muted.Render(c.busy+" (esc cancels)"), v.width))
	}
	for _, w := range c.warnings {
		out = append(out, truncLine(st.Warning.Render("⚠ "+oneLine(w)), v.width))
	}
	if d := c.diag; d != nil {
		out = append(out, "")
		if d.OK {
			out = append(out, truncLine(st.OK.Render(fmt.Sprintf("✓ Test link: %d from %s", d.Status, escapeKey(c.diagURL))), v.width))
		} else {
			head := fmt.Sprintf("✗ Test link: %d %s", d.Status, d.Code)
			if d.Status == 0 {
				head = "✗ Test link: no response"
			}
			out = append(out, truncLine(st.Error.Render(oneLine(head)), v.width))
			for _, l := range []string{d.Cause, d.Fix, d.Message} {
				if l != "" {
					out = append(out, truncLine("  "+oneLine(l), v.width))
				}
			}
		}
	}
	return out
}
