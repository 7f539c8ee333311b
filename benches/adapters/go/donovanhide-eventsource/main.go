// donovanhide/eventsource (Go), from Debian's golang-github-donovanhide-eventsource-dev:
// `eventsource.NewDecoder(io.Reader).Decode()` for parsing, `eventsource.NewEncoder(w, false)
// .Encode(Event)` for encoding.
//
// Parsing: the decoder reads through a reader that returns one --chunk-size piece per Read. Every
// Event that Decode returns is printed, as the library's own Stream sends every one of them to
// its Events channel; Event() "" is printed as "message". Decoding stops at the first error (io.EOF
// at the end of the body, also when it cuts an event short). A retry is reported before its
// event when Retry() > 0, which is the test the library's own Stream applies (so `retry: 0` is
// lost, which is a finding, not a lack). Strings are bytes, decoded for printing as the spec's
// UTF-8 decode does (common.Text).
// What the API cannot express (declared in --capabilities):
//   - id-across-blocks: Id() is the id of the event's own block and "" when the block set none,
//     so "no id field" and "empty id" cannot be told apart; that own id is printed.
//
// Encoding: one Encode per item of an Event value carrying id, event and data. Refused (exit 2)
// because the API cannot express them: a comment, and a retry (Encode writes id, event and data
// only).
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/donovanhide/eventsource"
	"ssewire.dev/adapters/common"
)

// item is an eventsource.Event built from an --encode item.
type item struct{ id, event, data string }

func (i item) Id() string    { return i.id }
func (i item) Event() string { return i.event }
func (i item) Data() string  { return i.data }

func main() {
	args := common.ParseArgs()
	switch {
	case args.Capabilities:
		common.Capabilities("donovanhide/eventsource", "github.com/donovanhide/eventsource",
			common.DebianVersion("golang-github-donovanhide-eventsource-dev"),
			[]string{"parse", "count", "encode"},
			[]string{"id-across-blocks"},
			map[string]string{
				"id-across-blocks": "Event.Id() is the id of the event's own block and \"\" when there was none, so an absent id cannot be told from an empty one",
			})
	case args.Encode:
		var out bytes.Buffer
		enc := eventsource.NewEncoder(&out, false)
		for _, it := range common.Items() {
			if it.Comment != nil {
				common.Refuse(out.Bytes(), "donovanhide/eventsource's Encoder has no comment")
			}
			if it.Retry != nil {
				common.Refuse(out.Bytes(), "donovanhide/eventsource's Encoder writes no retry field")
			}
			var ev item
			if it.ID != nil {
				ev.id = *it.ID
			}
			if it.Event != nil {
				ev.event = *it.Event
			}
			if it.Data != nil {
				ev.data = *it.Data
			}
			before := out.Len()
			if err := enc.Encode(ev); err != nil {
				out.Truncate(before)
				common.Refuse(out.Bytes(), fmt.Sprintf("Encode: %v", err))
			}
		}
		os.Stdout.Write(out.Bytes())
	default:
		sink := common.NewSink(args.Count)
		dec := eventsource.NewDecoder(&common.ChunkReader{Data: common.Stdin(), Size: args.ChunkSize})
		for {
			ev, err := dec.Decode()
			if err != nil {
				if err != io.EOF {
					sink.Note(fmt.Sprintf("Decode: %v", err))
				}
				break
			}
			if r, ok := ev.(interface{ Retry() int64 }); ok && r.Retry() > 0 {
				sink.Retry(r.Retry())
			}
			typ := ev.Event()
			if typ == "" {
				typ = "message"
			}
			sink.Event(typ, ev.Data(), ev.Id())
		}
		sink.Finish()
	}
}
