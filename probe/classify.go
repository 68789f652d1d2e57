package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"certdeck/model"
)

// classify turns a probe failure into an error kind and a sentence for the
// row. The order matters: a deadline that passes while a STARTTLS read is
// blocked is a timeout (the server stalls), not a STARTTLS failure.
func classify(err error, timeout time.Duration) (model.ErrorKind, string) {
	step := stepHandshake
	var se *stepError
	if errors.As(err, &se) {
		step = se.step
	}
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	var stErr *startTLSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return model.ErrDNS, explainDNS(dnsErr)
	case isTimeout(err):
		return model.ErrTimeout, fmt.Sprintf("no answer within %s during %s", timeout, step)
	case errors.Is(err, context.Canceled):
		return model.ErrTimeout, "probe cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return model.ErrRefused, "connection refused (nothing listens on that port, or a firewall rejects it)"
	case errors.As(err, &stErr):
		return model.ErrStartTLS, "STARTTLS failed: " + stErr.msg
	case step == stepStartTLS && (isReset(err) || errors.Is(err, io.EOF)):
		return model.ErrStartTLS, "STARTTLS failed: server closed the connection"
	case errors.As(err, &recErr):
		return model.ErrNotTLS, "server does not speak TLS here: it answered " + describeNonTLS(recErr.RecordHeader[:])
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		return model.ErrTLSAlert, "server sent TLS alert: " + strings.TrimPrefix(opErr.Err.Error(), "tls: ")
	case isReset(err):
		return model.ErrReset, "connection reset by the server during " + step
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return model.ErrReset, "server closed the connection during " + step
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return model.ErrProtocol, "host unreachable (no route to it)"
	}
	return model.ErrProtocol, fmt.Sprintf("%s failed: %s", step, innermost(err))
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

func explainDNS(e *net.DNSError) string {
	switch {
	case e.IsNotFound:
		return fmt.Sprintf("cannot resolve %q: no such host", e.Name)
	case e.IsTimeout:
		return fmt.Sprintf("cannot resolve %q: DNS lookup timed out", e.Name)
	}
	return fmt.Sprintf("cannot resolve %q: %s", e.Name, e.Err)
}

// describeNonTLS names what a non-TLS answer looks like, from the first
// five bytes the server sent, so "it's SSH" or "it's HTTP" is visible.
func describeNonTLS(b []byte) string {
	s := string(b)
	switch {
	case strings.HasPrefix(s, "SSH-"):
		return "an SSH banner " + strconv.Quote(s)
	case strings.HasPrefix(s, "HTTP/"):
		return "plain HTTP " + strconv.Quote(s)
	case len(s) >= 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9':
		return "a plain-text greeting " + strconv.Quote(s) + " (STARTTLS port? use smtp:// or ftp://)"
	case strings.HasPrefix(s, "* OK"):
		return "an IMAP greeting (use imap://)"
	case strings.HasPrefix(s, "+OK"):
		return "a POP3 greeting (use pop3://)"
	}
	return "bytes " + strconv.Quote(s)
}

// innermost strips Go's wrapping ("dial tcp 1.2.3.4:443: ") down to the
// sentence that says what went wrong.
func innermost(err error) string {
	for {
		switch e := err.(type) {
		case *stepError:
			err = e.err
		case *net.OpError:
			err = e.Err
		default:
			return err.Error()
		}
	}
}
