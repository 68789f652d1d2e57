package report

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"time"

	"certdeck/model"
)

// jsonReport is the `certdeck check --format json` document. Every key is
// always present (no omitempty) so scripts can index without guarding.
type jsonReport struct {
	Endpoints  []jsonEndpoint           `json:"endpoints"`
	Bundles    []model.BundleReport     `json:"bundles"`
	TicketKeys []model.TicketKeysReport `json:"ticket_keys"`
}

type jsonEndpoint struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	SNI     string `json:"sni"`
	jsonProbe
	// Addresses lists, for an endpoint probed at every address of its name
	// (all_ips), each address's own result; [] otherwise.
	Addresses []jsonProbe `json:"addresses"`
}

// jsonProbe is what one probe found: the endpoint's fields (those of its
// worst address under all_ips), or one address's.
type jsonProbe struct {
	IP          string     `json:"ip"`
	Status      string     `json:"status"`
	Reasons     []string   `json:"reasons"` // the verdict's findings, worst first, as bundles have them
	Error       string     `json:"error"`
	ErrorKind   string     `json:"error_kind"`
	TLSVersion  string     `json:"tls_version"`
	Cipher      string     `json:"cipher"`
	ALPN        string     `json:"alpn"`
	LatencyMS   float64    `json:"latency_ms"`
	Verified    bool       `json:"verified"`
	VerifyError string     `json:"verify_error"`
	HostnameOK  bool       `json:"hostname_ok"`
	OCSPStapled bool       `json:"ocsp_stapled"`
	Leaf        *jsonCert  `json:"leaf"`
	Chain       []jsonCert `json:"chain"`
	Ticket      jsonTicket `json:"ticket"`
	OCSP        jsonOCSP   `json:"ocsp"`
	ClientCert  jsonClient `json:"client_cert"`
	// AlsoServes: the certificate of the other key type a dual RSA+ECDSA
	// server hands the clients that prefer it ([] when none was found);
	// other_key_unchecked says why that could not be asked ("" if it was).
	AlsoServes        []jsonServed `json:"also_serves"`
	OtherKeyUnchecked string       `json:"other_key_unchecked"`
}

type jsonServed struct {
	Leaf        *jsonCert  `json:"leaf"`
	Chain       []jsonCert `json:"chain"`
	Verified    bool       `json:"verified"`
	VerifyError string     `json:"verify_error"`
	HostnameOK  bool       `json:"hostname_ok"`
}

type jsonCert struct {
	Subject   string   `json:"subject"`
	SANs      []string `json:"sans"`
	Issuer    string   `json:"issuer"`
	Serial    string   `json:"serial"`
	NotBefore string   `json:"not_before"`
	NotAfter  string   `json:"not_after"`
	DaysLeft  int      `json:"days_left"`
	Key       string   `json:"key"`
	SigAlg    string   `json:"sig_alg"`
	SHA256    string   `json:"sha256"`
}

// jsonTicket: kind is named | opaque | stateful | session-id | "" (none);
// resumed is null when the resumption check did not run ("not checked"),
// never a false "does not resume"; opaque stays for scripts written
// before kind existed.
type jsonTicket struct {
	Kind    string `json:"kind"`
	KeyName string `json:"key_name"`
	Resumed *bool  `json:"resumed"`
	Opaque  bool   `json:"opaque"`
}

// jsonOCSP is the stapled OCSP response; times are null when absent.
type jsonOCSP struct {
	Stapled    bool    `json:"stapled"`
	Status     string  `json:"status"`
	ThisUpdate *string `json:"this_update"`
	NextUpdate *string `json:"next_update"`
	RevokedAt  *string `json:"revoked_at"`
	Reason     string  `json:"reason"`
	Error      string  `json:"error"`
}

type jsonClient struct {
	Requested bool `json:"requested"`
	Required  bool `json:"required"`
	Sent      bool `json:"sent"`
}

// JSON writes the state as one JSON document, endpoints then bundles, each
// worst first (the table's order), times in RFC 3339 UTC. state must be
// classified at now. The document is written one endpoint at a time, so a
// fleet of 100,000 never exists as one encoded buffer (the bytes are those
// of json.Encoder with a two-space indent, as before).
func JSON(w io.Writer, state *model.State, now time.Time) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	eps := state.WorstFirst(now)
	bundles := state.BundlesWorstFirst(now)
	tickets := state.TicketKeysWorstFirst(now)
	bw.WriteString("{\n  \"endpoints\": ")
	err := writeArray(bw, len(eps), func(i int) any { return endpointJSON(eps[i], now) })
	if err != nil {
		return err
	}
	bw.WriteString(",\n  \"bundles\": ")
	if err := writeArray(bw, len(bundles), func(i int) any { return bundles[i].Report(now) }); err != nil {
		return err
	}
	bw.WriteString(",\n  \"ticket_keys\": ")
	if err := writeArray(bw, len(tickets), func(i int) any { return tickets[i].Report(now) }); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// writeArray writes n elements as a JSON array indented as the second
