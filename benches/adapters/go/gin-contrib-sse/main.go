// gin-contrib/sse (Go, the SSE package of the gin web framework), from Debian's
// golang-github-gin-contrib-sse-dev: `sse.Decode(io.Reader)` for parsing and
// `sse.Encode(io.Writer, sse.Event)` for encoding.
//
// Parsing: Decode reads the whole body (ioutil.ReadAll) and returns []Event, so it is given the
// body at once. Each Event's Event (already defaulted to "message") and Data are printed as given.
// What the API cannot express (declared in --capabilities):
//   - chunks: Decode only takes a reader it drains before parsing; there is no incremental feed.
//   - retry: the decoder never sets Event.Retry.
//   - id-across-blocks: Event.Id is the id of the event's own block and "" when the block set
//     none, so "no id field" and "empty id" cannot be told apart; that own id is printed.
//
// Data is an interface{} holding a string; it and the other strings are bytes, decoded for
// printing as the spec's UTF-8 decode does (common.Text).
//
// Encoding: one sse.Encode per item into a buffer, Data set to the item's string. Refused (exit 2)
// because the API cannot express them: a comment (no comment in Event) and an item without data
// (Encode always writes a `data:` line, so a lone retry would become an event).
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/gin-contrib/sse"
	"ssewire.dev/adapters/common"
)

func main() {
	args := common.ParseArgs()
	switch {
	case args.Capabilities:
		common.Capabilities("gin-contrib/sse", "github.com/gin-contrib/sse",
			common.DebianVersion("golang-github-gin-contrib-sse-dev"),
			[]string{"parse", "count", "encode"},
			[]string{"chunks", "retry", "id-across-blocks"},
			map[string]string{
				"chunks":           "sse.Decode takes an io.Reader and reads all of it before parsing",
				"retry":            "sse.Decode never fills Event.Retry (it stores a retry value in Event.Id)",
				"id-across-blocks": "Event.Id is the id of the event's own block and \"\" when there was none, so an absent id cannot be told from an empty one",
			})
	case args.Encode:
		var out bytes.Buffer
		for _, it := range common.Items() {
			if it.Comment != nil {
				common.Refuse(out.Bytes(), "gin-contrib/sse has no comment")
			}
			if it.Data == nil {
				common.Refuse(out.Bytes(), "gin-contrib/sse always writes a data line: an item without data cannot be encoded")
			}
			ev := sse.Event{Data: *it.Data}
			if it.Event != nil {
				ev.Event = *it.Event
			}
			if it.ID != nil {
				ev.Id = *it.ID
			}
			if it.Retry != nil {
				ev.Retry = uint(*it.Retry)
			}
			var one bytes.Buffer
			if err := sse.Encode(&one, ev); err != nil {
				common.Refuse(out.Bytes(), fmt.Sprintf("sse.Encode: %v", err))
			}
			out.Write(one.Bytes())
		}
		os.Stdout.Write(out.Bytes())
	default:
		sink := common.NewSink(args.Count)
		events, err := sse.Decode(&common.ChunkReader{Data: common.Stdin()})
		if err != nil {
			sink.Note(fmt.Sprintf("sse.Decode: %v", err))
		}
		for _, ev := range events {
			data, _ := ev.Data.(string)
			sink.Event(ev.Event, data, ev.Id)
		}
		sink.Finish()
	}
}
