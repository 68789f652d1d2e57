package model

import "time"

// ErrorKind classifies why a probe could not complete, so scripts and the
// console can tell "DNS is broken" from "the server stalls".
type ErrorKind string

const (
	ErrDNS      ErrorKind = "dns"       // name did not resolve
	ErrRefused  ErrorKind = "refused"   // connection refused
	ErrTimeout  ErrorKind = "timeout"   // deadline passed (dial, STARTTLS or handshake)
	ErrReset    ErrorKind = "reset"     // peer reset or closed mid-handshake
	ErrNotTLS   ErrorKind = "not_tls"   // the peer answered in something that is not TLS
	ErrTLSAlert ErrorKind = "tls_alert" // the server sent a TLS alert
	ErrProtocol ErrorKind = "protocol"  // any other TLS or network failure
	ErrStartTLS ErrorKind = "starttls"  // the plain-text upgrade dialogue failed
)

// Observation is the result of one probe of one endpoint: what it served and
// how, or why that could not be learned. Probes produce it; State applies it.
type Observation struct {
	Endpoint string        `json:"endpoint"`
	Time     time.Time     `json:"time"`    // when the probe started
	Latency  time.Duration `json:"latency"` // TCP connect to handshake done, STARTTLS included

	IP         string `json:"ip,omitempty"`
	TLSVersion string `json:"tls_version,omitempty"` // "TLS 1.3"
	Cipher     string `json:"cipher,omitempty"`
	ALPN       string `json:"alpn,omitempty"`

	// Chain is every certificate the server sent, in the order sent.
	Chain []CertInfo `json:"chain,omitempty"`
	// Verified is true when the chain verifies against the trust roots
	// (system roots, or the endpoint's ca:), ignoring the host name.
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"`
	HostnameOK  bool   `json:"hostname_ok"`
	// HostChecked is the name the certificate was checked against: the
	// SNI sent, or the address's IP literal when no name is known.
	HostChecked string `json:"host_checked,omitempty"`
	// ChainProblems lists ordering faults: a certificate not signed by the
	// next one, duplicates, or the leaf not first.
	ChainProblems []string `json:"chain_problems,omitempty"`

	// AlsoServes holds the certificate of the other key type (ECDSA when
	// Chain's leaf is RSA, RSA when it is ECDSA) that the server hands to
	// clients preferring that type, when it has one (also_serves.go).
	// OtherKeyUnchecked says why that could not be learned ("" when it
	// was, or when the leaf is of neither type).
	AlsoServes        []ServedCert `json:"also_serves,omitempty"`
	OtherKeyUnchecked string       `json:"other_key_unchecked,omitempty"`

	OCSP       OCSPInfo       `json:"ocsp"`
	ClientCert ClientCertInfo `json:"client_cert"`
	Ticket     TicketInfo     `json:"ticket"`

	Error   string    `json:"error,omitempty"`
	ErrKind ErrorKind `json:"error_kind,omitempty"`

	// Addresses, for an endpoint probed at every address of its name
	// (all_ips), holds one observation per address, in address order; the
	// fields above are then those of the worst address, and the status is
	// judged over all of them (ClassifyEndpoint).
	Addresses []*Observation `json:"addresses,omitempty"`
	// AddressesSkipped counts the addresses past the most all_ips probes
	// (the name had more): not known, so a WARN.
	AddressesSkipped int `json:"addresses_skipped,omitempty"`
}

// OCSP staple statuses.
const (
	OCSPGood    = "good"
	OCSPRevoked = "revoked"
	OCSPUnknown = "unknown"
)

// OCSPInfo describes a stapled OCSP response. Status is set only for a
// staple that parses, is signed by the leaf's issuer (or a responder the
// issuer delegated to) and covers the served leaf; otherwise Error says
// why the staple is not trusted and Status is empty. A trusted staple past
// its next_update keeps its Status, and Error says it is stale.
type OCSPInfo struct {
	Stapled    bool      `json:"stapled"`
	Status     string    `json:"status"` // OCSPGood | OCSPRevoked | OCSPUnknown | ""
	ThisUpdate time.Time `json:"this_update,omitzero"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	// Reason is the revocation reason in RFC 5280 words ("keyCompromise").
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ClientCertInfo is what the server said about client certificates.
type ClientCertInfo struct {
	// Requested: the server sent a CertificateRequest.
	Requested bool `json:"requested"`
	// Required: the server refused the connection for want of one
	// (certificate_required under TLS 1.3, handshake_failure or
	// bad_certificate under TLS 1.2 after a request).
	Required bool `json:"required"`
	// Sent: the probe presented the endpoint's client_cert.
	Sent bool `json:"sent"`
}

// TicketKind says what a server hands out to resume sessions.
type TicketKind string

const (
	TicketNone TicketKind = "" // nothing seen
	// TicketNamed: OpenSSL-style tickets whose first 16 bytes name the
	// encrypting key (nginx, HAProxy, Apache with ticket keys).
	TicketNamed TicketKind = "named"
	// TicketOpaque: encrypted tickets whose prefix is random per ticket
	// (Go, Dovecot): they name no key.
	TicketOpaque TicketKind = "opaque"
	// TicketStateful: short handles into the server's session cache, not
	// encrypted state (OpenSSL under TLS 1.3 with tickets off).
	TicketStateful TicketKind = "stateful"
	// TicketSessionID: no ticket; TLS 1.2 resumption by session ID.
	TicketSessionID TicketKind = "session-id"
)

// TicketInfo is what the probe learned about session tickets.
type TicketInfo struct {
	// Issued is true when the server handed out a ticket at all.
	Issued bool       `json:"issued"`
	Kind   TicketKind `json:"kind"`
	// KeyName is the first 16 bytes of the ticket in hex: the name of the
	// encrypting key on OpenSSL-style servers (Kind TicketNamed only).
	KeyName string `json:"key_name,omitempty"`
	// Opaque is true when the prefix changes on every ticket (Go servers),
	// so it names no key.
	Opaque bool `json:"opaque"`
	// ResumeChecked is true when a second handshake tried to resume;
	// Resumed tells whether the server accepted it. A check that could
	// not run leaves ResumeChecked false ("not checked"), never a false
	// "does not resume".
	ResumeChecked bool `json:"resume_checked"`
	Resumed       bool `json:"resumed"`
	// ResumeCheckedAt is when that answer was obtained: the probe's own
	// time, or earlier when a prober reuses a recent answer while the
	// server's ticket key is unchanged (ProbeOptions.ResumeEvery).
	ResumeCheckedAt time.Time `json:"resume_checked_at,omitzero"`
}

// Leaf is the first certificate sent, or nil when none was.
func (o *Observation) Leaf() *CertInfo {
	if o == nil || len(o.Chain) == 0 {
		return nil
	}
	return &o.Chain[0]
}

// Failed reports whether the probe could not complete.
func (o *Observation) Failed() bool { return o != nil && o.Error != "" }
