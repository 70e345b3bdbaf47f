// The upload view's Path field: shell-like words and globs, completion of
// local paths, and turning what was typed into the files to upload.
package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/keys"
	tea "github.com/charmbracelet/bubbletea"
)

// complete asks for the completions of the path input.
func (v *uploadView) complete() tea.Cmd {
	v.completeSeq++
	return completePathCmd(v.completeSeq, v.path.Value(), v.deps.Workdir)
}

// completePathCmd lists the directory of input (relative to workdir) for names
// that extend its last element.
func completePathCmd(seq int, input, workdir string) tea.Cmd {
	return func() tea.Msg {
		dir, base := splitPathInput(input)
		entries, err := os.ReadDir(resolvePath(dir, workdir))
		if err != nil {
			return pathCompletionMsg{seq: seq, input: input, err: err}
		}
		var matches []string
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
				continue
			}
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				if fi, err := os.Stat(filepath.Join(resolvePath(dir, workdir), name)); err == nil {
					isDir = fi.IsDir()
				}
			}
			if isDir {
				name += "/"
			}
			matches = append(matches, name)
		}
		sort.Strings(matches)
		return pathCompletionMsg{seq: seq, input: input, matches: matches}
	}
}

// splitPathInput splits "a/b/c" into "a/b/" and "c"; "c" into "" and "c".
func splitPathInput(input string) (dir, base string) {
	i := strings.LastIndex(input, "/")
	return input[:i+1], input[i+1:]
}

// resolvePath expands ~ and makes p absolute against workdir.
func resolvePath(p, workdir string) string {
	p = keys.ExpandHome(p)
	if p == "" {
		p = "."
	}
	if !filepath.IsAbs(p) && workdir != "" {
		p = filepath.Join(workdir, p)
	}
	return p
}

// applyCompletion completes the path; when there is nothing left to complete
// and the path names a file, tab moves on to the next field.
func (v *uploadView) applyCompletion(msg pathCompletionMsg) tea.Cmd {
	if msg.seq != v.completeSeq || msg.input != v.path.Value() {
		return nil // the input changed since: a stale answer
	}
	v.candidates = nil
	if msg.err != nil {
		v.note, v.noteErr = "Cannot complete: "+msg.err.Error(), true
		return nil
	}
	dir, base := splitPathInput(msg.input)
	switch len(msg.matches) {
	case 0:
		v.note, v.noteErr = "No match for "+app.Escape(base), true
		return nil
	case 1:
		v.path.SetValue(dir + msg.matches[0])
		v.note, v.noteErr = "", false
	default:
		common := msg.matches[0]
		for _, m := range msg.matches[1:] {
			for !strings.HasPrefix(m, common) {
				common = common[:len(common)-1]
			}
		}
		v.path.SetValue(dir + common)
		v.candidates = msg.matches
		v.note, v.noteErr = fmt.Sprintf("%d matches", len(msg.matches)), false
	}
	v.path.CursorEnd()
	v.deriveDest()
	if v.path.Value() == msg.input && base != "" && slices.Contains(msg.matches, base) && v.focus == upFocusPath {
		return v.setFocus(v.nextFocus(+1))
	}
	return nil
}

// submit plans the upload of path (a file or a folder) and then starts it.
func (v *uploadView) submit(path string) tea.Cmd {
	path = strings.TrimSpace(path)
	if path == "" {
		v.note, v.noteErr = "Type a path or pick a file first", true
		return nil
	}
	dest := ""
	if v.destEdited {
		dest = strings.TrimSpace(v.dest.Value())
	}
	v.planSeq++
	v.note, v.noteErr = "Reading "+app.Escape(path)+"…", false
	v.candidates = nil
	v.path.SetValue("")
	v.dest.SetValue("")
	v.destEdited = false
	return planUploadCmd(v.planSeq, path, v.deps.Workdir, v.bucket, v.prefix, dest)
}

// planUploadCmd stats path: a file uploads to dest (or prefix + its name), a
// folder expands through aws.PlanUploads under dest (or prefix).
func planUploadCmd(seq int, text, workdir, bucket, prefix, dest string) tea.Cmd {
	return func() tea.Msg {
		paths, err := uploadPaths(text, workdir)
		if err != nil {
			return uploadPlannedMsg{seq: seq, path: text, err: err}
		}
		if len(paths) > 1 && dest != "" {
			// Several paths go into a folder: the edited destination is it.
			prefix, dest = strings.TrimSuffix(dest, "/")+"/", ""
		}
		var msg uploadPlannedMsg
		for _, path := range paths {
			m := planOne(path, workdir, bucket, prefix, dest)
			if m.err != nil {
				return uploadPlannedMsg{seq: seq, path: text, err: m.err}
			}
			msg.reqs = append(msg.reqs, m.reqs...)
			msg.sizes = append(msg.sizes, m.sizes...)
		}
		msg.seq, msg.path = seq, text
		return msg
	}
}

// uploadPaths turns the typed text into paths: the text itself when it names
// a file or folder (spaces and all), else shell-like words (quotes and
// backslash escapes) with *, ? and [...] patterns expanded, as a shell would.
func uploadPaths(text, workdir string) ([]string, error) {
	if _, err := os.Stat(resolvePath(text, workdir)); err == nil {
		return []string{text}, nil
	}
	words, err := splitWords(text)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, w := range words {
		if !strings.ContainsAny(w, "*?[") {
			paths = append(paths, w)
			continue
		}
		matches, err := filepath.Glob(resolvePath(w, workdir))
		if err != nil {
			return nil, fmt.Errorf("pattern %s: %w", w, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("nothing matches %s", w)
		}
		paths = append(paths, matches...)
	}
	return paths, nil
}

// splitWords splits text at unquoted spaces; '...' and "..." quote, and a
// backslash escapes the next character.
func splitWords(text string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, esc := false, false
	var quote rune
	for _, r := range text {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote in %s", quote, text)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// planOne plans one file (to dest, else prefix + its name) or folder.
func planOne(path, workdir, bucket, prefix, dest string) uploadPlannedMsg {
	abs := resolvePath(path, workdir)
	fi, err := os.Stat(abs)
	if err != nil {
		return uploadPlannedMsg{path: path, err: fmt.Errorf("read %s: %w", path, errors.Unwrap(err))}
	}
	if !fi.IsDir() {
		k := dest
		if k == "" {
			k = prefix + filepath.Base(abs)
		}
		return uploadPlannedMsg{path: path, reqs: []aws.UploadRequest{{Path: abs, Bucket: bucket, Key: k}}, sizes: []int64{fi.Size()}}
	}
	p := prefix
	if dest != "" {
		p = strings.TrimSuffix(dest, "/") + "/"
	}
	reqs, err := aws.PlanUploads([]string{abs}, bucket, p)
	if err != nil {
		return uploadPlannedMsg{path: path, err: fmt.Errorf("plan %s: %w", path, err)}
	}
	sizes := make([]int64, len(reqs))
	for i, r := range reqs {
		sizes[i] = -1
		if fi, err := os.Stat(r.Path); err == nil {
			sizes[i] = fi.Size()
		}
	}
	return uploadPlannedMsg{path: path, reqs: reqs, sizes: sizes}
}

// validKey says what is wrong with an object key, or "".
func validKey(k string) string {
	switch {
	case k == "":
		return "empty destination key"
	case len(k) > 1024:
		return fmt.Sprintf("destination key is %d bytes; S3 allows 1024", len(k))
	}
	return ""
}
