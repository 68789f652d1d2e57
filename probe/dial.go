package probe

import (
	"context"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"certdeck/model"
)

// Steps of a probe, named in error messages ("no answer within 5s during
// the TLS handshake") so on-call knows where a conversation stalled.
const (
	stepDial      = "connect"
	stepStartTLS  = "STARTTLS"
	stepHandshake = "the TLS handshake"
)

// stepError records which step of a probe failed.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// dialed is a connected socket and when its TCP connect started: latency
// is measured from there, so DNS time does not count as server slowness.
type dialed struct {
	conn         net.Conn
	connectStart time.Time
}

// dial resolves and connects to t. ctx carries the probe's one deadline, so
// DNS and connect share it with everything that follows.
func dial(ctx context.Context, t model.Target) (dialed, error) {
	var started atomic.Int64
	d := net.Dialer{
		// A probe's connection lives for one handshake: TCP keep-alive
		// would only cost the setsockopt calls that configure it.
		KeepAlive: -1,
		// ControlContext runs just before connect(2) on each attempt, after
		// name resolution: the moment the server starts to matter.
		ControlContext: func(context.Context, string, string, syscall.RawConn) error {
			started.Store(time.Now().UnixNano())
			return nil
		},
	}
	conn, err := d.DialContext(ctx, "tcp", t.Addr())
	if err != nil {
		return dialed{}, &stepError{step: stepDial, err: err}
	}
	if dl, ok := ctx.Deadline(); ok {
		// Socket reads and writes outside HandshakeContext (STARTTLS, the
		// ticket read) honour the same deadline.
		_ = conn.SetDeadline(dl)
	}
	start := time.Unix(0, started.Load())
	if started.Load() == 0 {
		start = time.Now()
	}
	return dialed{conn: conn, connectStart: start}, nil
}

// remoteIP is the address actually reached.
func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	return host
}
