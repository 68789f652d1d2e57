package probe

import (
	"crypto/x509"

	"golang.org/x/crypto/ocsp"

	"certdeck/model"
)

// describeStaple reports a stapled OCSP response. The issuer (the next
// certificate sent) checks the response's signature when present; a
// response that does not parse or verify is reported as "unparsable" rather
// than trusted.
func describeStaple(raw []byte, chain []*x509.Certificate) model.OCSPInfo {
	if len(raw) == 0 {
		return model.OCSPInfo{}
	}
	info := model.OCSPInfo{Stapled: true, Status: "unparsable"}
	if len(chain) == 0 {
		return info
	}
	var issuer *x509.Certificate
	if len(chain) > 1 {
		issuer = chain[1]
	}
	resp, err := ocsp.ParseResponseForCert(raw, chain[0], issuer)
	if err != nil {
		return info
	}
	switch resp.Status {
	case ocsp.Good:
		info.Status = "good"
	case ocsp.Revoked:
		info.Status = "revoked"
	default:
		info.Status = "unknown"
	}
	info.NextUpdate = resp.NextUpdate.UTC()
	return info
}
