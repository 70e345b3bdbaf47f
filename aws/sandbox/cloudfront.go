package sandbox

// The sandbox's CloudFront API: CloudFront's 2020-05-31 REST API for public
// keys, key groups and the sandbox's one distribution (the edge: read it,
// and update which key groups it trusts), enough for cfsign's setup flow
// and for `aws cloudfront ... --endpoint-url`. The
// distribution trusts the key groups listed in its configuration; the edge
// asks this API for their keys on every request, so an UpdateKeyGroup takes
// effect at once.
//
// Resources carry ETags, and UpdateKeyGroup, DeletePublicKey and
// DeleteKeyGroup require the current one in If-Match, as CloudFront does.
// CloudFront's limits and error codes apply: 5 public keys per key group,
// 10 public keys and 10 key groups per account, a key in a group or a group
// the distribution trusts cannot be deleted.
//
// The state lives in cloudfront.json in the data directory (memory mode
// keeps it in memory only).

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/keys"
)

// CloudFront's quotas the API enforces.
const (
	MaxKeysPerGroup  = 5
	maxPublicKeys    = 10
	maxKeyGroups     = 10
	cfAPIVersion     = "2020-05-31"
	cfNamespace      = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
	cfTimeFormat     = "2006-01-02T15:04:05.000Z"
	cloudFrontFile   = "cloudfront.json"
	sandboxGroupName = "cfsign-sandbox"
	sandboxAccountID = "000000000000"
)

// validCFName reports whether name is a valid public key or key group name:
// 1 to 128 letters, digits, hyphens and underscores. (A function, not a
// regexp: {1,128} compiles into 128 states at every cfsign start.)
func validCFName(name string) bool {
	if len(name) < 1 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// cloudFront is the API's state and handler.
type cloudFront struct {
	mu    sync.Mutex
	path  string // "" in memory mode
	st    cfState
	edge  string // the distribution's domain name: the edge's host:port, as CloudFront names a distribution without a scheme
	now   func() time.Time
	keyMu sync.Mutex
	keys  signedurl.PublicKeys // trusted keys, rebuilt on every change
}

type cfState struct {
	DistributionID string        `json:"distribution_id"`
	DistETag       string        `json:"distribution_etag"`
	Trusted        []string      `json:"trusted_key_groups"`
	PublicKeys     []cfPublicKey `json:"public_keys"`
	KeyGroups      []cfKeyGroup  `json:"key_groups"`
	// OwnKeyID is the sandbox's own key pair ID once it has been
	// registered: it is registered once per key pair, never again.
	OwnKeyID string `json:"own_key_id,omitempty"`
	// DistComment is the distribution's comment, once UpdateDistribution
	// set one.
	DistComment string    `json:"distribution_comment,omitempty"`
	DistUpdated time.Time `json:"distribution_updated,omitempty"`
}

type cfPublicKey struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Comment         string    `json:"comment"`
	EncodedKey      string    `json:"encoded_key"`
	CallerReference string    `json:"caller_reference"`
	Created         time.Time `json:"created"`
	ETag            string    `json:"etag"`
}

type cfKeyGroup struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Comment  string    `json:"comment"`
	Items    []string  `json:"items"`
	Modified time.Time `json:"modified"`
	ETag     string    `json:"etag"`
}

// newCloudFront loads (or creates) the API's state in dir. Once
// cloudfront.json exists it is the truth: the sandbox's own key, keyPairID
// with pub, is registered and trusted only when the state is created, or
// when the sandbox's key pair is new (its ID is not the one recorded). A
// key the user removed from the group or deleted stays so across restarts.
// Memory mode has no state to keep, so every start is a first one.
func newCloudFront(dir string, memory bool, keyPairID string, pub crypto.PublicKey, edgeURL string) (*cloudFront, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(edgeURL, "http://"), "https://")
	c := &cloudFront{edge: host, now: time.Now}
	existed := false
	if !memory {
		c.path = dir + string(os.PathSeparator) + cloudFrontFile
		b, err := os.ReadFile(c.path)
		switch {
		case err == nil:
			if err := json.Unmarshal(b, &c.st); err != nil {
				return nil, fmt.Errorf("read %s: %v (delete it to start the CloudFront API afresh)", c.path, err)
			}
			existed = true
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("read sandbox CloudFront state: %w", err)
		}
	}
	changed := false
	if existed && c.st.OwnKeyID == "" {
		// A state written before own_key_id was recorded: that version
		// registered the own key on every start, so if it is missing now
		// the user deleted it since. Record it as registered, not re-add it.
		c.st.OwnKeyID, changed = keyPairID, true
	}
	if c.st.DistributionID == "" {
		id, err := randomID("E", 13)
		if err != nil {
			return nil, err
		}
		c.st.DistributionID, c.st.DistETag = id, newETag()
		changed = true
	}
	if c.st.OwnKeyID != keyPairID {
		if err := c.registerOwnKey(keyPairID, pub); err != nil {
			return nil, err
		}
		c.st.OwnKeyID, changed = keyPairID, true
	}
	if changed {
		if err := c.save(); err != nil {
			return nil, err
		}
	}
	c.rebuildKeys()
	return c, nil
}

