package probe

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/ocsp"

	"certdeck/model"
)

// stapleClockSkew is how far in the future a staple's this_update may be
// before it is called not yet valid: responders and servers are not
// perfectly in sync with the probe.
const stapleClockSkew = 5 * time.Minute

// describeStaple reports a stapled OCSP response. Its status is believed
// only when the response covers the served leaf (its serial) and is signed
// by the leaf's issuer or by a responder the issuer delegated to (a
// certificate the issuer signed, carrying id-kp-OCSPSigning, valid now:
// RFC 6960, 4.2.2.2); otherwise Error says why and Status stays empty. A
// believed staple past its next_update keeps its Status (a revocation is
// final) and Error says it is stale.
func describeStaple(raw []byte, chain []*x509.Certificate, roots *x509.CertPool, now time.Time) model.OCSPInfo {
	if len(raw) == 0 {
		return model.OCSPInfo{}
	}
	info := model.OCSPInfo{Stapled: true}
	if len(chain) == 0 {
		info.Error = "no certificate to check it against"
		return info
	}
	leaf := chain[0]
	// With no issuer given, ParseResponseForCert checks only that the
	// response is signed by the certificate embedded in it, if any; who
	// that signer is, is checked below.
	resp, err := ocsp.ParseResponseForCert(raw, leaf, nil)
	if err != nil {
		info.Error = explainStapleError(err, raw, leaf)
		return info
	}
	issuer := findIssuer(chain, roots, now)
	if issuer == nil {
		// Only when the chain does not verify either (a verifying chain
		// yields the issuer), so this never stands alone: the row is CRIT
		// for the chain already.
		info.Error = "cannot check it: the certificate's issuer was neither sent nor found in the trust roots"
		return info
	}
	if err := checkStapleSigner(resp, issuer, now); err != nil {
		info.Error = err.Error()
		return info
	}
	info.ThisUpdate, info.NextUpdate = resp.ThisUpdate.UTC(), resp.NextUpdate.UTC()
	switch resp.Status {
	case ocsp.Good:
		info.Status = model.OCSPGood
	case ocsp.Revoked:
		info.Status = model.OCSPRevoked
		info.RevokedAt = resp.RevokedAt.UTC()
		info.Reason = revocationReason(resp.RevocationReason)
	default:
		info.Status = model.OCSPUnknown
	}
	switch {
	case !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate):
		info.Error = fmt.Sprintf("stale: its next update was due %s", resp.NextUpdate.UTC().Format(time.DateTime))
	case resp.ThisUpdate.After(now.Add(stapleClockSkew)):
		info.Error = fmt.Sprintf("not valid until %s", resp.ThisUpdate.UTC().Format(time.DateTime))
	}
	return info
}

// explainStapleError says why a staple does not parse or does not cover
// the leaf.
func explainStapleError(err error, raw []byte, leaf *x509.Certificate) string {
	var respErr ocsp.ResponseError
	if errors.As(err, &respErr) {
		return fmt.Sprintf("the responder answered %q, not a status", respErr.Status.String())
	}
	if other, perr := ocsp.ParseResponse(raw, nil); perr == nil && other.SerialNumber != nil &&
		other.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		return fmt.Sprintf("it covers serial %s, not the served certificate's %s",
			model.SerialHex(other.SerialNumber), model.SerialHex(leaf.SerialNumber))
	}
	if err.Error() == "no response matching the supplied certificate" {
		return "it does not cover the served certificate (serial " + model.SerialHex(leaf.SerialNumber) + ")"
	}
	var structErr asn1.StructuralError
	var syntaxErr asn1.SyntaxError
	if errors.As(err, &structErr) || errors.As(err, &syntaxErr) {
		return fmt.Sprintf("unparsable: %d bytes that are not a DER-encoded OCSP response", len(raw))
	}
	return "unparsable: " + err.Error()
}

// checkStapleSigner checks that resp was signed by issuer, or by a
// delegated responder certificate embedded in it.
func checkStapleSigner(resp *ocsp.Response, issuer *x509.Certificate, now time.Time) error {
	if resp.Certificate == nil || resp.Certificate.Equal(issuer) {
		if err := resp.CheckSignatureFrom(issuer); err != nil {
			return fmt.Errorf("its signature does not verify with the key of the issuer %q", issuer.Subject.CommonName)
		}
		return nil
	}
	// ParseResponseForCert checked the response against this certificate.
	responder := resp.Certificate
	name := responder.Subject.CommonName
	if err := responder.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("signed by %q, which the issuer %q did not certify", name, issuer.Subject.CommonName)
	}
	if !slices.Contains(responder.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return fmt.Errorf("signed by %q, which is not an OCSP responder (no id-kp-OCSPSigning)", name)
	}
	if now.Before(responder.NotBefore) || now.After(responder.NotAfter) {
		return fmt.Errorf("signed by %q, whose certificate is valid %s to %s", name,
			responder.NotBefore.UTC().Format(time.DateOnly), responder.NotAfter.UTC().Format(time.DateOnly))
	}
	return nil
}

// findIssuer is the certificate that signed the leaf: one the server sent,
// else the one the trust roots supply (servers often send the leaf alone
// when a root issued it). Expired or not, the leaf still has its issuer, so
// the roots are asked at a time the leaf is valid.
func findIssuer(chain []*x509.Certificate, roots *x509.CertPool, now time.Time) *x509.Certificate {
	leaf := chain[0]
	for _, c := range chain {
		if bytes.Equal(c.RawSubject, leaf.RawIssuer) && leaf.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	at := now
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 || len(chains[0]) < 2 {
		return nil
	}
	return chains[0][1]
}

// revocationReason names an RFC 5280 CRLReason as the RFC spells it.
func revocationReason(code int) string {
	names := map[int]string{
		ocsp.Unspecified: "unspecified", ocsp.KeyCompromise: "keyCompromise", ocsp.CACompromise: "cACompromise",
		ocsp.AffiliationChanged: "affiliationChanged", ocsp.Superseded: "superseded",
		ocsp.CessationOfOperation: "cessationOfOperation", ocsp.CertificateHold: "certificateHold",
		ocsp.RemoveFromCRL: "removeFromCRL", ocsp.PrivilegeWithdrawn: "privilegeWithdrawn",
		ocsp.AACompromise: "aACompromise",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("reason %d", code)
}
