package report

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"time"

	"certdeck/model"
)

// jsonReport is the `certdeck check --format json` document. Every key is
// always present (no omitempty) so scripts can index without guarding.
type jsonReport struct {
	Endpoints []jsonEndpoint       `json:"endpoints"`
	Bundles   []model.BundleReport `json:"bundles"`
}

type jsonEndpoint struct {
	Name        string     `json:"name"`
	Address     string     `json:"address"`
	SNI         string     `json:"sni"`
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

type jsonTicket struct {
	KeyName string `json:"key_name"`
	Resumed bool   `json:"resumed"`
	Opaque  bool   `json:"opaque"`
}

// JSON writes the state as one JSON document, endpoints then bundles, each
// worst first (the table's order), times in RFC 3339 UTC. state must be classified at now.
func JSON(w io.Writer, state *model.State, now time.Time) error {
	doc := jsonReport{Endpoints: []jsonEndpoint{}, Bundles: []model.BundleReport{}}
	for _, es := range state.WorstFirst(now) {
		doc.Endpoints = append(doc.Endpoints, endpointJSON(es, now))
	}
	for _, b := range state.BundlesWorstFirst(now) {
		doc.Bundles = append(doc.Bundles, b.Report(now))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := w.Write(escapeTerminalRunes(buf.Bytes()))
	return err
}

func endpointJSON(es *model.EndpointState, now time.Time) jsonEndpoint {
	e := jsonEndpoint{
		Name: es.Endpoint.Name, Address: es.Endpoint.Target.String(), SNI: es.Endpoint.SNI,
		Status: es.Verdict.Status.String(), Reasons: append([]string{}, es.Verdict.Reasons...), Chain: []jsonCert{},
	}
	o := es.Last
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
	e.Ticket = jsonTicket{KeyName: o.Ticket.KeyName, Resumed: o.Ticket.Resumed, Opaque: o.Ticket.Opaque}
	return e
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
