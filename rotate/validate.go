package rotate

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"certdeck/model"
)

// Inputs is what a publish starts from: PEM bytes as read from the files
// the operator named, plus options. Either Fullchain, or Cert with an
// optional Chain, must hold the certificates.
type Inputs struct {
	Cert      []byte // leaf (certbot cert.pem); may also carry the chain
	Chain     []byte // intermediates (certbot chain.pem)
	Fullchain []byte // leaf + intermediates; used instead of Cert+Chain
	Key       []byte // private key; never logged or echoed
	CA        []byte // optional: verify against these roots instead of the system's

	// Source describes where the inputs came from, for meta.json and the
	// audit log ("certbot:/etc/letsencrypt/live/x", "files:cert.pem").
	Source string
	// AllowNameChange permits publishing a certificate that drops names
	// the current version covers.
	AllowNameChange bool
	// AllowShorter permits publishing a certificate that expires before
	// the current version's does (a publish that goes backwards: usually
	// an old file picked up by mistake).
	AllowShorter bool
	// AlsoWrite lists single-file copies (key + fullchain) to replace
	// atomically after a successful publish, e.g. for Postfix.
	AlsoWrite []string
}

// candidate is a parsed, normalised bundle ready to stage: certificates
// re-encoded from DER and the key block re-encoded from its PEM block, so
// stray text in the inputs never reaches the published files.
type candidate struct {
	chain   []*x509.Certificate // leaf first
	key     crypto.PrivateKey
	keyPEM  []byte
	roots   *x509.CertPool // nil: system roots
	summary VersionSummary
}

// parseInputs decodes the inputs without judging them.
func parseInputs(in Inputs, defaultRoots *x509.CertPool) (*candidate, error) {
	var certs []*x509.Certificate
	if len(in.Fullchain) > 0 {
		p, err := model.ParsePEM(in.Fullchain)
		if err != nil {
			return nil, refuse(ReasonBadInput, "fullchain: %v", err)
		}
		certs = p.Certs
	} else {
		if len(in.Cert) == 0 {
			return nil, refuse(ReasonBadInput, "no certificate given")
		}
		p, err := model.ParsePEM(in.Cert)
		if err != nil {
			return nil, refuse(ReasonBadInput, "certificate: %v", err)
		}
		certs = p.Certs
		if len(bytesTrim(in.Chain)) > 0 {
			c, err := model.ParsePEM(in.Chain)
			if err != nil {
				return nil, refuse(ReasonBadInput, "chain: %v", err)
			}
			certs = append(certs, c.Certs...)
		}
	}
	if len(certs) == 0 {
		return nil, refuse(ReasonBadInput, "no certificate found in the certificate input")
	}
	if len(in.Key) == 0 {
		return nil, refuse(ReasonBadInput, "no private key given")
	}
	kp, err := model.ParsePEM(in.Key)
	if err != nil {
		return nil, refuse(ReasonBadInput, "private key: %v", err)
	}
	if kp.Key == nil {
		return nil, refuse(ReasonBadInput, "private key input holds no private key")
	}
	keyPEM, err := keyBlockPEM(in.Key)
	if err != nil {
		return nil, err
	}
	c := &candidate{chain: certs, key: kp.Key, keyPEM: keyPEM, roots: defaultRoots}
	if len(bytesTrim(in.CA)) > 0 {
		ca, err := model.ParsePEM(in.CA)
		if err != nil || len(ca.Certs) == 0 {
			return nil, refuse(ReasonBadInput, "CA file holds no certificate")
		}
		c.roots = x509.NewCertPool()
		for _, r := range ca.Certs {
			c.roots.AddCert(r)
		}
	}
	c.summary = summarize(certs[0])
	return c, nil
}

// keyBlockPEM re-encodes the first private key block of data. Only the
// block is kept (no surrounding text, no second key). Errors never quote
// the data.
func keyBlockPEM(data []byte) ([]byte, error) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, refuse(ReasonBadInput, "private key input holds no private key block")
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			return pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: b.Bytes}), nil
		}
	}
}

func bytesTrim(b []byte) string { return strings.TrimSpace(string(b)) }

// publishRules are the checks against the current version an operator
// may waive.
type publishRules struct {
	allowNameChange bool
	allowShorter    bool
}

