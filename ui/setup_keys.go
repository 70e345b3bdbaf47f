package ui

// The setup screen's key actions: where the private key lives (a file, KMS,
// Secrets Manager, Parameter Store), the key group's keys, adding a key to
// the key group, and rotating the signing key.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/keys"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyGroupAdmin reads and edits CloudFront key groups for the setup
// screen's key group panel, "add to key group" and "rotate". *aws.CloudFront
// satisfies it; the setup screen asks Deps.CloudFront for it, so a
// CloudFrontAdmin without it simply hides those actions.
type KeyGroupAdmin interface {
	ListKeyGroups(ctx context.Context) ([]aws.KeyGroupInfo, error)
	ListPublicKeys(ctx context.Context) ([]aws.PublicKeyInfo, error)
	AddKeyToGroup(ctx context.Context, groupID, keyID string) (aws.KeyGroupInfo, bool, error)
}

// KeyRotator rotates the signing key (the same workflow as 'cfsign keys
// rotate') and lists CloudFront's keys. *app.Session satisfies it.
type KeyRotator interface {
	Rotate(ctx context.Context, req app.RotateRequest) (app.Rotation, error)
	KeyRows(ctx context.Context) ([]app.KeyRow, error)
	Settings(ctx context.Context, bucket string) (app.Settings, error)
}

// keyCheckDelay is how long typing in the private key field must pause
// before a key kept in AWS is checked: one AWS call per pause, not per key.
const keyCheckDelay = 700 * time.Millisecond

type (
	// keyCheckDueMsg asks to check the key in AWS once typing paused (seq).
	keyCheckDueMsg struct{ seq int }
	// groupAddedMsg is the result of "add to key group" (request seq).
	groupAddedMsg struct {
		seq     int
		id      string
		group   aws.KeyGroupInfo
		changed bool
		err     error
	}
	// keyGroupMsg is the result of loading the key group's keys.
	keyGroupMsg struct {
		seq   int
		group aws.KeyGroupInfo
		rows  []keyGroupRow
		err   error
	}
	// rotatedMsg is the result of "rotate key", with the settings it
	// switched to.
	rotatedMsg struct {
		seq      int
		rot      app.Rotation
		settings app.Settings
		err      error
	}
)

// keyGroupRow is one key of the key group panel.
type keyGroupRow struct {
	id, name, fingerprint string
	created, latestExpiry time.Time
}

// keySources are the places the private key field can name, in the order
// ctrl+o cycles through them.
var keySources = []struct {
	kind   keys.SourceKind
	prefix string
	label  string
	hint   string
}{
	{keys.SourceLocal, "", "key file", "a PEM file, or PEM text"},
	{keys.SourceKMS, keys.PrefixKMS, "AWS KMS", "type the KMS key ID, alias/NAME or ARN after kms: (KMS signs; SHA-256)"},
	{keys.SourceSecretsManager, keys.PrefixSecretsManager, "Secrets Manager", "type the secret name or ARN after secretsmanager: (add #FIELD for a JSON secret)"},
	{keys.SourceSSM, keys.PrefixSSM, "Parameter Store", "type the SecureString parameter path after ssm:"},
}

// keySourceIndex is the index in keySources of what value names.
func keySourceIndex(value string) int {
	for i := len(keySources) - 1; i > 0; i-- {
		if strings.HasPrefix(strings.TrimSpace(value), keySources[i].prefix) {
			return i
		}
	}
	return 0
}

// nextKeySource switches the private key field to the next source.
func (v *setupView) nextKeySource() tea.Cmd {
	f := &v.fields[fPrivateKey]
	next := (keySourceIndex(f.input.Value()) + 1) % len(keySources)
	value := keySources[next].prefix
	if next == 0 {
		if saved := v.deps.Settings.PrivateKey; keySourceIndex(saved) == 0 {
			value = saved
		}
	}
	f.input.SetValue(value)
	v.msg, v.msgErr = "Private key from "+keySources[next].label, false
	return tea.Batch(v.setFocus(fPrivateKey), v.checkKey())
}

// remoteKeyCheck handles a private key kept in AWS: it says what to type,
// or schedules the check for when typing pauses. ok is false for a local key.
func (v *setupView) remoteKeyCheck(value string) (tea.Cmd, bool) {
	i := keySourceIndex(value)
	if i == 0 {
		return nil, false
	}
	f := &v.fields[fPrivateKey]
	if _, err := keys.ParseSource(value); err != nil {
		v.keyPending = false
		f.note = keySources[i].hint
		return nil, true
	}
	v.keyPending = true
	f.note = "checking in " + keySources[i].label + "…"
	seq := v.keySeq
	return tea.Tick(keyCheckDelay, func(time.Time) tea.Msg { return keyCheckDueMsg{seq: seq} }), true
}

