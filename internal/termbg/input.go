package termbg

import (
	"bytes"
	"os"
	"sync"
)

// Input is the terminal's input with the late part of its answer to Detect's
// query taken out, for the app to read instead of the terminal
// (tea.WithInput): what is left are the user's keys. The answer's background
// is handed to the function Detect was given, so the app can redraw in the
// right colours; until the answer's end (the DSR report) has come, nothing
// of it is read as keys, however late it comes.
//
// It is a file as Bubble Tea wants one (term.File): Bubble Tea puts it in
// raw mode through its descriptor. Detect hands it out as a file Bubble Tea
// can wait on (see fileInput), unless keys typed during the wait are held:
// the descriptor could not tell they are there.
type Input struct {
	f    *os.File
	late func(dark bool)

	mu       sync.Mutex
	keys     []byte // read, to be returned
	held     []byte // the start of an answer, until the rest comes
	finished bool   // the DSR report came: the rest is keys
}

// Read returns the user's keys, without the answer to the query.
func (in *Input) Read(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.keys) == 0 {
		if in.finished {
			return in.f.Read(p)
		}
		buf := make([]byte, max(len(p), maxAnswer))
		n, err := in.f.Read(buf)
		in.take(buf[:n])
		if err != nil {
			in.keys, in.held, in.finished = append(in.keys, in.held...), nil, true
			if len(in.keys) == 0 {
				return 0, err
			}
		}
	}
	n := copy(p, in.keys)
	in.keys = in.keys[n:]
	return n, nil
}

// take sorts b, the terminal's input that follows what is held, into keys
// and the answer.
func (in *Input) take(b []byte) {
	keys, rest, bg := split(append(in.held, b...))
	if bg != nil && in.late != nil {
		in.late(*bg)
	}
	in.keys = append(in.keys, keys...)
	switch {
	case rest == nil:
		in.held, in.finished = nil, true
	case len(rest) > maxAnswer:
		in.keys, in.held = append(in.keys, rest...), nil
	default:
		in.held = rest
	}
}

// Write writes to the terminal.
func (in *Input) Write(p []byte) (int, error) { return in.f.Write(p) }

// Close does nothing: the terminal is not the app's to close.
func (in *Input) Close() error { return nil }

// Fd is the terminal's descriptor.
func (in *Input) Fd() uintptr { return in.f.Fd() }

// fileInput is an Input that Bubble Tea waits on through its descriptor
// (a cancelreader.File, which needs a Name) and reads only when the
// terminal has input, so a Read that takes out all it read returns 0 bytes,
// not waiting. Such a wait can be cancelled, as tea.Exec needs: a blocked
// read would take the first key meant for the program run.
type fileInput struct{ *Input }

// Name is the terminal's name.
func (in fileInput) Name() string { return in.f.Name() }

// maxAnswer bounds an answer: bytes that would make a longer one are keys.
const maxAnswer = 256

// split takes the terminal's answers to the query out of b: the OSC 11
// report of the background, if it is whole in b (bg, nil if not), and the
// DSR report that ends the answer. keys are the other bytes, in order.
// rest is nil when the DSR report was in b (anything after it is in keys);
// else it holds what may be the start of an answer, cut off by the end of
// b, to be read again with the bytes that follow.
func split(b []byte) (keys, rest []byte, bg *bool) {
	keys = make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\x1b')
		if j < 0 {
			keys = append(keys, b[i:]...)
			break
		}
		keys = append(keys, b[i:i+j]...)
		i += j
		s := b[i:]
		if n, dark, ok, whole := oscAnswer(s); whole {
			if ok {
				d := dark
				bg = &d
			}
			i += n
			continue
		} else if n < 0 {
			return keys, append([]byte{}, s...), bg
		}
		if n, whole := dsrAnswer(s); whole {
			return append(keys, s[n:]...), nil, bg
		} else if n < 0 {
			return keys, append([]byte{}, s...), bg
		}
		keys = append(keys, '\x1b')
		i++
	}
	return keys, []byte{}, bg
}

// oscAnswer reads an OSC 11 report at the start of s ("ESC ] 11 ; ... ST",
// ST being BEL or ESC \). whole is true with its length n and its colour;
// n is -1 when s is the start of one, cut off; 0 when s is not one.
func oscAnswer(s []byte) (n int, dark, ok, whole bool) {
	const intro = "\x1b]11;"
	if len(s) < len(intro) {
		if len(s) > 1 && bytes.HasPrefix([]byte(intro), s) {
			return -1, false, false, false
		}
		return 0, false, false, false
	}
	if !bytes.HasPrefix(s, []byte(intro)) {
		return 0, false, false, false
	}
	for k := len(intro); k < len(s) && k < maxAnswer; k++ {
		switch {
		case s[k] == '\x07':
			dark, ok = parseOSC11(string(s[:k+1]))
			return k + 1, dark, ok, true
		case s[k] == '\x1b' && k+1 < len(s) && s[k+1] == '\\':
			dark, ok = parseOSC11(string(s[:k+2]))
			return k + 2, dark, ok, true
		case s[k] == '\x1b' && k+1 == len(s):
			return -1, false, false, false
		case s[k] == '\x1b':
			return 0, false, false, false // not an answer after all
		}
	}
	if len(s) < maxAnswer {
		return -1, false, false, false
	}
	return 0, false, false, false
}

// dsrAnswer reads a cursor position report at the start of s
// ("ESC [ row ; col R"): whole with its length n; n is -1 when s is the
// start of one, cut off; 0 when s is not one.
func dsrAnswer(s []byte) (n int, whole bool) {
	if len(s) < 2 || s[1] != '[' {
		return 0, false
	}
	semis, digits := 0, 0
	for k := 2; k < len(s); k++ {
		switch c := s[k]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ';' && digits > 0 && semis == 0:
			semis++
			digits = 0
		case c == 'R' && semis == 1 && digits > 0:
			return k + 1, true
		default:
			return 0, false
		}
	}
	if len(s) > 2 && len(s) < 24 {
		return -1, false
	}
	return 0, false
}
