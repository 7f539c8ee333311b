// Package common is the plumbing shared by the Go adapters (conformance/PROTOCOL.md v1 and the
// v2 contract): arguments, stdin in chunks, the output lines, `--capabilities`, the `--encode`
// input, and the version of the Debian package that holds a library. Nothing here parses or
// writes text/event-stream: that is left to each library.
package common

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"unicode/utf8"
)

// Args are the adapter's command-line options.
type Args struct {
	ChunkSize    int
	Count        bool
	Encode       bool
	Capabilities bool
}

// ParseArgs reads `--chunk-size N`, `--count`, `--encode` and `--capabilities`.
func ParseArgs() Args {
	var a Args
	argv := os.Args[1:]
	for i := 0; i < len(argv); i++ {
		switch argv[i] {
		case "--chunk-size":
			i++
			if i >= len(argv) {
				fail("--chunk-size needs a value")
			}
			if _, err := fmt.Sscanf(argv[i], "%d", &a.ChunkSize); err != nil {
				fail("bad --chunk-size " + argv[i])
			}
		case "--count":
			a.Count = true
		case "--encode":
			a.Encode = true
		case "--capabilities":
			a.Capabilities = true
		default:
			fail("unknown argument " + argv[i])
		}
	}
	return a
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}

// DebianVersion is the installed version of a Debian package, read with dpkg-query at run time.
func DebianVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// Capabilities prints the one `--capabilities` line.
func Capabilities(name, library, version string, modes, lacks []string, why map[string]string) {
	if lacks == nil {
		lacks = []string{}
	}
	if why == nil {
		why = map[string]string{}
	}
	line, _ := json.Marshal(map[string]interface{}{
		"protocol": 2, "name": name, "library": library, "version": version,
		"language": "Go", "modes": modes, "lacks": lacks, "why": why,
	})
	os.Stdout.Write(append(line, '\n'))
}

// Stdin is all of standard input.
func Stdin() []byte {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err.Error())
	}
	return b
}

// ChunkReader returns the input in pieces of Size bytes, one piece per Read (all at once when
// Size is 0), as a network body would arrive.
type ChunkReader struct {
	Data []byte
	Size int
}

func (r *ChunkReader) Read(p []byte) (int, error) {
	if len(r.Data) == 0 {
		return 0, io.EOF
	}
	n := len(r.Data)
	if r.Size > 0 && r.Size < n {
		n = r.Size
	}
	if n > len(p) {
		n = len(p)
	}
	copy(p, r.Data[:n])
	r.Data = r.Data[n:]
	return n, nil
}

// Text decodes bytes a library handed over as a Go string the way the spec's UTF-8 decode does:
// each maximal invalid subpart becomes one U+FFFD (Go's own conversions replace byte by byte).
func Text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			b.WriteByte(c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		}
		j := i + 1
		for k := 0; k < need && j < len(s) && s[j] >= lo && s[j] <= hi; k++ {
			j++
			lo, hi = 0x80, 0xBF
		}
		if need > 0 && j == i+1+need {
			b.WriteString(s[i:j])
		} else {
			b.WriteRune(utf8.RuneError)
		}
		i = j
	}
	return b.String()
}

// Sink collects the output lines (or the counts with `--count`) and writes them at the end.
type Sink struct {
	count                    bool
	out                      bytes.Buffer
	events, retries, dataLen int
}

func NewSink(count bool) *Sink { return &Sink{count: count} }

func (s *Sink) line(v interface{}) {
	enc := json.NewEncoder(&s.out)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// Event reports a dispatched event; the strings are decoded with Text.
func (s *Sink) Event(typ, data, id string) {
	data = Text(data)
	if s.count {
		s.events++
		s.dataLen += len(data)
		return
	}
	s.line(map[string]string{"event": Text(typ), "data": data, "id": Text(id)})
}

func (s *Sink) Retry(ms int64) {
	if s.count {
		s.retries++
		return
	}
	s.line(map[string]int64{"retry": ms})
}

func (s *Sink) Note(text string) {
	if !s.count {
		s.line(map[string]string{"note": text})
	}
}

func (s *Sink) Finish() {
	if s.count {
		s.line(map[string]int{"events": s.events, "retries": s.retries, "data_bytes": s.dataLen})
	}
	os.Stdout.Write(s.out.Bytes())
}

// Item is one `--encode` input line; a nil field was absent.
type Item struct {
	Event   *string `json:"event"`
	Data    *string `json:"data"`
	ID      *string `json:"id"`
	Retry   *uint64 `json:"retry"`
	Comment *string `json:"comment"`
}

// Items reads the `--encode` input: one item per non-empty line.
func Items() []Item {
	var items []Item
	for _, l := range strings.Split(string(Stdin()), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var it Item
		if err := json.Unmarshal([]byte(l), &it); err != nil {
			fail("bad item: " + err.Error())
		}
		items = append(items, it)
	}
	return items
}

// Refuse writes what was encoded so far, the reason on stderr, and exits with status 2.
func Refuse(written []byte, reason string) {
	os.Stdout.Write(written)
	fmt.Fprintln(os.Stderr, strings.ReplaceAll(strings.ReplaceAll(reason, "\r", " "), "\n", " "))
	os.Exit(2)
}
