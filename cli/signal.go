package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Signal is the cause of a context cancelled by SignalContext.
type Signal struct{ os.Signal }

func (s Signal) Error() string { return "received " + s.Signal.String() }

// SignalContext returns a context cancelled on the first SIGINT or SIGTERM,
// with a Signal as its cause (context.Cause). After that first signal the
// default handling is restored, so a second one ends the process at once.
// stop releases the signal handler.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(Signal{s})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(nil)
		})
	}
}

// ExitTerminated is the exit code after SIGTERM (128+15), as a shell reports it.
const ExitTerminated = 143

// interruptCode is the exit code for a command ended by ctx: 128 plus the
// signal's number, or 130 (Ctrl-C) when the cause is not a signal.
func interruptCode(ctx context.Context) int {
	var s Signal
	if errors.As(context.Cause(ctx), &s) {
		if n, ok := s.Signal.(syscall.Signal); ok {
			return 128 + int(n)
		}
	}
	return ExitInterrupted
}

// Grace periods: how long Main waits, once interrupted, for a command to
// end by itself (its cleanup reported) before it gives up on it. Commands
// whose blocking reads (stdin, a FIFO, a file) cannot see the context are
// abandoned after interruptGrace. Transfers wait longer for the server to
// confirm an abort (see runner.setGrace); the app, for the terminal to be
// restored.
const (
	interruptGrace = 750 * time.Millisecond
	transferGrace  = 10 * time.Second
	appGrace       = 2 * time.Second
)

// gateWriter passes writes through until closed, then drops them: a command
// abandoned after an interrupt can no longer write over what Main reported.
type gateWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gateWriter) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
