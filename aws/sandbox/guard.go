package sandbox

import (
	"crypto/subtle"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox/s3server"
)

// guard is the front door of each sandbox server. Browsers are the threat:
// any web page can send requests to 127.0.0.1, and through DNS rebinding
// read the answers. So a request must name the server by an address it
// listens on (Host), may use CORS only from an origin the user configured,
// and, on the S3 server and the CloudFront API, must carry a valid SigV4
// signature made with the sandbox's credentials.
type guard struct {
	next   http.Handler
	port   string          // the port the server listens on
	hosts  map[string]bool // host names (no port) it answers to; nil means any IP literal or localhost
	extra  *hostSet        // host:port values allowed besides (a proxy's, a port mapping's)
	origin string          // the one CORS origin allowed; "" allows none
	auth   *account        // nil: no signature needed (the edge checks CloudFront signatures itself)
	health string          // answered unsigned at healthPath; "" for none
	leases *leases         // served at leasePath to who knows health; nil for none
	// formUploads lets browser form uploads through unsigned (see isFormUpload).
	formUploads bool
	now         func() time.Time
	// refuse writes an error in the server's own format.
	refuse func(w http.ResponseWriter, r *http.Request, status int, code, msg string)
}

// newGuard guards next, served on l. The accepted hosts follow the listen
// address: a loopback address answers to itself and "localhost"; an
// unspecified one (0.0.0.0, ::) to any IP address and "localhost", never to a
// DNS name, which is what rebinding needs.
func newGuard(next http.Handler, l net.Addr, extra *hostSet, origin string, auth *account, refuse func(http.ResponseWriter, *http.Request, int, string, string)) *guard {
	g := &guard{next: next, extra: extra, origin: origin, auth: auth, now: time.Now, refuse: refuse}
	ta, _ := l.(*net.TCPAddr)
	if ta == nil {
		return g
	}
	g.port = strconv.Itoa(ta.Port)
	if !ta.IP.IsUnspecified() {
		g.hosts = map[string]bool{ta.IP.String(): true}
		if ta.IP.IsLoopback() {
			g.hosts["localhost"] = true
		}
	}
	return g
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hostOK(r.Host) {
		g.refuse(w, r, http.StatusBadRequest, "InvalidHostHeader",
			"The Host header "+strconv.Quote(r.Host)+" does not name this sandbox server (use its address, 127.0.0.1:"+g.port+").")
		return
	}
	if g.health != "" && r.URL.Path == healthPath && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, g.health)
		return
	}
	if g.leases != nil && r.URL.Path == leasePath && r.Method == http.MethodGet {
		// The token is in running.json (0600): only the user's own
		// processes know it, not a web page.
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("instance")), []byte(g.health)) != 1 {
			http.Error(w, "wrong instance", http.StatusForbidden)
			return
		}
		g.leases.serve(w, r)
		return
	}
	origin := r.Header.Get("Origin")
	corsOK := origin != "" && g.origin != "" && origin == g.origin
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if !corsOK {
			g.refuse(w, r, http.StatusForbidden, "AccessForbidden", "CORSResponse: CORS is not enabled for this origin (cfsign sandbox --cors-origin ORIGIN allows one).")
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Expose-Headers", "ETag")
		h.Set("Access-Control-Max-Age", "600")
		h.Add("Vary", "Origin")
		w.WriteHeader(http.StatusOK)
		return
	}
	if g.auth != nil && !(g.formUploads && isFormUpload(r)) {
		if aerr := g.auth.verify(r, g.now()); aerr != nil {
			g.refuse(w, r, aerr.status, aerr.code, aerr.message)
			return
		}
	}
	w = &corsWriter{ResponseWriter: w, origin: origin, allow: corsOK}
	g.next.ServeHTTP(w, r)
}

// withFormUploads lets browser form uploads (POST of a form to a bucket)
// through unsigned: their signature is in the form, which the S3 server
// checks.
func (g *guard) withFormUploads() *guard {
	g.formUploads = true
	return g
}

// isFormUpload reports whether r is a browser form upload: a POST of
// multipart/form-data to a bucket, with no signature of its own.
func isFormUpload(r *http.Request) bool {
	bucket := strings.TrimPrefix(r.URL.Path, "/")
	return r.Method == http.MethodPost && bucket != "" && !strings.Contains(bucket, "/") && r.URL.RawQuery == "" &&
		r.Header.Get("Authorization") == "" && strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data")
}

// withHealth makes the guard answer the liveness check with token, and
// hold leases (see lifetime.go) for whoever sends it back.
func (g *guard) withHealth(token string, l *leases) *guard {
	g.health, g.leases = token, l
	return g
}

func (g *guard) hostOK(host string) bool {
	if g.extra.has(host) {
		return true
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil || port != g.port {
		return false
	}
	name = strings.ToLower(name)
	if g.hosts != nil {
		return g.hosts[name]
	}
	return name == "localhost" || net.ParseIP(name) != nil
}

// hostSet is a set of exact Host values (host:port), safe for concurrent use.
type hostSet struct {
	mu    sync.RWMutex
	hosts map[string]bool
}

func (h *hostSet) add(host string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hosts == nil {
		h.hosts = map[string]bool{}
	}
	h.hosts[strings.ToLower(host)] = true
}

// list returns the hosts, in no order.
func (h *hostSet) list() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.hosts))
	for host := range h.hosts {
		out = append(out, host)
	}
	return out
}

func (h *hostSet) has(host string) bool {
	if h == nil {
		return false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.hosts[strings.ToLower(host)]
}

// corsWriter removes whatever CORS headers the server below sets and sets
// the allowed origin's instead.
type corsWriter struct {
	http.ResponseWriter
	origin string
	allow  bool
	done   bool
}

func (c *corsWriter) fix() {
	if c.done {
		return
	}
	c.done = true
	h := c.ResponseWriter.Header()
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	if c.allow {
		h.Set("Access-Control-Allow-Origin", c.origin)
		h.Set("Access-Control-Expose-Headers", "ETag")
		h.Add("Vary", "Origin")
	}
}

func (c *corsWriter) WriteHeader(code int) {
	c.fix()
	c.ResponseWriter.WriteHeader(code)
}

func (c *corsWriter) Write(p []byte) (int, error) {
	c.fix()
	return c.ResponseWriter.Write(p)
}

// Flush lets streamed answers through.
func (c *corsWriter) Flush() {
	c.fix()
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer below.
func (c *corsWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// s3Refuse writes S3's XML error document.
func s3Refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	s3server.WriteError(w, r, &s3server.Error{Status: status, Code: code, Message: msg})
}
