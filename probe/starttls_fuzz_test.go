package probe

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"certdeck/model"
)

// scriptedPeer replays server bytes and swallows what the client writes.
type scriptedPeer struct {
	r io.Reader
}

func (p *scriptedPeer) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *scriptedPeer) Write(b []byte) (int, error) { return len(b), nil }

// FuzzStartTLS feeds arbitrary server bytes to every STARTTLS dialogue and
// reply parser: they must return (an error or success) without panicking,
// and a failure must be a readable message.
func FuzzStartTLS(f *testing.F) {
	seeds := []string{
		"220 ok\r\n250-a\r\n250 STARTTLS\r\n220 go\r\n",
		"220-a\r\n x\r\n220 b\r\n234 ok\r\n",
		"* OK hi\r\n* CAPABILITY x\r\na1 OK go\r\n",
		"+OK\r\n+OK go\r\n",
		"S", "N", "E", "",
		"220 \r\n250 STARTTLS\r\n220 go\r\nEXTRA",
		strings.Repeat("2", 5000),
		"999-\r\n999 \r\n",
		"\x00\xff\r\n",
	}
	for _, s := range seeds {
		for p := range 5 {
			f.Add(byte(p), []byte(s))
		}
	}
	protos := []model.Protocol{model.ProtoSMTP, model.ProtoIMAP, model.ProtoPOP3, model.ProtoFTP, model.ProtoPostgres}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		proto := protos[int(which)%len(protos)]
		err := startTLS(&scriptedPeer{r: bytes.NewReader(data)}, proto)
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
		if err != nil && strings.ContainsAny(err.Error(), "\x00\x1b\r\n") {
			t.Fatalf("error carries raw control bytes from the server: %q", err.Error())
		}
		r := bufio.NewReaderSize(bytes.NewReader(data), maxReplyLine)
		if code, lines, err := readCodedReply(r); err == nil && (code < 100 || len(lines) == 0 || len(lines) > maxReplyLines) {
			t.Fatalf("accepted reply code %d with %d lines", code, len(lines))
		}
		_, _, _ = readIMAPTagged(bufio.NewReaderSize(bytes.NewReader(data), maxReplyLine), "a1")
		_, _, _ = readPOP3Status(bufio.NewReaderSize(bytes.NewReader(data), maxReplyLine))
	})
}
