package probe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"certdeck/model"
)

// Limits on what a STARTTLS peer may send before TLS starts. The dialogue is
// a handful of short lines; anything larger is a confused or hostile server.
const (
	maxReplyLine  = 4096
	maxReplyLines = 256
)

// ehloName is the client name sent in EHLO. A name under .invalid cannot
// belong to anyone, so it never impersonates a real host.
const ehloName = "certdeck.invalid"

// startTLSError is a failure of the plain-text upgrade dialogue itself (the
// server refused, did not offer STARTTLS, or answered nonsense).
type startTLSError struct{ msg string }

func (e *startTLSError) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &startTLSError{msg: fmt.Sprintf(format, args...)}
}

// startTLS runs proto's upgrade dialogue on rw. When it returns nil the next
// byte on the wire belongs to TLS. Read deadlines are the caller's (the
// probe's one deadline is already on the socket).
func startTLS(rw io.ReadWriter, proto model.Protocol) error {
	r := bufio.NewReaderSize(rw, maxReplyLine)
	var err error
	switch proto {
	case model.ProtoSMTP:
		err = smtpStartTLS(r, rw)
	case model.ProtoIMAP:
		err = imapStartTLS(r, rw)
	case model.ProtoPOP3:
		err = pop3StartTLS(r, rw)
	case model.ProtoFTP:
		err = ftpStartTLS(r, rw)
	case model.ProtoPostgres:
		err = postgresStartTLS(r, rw)
	default:
		return refuse("no STARTTLS dialogue for protocol %q", proto)
	}
	if err != nil {
		return err
	}
	// Bytes already buffered were sent before the server could have seen
	// our TLS ClientHello: plain text injected ahead of TLS (the STARTTLS
	// command-injection class of bugs). Never let them reach the handshake.
	if r.Buffered() > 0 {
		return refuse("server sent %d unexpected bytes after agreeing to start TLS", r.Buffered())
	}
	return nil
}

func smtpStartTLS(r *bufio.Reader, w io.Writer) error {
	code, lines, err := readCodedReply(r)
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if code != 220 {
		return refuse("server greeting is %s, want 220", quoteReply(lines))
	}
	if err := send(w, "EHLO "+ehloName); err != nil {
		return err
	}
	code, lines, err = readCodedReply(r)
	if err != nil {
		return fmt.Errorf("read EHLO reply: %w", err)
	}
	if code != 250 {
		return refuse("EHLO refused: %s", quoteReply(lines))
	}
	if !offersSMTPStartTLS(lines) {
		return refuse("server does not offer STARTTLS (EHLO reply: %s)", quoteReply(lines))
	}
	if err := send(w, "STARTTLS"); err != nil {
		return err
	}
	code, lines, err = readCodedReply(r)
	if err != nil {
		return fmt.Errorf("read STARTTLS reply: %w", err)
	}
	if code != 220 {
		return refuse("STARTTLS refused: %s", quoteReply(lines))
	}
	return nil
}

// offersSMTPStartTLS looks for the STARTTLS keyword among EHLO lines
// ("250-STARTTLS", case-insensitive).
func offersSMTPStartTLS(lines []string) bool {
	for _, l := range lines {
		if len(l) < 4 {
			continue
		}
		kw, _, _ := strings.Cut(strings.TrimSpace(l[4:]), " ")
		if strings.EqualFold(kw, "STARTTLS") {
			return true
		}
	}
	return false
}

func ftpStartTLS(r *bufio.Reader, w io.Writer) error {
	code, lines, err := readCodedReply(r)
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if code != 220 {
		return refuse("server greeting is %s, want 220", quoteReply(lines))
	}
	if err := send(w, "AUTH TLS"); err != nil {
		return err
	}
	code, lines, err = readCodedReply(r)
	if err != nil {
		return fmt.Errorf("read AUTH TLS reply: %w", err)
	}
	if code != 234 {
		return refuse("AUTH TLS refused: %s", quoteReply(lines))
	}
	return nil
}

func imapStartTLS(r *bufio.Reader, w io.Writer) error {
	greeting, err := readLine(r)
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	up := strings.ToUpper(greeting)
	if !strings.HasPrefix(up, "* OK") && !strings.HasPrefix(up, "* PREAUTH") {
		return refuse("server greeting is %s, want * OK", quoteReply([]string{greeting}))
	}
	if err := send(w, "a1 STARTTLS"); err != nil {
		return err
	}
	status, line, err := readIMAPTagged(r, "a1")
	if err != nil {
		return fmt.Errorf("read STARTTLS reply: %w", err)
	}
	if status != "OK" {
		return refuse("STARTTLS refused: %s", quoteReply([]string{line}))
	}
	return nil
}