func (in Inputs) rules() publishRules {
	return publishRules{allowNameChange: in.AllowNameChange, allowShorter: in.AllowShorter}
}

// validate applies every publish rule. cur is the version now published
// (nil for a first publish).
func (c *candidate) validate(now time.Time, cur *loadedVersion, rules publishRules) error {
	leaf := c.chain[0]
	// Order first: with a reversed chain the "leaf" is an intermediate, and
	// "chain broken" is the true reason, not "key mismatch".
	if probs := model.ChainOrderProblems(c.chain); len(probs) > 0 {
		return refuse(ReasonChainBroken, "%s", strings.Join(probs, "; "))
	}
	if !model.KeyMatchesCert(c.key, leaf) {
		return refuse(ReasonKeyMismatch, "the private key does not belong to certificate %q (serial %s)",
			leaf.Subject.CommonName, model.SerialHex(leaf.SerialNumber))
	}
	if now.After(leaf.NotAfter) {
		return refuse(ReasonExpired, "certificate %q expired %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return refuse(ReasonNotYetValid, "certificate %q is not valid until %s", leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if err := model.VerifyChain(c.chain, c.roots, "", now); err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			// An intermediate outside its window: the leaf alone was checked above.
			return refuse(ReasonExpired, "%s", model.ExplainVerifyError(err, now))
		}
		return refuse(ReasonChainBroken, "%s", model.ExplainVerifyError(err, now))
	}
	if cur == nil {
		return nil
	}
	current := cur.chain[0]
	if !rules.allowNameChange {
		if lost := lostNames(current, leaf); len(lost) > 0 {
			return refuse(ReasonNamesLost, "the new certificate drops %s, which the current version covers (use --allow-name-change if intended)",
				strings.Join(lost, ", "))
		}
	}
	if !rules.allowShorter && expiresSooner(leaf, current) {
		return refuse(ReasonShorter, "the new certificate (serial %s) expires %s, %s before the current version %s (serial %s, expires %s) (use --allow-shorter if intended)",
			model.SerialHex(leaf.SerialNumber), leaf.NotAfter.UTC().Format(time.DateOnly), sooner(leaf, current),
			cur.name, model.SerialHex(current.SerialNumber), current.NotAfter.UTC().Format(time.DateOnly))
	}
	return nil
}

// expiresSooner reports whether next expires before current: a publish
// that goes backwards.
func expiresSooner(next, current *x509.Certificate) bool {
	return next.NotAfter.Before(current.NotAfter)
}

// sooner says by how much next expires before current, in the largest
// unit that reads naturally ("65 days", "3 hours").
func sooner(next, current *x509.Certificate) string {
	d := current.NotAfter.Sub(next.NotAfter)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return d.Round(time.Second).String()
}

// lostNames are the SANs of old that new does not carry.
func lostNames(old, new *x509.Certificate) []string {
	return model.MissingNames(certNames(old), certNames(new))
}

// certNames lists SANs (DNS names lowercased, then IPs); a certificate with
// no SANs falls back to its common name, as old certificates do.
func certNames(c *x509.Certificate) []string {
	var out []string
	for _, d := range c.DNSNames {
		out = append(out, strings.ToLower(d))
	}
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	if len(out) == 0 && c.Subject.CommonName != "" {
		out = append(out, strings.ToLower(c.Subject.CommonName))
	}
	return out
}

// VersionSummary is what the console and `store ls` show about a version.
type VersionSummary struct {
	Serial    string    `json:"serial"`
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SANs      []string  `json:"sans"`
	SHA256    string    `json:"sha256"` // leaf certificate fingerprint
}

func summarize(leaf *x509.Certificate) VersionSummary {
	info := model.DescribeCert(leaf)
	return VersionSummary{
		Serial:    info.Serial,
		Subject:   info.SubjectCN,
		NotBefore: info.NotBefore,
		NotAfter:  info.NotAfter,
		SANs:      certNames(leaf),
		SHA256:    info.SHA256,
	}
}

// errorf wraps err with the operation and bundle name.
func errorf(op, name string, err error) error {
	return fmt.Errorf("%s %s: %w", op, name, err)
}