// registerOwnKey registers the sandbox's own key and adds it to the
// sandbox's key group (made, and trusted by the distribution, if missing).
func (c *cloudFront) registerOwnKey(keyPairID string, pub crypto.PublicKey) error {
	if c.publicKey(keyPairID) == nil {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return fmt.Errorf("sandbox public key: %w", err)
		}
		c.st.PublicKeys = append(c.st.PublicKeys, cfPublicKey{
			ID: keyPairID, Name: "cfsign-sandbox-" + strings.ToLower(keyPairID[len(keyPairID)-6:]), Comment: "the sandbox's own key pair",
			EncodedKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
			Created:    c.now().UTC(), ETag: newETag(), CallerReference: "cfsign-sandbox-" + keyPairID,
		})
	}
	g := c.groupByName(sandboxGroupName)
	if g == nil {
		id, err := newUUID()
		if err != nil {
			return err
		}
		c.st.KeyGroups = append(c.st.KeyGroups, cfKeyGroup{ID: id, Name: sandboxGroupName, Comment: "keys the sandbox edge trusts"})
		g = &c.st.KeyGroups[len(c.st.KeyGroups)-1]
		c.st.Trusted = append(c.st.Trusted, id)
	}
	if !slices.Contains(g.Items, keyPairID) && len(g.Items) < MaxKeysPerGroup {
		g.Items = append(g.Items, keyPairID)
		g.Modified, g.ETag = c.now().UTC(), newETag()
	}
	return nil
}

// trusted returns the public keys of the key groups the distribution trusts.
func (c *cloudFront) trusted() signedurl.PublicKeys {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	return c.keys
}

// rebuildKeys recomputes the trusted keys; called with c.mu held (or before
// the API serves).
func (c *cloudFront) rebuildKeys() {
	out := signedurl.PublicKeys{}
	for _, gid := range c.st.Trusted {
		g := c.group(gid)
		if g == nil {
			continue
		}
		for _, kid := range g.Items {
			if k := c.publicKey(kid); k != nil {
				if pub, err := keys.ParsePublic([]byte(k.EncodedKey)); err == nil {
					out[kid] = pub
				}
			}
		}
	}
	c.keyMu.Lock()
	c.keys = out
	c.keyMu.Unlock()
}

func (c *cloudFront) save() error {
	if c.path == "" {
		return nil
	}
	b, _ := json.MarshalIndent(c.st, "", "  ")
	if err := writeFile(c.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save sandbox CloudFront state: %w", err)
	}
	return nil
}

func (c *cloudFront) publicKey(id string) *cfPublicKey {
	for i := range c.st.PublicKeys {
		if c.st.PublicKeys[i].ID == id {
			return &c.st.PublicKeys[i]
		}
	}
	return nil
}

func (c *cloudFront) group(id string) *cfKeyGroup {
	for i := range c.st.KeyGroups {
		if c.st.KeyGroups[i].ID == id {
			return &c.st.KeyGroups[i]
		}
	}
	return nil
}

func (c *cloudFront) groupByName(name string) *cfKeyGroup {
	for i := range c.st.KeyGroups {
		if c.st.KeyGroups[i].Name == name {
			return &c.st.KeyGroups[i]
		}
	}
	return nil
}

// cfError is a CloudFront API error.
type cfError struct {
	status        int
	code, message string
}

func (e *cfError) Error() string { return e.code + ": " + e.message }