func pop3StartTLS(r *bufio.Reader, w io.Writer) error {
	ok, line, err := readPOP3Status(r)
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if !ok {
		return refuse("server greeting is %s, want +OK", quoteReply([]string{line}))
	}
	if err := send(w, "STLS"); err != nil {
		return err
	}
	ok, line, err = readPOP3Status(r)
	if err != nil {
		return fmt.Errorf("read STLS reply: %w", err)
	}
	if !ok {
		return refuse("STLS refused: %s", quoteReply([]string{line}))
	}
	return nil
}

// postgresSSLRequest is the protocol's SSLRequest code (1234 << 16 | 5679).
const postgresSSLRequest = 80877103

func postgresStartTLS(r *bufio.Reader, w io.Writer) error {
	var req [8]byte
	binary.BigEndian.PutUint32(req[:4], 8)
	binary.BigEndian.PutUint32(req[4:], postgresSSLRequest)
	if _, err := w.Write(req[:]); err != nil {
		return fmt.Errorf("send SSLRequest: %w", err)
	}
	b, err := r.ReadByte()
	if err != nil {
		return fmt.Errorf("read SSLRequest reply: %w", err)
	}
	return postgresReply(b)
}

// postgresReply interprets the one-byte answer to SSLRequest.
func postgresReply(b byte) error {
	switch b {
	case 'S':
		return nil
	case 'N':
		return refuse("server does not accept SSL (answered N to SSLRequest)")
	case 'E':
		return refuse("server answered SSLRequest with an error message (a pre-7.0 or non-PostgreSQL server?)")
	}
	return refuse("server answered SSLRequest with byte 0x%02x, want 'S'", b)
}

func send(w io.Writer, line string) error {
	if _, err := io.WriteString(w, line+"\r\n"); err != nil {
		return fmt.Errorf("send %s: %w", strings.Fields(line)[0], err)
	}
	return nil
}

// readLine reads one line without its CRLF. A line longer than the buffer
// is an error, not a reason to keep reading.
func readLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", refuse("server sent a line longer than %d bytes", maxReplyLine)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "", refuse("server closed the connection")
		}
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// readCodedReply reads an SMTP/FTP reply: "ddd text", or a multi-line
// reply that starts "ddd-" and ends at the first line "ddd " with the same
// code. FTP allows uncoded lines in between, SMTP does not, and both are
// accepted. It returns the code and every line.
func readCodedReply(r *bufio.Reader) (int, []string, error) {
	first, err := readLine(r)
	if err != nil {
		return 0, nil, err
	}
	code, ok := replyCode(first)
	if !ok {
		return 0, nil, refuse("reply %s does not start with a 3-digit code", quoteReply([]string{first}))
	}
	lines := []string{first}
	if len(first) == 3 || first[3] == ' ' {
		return code, lines, nil
	}
	if first[3] != '-' {
		return 0, nil, refuse("reply %s: want a space or '-' after the code", quoteReply(lines))
	}
	for len(lines) < maxReplyLines {
		l, err := readLine(r)
		if err != nil {
			return 0, nil, err
		}
		lines = append(lines, l)
		if c, ok := replyCode(l); ok && c == code && (len(l) == 3 || l[3] == ' ') {
			return code, lines, nil
		}
	}
	return 0, nil, refuse("multi-line reply longer than %d lines", maxReplyLines)
}

func replyCode(l string) (int, bool) {
	if len(l) < 3 {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		if l[i] < '0' || l[i] > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(l[:3])
	return n, n >= 100
}

// readIMAPTagged skips untagged ("* ...") and continuation lines and
// returns the status word (OK, NO, BAD) of the line tagged tag.
func readIMAPTagged(r *bufio.Reader, tag string) (status, line string, err error) {
	for i := 0; i < maxReplyLines; i++ {
		l, err := readLine(r)
		if err != nil {
			return "", "", err
		}
		if strings.HasPrefix(l, "* ") || strings.HasPrefix(l, "+ ") || l == "+" {
			continue
		}
		rest, ok := strings.CutPrefix(l, tag+" ")
		if !ok {
			return "", "", refuse("unexpected reply %s", quoteReply([]string{l}))
		}
		word, _, _ := strings.Cut(rest, " ")
		return strings.ToUpper(word), l, nil
	}
	return "", "", refuse("no tagged reply within %d lines", maxReplyLines)
}

// readPOP3Status reads one "+OK ..." or "-ERR ..." line.
func readPOP3Status(r *bufio.Reader) (ok bool, line string, err error) {
	l, err := readLine(r)
	if err != nil {
		return false, "", err
	}
	switch {
	case l == "+OK" || strings.HasPrefix(l, "+OK "):
		return true, l, nil
	case l == "-ERR" || strings.HasPrefix(l, "-ERR "):
		return false, l, nil
	}
	return false, "", refuse("reply %s is neither +OK nor -ERR", quoteReply([]string{l}))
}

// quoteReply renders server text for an error message: quoted (so control
// characters cannot reach a terminal), joined, and cut to a readable size.
func quoteReply(lines []string) string {
	s := strings.Join(lines, " | ")
	const max = 160
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}