// keyGroupAdmin is the CloudFront key group API, or nil.
func (v *setupView) keyGroupAdmin() KeyGroupAdmin {
	a, _ := v.deps.CloudFront.(KeyGroupAdmin)
	return a
}

// dirty reports whether the form holds edits not saved.
func (v *setupView) dirty() bool { return len(v.edits()) > 0 }

// pickGroup is the key group to work on: the first that holds one of ids
// (in order), else the account's only key group.
func pickGroup(groups []aws.KeyGroupInfo, ids ...string) (aws.KeyGroupInfo, error) {
	for _, id := range ids {
		for _, g := range groups {
			if id != "" && g.Has(id) {
				return g, nil
			}
		}
	}
	if len(groups) == 1 {
		return groups[0], nil
	}
	if len(groups) == 0 {
		return aws.KeyGroupInfo{}, errors.New("this account has no key group: make one with 'cfsign keys register --key-group NAME'")
	}
	return aws.KeyGroupInfo{}, errors.New("no key group holds the configured key, and there are several: use 'cfsign keys register --key-group NAME'")
}

// addToGroup adds the form's key pair ID to the key group that holds the
// saved key (the one the distribution trusts).
func (v *setupView) addToGroup() tea.Cmd {
	admin := v.keyGroupAdmin()
	if admin == nil {
		return v.fail("Add to key group: no CloudFront key group access (check the profile)")
	}
	id := v.value(fKeyPairID)
	if id == "" || v.fields[fKeyPairID].err != "" {
		return v.fail("Add to key group: register the public key first (ctrl+r) so the Key pair ID is filled")
	}
	saved := v.deps.Settings.KeyPairID
	ctx, seq := v.cf.begin("Adding " + app.Escape(id) + " to the key group…")
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		groups, err := admin.ListKeyGroups(ctx)
		if err != nil {
			return groupAddedMsg{seq: seq, id: id, err: err}
		}
		g, err := pickGroup(groups, saved, id)
		if err != nil {
			return groupAddedMsg{seq: seq, id: id, err: err}
		}
		g, changed, err := admin.AddKeyToGroup(ctx, g.ID, id)
		return groupAddedMsg{seq: seq, id: id, group: g, changed: changed, err: err}
	}
}

// loadKeyGroup lists the keys of the key group holding the form's (or the
// saved) key pair ID, with the latest expiry cfsign signed with each.
func (v *setupView) loadKeyGroup() tea.Cmd {
	rot := v.deps.Rotator
	if rot == nil {
		return v.fail("Key group: no CloudFront key group access (check the profile)")
	}
	ids := []string{v.value(fKeyPairID), v.deps.Settings.KeyPairID}
	ctx, seq := v.cf.begin("Reading the key group…")
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		rows, err := rot.KeyRows(ctx)
		if err != nil {
			return keyGroupMsg{seq: seq, err: err}
		}
		g, err := groupOf(rows, ids...)
		if err != nil {
			return keyGroupMsg{seq: seq, err: err}
		}
		var out []keyGroupRow
		for _, r := range rows {
			if r.GroupID == g.ID {
				out = append(out, keyGroupRow{id: r.ID, name: r.Name, fingerprint: r.Fingerprint, created: r.Created, latestExpiry: r.LatestExpiry})
			}
		}
		return keyGroupMsg{seq: seq, group: g, rows: out}
	}
}

// groupOf is the key group of the first of ids that is in one, else the
// account's only key group.
func groupOf(rows []app.KeyRow, ids ...string) (aws.KeyGroupInfo, error) {
	groups := map[string]aws.KeyGroupInfo{}
	for _, r := range rows {
		if r.GroupID != "" {
			g := groups[r.GroupID]
			g.ID, g.Name = r.GroupID, r.Group
			g.KeyIDs = append(g.KeyIDs, r.ID)
			groups[r.GroupID] = g
		}
	}
	list := make([]aws.KeyGroupInfo, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	return pickGroup(list, ids...)
}

// rotate runs the key rotation ('cfsign keys rotate'): a new key (a KMS
// key when the key in use is one, else a key file pair), registered, added
// to the key group, and the settings switched to it, bucket sections that
// used the old key included. The old key stays in the group, so links
// already handed out keep working.
func (v *setupView) rotate() tea.Cmd {
	rot := v.deps.Rotator
	if rot == nil {
		return v.fail("Rotate: no CloudFront key group access (check the profile)")
	}
	req := app.RotateRequest{KMS: keySourceIndex(v.value(fPrivateKey)) == 1}
	bucket := v.deps.Settings.SectionBucket()
	ctx, seq := v.cf.begin("Rotating: new key, register, add to the key group…")
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		r, err := rot.Rotate(ctx, req)
		if err != nil {
			return rotatedMsg{seq: seq, rot: r, err: err}
		}
		set, err := rot.Settings(ctx, bucket)
		return rotatedMsg{seq: seq, rot: r, settings: set, err: err}
	}
}