func cfErr(status int, code, format string, args ...any) *cfError {
	return &cfError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// ServeHTTP routes CloudFront's REST paths.
func (c *cloudFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+cfAPIVersion+"/")
	if !ok {
		cfRefuse(w, r, http.StatusNotFound, "NotFound", "unknown API path "+r.URL.Path+" (this is CloudFront's "+cfAPIVersion+" API)")
		return
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	c.mu.Lock()
	defer c.mu.Unlock()
	var (
		status = http.StatusOK
		etag   string
		body   any
		err    *cfError
	)
	route := r.Method + " " + parts[0]
	if len(parts) > 1 {
		route += " {id}"
	}
	if len(parts) > 2 {
		route += " " + parts[2]
	}
	id := ""
	if len(parts) > 1 {
		id = parts[1]
	}
	switch route {
	case "POST public-key":
		body, etag, err = c.createPublicKey(r)
		status = http.StatusCreated
	case "GET public-key":
		body, err = c.listPublicKeys(r)
	case "GET public-key {id}":
		body, etag, err = c.getPublicKey(id, false)
	case "GET public-key {id} config":
		body, etag, err = c.getPublicKey(id, true)
	case "DELETE public-key {id}":
		err = c.deletePublicKey(r, id)
		status = http.StatusNoContent
	case "POST key-group":
		body, etag, err = c.createKeyGroup(r)
		status = http.StatusCreated
	case "GET key-group":
		body, err = c.listKeyGroups(r)
	case "GET key-group {id}":
		body, etag, err = c.getKeyGroup(id, false)
	case "GET key-group {id} config":
		body, etag, err = c.getKeyGroup(id, true)
	case "PUT key-group {id}":
		body, etag, err = c.updateKeyGroup(r, id)
	case "DELETE key-group {id}":
		err = c.deleteKeyGroup(r, id)
		status = http.StatusNoContent
	case "GET distribution":
		body = c.listDistributions()
	case "GET distribution {id}":
		body, etag, err = c.getDistribution(id, false)
	case "GET distribution {id} config":
		body, etag, err = c.getDistribution(id, true)
	case "PUT distribution {id} config":
		body, etag, err = c.updateDistribution(r, id)
	default:
		err = cfErr(http.StatusNotImplemented, "NotImplemented", "the sandbox's CloudFront API does not implement %s %s (it serves public keys, key groups, and reading and updating its one distribution)", r.Method, r.URL.Path)
	}
	if err != nil {
		cfRefuse(w, r, err.status, err.code, err.message)
		return
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	out, merr := xml.Marshal(body)
	if merr != nil {
		cfRefuse(w, r, http.StatusInternalServerError, "InternalError", merr.Error())
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	if status == http.StatusCreated {
		w.Header().Set("Location", "http://"+r.Host+r.URL.Path+"/"+createdID(body))
	}
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(out)
}

func createdID(body any) string {
	switch b := body.(type) {
	case *xmlPublicKey:
		return b.ID
	case *xmlKeyGroup:
		return b.ID
	}
	return ""
}

// cfRefuse writes CloudFront's error document.
func cfRefuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	type xmlErr struct {
		Type    string
		Code    string
		Message string
	}
	type errResp struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     xmlErr
		RequestID string `xml:"RequestId"`
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	out, _ := xml.Marshal(errResp{Xmlns: cfNamespace, Error: xmlErr{typ, code, msg}, RequestID: "cfsign-sandbox"})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, xml.Header)
		w.Write(out)
	}
}

// --- XML shapes (the elements the AWS SDKs read) ---------------------------

type xmlPublicKeyConfig struct {
	XMLName         xml.Name `xml:"PublicKeyConfig"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	CallerReference string
	Name            string
	EncodedKey      string
	Comment         string `xml:",omitempty"`
}

type xmlPublicKey struct {
	XMLName     xml.Name `xml:"PublicKey"`
	Xmlns       string   `xml:"xmlns,attr"`
	ID          string   `xml:"Id"`
	CreatedTime string
	Config      xmlPublicKeyConfig
}

type xmlPublicKeySummary struct {
	ID          string `xml:"Id"`
	Name        string
	CreatedTime string
	EncodedKey  string
	Comment     string `xml:",omitempty"`
}

type xmlPublicKeyList struct {
	XMLName    xml.Name `xml:"PublicKeyList"`
	Xmlns      string   `xml:"xmlns,attr"`
	NextMarker string   `xml:",omitempty"`
	MaxItems   int
	Quantity   int
	Items      []xmlPublicKeySummary `xml:"Items>PublicKeySummary"`
}

type xmlKeyGroupConfig struct {
	XMLName xml.Name `xml:"KeyGroupConfig"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Name    string
	Items   []string `xml:"Items>PublicKey"`
	Comment string   `xml:",omitempty"`
}

type xmlKeyGroup struct {
	XMLName          xml.Name `xml:"KeyGroup"`
	Xmlns            string   `xml:"xmlns,attr,omitempty"`
	ID               string   `xml:"Id"`
	LastModifiedTime string
	Config           xmlKeyGroupConfig
}

type xmlKeyGroupList struct {
	XMLName    xml.Name `xml:"KeyGroupList"`
	Xmlns      string   `xml:"xmlns,attr"`
	NextMarker string   `xml:",omitempty"`
	MaxItems   int
	Quantity   int
	Items      []xmlKeyGroup `xml:"Items>KeyGroupSummary>KeyGroup"`
}

func (k *cfPublicKey) xml(withNS bool) *xmlPublicKey {
	out := &xmlPublicKey{ID: k.ID, CreatedTime: k.Created.UTC().Format(cfTimeFormat),
		Config: xmlPublicKeyConfig{CallerReference: k.CallerReference, Name: k.Name, EncodedKey: k.EncodedKey, Comment: k.Comment}}
	if withNS {
		out.Xmlns = cfNamespace
	}
	return out
}

