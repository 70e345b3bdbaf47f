package sandbox

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox/s3server"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/keys"
)

// Options configure the local sandbox.
type Options struct {
	DataDir string // holds the key pair and, unless Memory, the objects (in s3/); "" means DefaultDir()
	Memory  bool   // keep objects in memory (tests)
	// Listen addresses of the S3 server, the edge and the CloudFront API.
	// "" means 127.0.0.1 at the port of the last start without an address
	// when it is free, else a free port; the port used is remembered.
	S3Addr         string
	EdgeAddr       string
	CloudFrontAddr string
	Log            io.Writer // where the edge logs each refusal; nil discards
	// AllowHosts are Host values (host:port) the servers answer to besides
	// their own address: a reverse proxy's or a container port mapping's.
	AllowHosts []string
	// CORSOrigin is the one web origin (scheme://host[:port]) whose pages
	// may call the servers from a browser; "" allows none.
	CORSOrigin string
	// Successor, when set, is the command of a process that can take the
	// sandbox over (see lifetime.go): Close then hands it over, instead of
	// stopping it, while other processes use it. It runs `cfsign sandbox`
	// in its take-over mode; nil stops the sandbox at Close.
	Successor func() *exec.Cmd
}

// Sandbox is a running local S3 server plus a CloudFront-style edge in front of
// its bucket. The S3 server accepts only requests signed (SigV4, or SigV2 as
// S3 still takes in us-east-1) with AccessKeyID and SecretAccessKey; both
// servers answer only to their own address (see guard).
type Sandbox struct {
	S3Endpoint      string // http://127.0.0.1:PORT
	EdgeURL         string // http://127.0.0.1:PORT
	Bucket          string // "sandbox"
	Region          string // "us-east-1"
	AccessKeyID     string
	SecretAccessKey string
	KeyPairID       string // K + 13 upper-case letters and digits
	PrivateKeyPath  string
	PublicKeyPath   string

	// CloudFrontEndpoint is the sandbox's CloudFront API, and DistributionID
	// its one distribution (the edge).
	CloudFrontEndpoint string
	DistributionID     string

	// SharedPID is the pid of the process running this sandbox when it is
	// another process's (see Open); 0 when this process runs it.
	SharedPID int

	// Edge is the edge's handler, for callers that want to serve it
	// themselves; nil for a shared sandbox.
	Edge *Edge

	// LogPath is the sandbox's log (sandbox.log in its data directory):
	// what it refused and why, from whichever process runs it.
	LogPath string

	// HandedTo is the pid of the process Close handed the sandbox over to,
	// for HandedFor other processes that used it; 0 when Close stopped it.
	HandedTo, HandedFor int

	instance   string   // the token the S3 server answers at healthPath
	hosts      *hostSet // extra Host values every server accepts
	recordPath string   // running.json, while this process runs the sandbox
	dir        string
	cors       string
	memory     bool
	listeners  []net.Listener // S3 server, edge, CloudFront API
	leases     *leases        // held by other processes, when this one runs it
	successor  func() *exec.Cmd
	lease      *lease   // this process's, on a sandbox another one runs
	logFile    *os.File // LogPath, open for appending

	s3       *s3server.Server
	s3srv    *http.Server
	edgeSrv  *http.Server
	cfSrv    *http.Server
	served   sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// Info describes a running sandbox, as `cfsign sandbox --json` prints it.
type Info struct {
	S3Endpoint      string `json:"s3_endpoint"`
	EdgeURL         string `json:"edge_url"`
	Bucket          string `json:"bucket"`
	Region          string `json:"region"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	KeyPairID       string `json:"key_pair_id"`
	PrivateKey      string `json:"private_key"`
	PublicKey       string `json:"public_key"`
	// CloudFrontEndpoint serves CloudFront's key and distribution API for
	// DistributionID, the edge.
	CloudFrontEndpoint string `json:"cloudfront_endpoint,omitempty"`
	DistributionID     string `json:"distribution_id,omitempty"`
	// KeyStatus is KeyTrusted when DistributionID trusts KeyPairID, and
	// KeyRetired once that key was taken out of the trusted key groups or
	// deleted (what is signed with it gets 403); "" when not checked. A
	// string, so every field of the JSON line stays one.
	KeyStatus string `json:"key_status,omitempty"`
	// LogFile is the sandbox's log: each refusal and the check that failed.
	LogFile string `json:"log_file,omitempty"`
}

// Values of Info.KeyStatus.
const (
	KeyTrusted = "trusted"
	KeyRetired = "retired"
)

// KeyStatusOf is KeyTrusted or KeyRetired.
func KeyStatusOf(trusted bool) string {
	if trusted {
		return KeyTrusted
	}
	return KeyRetired
}

// Info returns the sandbox's description, with its own key pair; for a
// sandbox this process runs, whether its distribution still trusts it.
func (s *Sandbox) Info() Info {
	status := ""
	if s.Edge != nil && s.Edge.trusted != nil {
		_, ok := s.Edge.trusted()[s.KeyPairID]
		status = KeyStatusOf(ok)
	}
	return Info{
		S3Endpoint:      s.S3Endpoint,
		EdgeURL:         s.EdgeURL,
		Bucket:          s.Bucket,
		Region:          s.Region,
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		KeyPairID:       s.KeyPairID,
		PrivateKey:      s.PrivateKeyPath,
		PublicKey:       s.PublicKeyPath,

		CloudFrontEndpoint: s.CloudFrontEndpoint,
		DistributionID:     s.DistributionID,
		KeyStatus:          status,
		LogFile:            s.LogPath,
	}
}

// Signer returns a Signer for the sandbox's key pair, which its edge trusts.
func (s *Sandbox) Signer(hash signedurl.Hash) (*signedurl.Signer, error) {
	key, _, err := keys.LoadPrivate(s.PrivateKeyPath)
	if err != nil {
		return nil, fmt.Errorf("load sandbox key: %w", err)
	}
	return signedurl.NewSigner(s.KeyPairID, key, hash)
}

// Sandbox constants.
const (
	Bucket = "sandbox"   // the one bucket the edge serves
	Region = "us-east-1" // the region clients should sign for
)

const (
	stateFile    = "sandbox.json"
	logName      = "sandbox.log" // see openLog
	storeDirName = "s3"          // the S3 server's disk store (package s3server)
	keysDir      = "keys"
)

// DefaultDir is where the app keeps its sandbox:
// $XDG_DATA_HOME/cfsign/sandbox, or ~/.local/share/cfsign/sandbox. It is ""
// when neither is known.
func DefaultDir() string {
	// The XDG spec says to ignore a relative XDG_DATA_HOME.
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "cfsign", "sandbox")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "share", "cfsign", "sandbox")
}

// savedState is what a sandbox remembers between starts (sandbox.json).
type savedState struct {
	KeyPairID       string `json:"key_pair_id"`
	Fingerprint     string `json:"fingerprint"` // of the public key the ID was given to
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	// The ports of the last start, tried first on the next one so links
	// signed for the edge keep working across restarts.
	S3Port         int `json:"s3_port,omitempty"`
	EdgePort       int `json:"edge_port,omitempty"`
	CloudFrontPort int `json:"cloudfront_port,omitempty"`
}

// Start starts both servers; the first start creates the bucket and the
// key pair, later starts reuse them. ctx bounds the start only: the servers run
// until Close.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	return start(ctx, opts, nil)
}

// inherited is what a successor takes over: the listening sockets (S3
// server, edge, CloudFront API) and the instance token.
type inherited struct {
	listeners []net.Listener
	instance  string
}

func start(ctx context.Context, opts Options, inh *inherited) (sb *Sandbox, err error) {
	dir, err := dataDir(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create sandbox directory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	var instance string
	if inh != nil {
		instance = inh.instance
	} else {
		unlock, err := lockStart(dir)
		if err != nil {
			return nil, err
		}
		defer unlock() // once the record is written, or the start failed
		if instance, err = claim(ctx, dir); err != nil {
			return nil, err
		}
	}
	logPath := filepath.Join(dir, logName)
	logFile, err := openLog(logPath)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			logFile.Close()
		}
	}()
	log := io.Writer(logFile)
	if opts.Log != nil {
		log = io.MultiWriter(opts.Log, logFile)
	}

	state, pub, privPath, pubPath, err := loadKeys(dir, log)
	if err != nil {
		return nil, err
	}

	storeDir := ""
	if !opts.Memory {
		storeDir = filepath.Join(dir, storeDirName)
	}
	s3acct := &account{accessKeyID: state.AccessKeyID, secret: state.SecretAccessKey, service: "s3"}
	f, err := s3server.New(s3server.Options{Dir: storeDir, Log: log, VerifyPost: s3acct.verifyPost, Owner: sandboxAccountID})
	if err != nil {
		return nil, err
	}
	if err := f.EnsureBucket(Bucket); err != nil {
		f.Close()
		return nil, fmt.Errorf("start sandbox: %w", err)
	}

	s := &Sandbox{
		Bucket:          Bucket,
		Region:          Region,
		AccessKeyID:     state.AccessKeyID,
		SecretAccessKey: state.SecretAccessKey,
		KeyPairID:       state.KeyPairID,
		PrivateKeyPath:  privPath,
		PublicKeyPath:   pubPath,
		instance:        instance,
		hosts:           &hostSet{},
		Edge:            NewEdge(bucketSource{srv: f, bucket: Bucket}, signedurl.PublicKeys{state.KeyPairID: pub}, log),
		s3:              f,
		LogPath:         logPath,
		dir:             dir,
		cors:            opts.CORSOrigin,
		memory:          opts.Memory,
		leases:          newLeases(),
		successor:       opts.Successor,
		logFile:         logFile,
	}
	if !canHandOver {
		s.successor = nil
	}

	for _, h := range opts.AllowHosts {
		s.hosts.add(h)
	}
	// The S3 server, the edge and the CloudFront API, each on its own port.
	servers := []struct {
		name, addr string
		port       *int
		l          net.Listener
	}{
		{"S3 server", opts.S3Addr, &state.S3Port, nil},
		{"edge", opts.EdgeAddr, &state.EdgePort, nil},
		{"CloudFront API", opts.CloudFrontAddr, &state.CloudFrontPort, nil},
	}
	portsMoved := false
	for i := range servers {
		sv := &servers[i]
		var l net.Listener
		if inh != nil {
			l = inh.listeners[i]
		} else {
			l, err = listen(ctx, sv.addr, *sv.port)
		}
		if err != nil {
			for _, done := range servers[:i] {
				done.l.Close()
			}
			f.Close()
			return nil, fmt.Errorf("start sandbox %s: %w", sv.name, err)
		}
		sv.l = l
		if ap, ok := l.Addr().(*net.TCPAddr); ok {
			if !ap.IP.IsLoopback() {
				fmt.Fprintf(log, "sandbox: warning: the %s listens on %s, beyond this machine: anyone who can reach it and holds the credentials can use it\n", sv.name, ap)
			}
			// A server given no address remembers its port; one given
			// an address leaves the remembered port for the next start
			// without one.
			if sv.addr == "" && ap.Port != *sv.port {
				*sv.port, portsMoved = ap.Port, true
			}
		}
	}
	s3l, edgeL, cfL := servers[0].l, servers[1].l, servers[2].l
	s.listeners = []net.Listener{s3l, edgeL, cfL}
	s.S3Endpoint = "http://" + dialAddr(s3l.Addr())
	s.EdgeURL = "http://" + dialAddr(edgeL.Addr())
	s.CloudFrontEndpoint = "http://" + dialAddr(cfL.Addr())
	if portsMoved {
		if err := saveState(filepath.Join(dir, stateFile), state); err != nil {
			fmt.Fprintf(log, "sandbox: warning: %v\n", err)
		}
	}
	cf, err := newCloudFront(dir, opts.Memory, state.KeyPairID, pub, s.EdgeURL)
	if err != nil {
		for _, sv := range servers {
			sv.l.Close()
		}
		f.Close()
		return nil, err
	}
	s.DistributionID = cf.st.DistributionID
	s.Edge.trusted = cf.trusted

	s.s3srv = &http.Server{
		Handler:           newGuard(f, s3l.Addr(), s.hosts, opts.CORSOrigin, s3acct, s3Refuse).withHealth(instance, s.leases).withFormUploads(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	s.edgeSrv = newEdgeServer(newGuard(s.Edge, edgeL.Addr(), s.hosts, opts.CORSOrigin, nil, s.Edge.refuseHost))
	s.cfSrv = &http.Server{
		Handler:           newGuard(cf, cfL.Addr(), s.hosts, "", &account{accessKeyID: s.AccessKeyID, secret: s.SecretAccessKey, service: "cloudfront"}, cfRefuse),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	s.served.Add(3)
	go func() { defer s.served.Done(); s.s3srv.Serve(s3l) }()
	go func() { defer s.served.Done(); s.edgeSrv.Serve(edgeL) }()
	go func() { defer s.served.Done(); s.cfSrv.Serve(cfL) }()
	if err := s.publish(dir, opts.Memory); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// AllowHost makes every server of the sandbox answer to host (host:port) as
// well as to its own address: for a reverse proxy or a port mapping in front
// of it. It does nothing to a sandbox another process runs.
func (s *Sandbox) AllowHost(host string) {
	if s.hosts != nil {
		s.hosts.add(host)
	}
}

// dataDir is dir made absolute, or the default directory.
func dataDir(dir string) (string, error) {
	if dir == "" {
		dir = DefaultDir()
		if dir == "" {
			return "", errors.New("start sandbox: no data directory: set XDG_DATA_HOME or HOME, or pass one")
		}
	}
	// Absolute, so the key paths in Info mean the same to any reader.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("sandbox directory: %w", err)
	}
	return abs, nil
}

// Close is this process's end with the sandbox. A sandbox another process
// runs keeps running: Close ends this process's lease on it. One this
// process runs stops, unless other processes use it and Options.Successor
// is set: then it is handed over to a new process (HandedTo) and runs on
// for them.
func (s *Sandbox) Close() error {
	if s.SharedPID != 0 {
		s.stopOnce.Do(func() {
			if s.lease != nil {
				s.lease.release()
			}
		})
		return nil
	}
	s.stopOnce.Do(func() {
		// Leases end here, counted as they end: a process that asks for one
		// later is refused and comes back to the successor, if any.
		users := 0
		if s.leases != nil {
			users = s.leases.stop()
		}
		var files []*os.File
		if s.successor != nil && !s.memory && users > 0 {
			var err error
			if files, err = listenerFiles(s.listeners); err != nil {
				fmt.Fprintf(s.logFile, "%s sandbox: cannot hand over to a new process (%v): stopping\n", logTime(), err)
			}
		}
		if files == nil {
			s.unpublish()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		for _, srv := range []*http.Server{s.cfSrv, s.edgeSrv, s.s3srv} {
			if srv == nil {
				continue
			}
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
		}
		s.served.Wait()
		if s.s3 != nil {
			if err := s.s3.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close sandbox database: %w", err))
			}
		}
		if files != nil {
			pid, err := s.handOver(files)
			if err != nil {
				s.unpublish()
				errs = append(errs, fmt.Errorf("hand the sandbox over to a new process: %w", err))
			}
			s.HandedTo, s.HandedFor = pid, users
			if err == nil {
				fmt.Fprintf(s.logFile, "%s sandbox: handed over to pid %d, for %d other %s using it\n", logTime(), pid, users, plural(users, "process", "processes"))
			}
		}
		if s.logFile != nil {
			s.logFile.Close()
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// listenAddr applies the loopback default.
func listenAddr(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// dialAddr is an address clients can dial: an unspecified listen
// address (0.0.0.0, ::) is reached on 127.0.0.1.
func dialAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ta.IP.IsUnspecified() {
		// Go listens dual-stack on "tcp", so IPv4 loopback reaches it.
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
	}
	return ta.String()
}

// loadKeys loads or creates the key pair and the state file in dir.
func loadKeys(dir string, log io.Writer) (st savedState, pub crypto.PublicKey, privPath, pubPath string, err error) {
	keyDir := filepath.Join(dir, keysDir)
	privPath = filepath.Join(keyDir, keys.PrivateFile)
	pubPath = filepath.Join(keyDir, keys.PublicFile)
	statePath := filepath.Join(dir, stateFile)

	if b, rerr := os.ReadFile(statePath); rerr == nil {
		if jerr := json.Unmarshal(b, &st); jerr != nil {
			return st, nil, "", "", fmt.Errorf("read sandbox state %s: %v (delete it to start afresh)", statePath, jerr)
		}
	} else if !errors.Is(rerr, fs.ErrNotExist) {
		return st, nil, "", "", fmt.Errorf("read sandbox state: %w", rerr)
	}

	_, privErr := os.Stat(privPath)
	_, pubErr := os.Stat(pubPath)
	switch {
	case errors.Is(privErr, fs.ErrNotExist) && errors.Is(pubErr, fs.ErrNotExist):
		if _, err := keys.GenerateFiles(keyDir, keys.RSA, false); err != nil {
			return st, nil, "", "", fmt.Errorf("create sandbox key pair: %w", err)
		}
	case privErr != nil:
		return st, nil, "", "", fmt.Errorf("sandbox private key: %w (delete %s to make a new key pair)", privErr, keyDir)
	case pubErr != nil:
		return st, nil, "", "", fmt.Errorf("sandbox public key: %w (delete %s to make a new key pair)", pubErr, keyDir)
	}

	priv, warning, err := keys.LoadPrivate(privPath)
	if err != nil {
		return st, nil, "", "", fmt.Errorf("load sandbox private key: %w", err)
	}
	if warning != "" {
		fmt.Fprintf(log, "sandbox: warning: %s\n", warning)
	}
	pub, err = keys.LoadPublic(pubPath)
	if err != nil {
		return st, nil, "", "", fmt.Errorf("load sandbox public key: %w", err)
	}
	if eq, ok := priv.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(pub) {
		return st, nil, "", "", fmt.Errorf("sandbox keys in %s: the public key does not match the private key", keyDir)
	}
	fp, err := keys.Fingerprint(pub)
	if err != nil {
		return st, nil, "", "", fmt.Errorf("sandbox public key: %w", err)
	}

	changed := false
	if st.KeyPairID == "" || st.Fingerprint != fp || !validKeyPairID(st.KeyPairID) {
		// A new public key gets a new ID, as CloudFront gives one per uploaded key.
		if st.KeyPairID, err = randomID("K", 13); err != nil {
			return st, nil, "", "", err
		}
		st.Fingerprint = fp
		changed = true
	}
	if st.AccessKeyID == "" || st.SecretAccessKey == "" {
		if st.AccessKeyID, err = randomID("AKIA", 16); err != nil {
			return st, nil, "", "", err
		}
		if st.SecretAccessKey, err = randomSecret(40); err != nil {
			return st, nil, "", "", err
		}
		changed = true
	}
	if changed {
		if err := saveState(statePath, st); err != nil {
			return st, nil, "", "", err
		}
	}
	return st, pub, privPath, pubPath, nil
}

// readKeys reads the state and key paths a running sandbox created in dir.
func readKeys(dir string) (st savedState, pub crypto.PublicKey, privPath, pubPath string, err error) {
	keyDir := filepath.Join(dir, keysDir)
	privPath = filepath.Join(keyDir, keys.PrivateFile)
	pubPath = filepath.Join(keyDir, keys.PublicFile)
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return st, nil, "", "", fmt.Errorf("read sandbox state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, nil, "", "", fmt.Errorf("read sandbox state %s: %v", filepath.Join(dir, stateFile), err)
	}
	return st, nil, privPath, pubPath, nil
}

func saveState(path string, st savedState) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := writeFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	return nil
}

// listen listens on addr; with no addr, on loopback at the port of the
// last start if it is free, else on any free port.
func listen(ctx context.Context, addr string, lastPort int) (net.Listener, error) {
	var lc net.ListenConfig
	if addr == "" && lastPort > 0 {
		if l, err := lc.Listen(ctx, "tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(lastPort))); err == nil {
			return l, nil
		}
	}
	return lc.Listen(ctx, "tcp", listenAddr(addr))
}

// validKeyPairID reports whether id has the form the sandbox mints, as
// CloudFront does for public keys: K and 13 capital letters or digits.
func validKeyPairID(id string) bool {
	if len(id) != 14 || id[0] != 'K' {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomID is prefix and n random upper-case letters and digits.
func randomID(prefix string, n int) (string, error) {
	return randomFrom(prefix, idAlphabet, n)
}

func randomSecret(n int) (string, error) {
	return randomFrom("", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", n)
}

func randomFrom(prefix, alphabet string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random ID: %w", err)
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	for _, c := range b {
		// 256 % 36 != 0 leaves a slight bias: irrelevant for an identifier.
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String(), nil
}

// writeFile writes data to path through a temporary file in the same
// directory, renamed into place.
func writeFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