// updateKeys applies the answers of the key actions.
func (v *setupView) updateKeys(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case keyCheckDueMsg:
		if msg.seq != v.keySeq || !v.keyPending || v.deps.Keys == nil {
			return true, nil
		}
		return true, loadKeyCmd(v.keySeq, v.deps.Keys, v.value(fPrivateKey))
	case groupAddedMsg:
		if !v.cf.done(msg.seq) {
			return true, nil
		}
		if msg.err != nil {
			return true, v.fail("Add to key group: " + oneLine(msg.err.Error()))
		}
		how := "Added"
		if !msg.changed {
			how = "Already in"
		} else {
			v.trustedHere.id, v.trustedHere.group = msg.id, msg.group.Name
		}
		v.msg, v.msgErr = fmt.Sprintf("%s key group %s: %s (%d of %d keys). ctrl+t tests a link, ctrl+s saves",
			how, app.Escape(msg.group.Name), app.Escape(msg.id), len(msg.group.KeyIDs), aws.MaxKeysPerKeyGroup), false
		if v.groupRows != nil {
			return true, v.loadKeyGroup()
		}
		return true, nil
	case keyGroupMsg:
		if !v.cf.done(msg.seq) {
			return true, nil
		}
		if msg.err != nil {
			return true, v.fail("Key group: " + oneLine(msg.err.Error()))
		}
		v.group, v.groupRows = msg.group, msg.rows
		return true, nil
	case rotatedMsg:
		if !v.cf.done(msg.seq) {
			return true, nil
		}
		if msg.err != nil {
			return true, v.fail("Rotate: " + oneLine(msg.err.Error()))
		}
		r := msg.rot
		// The rotation saved the new key: the form shows it, and it is no
		// longer an edit.
		v.deps.Settings = msg.settings
		v.fields[fKeyPairID].input.SetValue(r.NewID)
		v.revalidate(fKeyPairID)
		v.fields[fPrivateKey].input.SetValue(r.Setting)
		v.pair, v.pem = r.Pair, r.PublicPEM
		text := fmt.Sprintf("Rotated: signing with %s (group %s, %d of %d keys); %s stays trusted until retired",
			app.Escape(r.NewID), app.Escape(r.Group.Name), len(r.Group.KeyIDs), aws.MaxKeysPerKeyGroup, app.Escape(r.OldID))
		if n := len(r.Sections); n > 0 {
			text += fmt.Sprintf("; %s now sign%s with it too", app.Count(n, "bucket section"), map[bool]string{true: "s"}[n == 1])
		}
		for _, o := range r.Overridden {
			text += "; " + o + " still overrides it"
		}
		v.msg, v.msgErr = text, len(r.Overridden) > 0
		v.group = r.Group
		cmds := []tea.Cmd{asCmd(settingsSavedMsg{settings: msg.settings, stay: true}), v.checkKey()}
		if v.groupRows != nil {
			cmds = append(cmds, v.loadKeyGroup())
		}
		return true, tea.Batch(cmds...)
	}
	return false, nil
}

// groupView shows the key group's keys once loaded (ctrl+l): what decides
// a retirement first (ID, created, signing, links valid until), then the
// fingerprint and the name, which the width may cut.
func (v *setupView) groupView() []string {
	if v.groupRows == nil {
		return nil
	}
	st := v.st
	out := []string{truncLine(st.Label.Render(fmt.Sprintf("Key group %s: %d of %d keys", app.Escape(v.group.Name), len(v.groupRows), aws.MaxKeysPerKeyGroup)), v.width)}
	signing := v.deps.Settings.KeyPairID
	for _, r := range v.groupRows {
		line := fmt.Sprintf("  %s  %s", app.Escape(r.id), r.created.UTC().Format("2006-01-02"))
		if r.id == signing {
			line += "  signing"
		}
		if !r.latestExpiry.IsZero() {
			line += "  signed until " + r.latestExpiry.UTC().Format("2006-01-02 15:04Z")
		}
		line += "  " + r.fingerprint + "  " + app.Escape(r.name)
		out = append(out, truncLine(line, v.width))
	}
	return append(out, "")
}