func (g *cfKeyGroup) xml(withNS bool) *xmlKeyGroup {
	out := &xmlKeyGroup{ID: g.ID, LastModifiedTime: g.Modified.UTC().Format(cfTimeFormat),
		Config: xmlKeyGroupConfig{Name: g.Name, Items: slices.Clone(g.Items), Comment: g.Comment}}
	if withNS {
		out.Xmlns = cfNamespace
	}
	return out
}

// --- public keys ------------------------------------------------------------

func readXML(r *http.Request, v any) *cfError {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxSignedBody))
	if err != nil {
		return cfErr(http.StatusBadRequest, "MalformedInput", "could not read the request body: %v", err)
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return cfErr(http.StatusBadRequest, "MalformedInput", "the request body is not valid XML for this operation: %v", err)
	}
	return nil
}

func (c *cloudFront) createPublicKey(r *http.Request) (*xmlPublicKey, string, *cfError) {
	var cfg xmlPublicKeyConfig
	if err := readXML(r, &cfg); err != nil {
		return nil, "", err
	}
	if cfg.CallerReference == "" || cfg.Name == "" || cfg.EncodedKey == "" {
		return nil, "", cfErr(http.StatusBadRequest, "InvalidArgument", "CallerReference, Name and EncodedKey are required")
	}
	if !validCFName(cfg.Name) {
		return nil, "", cfErr(http.StatusBadRequest, "InvalidArgument", "the public key name %q may hold only letters, digits, - and _ (1-128)", cfg.Name)
	}
	if err := checkEncodedKey(cfg.EncodedKey); err != nil {
		return nil, "", err
	}
	for i := range c.st.PublicKeys {
		k := &c.st.PublicKeys[i]
		if k.CallerReference == cfg.CallerReference {
			if k.Name == cfg.Name && k.EncodedKey == cfg.EncodedKey && k.Comment == cfg.Comment {
				return k.xml(true), k.ETag, nil // a retried request
			}
			return nil, "", cfErr(http.StatusConflict, "PublicKeyAlreadyExists", "a public key with the same caller reference already exists")
		}
		if k.Name == cfg.Name {
			return nil, "", cfErr(http.StatusConflict, "PublicKeyAlreadyExists", "a public key named %s already exists", cfg.Name)
		}
	}
	if len(c.st.PublicKeys) >= maxPublicKeys {
		return nil, "", cfErr(http.StatusBadRequest, "TooManyPublicKeys", "the maximum number of public keys for this account (%d) has been reached", maxPublicKeys)
	}
	id, err := randomID("K", 13)
	if err != nil {
		return nil, "", cfErr(http.StatusInternalServerError, "InternalError", "%v", err)
	}
	k := cfPublicKey{ID: id, Name: cfg.Name, Comment: cfg.Comment, EncodedKey: cfg.EncodedKey,
		CallerReference: cfg.CallerReference, Created: c.now().UTC(), ETag: newETag()}
	c.st.PublicKeys = append(c.st.PublicKeys, k)
	if err := c.commit(); err != nil {
		return nil, "", err
	}
	return k.xml(true), k.ETag, nil
}

