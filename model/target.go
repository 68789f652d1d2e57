package model

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Protocol names how a TLS session is started on a connection.
type Protocol string

const (
	ProtoTLS      Protocol = "tls" // TLS from the first byte
	ProtoSMTP     Protocol = "smtp"
	ProtoIMAP     Protocol = "imap"
	ProtoPOP3     Protocol = "pop3"
	ProtoFTP      Protocol = "ftp"
	ProtoPostgres Protocol = "postgres"
)

// defaultPorts are used when an address names no port.
var defaultPorts = map[Protocol]string{
	ProtoTLS: "443", ProtoSMTP: "25", ProtoIMAP: "143", ProtoPOP3: "110",
	ProtoFTP: "21", ProtoPostgres: "5432",
}

// schemeAliases are schemes an operator pastes from a browser that mean a
// protocol above: https://host is TLS from the first byte, port 443.
var schemeAliases = map[string]Protocol{"https": ProtoTLS}

// Target is a parsed endpoint address: where to connect and how to start TLS.
type Target struct {
	Protocol Protocol
	Host     string // name or IP literal, without brackets
	Port     string
}

// Addr is host:port as net.Dial wants it (IPv6 in brackets).
func (t Target) Addr() string { return net.JoinHostPort(t.Host, t.Port) }

// String is the address as an operator would write it back.
func (t Target) String() string {
	if t.Protocol == ProtoTLS {
		return t.Addr()
	}
	return string(t.Protocol) + "://" + t.Addr()
}

// IsIP reports whether the host is an IP literal (then there is no default SNI).
func (t Target) IsIP() bool { return net.ParseIP(t.Host) != nil }

// ParseTarget accepts host, host:port, [v6]:port, a bare IPv6 literal, and
// scheme://host[:port] for tls, https (the same as tls), smtp, imap, pop3,
// ftp and postgres.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, fmt.Errorf("empty address")
	}
	t := Target{Protocol: ProtoTLS}
	hostport := s
	if i := strings.Index(s, "://"); i >= 0 {
		u, err := url.Parse(s)
		if err != nil {
			// url.Error repeats the whole address; it is quoted once here.
			if ue, ok := err.(*url.Error); ok {
				err = ue.Err
			}
			return Target{}, fmt.Errorf("address %q: %w", s, err)
		}
		t.Protocol = Protocol(strings.ToLower(u.Scheme))
		if p, ok := schemeAliases[string(t.Protocol)]; ok {
			t.Protocol = p
		}
		if _, ok := defaultPorts[t.Protocol]; !ok {
			return Target{}, fmt.Errorf("address %q: unknown scheme %q (want tls, https, smtp, imap, pop3, ftp or postgres)", s, u.Scheme)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
			return Target{}, fmt.Errorf("address %q: only scheme://host[:port] is allowed", s)
		}
		hostport = u.Host
	}
	if ip := net.ParseIP(hostport); ip != nil && strings.Contains(hostport, ":") {
		// A bare IPv6 literal: no port given.
		t.Host, t.Port = hostport, defaultPorts[t.Protocol]
		return t, nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			host, port = strings.Trim(hostport, "[]"), defaultPorts[t.Protocol]
		} else {
			return Target{}, fmt.Errorf("address %q: %w", s, err)
		}
	}
	if host == "" {
		return Target{}, fmt.Errorf("address %q: no host", s)
	}
	if strings.ContainsAny(host, " /\\@") {
		return Target{}, fmt.Errorf("address %q: invalid host %q", s, host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Target{}, fmt.Errorf("address %q: port must be 1-65535", s)
	}
	t.Host, t.Port = host, port
	return t, nil
}
