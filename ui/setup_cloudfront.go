// The setup screen's CloudFront actions: register the public key, pick a
// distribution, test a link; one request at a time, cancelled by esc.
package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/doctor"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/keys"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

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
		seq     int
		url     string
		diag    doctor.Diagnosis
		refusal string // on the sandbox: the edge's check that failed
		err     error
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
	refusal  string
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

// register uploads the public key (the generated one, or the one of the
// private key in the form) and fills the key pair ID.
func (c *setupCloudFront) register(v *setupView) tea.Cmd {
	admin := v.deps.CloudFront
	if admin == nil {
		return v.fail("Register public key: no CloudFront access (check the profile)")
	}
	pemText, path, km := []byte(v.pem), v.value(fPrivateKey), v.deps.Keys
	if len(pemText) == 0 && (path == "" || km == nil) {
		return v.fail("Register public key: generate a key pair (ctrl+g) or fill in the private key first")
	}
	ctx, seq := c.begin("Registering the public key with CloudFront…")
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		if len(pemText) == 0 {
			priv, _, err := km.LoadKey(ctx, path, "the Private key field")
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
	case v.deps.Signers == nil:
		return v.fail("Test link: signing is not available in this build")
	}
	for _, i := range []int{fDomain, fOrigin, fKeyPairID} {
		if v.fields[i].err != "" {
			return v.fail("Test link: fix " + v.fields[i].label + " first")
		}
	}
	signers, diagnose, logs := v.deps.Signers, c.diagnose, v.deps.SandboxLog
	if diagnose == nil {
		diagnose = doctor.Diagnose
	}
	t, err := v.deps.Settings.Target()
	if err == nil {
		t.Domain, t.OriginPath = v.value(fDomain), v.value(fOrigin)
		t, err = t.WithKey(v.value(fKeyPairID), v.value(fPrivateKey), "the Private key field", v.deps.Settings.Hash != "")
	}
	if err != nil {
		return v.fail("Test link: " + oneLine(err.Error()))
	}
	now := v.now()
	ctx, seq := c.begin("Testing a link to " + app.Escape(object) + "…")
	c.diag, c.diagURL, c.refusal = nil, "", ""
	v.msg, v.msgErr = "", false
	return func() tea.Msg {
		signer, err := signers.Signer(ctx, t)
		if err != nil {
			return testLinkMsg{seq: seq, err: fmt.Errorf("load signing key: %w", err)}
		}
		raw, err := t.ObjectURL(object)
		if err != nil {
			return testLinkMsg{seq: seq, err: err}
		}
		signed, err := signer.SignURL(raw, signedurl.PolicyOptions{Expires: now.Add(testLinkTTL)}, now)
		if err != nil {
			return testLinkMsg{seq: seq, err: err}
		}
		d, err := diagnose(ctx, signed, doctor.Options{Now: now})
		msg := testLinkMsg{seq: seq, url: raw, diag: d, err: err}
		if err == nil && !d.OK && logs != nil {
			msg.refusal, _ = logs.EdgeRefusal(ctx, d.RequestID)
		}
		return msg
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
		v.msg, v.msgErr = fmt.Sprintf("%s: key pair ID %s. Add it to a key group your distribution trusts (ctrl+x), then ctrl+s", how, app.Escape(msg.id)), false
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
		c.diag, c.diagURL, c.refusal = &d, msg.url, msg.refusal
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
	v.msg, v.msgErr = "Using distribution "+app.Escape(d.ID)+" ("+app.Escape(d.DomainName)+"): ctrl+s saves", false
}

func (c *setupCloudFront) help(v *setupView) []key.Binding {
	k := v.keys
	k.Register.SetEnabled(v.deps.CloudFront != nil)
	k.PickDist.SetEnabled(v.deps.CloudFront != nil)
	k.TestLink.SetEnabled(v.deps.Signers != nil)
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
		line := app.Escape(d.ID) + "  " + app.Escape(d.DomainName)
		if len(d.Aliases) > 0 {
			line += "  (" + app.Escape(strings.Join(d.Aliases, ", ")) + ")"
		}
		if o := distOrigin(d, bucket); o != nil {
			line += "  ← " + app.Escape(o.Bucket) + app.Escape(o.OriginPath)
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
			out = append(out, truncLine(st.OK.Render(fmt.Sprintf("✓ Test link: %d from %s", d.Status, app.Escape(c.diagURL))), v.width))
		} else {
			head := fmt.Sprintf("✗ Test link: %d %s", d.Status, d.Code)
			if d.Status == 0 {
				head = "✗ Test link: no response"
			}
			out = append(out, truncLine(st.Error.Render(oneLine(head)), v.width))
			if c.refusal != "" {
				out = append(out, truncLine("  sandbox edge"+st.Muted.Render(" (L: log)")+": "+oneLine(c.refusal), v.width))
			}
			for _, l := range []string{d.Cause, d.Fix, d.Message} {
				if l != "" {
					out = append(out, truncLine("  "+oneLine(l), v.width))
				}
			}
		}
	}
	return out
}