// checkEncodedKey accepts what CloudFront accepts: a PEM RSA 2048-bit or
// ECDSA P-256 public key.
func checkEncodedKey(encoded string) *cfError {
	pub, err := keys.ParsePublic([]byte(encoded))
	if err != nil {
		return cfErr(http.StatusBadRequest, "InvalidArgument", "EncodedKey is not a PEM public key: %v", err)
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() != 2048 {
			return cfErr(http.StatusBadRequest, "InvalidArgument", "RSA public keys must be 2048 bits, not %d", p.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return cfErr(http.StatusBadRequest, "InvalidArgument", "ECDSA public keys must use curve P-256")
		}
	default:
		return cfErr(http.StatusBadRequest, "InvalidArgument", "public keys must be RSA 2048 or ECDSA P-256")
	}
	return nil
}

// commit saves the state and refreshes the edge's trusted keys.
func (c *cloudFront) commit() *cfError {
	c.rebuildKeys()
	if err := c.save(); err != nil {
		return cfErr(http.StatusInternalServerError, "InternalError", "%v", err)
	}
	return nil
}

// page applies Marker and MaxItems to n items: the slice bounds and the next marker.
func page(r *http.Request, n int) (from, to, maxItems int, next string, err *cfError) {
	maxItems = 100
	if v := r.URL.Query().Get("MaxItems"); v != "" {
		m, perr := strconv.Atoi(v)
		if perr != nil || m < 0 {
			return 0, 0, 0, "", cfErr(http.StatusBadRequest, "InvalidArgument", "MaxItems must be a non-negative number")
		}
		maxItems = m
	}
	if v := r.URL.Query().Get("Marker"); v != "" {
		m, perr := strconv.Atoi(v)
		if perr != nil || m < 0 || m > n {
			return 0, 0, 0, "", cfErr(http.StatusBadRequest, "InvalidArgument", "Marker is not one this API returned")
		}
		from = m
	}
	to = min(n, from+maxItems)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, maxItems, next, nil
}

func (c *cloudFront) listPublicKeys(r *http.Request) (*xmlPublicKeyList, *cfError) {
	from, to, maxItems, next, err := page(r, len(c.st.PublicKeys))
	if err != nil {
		return nil, err
	}
	out := &xmlPublicKeyList{Xmlns: cfNamespace, MaxItems: maxItems, NextMarker: next}
	for _, k := range c.st.PublicKeys[from:to] {
		out.Items = append(out.Items, xmlPublicKeySummary{ID: k.ID, Name: k.Name, Comment: k.Comment,
			CreatedTime: k.Created.UTC().Format(cfTimeFormat), EncodedKey: k.EncodedKey})
	}
	out.Quantity = len(out.Items)
	return out, nil
}

func (c *cloudFront) getPublicKey(id string, configOnly bool) (any, string, *cfError) {
	k := c.publicKey(id)
	if k == nil {
		return nil, "", cfErr(http.StatusNotFound, "NoSuchPublicKey", "the specified public key %s does not exist", id)
	}
	if configOnly {
		cfg := k.xml(false).Config
		cfg.Xmlns = cfNamespace
		return &cfg, k.ETag, nil
	}
	return k.xml(true), k.ETag, nil
}

// ifMatch checks the If-Match header against the resource's ETag.
func ifMatch(r *http.Request, etag string) *cfError {
	v := r.Header.Get("If-Match")
	if v == "" {
		return cfErr(http.StatusBadRequest, "InvalidIfMatchVersion", "the If-Match version is missing or not valid for the resource")
	}
	if v != etag {
		return cfErr(http.StatusPreconditionFailed, "PreconditionFailed", "the If-Match version is missing or not valid for the resource")
	}
	return nil
}

func (c *cloudFront) deletePublicKey(r *http.Request, id string) *cfError {
	k := c.publicKey(id)
	if k == nil {
		return cfErr(http.StatusNotFound, "NoSuchPublicKey", "the specified public key %s does not exist", id)
	}
	if err := ifMatch(r, k.ETag); err != nil {
		return err
	}
	for _, g := range c.st.KeyGroups {
		if slices.Contains(g.Items, id) {
			return cfErr(http.StatusConflict, "PublicKeyInUse", "the public key %s is in key group %s (%s); remove it from the group first", id, g.Name, g.ID)
		}
	}
	c.st.PublicKeys = slices.DeleteFunc(c.st.PublicKeys, func(k cfPublicKey) bool { return k.ID == id })
	return c.commit()
}

// --- key groups ----------------------------------------------------------------

// checkGroup validates a key group configuration; self is the group being
// updated ("" when creating).
func (c *cloudFront) checkGroup(cfg xmlKeyGroupConfig, self string) *cfError {
	if cfg.Name == "" || !validCFName(cfg.Name) {
		return cfErr(http.StatusBadRequest, "InvalidArgument", "the key group name %q may hold only letters, digits, - and _ (1-128)", cfg.Name)
	}
	if len(cfg.Items) == 0 {
		return cfErr(http.StatusBadRequest, "InvalidArgument", "a key group needs at least one public key")
	}
	if len(cfg.Items) > MaxKeysPerGroup {
		return cfErr(http.StatusBadRequest, "TooManyPublicKeysInKeyGroup", "the number of public keys in this key group is more than the maximum allowed (%d)", MaxKeysPerGroup)
	}
	seen := map[string]bool{}
	for _, id := range cfg.Items {
		if c.publicKey(id) == nil {
			return cfErr(http.StatusNotFound, "NoSuchPublicKey", "the specified public key %s does not exist", id)
		}
		if seen[id] {
			return cfErr(http.StatusBadRequest, "InvalidArgument", "the public key %s is listed twice", id)
		}
		seen[id] = true
	}
	if g := c.groupByName(cfg.Name); g != nil && g.ID != self {
		return cfErr(http.StatusConflict, "KeyGroupAlreadyExists", "a key group named %s already exists", cfg.Name)
	}
	return nil
}

func (c *cloudFront) createKeyGroup(r *http.Request) (*xmlKeyGroup, string, *cfError) {
	var cfg xmlKeyGroupConfig
	if err := readXML(r, &cfg); err != nil {
		return nil, "", err
	}
	if err := c.checkGroup(cfg, ""); err != nil {
		return nil, "", err
	}
	if len(c.st.KeyGroups) >= maxKeyGroups {
		return nil, "", cfErr(http.StatusBadRequest, "TooManyKeyGroups", "the maximum number of key groups for this account (%d) has been reached", maxKeyGroups)
	}
	id, err := newUUID()
	if err != nil {
		return nil, "", cfErr(http.StatusInternalServerError, "InternalError", "%v", err)
	}
	g := cfKeyGroup{ID: id, Name: cfg.Name, Comment: cfg.Comment, Items: cfg.Items, Modified: c.now().UTC(), ETag: newETag()}
	c.st.KeyGroups = append(c.st.KeyGroups, g)
	if err := c.commit(); err != nil {
		return nil, "", err
	}
	return g.xml(true), g.ETag, nil
}

func (c *cloudFront) listKeyGroups(r *http.Request) (*xmlKeyGroupList, *cfError) {
	from, to, maxItems, next, err := page(r, len(c.st.KeyGroups))
	if err != nil {
		return nil, err
	}
	out := &xmlKeyGroupList{Xmlns: cfNamespace, MaxItems: maxItems, NextMarker: next}
	for _, g := range c.st.KeyGroups[from:to] {
		out.Items = append(out.Items, *g.xml(false))
	}
	out.Quantity = len(out.Items)
	return out, nil
}

func (c *cloudFront) getKeyGroup(id string, configOnly bool) (any, string, *cfError) {
	g := c.group(id)
	if g == nil {
		return nil, "", cfErr(http.StatusNotFound, "NoSuchResource", "the specified key group %s does not exist", id)
	}
	if configOnly {
		cfg := g.xml(false).Config
		cfg.Xmlns = cfNamespace
		return &cfg, g.ETag, nil
	}
	return g.xml(true), g.ETag, nil
}

func (c *cloudFront) updateKeyGroup(r *http.Request, id string) (*xmlKeyGroup, string, *cfError) {
	g := c.group(id)
	if g == nil {
		return nil, "", cfErr(http.StatusNotFound, "NoSuchResource", "the specified key group %s does not exist", id)
	}
	if err := ifMatch(r, g.ETag); err != nil {
		return nil, "", err
	}
	var cfg xmlKeyGroupConfig
	if err := readXML(r, &cfg); err != nil {
		return nil, "", err
	}
	if err := c.checkGroup(cfg, id); err != nil {
		return nil, "", err
	}
	g.Name, g.Comment, g.Items = cfg.Name, cfg.Comment, cfg.Items
	g.Modified, g.ETag = c.now().UTC(), newETag()
	if err := c.commit(); err != nil {
		return nil, "", err
	}
	return g.xml(true), g.ETag, nil
}

func (c *cloudFront) deleteKeyGroup(r *http.Request, id string) *cfError {
	g := c.group(id)
	if g == nil {
		return cfErr(http.StatusNotFound, "NoSuchResource", "the specified key group %s does not exist", id)
	}
	if err := ifMatch(r, g.ETag); err != nil {
		return err
	}
	if slices.Contains(c.st.Trusted, id) {
		return cfErr(http.StatusConflict, "ResourceInUse", "the key group %s is trusted by distribution %s", id, c.st.DistributionID)
	}
	c.st.KeyGroups = slices.DeleteFunc(c.st.KeyGroups, func(g cfKeyGroup) bool { return g.ID == id })
	return c.commit()
}

// --- the distribution ------------------------------------------------------------

type xmlTrustedKeyGroups struct {
	Enabled  bool
	Quantity int
	Items    []string `xml:"Items>KeyGroup,omitempty"`
}

type xmlMethods struct {
	Quantity      int
	Items         []string `xml:"Items>Method"`
	CachedMethods struct {
		Quantity int
		Items    []string `xml:"Items>Method"`
	}
}

type xmlCacheBehavior struct {
	TargetOriginID string `xml:"TargetOriginId"`
	TrustedSigners struct {
		Enabled  bool
		Quantity int
	}
	TrustedKeyGroups xmlTrustedKeyGroups
	ViewerProtocol   string `xml:"ViewerProtocolPolicy"`
	AllowedMethods   xmlMethods
	Compress         bool
	CachePolicyID    string `xml:"CachePolicyId"`
}

type xmlOrigin struct {
	ID                    string `xml:"Id"`
	DomainName            string
	OriginPath            string
	CustomHeaders         struct{ Quantity int }
	S3OriginConfig        struct{ OriginAccessIdentity string }
	OriginAccessControlID string `xml:"OriginAccessControlId"`
}

type xmlDistributionConfig struct {
	XMLName           xml.Name `xml:"DistributionConfig"`
	Xmlns             string   `xml:"xmlns,attr,omitempty"`
	CallerReference   string
	Aliases           struct{ Quantity int }
	DefaultRootObject string
	Origins           struct {
		Quantity int
		Items    []xmlOrigin `xml:"Items>Origin"`
	}
	DefaultCacheBehavior xmlCacheBehavior
	CacheBehaviors       struct{ Quantity int }
	Comment              string
	PriceClass           string
	Enabled              bool
	HTTPVersion          string `xml:"HttpVersion"`
	IsIPV6Enabled        bool
}

type xmlDistribution struct {
	XMLName                       xml.Name `xml:"Distribution"`
	Xmlns                         string   `xml:"xmlns,attr"`
	ID                            string   `xml:"Id"`
	ARN                           string
	Status                        string
	LastModifiedTime              string
	InProgressInvalidationBatches int
	DomainName                    string
	ActiveTrustedSigners          struct {
		Enabled  bool
		Quantity int
	}
	ActiveTrustedKeyGroups xmlActiveKeyGroups
	Config                 xmlDistributionConfig
}

// xmlActiveKeyGroups are the key groups the distribution trusts with the
// key pair IDs in each that CloudFront can use to verify signatures.
type xmlActiveKeyGroups struct {
	Enabled  bool
	Quantity int
	Items    []xmlKGKeyPairIDs `xml:"Items>KeyGroup,omitempty"`
}

type xmlKGKeyPairIDs struct {
	KeyGroupID string `xml:"KeyGroupId"`
	KeyPairIDs struct {
		Quantity int
		Items    []string `xml:"Items>KeyPairId,omitempty"`
	} `xml:"KeyPairIds"`
}

type xmlDistributionSummary struct {
	ID               string `xml:"Id"`
	ARN              string
	ETag             string
	Status           string
	LastModifiedTime string
	DomainName       string
	Aliases          struct{ Quantity int }
	Origins          struct {
		Quantity int
		Items    []xmlOrigin `xml:"Items>Origin"`
	}
	DefaultCacheBehavior xmlCacheBehavior
	CacheBehaviors       struct{ Quantity int }
	Comment              string
	PriceClass           string
	Enabled              bool
	HTTPVersion          string `xml:"HttpVersion"`
	IsIPV6Enabled        bool
	Staging              bool
}

type xmlDistributionList struct {
	XMLName     xml.Name `xml:"DistributionList"`
	Xmlns       string   `xml:"xmlns,attr"`
	Marker      string
	MaxItems    int
	IsTruncated bool
	Quantity    int
	Items       []xmlDistributionSummary `xml:"Items>DistributionSummary"`
}

// originDomain is the S3 origin as CloudFront would name it, so tools that
// read a bucket out of an origin (cfsign's CheckDistribution) find it.
const originDomain = Bucket + ".s3." + Region + ".amazonaws.com"

func (c *cloudFront) distConfig() xmlDistributionConfig {
	var cfg xmlDistributionConfig
	cfg.CallerReference = "cfsign-sandbox"
	cfg.Origins.Quantity = 1
	cfg.Origins.Items = []xmlOrigin{{ID: originDomain, DomainName: originDomain, OriginAccessControlID: "E" + strings.Repeat("0", 13)}}
	b := &cfg.DefaultCacheBehavior
	b.TargetOriginID = originDomain
	b.TrustedKeyGroups = xmlTrustedKeyGroups{Enabled: len(c.st.Trusted) > 0, Quantity: len(c.st.Trusted), Items: slices.Clone(c.st.Trusted)}
	b.ViewerProtocol = "allow-all"
	b.AllowedMethods.Quantity, b.AllowedMethods.Items = 2, []string{"HEAD", "GET"}
	b.AllowedMethods.CachedMethods.Quantity, b.AllowedMethods.CachedMethods.Items = 2, []string{"HEAD", "GET"}
	b.CachePolicyID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cfg.Comment = "cfsign sandbox edge"
	if c.st.DistComment != "" {
		cfg.Comment = c.st.DistComment
	}
	cfg.PriceClass = "PriceClass_All"
	cfg.Enabled = true
	cfg.HTTPVersion = "http1.1"
	return cfg
}

func (c *cloudFront) distARN() string {
	return "arn:aws:cloudfront::" + sandboxAccountID + ":distribution/" + c.st.DistributionID
}

func (c *cloudFront) getDistribution(id string, configOnly bool) (any, string, *cfError) {
	if id != c.st.DistributionID {
		return nil, "", cfErr(http.StatusNotFound, "NoSuchDistribution", "the specified distribution %s does not exist (the sandbox has one: %s)", id, c.st.DistributionID)
	}
	cfg := c.distConfig()
	if configOnly {
		cfg.Xmlns = cfNamespace
		return &cfg, c.st.DistETag, nil
	}
	return c.distribution(cfg), c.st.DistETag, nil
}

// distribution is the Distribution element of the API's answers.
func (c *cloudFront) distribution(cfg xmlDistributionConfig) *xmlDistribution {
	d := &xmlDistribution{Xmlns: cfNamespace, ID: c.st.DistributionID, ARN: c.distARN(), Status: "Deployed",
		LastModifiedTime: c.modified().Format(cfTimeFormat), DomainName: c.edge, Config: cfg}
	for _, gid := range c.st.Trusted {
		g := c.group(gid)
		if g == nil {
			continue
		}
		item := xmlKGKeyPairIDs{KeyGroupID: gid}
		item.KeyPairIDs.Items = slices.Clone(g.Items)
		item.KeyPairIDs.Quantity = len(g.Items)
		d.ActiveTrustedKeyGroups.Items = append(d.ActiveTrustedKeyGroups.Items, item)
	}
	d.ActiveTrustedKeyGroups.Quantity = len(d.ActiveTrustedKeyGroups.Items)
	d.ActiveTrustedKeyGroups.Enabled = d.ActiveTrustedKeyGroups.Quantity > 0
	return d
}

// modified is when the distribution last changed, as far as the API knows.
func (c *cloudFront) modified() time.Time {
	if !c.st.DistUpdated.IsZero() {
		return c.st.DistUpdated.UTC()
	}
	return c.now().UTC()
}

// maxKeyGroupsPerDistribution is CloudFront's quota of key groups one
// distribution may trust.
const maxKeyGroupsPerDistribution = 4

// updateDistribution answers UpdateDistribution for what the sandbox's edge
// can follow: which key groups its cache behaviour trusts (at once, as
// UpdateKeyGroup), and the comment. The origin must stay the sandbox's
// bucket, and the edge serves signed requests only, so at least one key
// group stays trusted and the distribution stays enabled.
func (c *cloudFront) updateDistribution(r *http.Request, id string) (*xmlDistribution, string, *cfError) {
	if id != c.st.DistributionID {
		return nil, "", cfErr(http.StatusNotFound, "NoSuchDistribution", "the specified distribution %s does not exist (the sandbox has one: %s)", id, c.st.DistributionID)
	}
	if err := ifMatch(r, c.st.DistETag); err != nil {
		return nil, "", err
	}
	var cfg xmlDistributionConfig
	if err := readXML(r, &cfg); err != nil {
		return nil, "", err
	}
	if cfg.CallerReference != c.distConfig().CallerReference {
		return nil, "", cfErr(http.StatusBadRequest, "IllegalUpdate", "the CallerReference of a distribution cannot change")
	}
	for _, o := range cfg.Origins.Items {
		if o.DomainName != originDomain {
			return nil, "", cfErr(http.StatusBadRequest, "IllegalUpdate", "the sandbox's distribution serves its own bucket (%s); origin %s cannot be added", originDomain, o.DomainName)
		}
	}
	if !cfg.Enabled {
		return nil, "", cfErr(http.StatusBadRequest, "InvalidArgument", "the sandbox's distribution cannot be disabled")
	}
	tkg := cfg.DefaultCacheBehavior.TrustedKeyGroups
	if !tkg.Enabled || len(tkg.Items) == 0 {
		return nil, "", cfErr(http.StatusBadRequest, "InvalidArgument", "the sandbox's edge serves signed requests only: its cache behaviour must trust at least one key group")
	}
	if tkg.Quantity != len(tkg.Items) {
		return nil, "", cfErr(http.StatusBadRequest, "InvalidArgument", "TrustedKeyGroups Quantity %d does not match its %d items", tkg.Quantity, len(tkg.Items))
	}
	if len(tkg.Items) > maxKeyGroupsPerDistribution {
		return nil, "", cfErr(http.StatusBadRequest, "TooManyKeyGroupsAssociatedToDistribution", "the number of key groups associated with the distribution is more than the maximum allowed (%d)", maxKeyGroupsPerDistribution)
	}
	seen := map[string]bool{}
	for _, gid := range tkg.Items {
		if c.group(gid) == nil {
			return nil, "", cfErr(http.StatusBadRequest, "TrustedKeyGroupDoesNotExist", "the specified key group %s does not exist", gid)
		}
		if seen[gid] {
			return nil, "", cfErr(http.StatusBadRequest, "InvalidArgument", "the key group %s is listed twice", gid)
		}
		seen[gid] = true
	}
	c.st.Trusted = slices.Clone(tkg.Items)
	c.st.DistComment = cfg.Comment
	c.st.DistETag, c.st.DistUpdated = newETag(), c.now().UTC()
	if err := c.commit(); err != nil {
		return nil, "", err
	}
	return c.distribution(c.distConfig()), c.st.DistETag, nil
}

func (c *cloudFront) listDistributions() *xmlDistributionList {
	cfg := c.distConfig()
	s := xmlDistributionSummary{ID: c.st.DistributionID, ARN: c.distARN(), ETag: c.st.DistETag, Status: "Deployed",
		LastModifiedTime: c.modified().Format(cfTimeFormat), DomainName: c.edge, Origins: cfg.Origins,
		DefaultCacheBehavior: cfg.DefaultCacheBehavior, Comment: cfg.Comment, PriceClass: cfg.PriceClass,
		Enabled: true, HTTPVersion: cfg.HTTPVersion}
	return &xmlDistributionList{Xmlns: cfNamespace, MaxItems: 100, Quantity: 1, Items: []xmlDistributionSummary{s}}
}

// --- identifiers -------------------------------------------------------------------

func newETag() string {
	id, err := randomID("E", 13)
	if err != nil {
		return "E" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return id
}

// newUUID is a random (version 4) UUID, as CloudFront gives key groups.
func newUUID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