// level of the document.
func writeArray(w *bufio.Writer, n int, item func(i int) any) error {
	if n == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	w.WriteString("[\n")
	for i := range n {
		b, err := json.MarshalIndent(item(i), "    ", "  ")
		if err != nil {
			return err
		}
		w.WriteString("    ")
		w.Write(escapeTerminalRunes(b))
		if i < n-1 {
			w.WriteString(",\n")
		}
	}
	_, err := w.WriteString("\n  ]")
	return err
}

func endpointJSON(es *model.EndpointState, now time.Time) jsonEndpoint {
	e := jsonEndpoint{
		Name: es.Endpoint.Name, Address: es.Endpoint.Target.String(), SNI: es.Endpoint.SNI,
		jsonProbe: probeJSON(es.Last, es.Verdict, now), Addresses: []jsonProbe{},
	}
	if es.Last != nil {
		for _, a := range es.Last.Addresses {
			e.Addresses = append(e.Addresses, probeJSON(a, model.ClassifyEndpoint(a, es.Endpoint.Thresholds, now), now))
		}
	}
	return e
}

// probeJSON is one observation (nil: not probed yet) with its verdict.
func probeJSON(o *model.Observation, v model.Verdict, now time.Time) jsonProbe {
	e := jsonProbe{Status: v.Status.String(), Reasons: append([]string{}, v.Reasons...), Chain: []jsonCert{}, AlsoServes: []jsonServed{}}
	if o == nil {
		return e
	}
	e.IP, e.Error, e.ErrorKind = o.IP, o.Error, string(o.ErrKind)
	e.TLSVersion, e.Cipher, e.ALPN = o.TLSVersion, o.Cipher, o.ALPN
	// Milliseconds with microsecond precision: local probes take well
	// under a millisecond and must not all read 0.
	e.LatencyMS = math.Round(float64(o.Latency)/float64(time.Microsecond)) / 1000
	e.Verified, e.VerifyError, e.HostnameOK = o.Verified, o.VerifyError, o.HostnameOK
	e.OCSPStapled = o.OCSP.Stapled
	for i := range o.Chain {
		e.Chain = append(e.Chain, certJSON(&o.Chain[i], now))
	}
	if len(e.Chain) > 0 {
		leaf := e.Chain[0]
		e.Leaf = &leaf
	}
	e.Ticket = jsonTicket{Kind: string(o.Ticket.Kind), KeyName: o.Ticket.KeyName, Opaque: o.Ticket.Opaque}
	if o.Ticket.ResumeChecked {
		resumed := o.Ticket.Resumed
		e.Ticket.Resumed = &resumed
	}
	e.OCSP = jsonOCSP{Stapled: o.OCSP.Stapled, Status: o.OCSP.Status, ThisUpdate: jsonTime(o.OCSP.ThisUpdate),
		NextUpdate: jsonTime(o.OCSP.NextUpdate), RevokedAt: jsonTime(o.OCSP.RevokedAt), Reason: o.OCSP.Reason, Error: o.OCSP.Error}
	e.ClientCert = jsonClient(o.ClientCert)
	for _, sc := range o.AlsoServes {
		js := jsonServed{Chain: []jsonCert{}, Verified: sc.Verified, VerifyError: sc.VerifyError, HostnameOK: sc.HostnameOK}
		for i := range sc.Chain {
			js.Chain = append(js.Chain, certJSON(&sc.Chain[i], now))
		}
		if len(js.Chain) > 0 {
			leaf := js.Chain[0]
			js.Leaf = &leaf
		}
		e.AlsoServes = append(e.AlsoServes, js)
	}
	e.OtherKeyUnchecked = o.OtherKeyUnchecked
	return e
}

// jsonTime is t in RFC 3339 UTC, or nil (null) when zero.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func certJSON(c *model.CertInfo, now time.Time) jsonCert {
	sans := c.SANs
	if sans == nil {
		sans = []string{}
	}
	return jsonCert{
		Subject: c.Subject, SANs: sans, Issuer: c.Issuer, Serial: c.Serial,
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:  c.NotAfter.UTC().Format(time.RFC3339),
		DaysLeft:  model.DaysLeft(c.NotAfter, now),
		Key:       c.Key, SigAlg: c.SigAlg, SHA256: c.SHA256,
	}
}
